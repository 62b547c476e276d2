//! The cases list and a case's dashboard: its debtors and their numbers, the texting
//! panel (thread, compose box, settings wheel) and each number's consent.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header::ACCEPT},
    response::{IntoResponse, Redirect, Response},
};
use casewire_app::{AppError, PhoneInput, RecipientOutcome, SendRequest, Sender};
use casewire_compliance::{ConsentMethod, ConsentState, Transition};
use casewire_model::{
    Case, CaseId, CaseStatus, Debtor, DebtorId, FirmId, PhoneId, PhoneKind, PhoneNumber,
    Recipients, UserId,
};
use casewire_store::{ConsentRecord, Direction, MessageRecord, MessageStatus, SentBy};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::{
    Staff, WebError, WebForm, WebPath, finish,
    layout::{self, Nav, Tab, csrf_field, kind_select, reason_text, when},
    take_notice, user_problem,
};
use crate::{AppState, Metrics};

/// How many messages of the thread the dashboard shows.
const THREAD_PAGE: u32 = 100;
const CASES_PAGE: u32 = 50;

/// `GET /`: the cases.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/cases")
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    q: Option<String>,
    page: Option<u32>,
}

/// `GET /cases?q=`: the firm's cases, most recently active first, searchable by case
/// number or client name.
pub(crate) async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Markup, WebError> {
    let firm = staff.firm();
    let record = state.app.firm(firm).await?;
    let notice = take_notice(&state, &staff).await?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let page = query.page.unwrap_or(0);
    let cases = state
        .app
        .cases(firm, search, CASES_PAGE + 1, page * CASES_PAGE)
        .await?;
    let more = cases.len() > CASES_PAGE as usize;
    let zone = record.firm.time_zone();
    let page_link = |p: u32| match search {
        Some(q) => format!(
            "/cases?{}",
            serde_urlencoded::to_string([("q", q), ("page", &p.to_string())]).unwrap_or_default()
        ),
        None => format!("/cases?page={p}"),
    };
    let body = html! {
        h1 { "Cases" }
        form.search role="search" method="get" action="/cases" {
            label for="q" { "Search by case number or client name" }
            input #q type="search" name="q" value=[search];
            button type="submit" { "Search" }
            @if search.is_some() { a href="/cases" { "Clear" } }
        }
        @if cases.is_empty() {
            p { @if search.is_some() { "No case matches." } @else { "No cases yet. Cases are created through the API." } }
        } @else {
            table.cases {
                thead { tr { th { "Case" } th { "Clients" } th { "Status" } th { "Last activity" } } }
                tbody {
                    @for c in cases.iter().take(CASES_PAGE as usize) {
                        tr {
                            td { a href=(format!("/cases/{}", c.id)) { (c.number.as_str()) } div.sub { (c.title) } }
                            td { (c.debtor_names.join(" and ")) }
                            td { span class=(format!("tag {}", c.status.as_str())) { (c.status.as_str()) } }
                            td { (when(c.last_activity, zone)) }
                        }
                    }
                }
            }
            nav.pages aria-label="Pages" {
                @if page > 0 { a href=(page_link(page - 1)) { "← Newer" } }
                @if more { a href=(page_link(page + 1)) { "Older →" } }
            }
        }
    };
    Ok(layout::page(
        "Cases",
        &staff,
        record.firm.name(),
        Nav::Cases,
        notice,
        body,
    ))
}

/// Names of the people in a thread: debtors of the case and the firm's staff.
pub(crate) struct ThreadContext {
    pub(crate) zone: Tz,
    debtors: HashMap<DebtorId, String>,
    users: HashMap<UserId, String>,
}

impl ThreadContext {
    pub(crate) async fn load(
        state: &AppState,
        firm: FirmId,
        case: &Case,
    ) -> Result<Self, WebError> {
        let record = state.app.firm(firm).await?;
        Ok(ThreadContext {
            zone: record.firm.time_zone(),
            debtors: case.debtors.iter().map(|d| (d.id, d.name.full())).collect(),
            users: state
                .app
                .users(firm)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect(),
        })
    }

