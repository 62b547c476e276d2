//! A case's events tab: events with their date, time and location, creating and editing
//! them with reminders "N minutes/hours/days before", and the case's reminders: those
//! scheduled and what became of past ones.

use std::collections::HashMap;

use axum::{extract::State, response::Response};
use casewire_app::{EventInput, EventPatch};
use casewire_model::{CaseEvent, CaseId, EventId, OffsetUnit, RecipeId};
use casewire_scheduler::ReminderSource;
use casewire_store::{ReminderRecord, ReminderState};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Staff, WebError, WebForm, WebPath, finish,
    layout::{self, Nav, Tab, csrf_field, reason_text, when},
    take_notice,
};
use crate::AppState;

/// Event kinds offered in the form; any other can be typed.
const KINDS: [&str; 5] = [
    "341 Meeting",
    "Confirmation Hearing",
    "Court Hearing",
    "Deadline",
    "Office Appointment",
];
/// How many empty reminder rows a new event's form has; an event's form has a row for
/// each of its reminders and one more, up to the most an event may have.
const REMINDER_ROWS: usize = 2;

/// The reminder rows of the form for `event`.
fn reminder_rows(event: Option<&CaseEvent>) -> usize {
    let kept = event.map_or(0, |e| e.reminders.len());
    (kept + 1).clamp(REMINDER_ROWS, CaseEvent::MAX_REMINDERS)
}

fn unit_select(id: &str, name: &str, selected: Option<OffsetUnit>) -> Markup {
    let units = [
        (OffsetUnit::Minutes, "minutes"),
        (OffsetUnit::Hours, "hours"),
        (OffsetUnit::Days, "days"),
        (OffsetUnit::Weeks, "weeks"),
    ];
    html! {
        select id=(id) name=(name) {
            @for (unit, label) in units {
                option value=(label) selected[selected.map_or(unit == OffsetUnit::Days, |s| s == unit)] { (label) }
            }
        }
    }
}

/// The create and edit form; `event` pre-fills it.
fn event_form(case_id: CaseId, event: Option<&CaseEvent>, zone: Tz, staff: &Staff) -> Markup {
    let prefix = event.map_or_else(|| "new-event".to_owned(), |e| format!("event-{}", e.id));
    let id = |field: &str| format!("{prefix}-{field}");
    let action = match event {
        Some(e) => format!("/cases/{case_id}/events/{}", e.id),
        None => format!("/cases/{case_id}/events"),
    };
    let start = event.map(CaseEvent::start);
    let zone_name = event.map_or(zone, |e| e.time_zone);
    html! {
        form.event-form method="post" action=(action) {
            (csrf_field(staff))
            div.grid {
                label for=(id("title")) { "Title (the client sees it)" }
                input id=(id("title")) name="title" required value=[event.map(|e| e.title.as_str())] placeholder="Meeting of creditors";
                label for=(id("kind")) { "Kind (recipes select on it)" }
                input id=(id("kind")) name="kind" list="event-kinds" required value=[event.map(|e| e.kind.as_str())] placeholder="341 Meeting";
                label for=(id("date")) { "Date" }
                input id=(id("date")) type="date" name="date" required value=[start.map(|s| s.format("%Y-%m-%d").to_string())];
                label for=(id("time")) { "Time (" (zone_name.name()) ")" }
                input id=(id("time")) type="time" name="time" required value=[start.map(|s| s.format("%H:%M").to_string())];
                label for=(id("location")) { "Location" }
                input id=(id("location")) name="location" value=[event.and_then(|e| e.location.as_deref())] placeholder="Room 1, 219 S Dearborn St";
            }
            fieldset {
                legend { "Text reminders before the event" }
                @for row in 0..reminder_rows(event) {
                    @let offset = event.and_then(|e| e.reminders.get(row)).copied();
                    div.reminder-row {
                        label.visually-hidden for=(id(&format!("amount-{row}"))) { "Reminder " (row + 1) ": how many" }
                        input id=(id(&format!("amount-{row}"))) type="number" min="1" max="999" name=(format!("reminder_amount_{row}"))
                            value=[offset.map(|o| o.amount())];
                        label.visually-hidden for=(id(&format!("unit-{row}"))) { "Reminder " (row + 1) ": unit" }
                        (unit_select(&id(&format!("unit-{row}")), &format!("reminder_unit_{row}"), offset.map(|o| o.unit())))
                        " before"
                    }
                }
                p.hint { "Leave the number blank for no reminder. The firm's recipes add their own reminders too." }
            }
            button type="submit" { @if event.is_some() { "Save event" } @else { "Create event" } }
        }
    }
}

