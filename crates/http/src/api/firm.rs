//! The firm's settings and its reminder recipes.

use axum::{Json, extract::State, http::StatusCode};
use casewire_app::{FirmPatch, RecipeInput, TextingNumberInput};
use casewire_compliance::{Intent, ReplyMode};
use casewire_model::{NumberClass, RecipeId};
use casewire_store::FirmRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views;
use crate::{
    AppState,
    error::{ApiError, ApiResult},
    extract::{ApiJson, Firm, Path},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberBody {
    number: String,
    class: Option<String>,
    rate: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuietHoursBody {
    start: String,
    end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepliesBody {
    mode: Option<String>,
    opt_out: Option<String>,
    opt_in: Option<String>,
    help: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeywordsBody {
    opt_out: Option<Vec<String>>,
    opt_in: Option<Vec<String>>,
    help: Option<Vec<String>>,
    /// Default keywords turned off; absent keeps the ones turned off now.
    removed: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FirmBody {
    notification_email: Option<String>,
    texting_numbers: Option<Vec<NumberBody>>,
    quiet_hours: Option<QuietHoursBody>,
    keyword_replies: Option<RepliesBody>,
    keywords: Option<KeywordsBody>,
    event_template: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipeBody {
    name: Option<String>,
    applies_to: Option<Vec<String>>,
    before: Option<String>,
    at: Option<String>,
    template: Option<String>,
    enabled: Option<bool>,
}

fn firm_view(r: &FirmRecord) -> Value {
    let keywords = |intent| {
        r.settings
            .keywords
            .iter(intent)
            .map(|k| k.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    json!({
        "id": r.firm.id().get(),
        "name": r.firm.name(),
        "time_zone": r.firm.time_zone().name(),
        "region": r.firm.region().to_string(),
        "notification_email": r.firm.notification_email().as_str(),
        "texting_numbers": r.firm.texting_numbers().iter().map(|n| json!({
            "number": n.number.as_e164(),
            "class": n.class.as_str(),
            "rate": n.rate.per_second(),
        })).collect::<Vec<_>>(),
        "quiet_hours": {
            "start": r.settings.quiet_hours.start().format("%H:%M").to_string(),
            "end": r.settings.quiet_hours.end().format("%H:%M").to_string(),
        },
        "keyword_replies": {
            "mode": match r.settings.replies.mode { ReplyMode::Send => "send", ReplyMode::Suppress => "suppress" },
            "opt_out": r.settings.replies.opt_out.as_str(),
            "opt_in": r.settings.replies.opt_in.as_str(),
            "help": r.settings.replies.help.as_str(),
        },
        "keywords": {
            "opt_out": keywords(Intent::OptOut),
            "opt_in": keywords(Intent::OptIn),
            "help": keywords(Intent::Help),
            "removed": r
                .settings
                .keywords
                .removed_defaults()
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect::<Vec<_>>(),
        },
        "event_template": r.settings.event_template.as_str(),
    })
}

pub(crate) async fn get(State(state): State<AppState>, Firm(firm): Firm) -> ApiResult<Json<Value>> {
    Ok(Json(firm_view(&state.app.firm(firm).await?)))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiJson(body): ApiJson<FirmBody>,
) -> ApiResult<Json<Value>> {
    let texting_numbers = body
        .texting_numbers
        .map(|numbers| {
            numbers
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    let class = n
                        .class
                        .as_deref()
                        .map(|c| {
                            NumberClass::parse(c).ok_or_else(|| {
                                ApiError::bad_request(format!(
                                    "texting_numbers[{i}].class must be long_code, toll_free or short_code"
                                ))
                            })
                        })
                        .transpose()?;
                    Ok(TextingNumberInput {
                        number: n.number,
                        class,
                        rate: n.rate,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .transpose()?;
    let replies = body.keyword_replies;
    let reply_mode = replies
        .as_ref()
        .and_then(|r| r.mode.as_deref())
        .map(|m| match m {
            "send" => Ok(ReplyMode::Send),
            "suppress" => Ok(ReplyMode::Suppress),
            _ => Err(ApiError::bad_request(
                "keyword_replies.mode must be \"send\" or \"suppress\"",
            )),
        })
        .transpose()?;
    let patch = FirmPatch {
        notification_email: body.notification_email,
        texting_numbers,
        quiet_hours: body.quiet_hours.map(|q| (q.start, q.end)),
        reply_mode,
        replies: match replies {
            Some(r) => [r.opt_out, r.opt_in, r.help],
            None => [None, None, None],
        },
        removed_keywords: body.keywords.as_ref().and_then(|k| k.removed.clone()),
        extra_keywords: body
            .keywords
            .map_or([None, None, None], |k| [k.opt_out, k.opt_in, k.help]),
        event_template: body.event_template,
    };
    Ok(Json(firm_view(&state.app.update_firm(firm, &patch).await?)))
}

pub(crate) async fn recipes(
    State(state): State<AppState>,
    Firm(firm): Firm,
) -> ApiResult<Json<Value>> {
    let recipes = state.app.recipes(firm).await?;
    Ok(Json(
        json!({ "recipes": recipes.iter().map(views::recipe).collect::<Vec<_>>() }),
    ))
}

pub(crate) async fn recipe(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let recipe = state
        .app
        .store()
        .recipe(firm, RecipeId::new(id))
        .await
        .map_err(|e| match e {
            casewire_store::StoreError::NotFound => ApiError::not_found("recipe"),
            other => casewire_app::AppError::from(other).into(),
        })?;
    Ok(Json(views::recipe(&recipe)))
}

fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::bad_request(format!("missing field `{field}`")))
}

pub(crate) async fn create_recipe(
    State(state): State<AppState>,
    Firm(firm): Firm,
    ApiJson(body): ApiJson<RecipeBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = RecipeInput {
        name: required(body.name, "name")?,
        applies_to: body.applies_to.unwrap_or_default(),
        before: required(body.before, "before")?,
        at: body.at,
        template: body.template,
        enabled: body.enabled.unwrap_or(true),
    };
    let recipe = state.app.create_recipe(firm, &input).await?;
    Ok((StatusCode::CREATED, Json(views::recipe(&recipe))))
}

pub(crate) async fn update_recipe(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RecipeBody>,
) -> ApiResult<Json<Value>> {
    let id = RecipeId::new(id);
    let current = state
        .app
        .store()
        .recipe(firm, id)
        .await
        .map_err(|e| match e {
            casewire_store::StoreError::NotFound => ApiError::not_found("recipe"),
            other => casewire_app::AppError::from(other).into(),
        })?;
    let current_view = views::recipe(&current);
    let input = RecipeInput {
        name: body.name.unwrap_or(current.name),
        applies_to: body.applies_to.unwrap_or_else(|| {
            current_view["applies_to"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        }),
        before: body
            .before
            .unwrap_or_else(|| current.lead.before.to_string()),
        at: body
            .at
            .or_else(|| current.lead.at.map(|t| t.format("%H:%M").to_string())),
        template: Some(
            body.template
                .unwrap_or_else(|| current.template.as_str().to_owned()),
        ),
        enabled: body.enabled.unwrap_or(current.enabled),
    };
    let recipe = state.app.update_recipe(firm, id, &input).await?;
    Ok(Json(views::recipe(&recipe)))
}

pub(crate) async fn delete_recipe(
    State(state): State<AppState>,
    Firm(firm): Firm,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_recipe(firm, RecipeId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