    /// Whether every sender in `messages` has a name here.
    pub(crate) fn knows_senders(&self, messages: &[MessageRecord]) -> bool {
        messages.iter().all(|m| match m.sent_by {
            Some(SentBy::User(id)) => self.users.contains_key(&id),
            _ => true,
        })
    }

    fn debtor(&self, id: Option<DebtorId>) -> Option<&str> {
        id.and_then(|id| self.debtors.get(&id)).map(String::as_str)
    }

    fn sender(&self, sent_by: Option<SentBy>) -> String {
        match sent_by {
            Some(SentBy::User(id)) => self
                .users
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("staff user {id}")),
            Some(SentBy::Api) => "the API".into(),
            Some(SentBy::Reminder) => "an automatic reminder".into(),
            Some(SentBy::System) => "Casewire (keyword reply)".into(),
            None => "the firm".into(),
        }
    }
}

fn status_label(m: &MessageRecord) -> (&'static str, String) {
    let label = match m.status {
        MessageStatus::Received => "received".to_owned(),
        MessageStatus::Refused => "refused".to_owned(),
        MessageStatus::Delivery(d) => d.as_str().to_owned(),
    };
    let class = match m.status {
        MessageStatus::Refused => "bad",
        MessageStatus::Delivery(d) if matches!(d.as_str(), "failed" | "undelivered") => "bad",
        MessageStatus::Delivery(d) if d.as_str() == "delivered" => "ok",
        _ => "",
    };
    (class, label)
}

/// One message of the thread; the live stream sends the same markup.
pub(crate) fn message_item(m: &MessageRecord, ctx: &ThreadContext) -> Markup {
    let inbound = m.direction == Direction::Inbound;
    let (status_class, status) = status_label(m);
    let reason = m
        .refusal
        .as_deref()
        .map(reason_text)
        .or_else(|| m.error_code.map(|c| format!("provider error {c}")));
    html! {
        li id=(format!("msg-{}", m.id)) class=(if inbound { "msg inbound" } else { "msg outbound" }) data-id=(m.id.get()) {
            div.meta {
                @if inbound {
                    strong { (ctx.debtor(m.debtor_id).unwrap_or("Unknown sender")) }
                    " · " span.number { (m.from.national()) }
                } @else {
                    "To " strong { (ctx.debtor(m.debtor_id).unwrap_or("client")) }
                    " · " span.number { (m.to.national()) }
                    " · sent by " span.sender { (ctx.sender(m.sent_by)) }
                }
                " · " (when(m.created_at, ctx.zone))
                " "
                span class=(format!("status {status_class}")) data-status=(status) { (status) }
                @if let Some(reason) = reason { " " span.reason { "(" (reason) ")" } }
            }
            p.body { (m.body) }
            @if let Some(note) = &m.note { p.note { (note) } }
        }
    }
}

/// The consent of each distinct number on the case.
async fn consents(
    state: &AppState,
    firm: FirmId,
    case: &Case,
) -> Result<Vec<(PhoneNumber, ConsentRecord)>, WebError> {
    let mut out: Vec<(PhoneNumber, ConsentRecord)> = Vec::new();
    for phone in case.debtors.iter().flat_map(|d| &d.phones) {
        if out.iter().any(|(n, _)| *n == phone.number) {
            continue;
        }
        let record = state
            .app
            .store()
            .consent(firm, &phone.number)
            .await
            .map_err(AppError::from)?;
        out.push((phone.number.clone(), record));
    }
    Ok(out)
}

fn describe(t: &Transition, users: &HashMap<UserId, String>) -> String {
    match &t.method {
        ConsentMethod::Staff { user, note } => {
            let who = users
                .get(user)
                .cloned()
                .unwrap_or_else(|| format!("staff user {user}"));
            match note {
                Some(note) => format!("recorded by {who}: {note}"),
                None => format!("recorded by {who}"),
            }
        }
        other => other.describe(),
    }
}

