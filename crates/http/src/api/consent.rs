//! A number's consent state and history, and staff-recorded changes.

use axum::{Json, extract::State};
use casewire_compliance::ConsentState;
use casewire_model::PhoneNumber;
use serde::Deserialize;
use serde_json::Value;

use super::views;
use crate::{
    AppState,
    error::{ApiError, ApiResult},
    extract::{ApiJson, Firm, Path},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordConsent {
    state: String,
    note: Option<String>,
}

async fn number(
    state: &AppState,
    firm: casewire_model::FirmId,
    raw: &str,
) -> ApiResult<PhoneNumber> {
    let record = state.app.firm(firm).await?;
    PhoneNumber::parse(raw, record.firm.region())
        .map_err(|e| ApiError::bad_request(format!("invalid phone number: {e}")))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(phone): Path<String>,
) -> ApiResult<Json<Value>> {
    let number = number(&state, firm, &phone).await?;
    let record = state
        .app
        .store()
        .consent(firm, &number)
        .await
        .map_err(casewire_app::AppError::from)?;
    Ok(Json(views::consent(
        number.as_e164(),
        record.state,
        record.ledger.history(),
    )))
}

/// Records an opt-out or opt-in that staff took from the client by other means.
pub(crate) async fn record(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(phone): Path<String>,
    ApiJson(body): ApiJson<RecordConsent>,
) -> ApiResult<Json<Value>> {
    let number = number(&state, firm, &phone).await?;
    let to = ConsentState::parse(&body.state)
        .ok_or_else(|| ApiError::bad_request("state must be \"opted_out\" or \"subscribed\""))?;
    // API keys act for the firm as a whole, not for one staff member.
    state
        .app
        .record_staff_consent(firm, &number, to, None, body.note)
        .await?;
    let record = state
        .app
        .store()
        .consent(firm, &number)
        .await
        .map_err(casewire_app::AppError::from)?;
    Ok(Json(views::consent(
        number.as_e164(),
        record.state,
        record.ledger.history(),
    )))
}
