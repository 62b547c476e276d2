//! Events, recipes and re-planning: every change that can move a reminder re-plans
//! exactly the reminders it affects.

use casewire_model::{
    CaseEvent, CaseId, CaseStatus, EventDraft, EventId, EventKind, FirmId, Offset, RecipeId,
};
use casewire_scheduler::{AppliesTo, Lead, PlanInput, Recipe, Template, plan};
use casewire_store::{ReminderRecord, SyncReport};
use chrono::{DateTime, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{App, AppError, Result, error::not_found};

/// An event as entered.
#[derive(Debug, Clone)]
pub struct EventInput {
    /// Title shown to the client.
    pub title: String,
    /// Kind that recipes select on ("341 Meeting").
    pub kind: String,
    /// Start: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM` in `time_zone`.
    pub starts_at: String,
    /// End, same forms.
    pub ends_at: Option<String>,
    /// IANA zone of the event (the firm's when `None`).
    pub time_zone: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// Per-event reminders: "1 day", "2 hours", ...
    pub reminders: Vec<String>,
}

/// Changes to an event; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EventPatch {
    /// New title.
    pub title: Option<String>,
    /// New kind.
    pub kind: Option<String>,
    /// New start.
    pub starts_at: Option<String>,
    /// New end (`Some(None)` clears it).
    pub ends_at: Option<Option<String>>,
    /// New zone.
    pub time_zone: Option<String>,
    /// New location (`Some(None)` clears it).
    pub location: Option<Option<String>>,
    /// New per-event reminders.
    pub reminders: Option<Vec<String>>,
    /// Cancel or restore.
    pub cancelled: Option<bool>,
}

/// A recipe as entered.
#[derive(Debug, Clone)]
pub struct RecipeInput {
    /// Name for staff.
    pub name: String,
    /// Event kinds it applies to; every event when empty.
    pub applies_to: Vec<String>,
    /// How long before: "3 days".
    pub before: String,
    /// Fixed local delivery time "10:00" (days and weeks only).
    pub at: Option<String>,
    /// Template; the default reminder text when `None`.
    pub template: Option<String>,
    /// Whether it is in force.
    pub enabled: bool,
}

fn parse_instant(value: &str, zone: Tz, field: &str) -> Result<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .ok_or_else(|| {
            AppError::invalid(
                field,
                "expected 2026-03-10T09:30 (local time) or RFC 3339 with an offset",
            )
        })?;
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // The clock was set back: the earlier of the two moments, as the planner does.
        LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
        LocalResult::None => Err(AppError::invalid(
            field,
            format!("{naive} does not exist in {zone} (the clocks skip it); choose another time"),
        )),
    }
}

fn parse_zone(value: Option<&str>, default: Tz) -> Result<Tz> {
    match value.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(default),
        Some(z) => z.parse().map_err(|_| {
            AppError::invalid("time_zone", "expected an IANA zone such as America/Chicago")
        }),
    }
}

fn parse_offsets(values: &[String]) -> Result<Vec<Offset>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.parse::<Offset>()
                .map_err(|e| AppError::invalid(format!("reminders[{i}]"), e))
        })
        .collect()
}

fn recipe_from(input: &RecipeInput, id: RecipeId) -> Result<Recipe> {
    let name =
        casewire_model::bounded_text(&input.name, 100).map_err(|e| AppError::invalid("name", e))?;
    let kinds = input
        .applies_to
        .iter()
        .enumerate()
        .map(|(i, k)| {
            EventKind::parse(k).map_err(|e| AppError::invalid(format!("applies_to[{i}]"), e))
        })
        .collect::<Result<Vec<_>>>()?;
    let applies_to = if kinds.is_empty() {
        AppliesTo::AllEvents
    } else {
        AppliesTo::Kinds(kinds)
    };
    let before = input
        .before
        .parse::<Offset>()
        .map_err(|e| AppError::invalid("before", e))?;
    let at = input
        .at
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            NaiveTime::parse_from_str(a, "%H:%M")
                .map_err(|_| AppError::invalid("at", "expected a local time such as 10:00"))
        })
        .transpose()?;
    let lead = Lead::new(before, at).map_err(|e| AppError::invalid("at", e))?;
    let template = match input.template.as_deref() {
        Some(t) => Template::parse(t).map_err(|e| AppError::invalid("template", e))?,
        None => Template::default_reminder(),
    };
    Ok(Recipe {
        id,
        name,
        applies_to,
        lead,
        template,
        enabled: input.enabled,
    })
}