fn consent_summary(record: &ConsentRecord, ctx: &ThreadContext) -> Markup {
    let last = record.ledger.history().last();
    html! {
        @match (record.state, last) {
            (ConsentState::OptedOut, Some(t)) => span.tag.bad {
                "Opted out since " (when(t.at, ctx.zone)) " — " (describe(t, &ctx.users))
            },
            (ConsentState::OptedOut, None) => span.tag.bad { "Opted out" },
            (_, Some(t)) => span.tag.ok { "Subscribed again since " (when(t.at, ctx.zone)) },
            (_, None) => span.tag.ok { "Subscribed" },
        }
    }
}

fn debtor_card(
    case: &Case,
    index: usize,
    debtor: &Debtor,
    consent: &[(PhoneNumber, ConsentRecord)],
    staff: &Staff,
    ctx: &ThreadContext,
) -> Markup {
    let role = match (case.debtors.is_joint(), index) {
        (false, _) => "Debtor",
        (true, 0) => "Debtor",
        (true, _) => "Joint debtor",
    };
    let case_id = case.id;
    html! {
        article.debtor id=(format!("debtor-{}", debtor.id)) {
            h3 { (debtor.name.full()) " " span.role { (role) } }
            @if !debtor.has_mobile() {
                p.warning role="note" {
                    (debtor.name.first()) " has no mobile number. Only a number of type Mobile gets texts and reminders: add one below."
                }
            }
            @if debtor.phones.is_empty() {
                p.sub { "No phone numbers." }
            } @else {
                ul.phones {
                    @for phone in &debtor.phones {
                        @let pid = phone.id;
                        li.phone {
                            form.inline method="post" action=(format!("/cases/{case_id}/phones/{pid}")) {
                                (csrf_field(staff))
                                label.visually-hidden for=(format!("num-{pid}")) { "Number" }
                                input id=(format!("num-{pid}")) name="number" value=(phone.number.national()) inputmode="tel" autocomplete="off" required;
                                label.visually-hidden for=(format!("type-{pid}")) { "Type" }
                                (kind_select(&format!("type-{pid}"), phone.kind))
                                button type="submit" { "Save" }
                            }
                            form.inline method="post" action=(format!("/cases/{case_id}/phones/{pid}/remove")) {
                                (csrf_field(staff))
                                button.secondary type="submit" aria-label=(format!("Remove {}", phone.number.national())) { "Remove" }
                            }
                            div.phone-state {
                                @if phone.kind.is_textable() { span.tag.ok { "gets texts" } } @else { span.tag { "no texts" } }
                                " "
                                @if let Some((_, record)) = consent.iter().find(|(n, _)| *n == phone.number) {
                                    (consent_summary(record, ctx))
                                }
                            }
                        }
                    }
                }
            }
            form.add-phone method="post" action=(format!("/cases/{case_id}/debtors/{}/phones", debtor.id)) {
                (csrf_field(staff))
                label for=(format!("new-num-{}", debtor.id)) { "Add a number for " (debtor.name.first()) }
                input id=(format!("new-num-{}", debtor.id)) name="number" inputmode="tel" autocomplete="off" placeholder="(312) 555-0134" required;
                label.visually-hidden for=(format!("new-type-{}", debtor.id)) { "Type" }
                (kind_select(&format!("new-type-{}", debtor.id), PhoneKind::Mobile))
                button type="submit" { "Add number" }
            }
        }
    }
}

fn settings_wheel(case: &Case, firm_default: &str, staff: &Staff) -> Markup {
    let on = case.texting.automatic_reminders.is_on();
    let effective = case
        .texting
        .notification_email
        .as_ref()
        .map_or(firm_default, |e| e.as_str());
    html! {
        details.wheel #texting-settings {
            summary aria-label="Texting settings for this case" { "⚙ Settings" }
            form.stack method="post" action=(format!("/cases/{}/texting", case.id)) {
                (csrf_field(staff))
                label for="notification-email" { "Notification email for this case" }
                input #notification-email type="email" name="notification_email"
                    value=[case.texting.notification_email.as_ref().map(|e| e.as_str())]
                    placeholder=(firm_default);
                p.hint { "Blank = the firm's default, " strong { (firm_default) } ". Replies on this case are emailed to " strong #effective-email { (effective) } "." }
                fieldset {
                    legend { "Automatic text reminders" }
                    label { input type="radio" name="automatic_reminders" value="on" checked[on]; " On" }
                    label { input type="radio" name="automatic_reminders" value="off" checked[!on]; " Off" }
                }
                button type="submit" { "Save settings" }
            }
        }
    }
}