fn reminder_state(r: &ReminderRecord, zone: Tz) -> Markup {
    let reason = r.reason.as_deref().map(reason_text);
    html! {
        @match r.state {
            ReminderState::Pending => {
                span.tag { "scheduled" }
                @if r.due_at > r.send_at { " (deferred to " (when(r.due_at, zone)) ")" }
            },
            ReminderState::Claimed => span.tag { "sending" },
            ReminderState::Sent => span.tag.ok { "sent" },
            ReminderState::Skipped => span.tag.bad { "skipped" },
            ReminderState::Failed => span.tag.bad { "failed" },
            ReminderState::Cancelled => span.tag { "cancelled" },
        }
        @if let Some(reason) = reason { " " span.reason { (reason) } }
    }
}

fn reminders_table(
    title: &str,
    id: &str,
    reminders: &[&ReminderRecord],
    events: &HashMap<EventId, &CaseEvent>,
    recipes: &HashMap<RecipeId, String>,
    debtors: &HashMap<casewire_model::DebtorId, String>,
    zone: Tz,
) -> Markup {
    html! {
        h3 { (title) }
        @if reminders.is_empty() {
            p.sub id=(id) { "None." }
        } @else {
            table.reminders id=(id) {
                thead { tr { th { "Send at" } th { "Event" } th { "To" } th { "From" } th { "State" } } }
                tbody {
                    @for r in reminders {
                        tr {
                            td { (when(r.send_at, zone)) }
                            td { (events.get(&r.event_id).map_or("(deleted event)", |e| e.title.as_str())) }
                            td { (debtors.get(&r.debtor_id).map_or("client", String::as_str)) " · " (r.to.national()) }
                            td {
                                @match &r.source {
                                    ReminderSource::Recipe { recipe_id } => {
                                        "recipe “" (recipes.get(recipe_id).map_or("deleted recipe", String::as_str)) "”"
                                    }
                                    ReminderSource::Event { offset } => { (offset.to_string()) " before (set on the event)" }
                                }
                            }
                            td { (reminder_state(r, zone)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /cases/{id}/events`: the events tab.
pub(crate) async fn page(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
) -> Result<Markup, WebError> {
    let firm = staff.firm();
    let case_id = CaseId::new(case_id);
    let case = state.app.case(firm, case_id).await?;
    let record = state.app.firm(firm).await?;
    let notice = take_notice(&state, &staff).await?;
    let zone = record.firm.time_zone();
    let mut events = state.app.events(firm, case_id).await?;
    events.sort_by_key(|e| e.starts_at);
    let mut reminders = state.app.case_reminders(firm, case_id).await?;
    reminders.sort_by_key(|r| (r.send_at, r.id));
    let recipes: HashMap<RecipeId, String> = state
        .app
        .recipes(firm)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let by_id: HashMap<EventId, &CaseEvent> = events.iter().map(|e| (e.id, e)).collect();
    let debtors = case.debtors.iter().map(|d| (d.id, d.name.full())).collect();
    let (scheduled, past): (Vec<&ReminderRecord>, Vec<&ReminderRecord>) = reminders
        .iter()
        .partition(|r| matches!(r.state, ReminderState::Pending | ReminderState::Claimed));
    let body = html! {
        div.case-head {
            h1 { (case.number.as_str()) " — " (case.title) }
            span class=(format!("tag {}", case.status.as_str())) { (case.status.as_str()) }
        }
        (layout::case_tabs(case_id, Tab::Events))
        datalist #event-kinds { @for k in KINDS { option value=(k) {} } }
        @if !case.texting.automatic_reminders.is_on() {
            p.warning { "Automatic reminders are off for this case: none will be sent. Switch them on in the texting settings." }
        }
        section aria-labelledby="events-h" {
            h2 #events-h { "Events" }
            @if events.is_empty() {
                p.sub { "No events yet." }
            } @else {
                table.events #events {
                    thead { tr { th { "Event" } th { "Date & time" } th { "Location" } th { "Reminders" } th { "" } } }
                    tbody {
                        @for e in &events {
                            tr class=(if e.cancelled { "cancelled" } else { "" }) {
                                td { strong { (e.title) } div.sub { (e.kind.as_str()) } @if e.cancelled { span.tag { "cancelled" } } }
                                td { (e.start().format("%a, %b %-d, %Y %-I:%M %p %Z").to_string()) }
                                td { (e.location.as_deref().unwrap_or("—")) }
                                td {
                                    @if e.reminders.is_empty() { "—" }
                                    @for (i, o) in e.reminders.iter().enumerate() { @if i > 0 { ", " } (o.to_string()) " before" }
                                }
                                td {
                                    details.edit {
                                        summary { "Edit" }
                                        (event_form(case_id, Some(e), zone, &staff))
                                    }
                                    @if !e.cancelled {
                                        form.inline method="post" action=(format!("/cases/{case_id}/events/{}/cancel", e.id)) {
                                            (csrf_field(&staff))
                                            button.secondary type="submit" { "Cancel event" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="reminders-h" {
            h2 #reminders-h { "Reminders of this case" }
            p.hint { "Times in " (zone.name()) ". Each debtor's mobile number gets its own reminder." }
            (reminders_table("Scheduled", "scheduled-reminders", &scheduled, &by_id, &recipes, &debtors, zone))
            (reminders_table("Past", "past-reminders", &past, &by_id, &recipes, &debtors, zone))
        }
        section aria-labelledby="new-event-h" {
            h2 #new-event-h { "New event" }
            (event_form(case_id, None, zone, &staff))
        }
    };
    Ok(layout::page(
        &format!("{} events", case.number.as_str()),
        &staff,
        record.firm.name(),
        Nav::Cases,
        notice,
        body,
    ))
}

#[derive(Deserialize)]
pub(crate) struct EventForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    location: Option<String>,
    reminder_amount_0: Option<String>,
    reminder_unit_0: Option<String>,
    reminder_amount_1: Option<String>,
    reminder_unit_1: Option<String>,
    reminder_amount_2: Option<String>,
    reminder_unit_2: Option<String>,
    reminder_amount_3: Option<String>,
    reminder_unit_3: Option<String>,
    reminder_amount_4: Option<String>,
    reminder_unit_4: Option<String>,
}

impl EventForm {
    fn starts_at(&self) -> String {
        format!("{}T{}", self.date.trim(), self.time.trim())
    }

    fn location(&self) -> Option<String> {
        self.location
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
    }

    fn reminders(&self) -> Vec<String> {
        [
            (&self.reminder_amount_0, &self.reminder_unit_0),
            (&self.reminder_amount_1, &self.reminder_unit_1),
            (&self.reminder_amount_2, &self.reminder_unit_2),
            (&self.reminder_amount_3, &self.reminder_unit_3),
            (&self.reminder_amount_4, &self.reminder_unit_4),
        ]
        .into_iter()
        .filter_map(|(amount, unit)| {
            let amount = amount.as_deref().map(str::trim).filter(|a| !a.is_empty())?;
            Some(format!("{amount} {}", unit.as_deref().unwrap_or("days")))
        })
        .collect()
    }
}

/// `POST /cases/{id}/events`: creates an event and plans its reminders.
pub(crate) async fn create(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
    WebForm(form): WebForm<EventForm>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let input = EventInput {
        title: form.title.clone(),
        kind: form.kind.clone(),
        starts_at: form.starts_at(),
        ends_at: None,
        time_zone: None,
        location: form.location(),
        reminders: form.reminders(),
    };
    let result = state.app.create_event(staff.firm(), case_id, &input).await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}/events"),
        result,
        "Event created; its reminders are scheduled below.",
    )
    .await
}

/// `POST /cases/{id}/events/{event}`: edits an event; its reminders are planned again.
pub(crate) async fn update(
    State(state): State<AppState>,
    staff: Staff,
    WebPath((case_id, event_id)): WebPath<(i64, i64)>,
    WebForm(form): WebForm<EventForm>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let patch = EventPatch {
        title: Some(form.title.clone()),
        kind: Some(form.kind.clone()),
        starts_at: Some(form.starts_at()),
        location: Some(form.location()),
        reminders: Some(form.reminders()),
        ..EventPatch::default()
    };
    let result = state
        .app
        .update_event(staff.firm(), case_id, EventId::new(event_id), &patch)
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}/events"),
        result,
        "Event saved; its reminders were planned again.",
    )
    .await
}

/// `POST /cases/{id}/events/{event}/cancel`: cancels an event and its pending reminders.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    WebPath((case_id, event_id)): WebPath<(i64, i64)>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let result = state
        .app
        .cancel_event(staff.firm(), case_id, EventId::new(event_id))
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}/events"),
        result,
        "Event cancelled; its pending reminders were cancelled.",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use casewire_model::{EventDraft, EventKind, Offset};

    fn event(days: &[u32]) -> CaseEvent {
        let reminders = days
            .iter()
            .map(|d| Offset::new(*d, OffsetUnit::Days).unwrap())
            .collect();
        CaseEvent::new(
            EventId::new(1),
            CaseId::new(1),
            EventDraft {
                title: "Meeting of creditors",
                kind: EventKind::parse("341 Meeting").unwrap(),
                starts_at: "2026-03-10T14:00:00Z".parse().unwrap(),
                ends_at: None,
                time_zone: chrono_tz::America::Chicago,
                location: None,
                reminders,
            },
        )
        .unwrap()
    }

    #[test]
    fn the_form_shows_every_reminder_of_an_event_and_room_for_one_more() {
        assert_eq!(reminder_rows(None), 2);
        assert_eq!(reminder_rows(Some(&event(&[]))), 2);
        assert_eq!(reminder_rows(Some(&event(&[3, 2, 1]))), 4);
        assert_eq!(reminder_rows(Some(&event(&[5, 4, 3, 2, 1]))), 5);
    }
}
