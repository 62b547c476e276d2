//! The firm's unmatched inbox: replies from numbers on no open case, and attaching one
//! to a case's thread.

use axum::{extract::State, response::Response};
use casewire_app::AppError;
use casewire_model::{CaseId, MessageId};
use casewire_store::StoreError;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Staff, WebError, WebForm, WebPath, finish,
    layout::{self, Nav, csrf_field, when},
    take_notice,
};
use crate::AppState;

/// How many texts the inbox shows, and how many cases the attach box suggests.
const PAGE: u32 = 100;

/// `GET /inbox`.
pub(crate) async fn page(State(state): State<AppState>, staff: Staff) -> Result<Markup, WebError> {
    let firm = staff.firm();
    let record = state.app.firm(firm).await?;
    let notice = take_notice(&state, &staff).await?;
    let messages = state
        .app
        .store()
        .unmatched(firm, None, PAGE)
        .await
        .map_err(AppError::from)?;
    let cases = state.app.cases(firm, None, PAGE, 0).await?;
    let zone = record.firm.time_zone();
    let body = html! {
        h1 { "Unmatched inbox" }
        p.hint { "Texts from numbers that are on no open case. Attach one to a case to move it into that case's thread." }
        datalist #case-numbers {
            @for c in &cases { option value=(c.number.as_str()) { (c.title) } }
        }
        @if messages.is_empty() {
            p.sub #inbox-empty { "Nothing here." }
        } @else {
            table.inbox {
                thead { tr { th { "Received" } th { "From" } th { "Text" } th { "Attach to case" } } }
                tbody {
                    @for m in &messages {
                        tr id=(format!("unmatched-{}", m.id)) {
                            td { (when(m.created_at, zone)) }
                            td { (m.from.national()) div.sub { "to " (m.to.national()) } }
                            td { p.body { (m.body) } @if let Some(note) = &m.note { p.note { (note) } } }
                            td {
                                form.inline method="post" action=(format!("/inbox/{}/attach", m.id)) {
                                    (csrf_field(&staff))
                                    label.visually-hidden for=(format!("attach-{}", m.id)) { "Case number" }
                                    input id=(format!("attach-{}", m.id)) name="case_number" list="case-numbers" required placeholder="Case number";
                                    button type="submit" { "Attach" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        "Unmatched inbox",
        &staff,
        record.firm.name(),
        Nav::Inbox,
        notice,
        body,
    ))
}

#[derive(Deserialize)]
pub(crate) struct AttachForm {
    #[serde(default)]
    case_number: String,
}

/// `POST /inbox/{message}/attach`: moves the text into the case with that number, to
/// the debtor whose number sent it when there is one.
pub(crate) async fn attach(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(message_id): WebPath<i64>,
    WebForm(form): WebForm<AttachForm>,
) -> Result<Response, WebError> {
    let firm = staff.firm();
    let message = state
        .app
        .store()
        .message(firm, MessageId::new(message_id))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => WebError::NotFound,
            other => AppError::from(other).into(),
        })?;
    let wanted = form.case_number.trim();
    let found = state
        .app
        .cases(firm, Some(wanted), 20, 0)
        .await?
        .into_iter()
        .find(|c| c.number.as_str().eq_ignore_ascii_case(wanted));
    let Some(summary) = found else {
        let problem: Result<(), AppError> = Err(AppError::invalid(
            "case number",
            format!("no case of the firm has the number {wanted:?}"),
        ));
        return finish(&state, &staff, "/inbox", problem, "").await;
    };
    let case_id: CaseId = summary.id;
    let case = state.app.case(firm, case_id).await?;
    let debtor = case
        .debtors
        .iter()
        .find(|d| d.phones.iter().any(|p| p.number == message.from))
        .map(|d| d.id);
    let result = state
        .app
        .store()
        .attach_to_case(firm, message.id, case_id, debtor)
        .await
        .map_err(AppError::from);
    finish(
        &state,
        &staff,
        "/inbox",
        result,
        &format!("Attached to case {}.", summary.number.as_str()),
    )
    .await
}