fn compose(case: &Case, staff: &Staff, consent: &[(PhoneNumber, ConsentRecord)]) -> Markup {
    let recipients = Recipients::of(case);
    let opted_out = |n: &PhoneNumber| {
        consent
            .iter()
            .any(|(c, r)| c == n && r.state == ConsentState::OptedOut)
    };
    let closed = case.status == CaseStatus::Closed;
    html! {
        form #compose.compose method="post" action=(format!("/cases/{}/messages", case.id)) data-case-id=(case.id.get()) {
            (csrf_field(staff))
            label for="body" { "New text" }
            p.hint #recipients {
                @if recipients.is_empty() {
                    "Nobody to text: no debtor has a mobile number."
                } @else {
                    "Goes to "
                    @for (i, r) in recipients.recipients.iter().enumerate() {
                        @if i > 0 { @if i + 1 == recipients.recipients.len() { " and " } @else { ", " } }
                        (r.first_name) " on " (r.number.national())
                        @if opted_out(&r.number) { " — opted out, will not be texted" }
                    }
                    "."
                }
            }
            textarea #body name="body" rows="4" maxlength="1600" required disabled[closed] aria-describedby="counter lint" {}
            div.compose-foot {
                output #counter for="body" aria-live="polite" { "0 characters · 0 segments" }
                label.override { input type="checkbox" name="override_lint" value="1"; " Send despite errors" }
                button type="submit" disabled[closed] { "Send text" }
            }
            ul #lint.lint aria-live="polite" {}
            p #send-status.hint role="status" {}
        }
    }
}

