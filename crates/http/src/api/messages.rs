//! Texting a case, its thread, the linter and the unmatched inbox.

use axum::{Json, extract::State, http::StatusCode};
use casewire_app::{SendRequest, Sender};
use casewire_model::{CaseId, DebtorId, MessageId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Page, views};
use crate::{
    AppState, Metrics,
    error::ApiResult,
    extract::{ApiJson, ApiQuery, Firm, Path},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendBody {
    body: String,
    #[serde(default)]
    override_lint: bool,
    debtor_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintBody {
    body: String,
    case_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachBody {
    case_id: i64,
    debtor_id: Option<i64>,
}

pub(crate) async fn send(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
    ApiJson(body): ApiJson<SendBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request = SendRequest {
        body: body.body,
        sender: Sender::Api,
        override_lint: body.override_lint,
        only_debtor: body.debtor_id.map(DebtorId::new),
    };
    let outcome = state
        .app
        .send_case_text(firm, CaseId::new(case_id), &request)
        .await?;
    for r in &outcome.results {
        match r.outcome {
            casewire_app::RecipientOutcome::Refused { .. } => {
                Metrics::inc(&state.metrics.messages_refused_total)
            }
            _ => Metrics::inc(&state.metrics.messages_sent_total),
        }
    }
    Ok((StatusCode::CREATED, Json(json!(outcome))))
}

pub(crate) async fn thread(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Value>> {
    let id = CaseId::new(case_id);
    state.app.case(firm, id).await?;
    let messages = state
        .app
        .store()
        .thread(firm, id, page.before.map(MessageId::new), page.limit())
        .await
        .map_err(casewire_app::AppError::from)?;
    let next = (messages.len() == page.limit() as usize)
        .then(|| messages.last().map(|m| m.id.get()))
        .flatten();
    Ok(Json(json!({
        "messages": messages.iter().map(views::message).collect::<Vec<_>>(),
        "next_before": next,
    })))
}

pub(crate) async fn lint(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiJson(body): ApiJson<LintBody>,
) -> ApiResult<Json<Value>> {
    let report = state
        .app
        .lint_draft(firm, body.case_id.map(CaseId::new), &body.body)
        .await?;
    Ok(Json(json!(report)))
}

pub(crate) async fn unmatched(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Value>> {
    let messages = state
        .app
        .store()
        .unmatched(firm, page.before.map(MessageId::new), page.limit())
        .await
        .map_err(casewire_app::AppError::from)?;
    Ok(Json(json!({
        "messages": messages.iter().map(views::message).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn attach(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(message_id): Path<i64>,
    ApiJson(body): ApiJson<AttachBody>,
) -> ApiResult<Json<Value>> {
    let message = MessageId::new(message_id);
    state
        .app
        .store()
        .attach_to_case(
            firm,
            message,
            CaseId::new(body.case_id),
            body.debtor_id.map(DebtorId::new),
        )
        .await
        .map_err(|e| match e {
            casewire_store::StoreError::NotFound => {
                casewire_app::AppError::NotFound("unmatched message or case")
            }
            other => other.into(),
        })?;
    let m = state
        .app
        .store()
        .message(firm, message)
        .await
        .map_err(casewire_app::AppError::from)?;
    Ok(Json(views::message(&m)))
}
