//! Case events and their reminders.

use axum::{Json, extract::State, http::StatusCode};
use casewire_app::{EventInput, EventPatch};
use casewire_model::{CaseId, EventId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{double_option, views};
use crate::{
    AppState,
    error::ApiResult,
    extract::{ApiJson, Firm, Path},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateEvent {
    title: String,
    kind: String,
    starts_at: String,
    ends_at: Option<String>,
    time_zone: Option<String>,
    location: Option<String>,
    #[serde(default)]
    reminders: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateEvent {
    title: Option<String>,
    kind: Option<String>,
    starts_at: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    ends_at: Option<Option<String>>,
    time_zone: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    location: Option<Option<String>>,
    reminders: Option<Vec<String>>,
    cancelled: Option<bool>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
    ApiJson(body): ApiJson<CreateEvent>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = EventInput {
        title: body.title,
        kind: body.kind,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        time_zone: body.time_zone,
        location: body.location,
        reminders: body.reminders,
    };
    let event = state
        .app
        .create_event(firm, CaseId::new(case_id), &input)
        .await?;
    Ok((StatusCode::CREATED, Json(views::event(&event))))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let events = state.app.events(firm, CaseId::new(case_id)).await?;
    Ok(Json(
        json!({ "events": events.iter().map(views::event).collect::<Vec<_>>() }),
    ))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path((case_id, event_id)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<UpdateEvent>,
) -> ApiResult<Json<Value>> {
    let patch = EventPatch {
        title: body.title,
        kind: body.kind,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        time_zone: body.time_zone,
        location: body.location,
        reminders: body.reminders,
        cancelled: body.cancelled,
    };
    let event = state
        .app
        .update_event(firm, CaseId::new(case_id), EventId::new(event_id), &patch)
        .await?;
    Ok(Json(views::event(&event)))
}

/// Cancels the event (its history is kept; its pending reminders are cancelled).
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path((case_id, event_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let event = state
        .app
        .cancel_event(firm, CaseId::new(case_id), EventId::new(event_id))
        .await?;
    Ok(Json(views::event(&event)))
}

pub(crate) async fn reminders(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let reminders = state.app.case_reminders(firm, CaseId::new(case_id)).await?;
    Ok(Json(
        json!({ "reminders": reminders.iter().map(views::reminder).collect::<Vec<_>>() }),
    ))
}