fn consent_section(
    case: &Case,
    consent: &[(PhoneNumber, ConsentRecord)],
    staff: &Staff,
    ctx: &ThreadContext,
) -> Markup {
    html! {
        section.consent aria-labelledby="consent-h" {
            h2 #consent-h { "Consent" }
            @for (number, record) in consent {
                div.consent-number {
                    h3 { (number.national()) " " (consent_summary(record, ctx)) }
                    @if record.ledger.history().is_empty() {
                        p.sub { "No opt-out or opt-in recorded." }
                    } @else {
                        details {
                            summary { "History (" (record.ledger.history().len()) ")" }
                            ol.history {
                                @for t in record.ledger.history() {
                                    li {
                                        (when(t.at, ctx.zone)) ": " (t.from.as_str().replace('_', " ")) " → " strong { (t.to.as_str().replace('_', " ")) }
                                        " — " (describe(t, &ctx.users))
                                        @if let Some(text) = &t.raw_text { " — “" (text) "”" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !consent.is_empty() {
                form.inline.record-consent method="post" action=(format!("/cases/{}/consent", case.id)) {
                    (csrf_field(staff))
                    label for="consent-number" { "Record a client's request for" }
                    select #consent-number name="number" {
                        @for (number, _) in consent { option value=(number.as_e164()) { (number.national()) } }
                    }
                    select name="state" aria-label="Change" {
                        option value="opted_out" { "opt out (no more texts)" }
                        option value="subscribed" { "opt back in" }
                    }
                    label.visually-hidden for="consent-note" { "Note" }
                    input #consent-note name="note" placeholder="How the client asked (phone call, letter…)";
                    button type="submit" { "Record" }
                }
            }
        }
    }
}

/// `GET /cases/{id}`: the case dashboard.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
) -> Result<Markup, WebError> {
    let firm = staff.firm();
    let case_id = CaseId::new(case_id);
    let case = state.app.case(firm, case_id).await?;
    let record = state.app.firm(firm).await?;
    let notice = take_notice(&state, &staff).await?;
    let now = state.app.now();
    let mut thread = state
        .app
        .store()
        .thread(firm, case_id, None, THREAD_PAGE)
        .await
        .map_err(AppError::from)?;
    thread.reverse();
    let ctx = ThreadContext::load(&state, firm, &case).await?;
    let consent = consents(&state, firm, &case).await?;
    let last_id = thread.last().map_or(0, |m| m.id.get());
    let live = format!(
        "/cases/{case_id}/live?after={last_id}&since={}",
        now.timestamp_millis()
    );
    let body = html! {
        div.case-head {
            h1 { (case.number.as_str()) " — " (case.title) }
            span class=(format!("tag {}", case.status.as_str())) { (case.status.as_str()) }
            @if case.debtors.is_joint() { span.tag { "joint case" } }
        }
        (layout::case_tabs(case_id, Tab::Texting))
        div.dashboard {
            section.debtors aria-labelledby="debtors-h" {
                h2 #debtors-h { "Debtors and phone numbers" }
                @for (i, debtor) in case.debtors.iter().enumerate() {
                    (debtor_card(&case, i, debtor, &consent, &staff, &ctx))
                }
                (consent_section(&case, &consent, &staff, &ctx))
            }
            section.texting aria-labelledby="texting-h" {
                div.panel-head {
                    h2 #texting-h { "Texts" }
                    (settings_wheel(&case, record.firm.notification_email().as_str(), &staff))
                }
                @if !case.texting.automatic_reminders.is_on() {
                    p.warning { "Automatic reminders are off for this case." }
                }
                ol #thread.thread data-live=(live) aria-label="Texts of this case, oldest first" {
                    @for m in &thread { (message_item(m, &ctx)) }
                }
                @if thread.is_empty() { p.sub #thread-empty { "No texts yet." } }
                (compose(&case, &staff, &consent))
            }
        }
    };
    Ok(layout::page(
        case.number.as_str(),
        &staff,
        record.firm.name(),
        Nav::Cases,
        notice,
        body,
    ))
}

#[derive(Deserialize)]
pub(crate) struct SendForm {
    #[serde(default)]
    body: String,
    override_lint: Option<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `POST /cases/{id}/messages`: texts the case as the signed-in user. The compose box
/// posts with `fetch()` and gets the new thread items as JSON; without script it is an
/// ordinary form.
pub(crate) async fn send(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
    headers: HeaderMap,
    WebForm(form): WebForm<SendForm>,
) -> Result<Response, WebError> {
    let firm = staff.firm();
    let case_id = CaseId::new(case_id);
    let request = SendRequest {
        body: form.body,
        sender: Sender::User(staff.user()),
        override_lint: form.override_lint.is_some(),
        only_debtor: None,
    };
    let result = state.app.send_case_text(firm, case_id, &request).await;
    if let Ok(outcome) = &result {
        for r in &outcome.results {
            match r.outcome {
                RecipientOutcome::Refused { .. } => {
                    Metrics::inc(&state.metrics.messages_refused_total)
                }
                _ => Metrics::inc(&state.metrics.messages_sent_total),
            }
        }
    }
    if !wants_json(&headers) {
        return finish(
            &state,
            &staff,
            &format!("/cases/{case_id}"),
            result,
            "Text sent.",
        )
        .await;
    }
    match result {
        Ok(outcome) => {
            let case = state.app.case(firm, case_id).await?;
            let ctx = ThreadContext::load(&state, firm, &case).await?;
            let mut items = Vec::new();
            for r in &outcome.results {
                let m = state
                    .app
                    .store()
                    .message(firm, r.message_id)
                    .await
                    .map_err(AppError::from)?;
                items.push(
                    json!({ "id": m.id.get(), "html": message_item(&m, &ctx).into_string() }),
                );
            }
            let refused = outcome
                .results
                .iter()
                .filter(|r| !matches!(r.outcome, RecipientOutcome::Sent { .. }))
                .count();
            let summary = if refused == 0 {
                "Sent.".to_owned()
            } else {
                format!(
                    "{refused} of {} not sent: see the thread.",
                    outcome.results.len()
                )
            };
            Ok(Json(json!({ "ok": true, "messages": items, "summary": summary })).into_response())
        }
        Err(e) => {
            let problem = user_problem(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "ok": false, "error": problem })),
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TextingForm {
    notification_email: Option<String>,
    automatic_reminders: Option<String>,
}

/// `POST /cases/{id}/texting`: the settings wheel.
pub(crate) async fn texting(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
    WebForm(form): WebForm<TextingForm>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let email = form
        .notification_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let reminders = match form.automatic_reminders.as_deref() {
        Some("on") => Some(true),
        Some("off") => Some(false),
        _ => None,
    };
    let result = state
        .app
        .set_texting(staff.firm(), case_id, Some(email), reminders)
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}"),
        result,
        "Texting settings saved.",
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct PhoneForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    kind: String,
}

impl From<PhoneForm> for PhoneInput {
    fn from(form: PhoneForm) -> Self {
        PhoneInput {
            number: form.number,
            kind: form.kind,
        }
    }
}

/// `POST /cases/{id}/debtors/{debtor}/phones`: adds a number to a debtor.
pub(crate) async fn add_phone(
    State(state): State<AppState>,
    staff: Staff,
    WebPath((case_id, debtor_id)): WebPath<(i64, i64)>,
    WebForm(form): WebForm<PhoneForm>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let result = state
        .app
        .add_phone(
            staff.firm(),
            case_id,
            DebtorId::new(debtor_id),
            &form.into(),
        )
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}"),
        result,
        "Number added.",
    )
    .await
}

/// `POST /cases/{id}/phones/{phone}`: changes a number or its type.
pub(crate) async fn update_phone(
    State(state): State<AppState>,
    staff: Staff,
    WebPath((case_id, phone_id)): WebPath<(i64, i64)>,
    WebForm(form): WebForm<PhoneForm>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let result = state
        .app
        .update_phone(staff.firm(), case_id, PhoneId::new(phone_id), &form.into())
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}"),
        result,
        "Number saved.",
    )
    .await
}

/// `POST /cases/{id}/phones/{phone}/remove`: removes a number.
pub(crate) async fn remove_phone(
    State(state): State<AppState>,
    staff: Staff,
    WebPath((case_id, phone_id)): WebPath<(i64, i64)>,
) -> Result<Response, WebError> {
    let case_id = CaseId::new(case_id);
    let result = state
        .app
        .remove_phone(staff.firm(), case_id, PhoneId::new(phone_id))
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{case_id}"),
        result,
        "Number removed.",
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct ConsentForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    state: String,
    note: Option<String>,
}

/// `POST /cases/{id}/consent`: records an opt-out or opt-in the client asked for by
/// other means, as the signed-in user. Only numbers of this case.
pub(crate) async fn record_consent(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
    WebForm(form): WebForm<ConsentForm>,
) -> Result<Response, WebError> {
    let firm = staff.firm();
    let case = state.app.case(firm, CaseId::new(case_id)).await?;
    let number = case
        .debtors
        .iter()
        .flat_map(|d| &d.phones)
        .map(|p| &p.number)
        .find(|n| n.as_e164() == form.number)
        .cloned()
        .ok_or(WebError::NotFound)?;
    let to = ConsentState::parse(&form.state)
        .ok_or_else(|| WebError::BadRequest("state must be opted_out or subscribed".into()))?;
    let note = form
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let result = state
        .app
        .record_staff_consent(firm, &number, to, Some(staff.user()), note)
        .await;
    finish(
        &state,
        &staff,
        &format!("/cases/{}", case.id),
        result,
        "Consent recorded.",
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct LintBody {
    body: String,
    case_id: Option<i64>,
}

/// `POST /ui/lint`: the compose box's live checks (segments, encoding, findings).
pub(crate) async fn lint(
    State(state): State<AppState>,
    staff: Staff,
    Json(body): Json<LintBody>,
) -> Result<Response, WebError> {
    let report = state
        .app
        .lint_draft(staff.firm(), body.case_id.map(CaseId::new), &body.body)
        .await?;
    Ok(Json(json!(report)).into_response())
}