impl App {
    /// Adds an event to a case and plans its reminders.
    pub async fn create_event(
        &self,
        firm: FirmId,
        case_id: CaseId,
        input: &EventInput,
    ) -> Result<CaseEvent> {
        let record = self.firm(firm).await?;
        self.case(firm, case_id).await?;
        let zone = parse_zone(input.time_zone.as_deref(), record.firm.time_zone())?;
        let draft = EventDraft {
            title: &input.title,
            kind: EventKind::parse(&input.kind).map_err(|e| AppError::invalid("kind", e))?,
            starts_at: parse_instant(&input.starts_at, zone, "starts_at")?,
            ends_at: input
                .ends_at
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| parse_instant(e, zone, "ends_at"))
                .transpose()?,
            time_zone: zone,
            location: input.location.as_deref(),
            reminders: parse_offsets(&input.reminders)?,
        };
        let event = CaseEvent::new(EventId::new(0), case_id, draft)
            .map_err(|e| AppError::invalid(e.field(), e))?;
        let event = self
            .store
            .insert_event(firm, &event)
            .await
            .map_err(not_found("case"))?;
        self.replan_case(firm, case_id).await?;
        Ok(event)
    }

    /// Changes an event (moving, editing, cancelling or restoring it) and re-plans:
    /// a moved event's old reminders are cancelled and new ones scheduled.
    pub async fn update_event(
        &self,
        firm: FirmId,
        case_id: CaseId,
        event_id: EventId,
        patch: &EventPatch,
    ) -> Result<CaseEvent> {
        let current = self
            .store
            .event(firm, case_id, event_id)
            .await
            .map_err(not_found("event"))?;
        let zone = parse_zone(patch.time_zone.as_deref(), current.time_zone)?;
        let title = patch.title.clone().unwrap_or_else(|| current.title.clone());
        let location = match &patch.location {
            Some(l) => l.clone(),
            None => current.location.clone(),
        };
        let draft = EventDraft {
            title: &title,
            kind: match &patch.kind {
                Some(k) => EventKind::parse(k).map_err(|e| AppError::invalid("kind", e))?,
                None => current.kind.clone(),
            },
            starts_at: match &patch.starts_at {
                Some(s) => parse_instant(s, zone, "starts_at")?,
                None => current.starts_at,
            },
            ends_at: match &patch.ends_at {
                Some(Some(e)) => Some(parse_instant(e, zone, "ends_at")?),
                Some(None) => None,
                None => current.ends_at,
            },
            time_zone: zone,
            location: location.as_deref(),
            reminders: match &patch.reminders {
                Some(r) => parse_offsets(r)?,
                None => current.reminders.clone(),
            },
        };
        let mut event = CaseEvent::new(event_id, case_id, draft)
            .map_err(|e| AppError::invalid(e.field(), e))?;
        event.cancelled = patch.cancelled.unwrap_or(current.cancelled);
        self.store
            .update_event(firm, &event)
            .await
            .map_err(not_found("event"))?;
        self.replan_case(firm, case_id).await?;
        Ok(event)
    }

    /// Cancels an event: its pending reminders are cancelled, its history kept.
    pub async fn cancel_event(
        &self,
        firm: FirmId,
        case_id: CaseId,
        event_id: EventId,
    ) -> Result<CaseEvent> {
        self.update_event(
            firm,
            case_id,
            event_id,
            &EventPatch {
                cancelled: Some(true),
                ..EventPatch::default()
            },
        )
        .await
    }

    /// The events of a case.
    pub async fn events(&self, firm: FirmId, case_id: CaseId) -> Result<Vec<CaseEvent>> {
        self.case(firm, case_id).await?;
        Ok(self.store.events(firm, case_id).await?)
    }

    /// The reminders of a case: scheduled, and what became of past ones.
    pub async fn case_reminders(
        &self,
        firm: FirmId,
        case_id: CaseId,
    ) -> Result<Vec<ReminderRecord>> {
        self.case(firm, case_id).await?;
        Ok(self.store.case_reminders(firm, case_id).await?)
    }

    /// Creates a recipe (its template checked now, not when it sends) and plans it for
    /// every open case.
    pub async fn create_recipe(&self, firm: FirmId, input: &RecipeInput) -> Result<Recipe> {
        let recipe = recipe_from(input, RecipeId::new(0))?;
        let recipe = self
            .store
            .insert_recipe(firm, &recipe)
            .await
            .map_err(not_found("firm"))?;
        self.replan_firm(firm).await?;
        Ok(recipe)
    }

    /// Replaces a recipe and re-plans the firm's open cases.
    pub async fn update_recipe(
        &self,
        firm: FirmId,
        id: RecipeId,
        input: &RecipeInput,
    ) -> Result<Recipe> {
        let recipe = recipe_from(input, id)?;
        self.store
            .update_recipe(firm, &recipe)
            .await
            .map_err(not_found("recipe"))?;
        self.replan_firm(firm).await?;
        Ok(recipe)
    }

    /// Deletes a recipe; its pending reminders are cancelled.
    pub async fn delete_recipe(&self, firm: FirmId, id: RecipeId) -> Result<()> {
        self.store
            .delete_recipe(firm, id)
            .await
            .map_err(not_found("recipe"))?;
        self.replan_firm(firm).await?;
        Ok(())
    }

    /// The firm's recipes.
    pub async fn recipes(&self, firm: FirmId) -> Result<Vec<Recipe>> {
        Ok(self.store.recipes(firm).await?)
    }

    /// Re-plans every open case of the firm that has events.
    pub async fn replan_firm(&self, firm: FirmId) -> Result<SyncReport> {
        let mut total = SyncReport::default();
        for case_id in self.store.open_cases_with_events(firm).await? {
            let r = self.replan_case(firm, case_id).await?;
            total.scheduled += r.scheduled;
            total.updated += r.updated;
            total.cancelled += r.cancelled;
        }
        Ok(total)
    }

    /// Plans a case's reminders afresh and brings the stored ones in line: new ones
    /// scheduled, changed ones updated, ones no longer planned cancelled with the
    /// reason (event moved or cancelled, reminders off, case closed, opted out).
    pub async fn replan_case(&self, firm: FirmId, case_id: CaseId) -> Result<SyncReport> {
        let record = self.firm(firm).await?;
        let case = self.case(firm, case_id).await?;
        let events = self.store.events(firm, case_id).await?;
        let recipes = self.store.recipes(firm).await?;
        let now = self.now();
        let mut planned = plan(&PlanInput {
            firm: &record.firm,
            case: &case,
            events: &events,
            recipes: &recipes,
            event_template: &record.settings.event_template,
            now,
        });
        // Opted-out numbers get no reminders; they are planned again on opt-in.
        let mut opted_out = Vec::new();
        for p in &planned {
            if !opted_out.contains(&p.to)
                && !self
                    .store
                    .consent_state(firm, &p.to)
                    .await?
                    .allows_sending()
            {
                opted_out.push(p.to.clone());
            }
        }
        planned.retain(|p| !opted_out.contains(&p.to));
        let reminders_on = case.texting.automatic_reminders.is_on();
        let closed = case.status == CaseStatus::Closed;
        let reason = |r: &ReminderRecord| -> Option<&'static str> {
            if !reminders_on {
                return Some("reminders_off");
            }
            if closed {
                return Some("case_closed");
            }
            if opted_out.contains(&r.to) {
                return Some("opted_out");
            }
            match events.iter().find(|e| e.id == r.event_id) {
                None => Some("event_deleted"),
                Some(e) if e.cancelled => Some("event_cancelled"),
                Some(e) if e.starts_at != r.event_starts_at => Some("event_moved"),
                // Still valid but overdue: the worker sends it (plans hold only future
                // reminders, so its absence says nothing).
                Some(_) if r.send_at <= now => None,
                Some(_) => Some("no_longer_planned"),
            }
        };
        let report = self
            .store
            .sync_case_reminders(firm, case_id, &planned, reason, now)
            .await
            .map_err(not_found("case"))?;
        tracing::debug!(firm = %firm, case = %case_id, ?report, "case re-planned");
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_are_read_in_the_event_zone() {
        let ny = chrono_tz::America::New_York;
        let t = parse_instant("2026-03-10T09:30", ny, "starts_at").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-10T13:30:00+00:00");
        let t = parse_instant("2026-03-10T09:30:00-05:00", ny, "starts_at").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-10T14:30:00+00:00");
        let gap = parse_instant("2026-03-08T02:30", ny, "starts_at").unwrap_err();
        assert!(gap.to_string().contains("does not exist"), "{gap}");
        assert!(parse_instant("next tuesday", ny, "starts_at").is_err());
    }
}
