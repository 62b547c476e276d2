//! Cases, debtors, phones and texting settings.

use axum::{Json, extract::State, http::StatusCode};
use casewire_app::{CaseInput, DebtorInput, PhoneInput};
use casewire_model::{CaseId, CaseStatus, DebtorId, PhoneId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Page, double_option, views};
use crate::{
    AppState,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiQuery, Firm, Path},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneBody {
    number: String,
    #[serde(rename = "type")]
    kind: String,
}

impl From<PhoneBody> for PhoneInput {
    fn from(p: PhoneBody) -> Self {
        PhoneInput {
            number: p.number,
            kind: p.kind,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DebtorBody {
    first_name: String,
    last_name: String,
    email: Option<String>,
    time_zone: Option<String>,
    #[serde(default)]
    phones: Vec<PhoneBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCase {
    number: String,
    title: Option<String>,
    debtors: Vec<DebtorBody>,
    notification_email: Option<String>,
    automatic_reminders: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCase {
    status: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhonePatch {
    number: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextingPatch {
    #[serde(default, deserialize_with = "double_option")]
    notification_email: Option<Option<String>>,
    automatic_reminders: Option<bool>,
}

pub(crate) async fn case_view(
    state: &AppState,
    firm: casewire_model::FirmId,
    id: CaseId,
) -> ApiResult<Value> {
    let record = state.app.firm(firm).await?;
    let case = state.app.case(firm, id).await?;
    Ok(views::case(&case, &record.firm))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiJson(body): ApiJson<CreateCase>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = CaseInput {
        number: body.number,
        title: body.title,
        debtors: body
            .debtors
            .into_iter()
            .map(|d| DebtorInput {
                first_name: d.first_name,
                last_name: d.last_name,
                email: d.email,
                time_zone: d.time_zone,
                phones: d.phones.into_iter().map(Into::into).collect(),
            })
            .collect(),
        notification_email: body.notification_email,
        automatic_reminders: body.automatic_reminders,
    };
    let case = state.app.create_case(firm, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, firm, case.id).await?),
    ))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Value>> {
    let cases = state
        .app
        .cases(
            firm,
            page.search.as_deref(),
            page.limit(),
            page.offset.unwrap_or(0),
        )
        .await?;
    let items: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "id": c.id.get(),
                "number": c.number.as_str(),
                "title": c.title,
                "status": c.status.as_str(),
                "debtors": c.debtor_names,
                "last_activity_at": c.last_activity.to_rfc3339(),
            })
        })
        .collect();
    Ok(Json(json!({ "cases": items })))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(case_view(&state, firm, CaseId::new(case_id)).await?))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
    ApiJson(body): ApiJson<UpdateCase>,
) -> ApiResult<Json<Value>> {
    let status = CaseStatus::parse(&body.status)
        .ok_or_else(|| ApiError::bad_request("status must be \"open\" or \"closed\""))?;
    let id = CaseId::new(case_id);
    state.app.set_case_status(firm, id, status).await?;
    Ok(Json(case_view(&state, firm, id).await?))
}

pub(crate) async fn add_phone(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path((case_id, debtor_id)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<PhoneBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = CaseId::new(case_id);
    state
        .app
        .add_phone(firm, id, DebtorId::new(debtor_id), &body.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, firm, id).await?),
    ))
}

pub(crate) async fn update_phone(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path((case_id, phone_id)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<PhonePatch>,
) -> ApiResult<Json<Value>> {
    let id = CaseId::new(case_id);
    let input = PhoneInput {
        number: body.number,
        kind: body.kind,
    };
    state
        .app
        .update_phone(firm, id, PhoneId::new(phone_id), &input)
        .await?;
    Ok(Json(case_view(&state, firm, id).await?))
}

pub(crate) async fn remove_phone(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path((case_id, phone_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .remove_phone(firm, CaseId::new(case_id), PhoneId::new(phone_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn texting(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let record = state.app.firm(firm).await?;
    let case = state.app.case(firm, CaseId::new(case_id)).await?;
    Ok(Json(views::texting(&case, &record.firm)))
}

pub(crate) async fn set_texting(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(case_id): Path<i64>,
    ApiJson(body): ApiJson<TextingPatch>,
) -> ApiResult<Json<Value>> {
    let id = CaseId::new(case_id);
    state
        .app
        .set_texting(
            firm,
            id,
            body.notification_email.as_ref().map(|e| e.as_deref()),
            body.automatic_reminders,
        )
        .await?;
    let record = state.app.firm(firm).await?;
    let case = state.app.case(firm, id).await?;
    Ok(Json(views::texting(&case, &record.firm)))
}
