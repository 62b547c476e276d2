//! Firm settings: the default notification email, texting numbers and their send rates,
//! quiet hours, keyword replies, the per-event reminder text and the reminder recipes,
//! with a live preview of a template (and its errors) before it is saved.

use axum::{Json, extract::State, response::Response};
use casewire_app::{AppError, FirmPatch, RecipeInput, TextingNumberInput};
use casewire_compliance::{Intent, Keywords, ReplyMode};
use casewire_model::{NumberClass, OffsetUnit, RecipeId};
use casewire_scheduler::{AppliesTo, Placeholder, Recipe, Template};
use casewire_store::FirmRecord;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::{
    Staff, WebError, WebForm, WebPath, finish,
    layout::{self, Nav, csrf_field},
    take_notice,
};
use crate::AppState;

const SETTINGS: &str = "/settings";

fn class_label(class: NumberClass) -> &'static str {
    match class {
        NumberClass::LongCode => "Long code (10DLC)",
        NumberClass::TollFree => "Toll-free",
        NumberClass::ShortCode => "Short code",
    }
}

const CLASSES: [NumberClass; 3] = [
    NumberClass::LongCode,
    NumberClass::TollFree,
    NumberClass::ShortCode,
];

/// The firm's own keywords, beyond the defaults.
fn extra_keywords(record: &FirmRecord, intent: Intent) -> String {
    record
        .settings
        .keywords
        .added(intent)
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The default keywords the firm has kept (all of them unless it turned some off
/// through the API).
fn default_keywords(record: &FirmRecord, intent: Intent) -> String {
    let defaults = Keywords::default();
    record
        .settings
        .keywords
        .iter(intent)
        .filter(|k| defaults.intent_of(k).is_some())
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A template box with its live preview underneath.
fn template_box(id: &str, name: &str, value: &str, label: &str) -> Markup {
    let preview = format!("{id}-preview");
    html! {
        label for=(id) { (label) }
        textarea id=(id) name=(name) rows="3" required data-preview=(preview) aria-describedby=(preview) { (value) }
        div.preview id=(preview) aria-live="polite" {
            span.sub { "Preview appears here as you type." }
        }
    }
}

/// What each placeholder of a template stands for.
fn placeholder_help() -> Markup {
    html! {
        details.hint {
            summary { "Placeholders" }
            dl.placeholders {
                @for p in Placeholder::ALL {
                    dt { code { (p.to_string()) } }
                    dd { (p.description()) }
                }
            }
        }
    }
}

fn unit_options(selected: OffsetUnit) -> Markup {
    html! {
        @for (unit, label) in [
            (OffsetUnit::Minutes, "minutes"),
            (OffsetUnit::Hours, "hours"),
            (OffsetUnit::Days, "days"),
            (OffsetUnit::Weeks, "weeks"),
        ] {
            option value=(label) selected[unit == selected] { (label) }
        }
    }
}

fn recipe_form(recipe: Option<&Recipe>, staff: &Staff) -> Markup {
    let prefix = recipe.map_or_else(|| "new-recipe".to_owned(), |r| format!("recipe-{}", r.id));
    let id = |field: &str| format!("{prefix}-{field}");
    let action = recipe.map_or_else(
        || "/settings/recipes".to_owned(),
        |r| format!("/settings/recipes/{}", r.id),
    );
    let applies = recipe.map(|r| match &r.applies_to {
        AppliesTo::AllEvents => String::new(),
        AppliesTo::Kinds(kinds) => kinds
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
    });
    let before = recipe.map(|r| r.lead.before);
    let template = recipe.map_or_else(
        || Template::default_reminder().as_str().to_owned(),
        |r| r.template.as_str().to_owned(),
    );
    html! {
        form.stack.recipe-form method="post" action=(action) {
            (csrf_field(staff))
            label for=(id("name")) { "Name" }
            input id=(id("name")) name="name" required value=[recipe.map(|r| r.name.as_str())] placeholder="341 meeting, 3 days out";
            label for=(id("applies")) { "Event kinds (comma-separated; blank = every event)" }
            input id=(id("applies")) name="applies_to" value=[applies] placeholder="341 Meeting";
            div.inline-fields {
                label for=(id("before")) { "Send" }
                input id=(id("before")) type="number" min="1" max="999" name="before_amount" required value=(before.map_or(3, |b| b.amount()));
                label.visually-hidden for=(id("unit")) { "Unit" }
                select id=(id("unit")) name="before_unit" { (unit_options(before.map_or(OffsetUnit::Days, |b| b.unit()))) }
                " before, at "
                label.visually-hidden for=(id("at")) { "At (local time, days and weeks only)" }
                input id=(id("at")) type="time" name="at" value=[recipe.and_then(|r| r.lead.at).map(|t| t.format("%H:%M").to_string())];
            }
            (template_box(&id("template"), "template", &template, "Text"))
            (placeholder_help())
            label.check { input type="checkbox" name="enabled" value="on" checked[recipe.is_none_or(|r| r.enabled)]; " Enabled" }
            button type="submit" { @if recipe.is_some() { "Save recipe" } @else { "Create recipe" } }
        }
    }
}

fn recipes_section(recipes: &[Recipe], staff: &Staff) -> Markup {
    html! {
        section aria-labelledby="recipes-h" {
            h2 #recipes-h { "Reminder recipes" }
            p.hint { "A recipe texts a reminder before every event of the kinds it names, on every open case with automatic reminders on." }
            @if recipes.is_empty() { p.sub { "No recipes yet." } }
            ul.recipes {
                @for r in recipes {
                    li.recipe id=(format!("recipe-{}", r.id)) {
                        div.recipe-head {
                            strong { (r.name) }
                            " — " (r.lead.before.to_string()) " before"
                            @if let Some(at) = r.lead.at { " at " (at.format("%-I:%M %p").to_string()) }
                            ", "
                            @match &r.applies_to {
                                AppliesTo::AllEvents => "every event",
                                AppliesTo::Kinds(kinds) => (kinds.iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>().join(", ")),
                            }
                            " "
                            @if r.enabled { span.tag.ok { "enabled" } } @else { span.tag { "disabled" } }
                        }
                        form.inline method="post" action=(format!("/settings/recipes/{}/enabled", r.id)) {
                            (csrf_field(staff))
                            input type="hidden" name="enabled" value=(if r.enabled { "off" } else { "on" });
                            button.secondary type="submit" { @if r.enabled { "Disable" } @else { "Enable" } }
                        }
                        form.inline method="post" action=(format!("/settings/recipes/{}/delete", r.id)) {
                            (csrf_field(staff))
                            button.secondary type="submit" { "Delete" }
                        }
                        details.edit {
                            summary { "Edit" }
                            (recipe_form(Some(r), staff))
                        }
                    }
                }
            }
            details.edit open[recipes.is_empty()] {
                summary { "New recipe" }
                (recipe_form(None, staff))
            }
        }
    }
}

/// `GET /settings`: the firm's settings.
pub(crate) async fn page(State(state): State<AppState>, staff: Staff) -> Result<Markup, WebError> {
    let firm = staff.firm();
    let record = state.app.firm(firm).await?;
    let notice = take_notice(&state, &staff).await?;
    let recipes = state.app.recipes(firm).await?;
    let numbers = record.firm.texting_numbers();
    let replies = &record.settings.replies;
    let body = html! {
        h1 { "Firm settings" }
        p.sub { (record.firm.name()) " · " (record.firm.time_zone().name()) }
        div.settings {
            section aria-labelledby="email-h" {
                h2 #email-h { "Notification email" }
                form.stack method="post" action="/settings/email" {
                    (csrf_field(&staff))
                    label for="firm-email" { "Client replies are emailed to (unless a case says otherwise)" }
                    input #firm-email type="email" name="notification_email" required value=(record.firm.notification_email().as_str());
                    button type="submit" { "Save email" }
                }
            }
            section aria-labelledby="numbers-h" {
                h2 #numbers-h { "Texting numbers" }
                form method="post" action="/settings/numbers" {
                    (csrf_field(&staff))
                    table.numbers {
                        thead { tr { th { "Number" } th { "Kind" } th { "Send rate (segments/s)" } th { "Remove" } } }
                        tbody {
                            @for (i, n) in numbers.iter().enumerate() {
                                tr {
                                    td { input name=(format!("number_{i}")) aria-label="Number" value=(n.number.national()) required; }
                                    td { select name=(format!("class_{i}")) aria-label="Kind" { @for c in CLASSES { option value=(c.as_str()) selected[c == n.class] { (class_label(c)) } } } }
                                    td { input type="number" step="0.1" min="0.1" name=(format!("rate_{i}")) aria-label="Send rate" value=(n.rate.per_second().to_string()); }
                                    td { input type="checkbox" name=(format!("remove_{i}")) value="on" aria-label=(format!("Remove {}", n.number.national())) disabled[numbers.len() == 1]; }
                                }
                            }
                            @let i = numbers.len();
                            tr {
                                td { input name=(format!("number_{i}")) aria-label="New number" placeholder="Add a number"; }
                                td { select name=(format!("class_{i}")) aria-label="Kind of the new number" { @for c in CLASSES { option value=(c.as_str()) { (class_label(c)) } } } }
                                td { input type="number" step="0.1" min="0.1" name=(format!("rate_{i}")) aria-label="Send rate of the new number" placeholder="usual"; }
                                td {}
                            }
                        }
                    }
                    p.hint { "The first number is the one texts leave from. A blank rate is the kind's usual one (long code 1/s, toll-free 3/s)." }
                    button type="submit" { "Save numbers" }
                }
            }
            section aria-labelledby="quiet-h" {
                h2 #quiet-h { "Quiet hours" }
                form.inline method="post" action="/settings/quiet-hours" {
                    (csrf_field(&staff))
                    "Automatic texts land between "
                    label.visually-hidden for="quiet-start" { "Start" }
                    input #quiet-start type="time" name="start" min="08:00" max="21:00" required value=(record.settings.quiet_hours.start().format("%H:%M").to_string());
                    " and "
                    label.visually-hidden for="quiet-end" { "End" }
                    input #quiet-end type="time" name="end" min="08:00" max="21:00" required value=(record.settings.quiet_hours.end().format("%H:%M").to_string());
                    " in the client's time zone. "
                    button type="submit" { "Save hours" }
                }
            }
            section aria-labelledby="replies-h" {
                h2 #replies-h { "Keyword replies" }
                form.stack method="post" action="/settings/replies" {
                    (csrf_field(&staff))
                    fieldset {
                        legend { "Who answers STOP, START and HELP" }
                        label { input type="radio" name="mode" value="send" checked[replies.mode == ReplyMode::Send]; " Casewire sends these replies" }
                        label { input type="radio" name="mode" value="suppress" checked[replies.mode == ReplyMode::Suppress]; " The provider answers (Twilio's own opt-out handling, toll-free numbers)" }
                    }
                    label for="reply-opt-out" { "Reply to an opt-out" }
                    textarea #reply-opt-out name="opt_out" rows="2" required { (replies.opt_out.as_str()) }
                    label for="reply-opt-in" { "Reply to an opt-in" }
                    textarea #reply-opt-in name="opt_in" rows="2" required { (replies.opt_in.as_str()) }
                    label for="reply-help" { "Reply to HELP" }
                    textarea #reply-help name="help" rows="2" required { (replies.help.as_str()) }
                    @for (intent, name, label) in [
                        (Intent::OptOut, "keywords_opt_out", "Extra opt-out keywords"),
                        (Intent::OptIn, "keywords_opt_in", "Extra opt-in keywords"),
                        (Intent::Help, "keywords_help", "Extra help keywords"),
                    ] {
                        label for=(name) { (label) " (comma-separated; besides: " (default_keywords(&record, intent)) ")" }
                        input id=(name) name=(name) value=(extra_keywords(&record, intent));
                    }
                    button type="submit" { "Save replies" }
                }
            }
            section aria-labelledby="event-template-h" {
                h2 #event-template-h { "Per-event reminder text" }
                form.stack method="post" action="/settings/event-template" {
                    (csrf_field(&staff))
                    (template_box("event-template", "event_template", record.settings.event_template.as_str(),
                        "The text of reminders set on an event itself"))
                    (placeholder_help())
                    button type="submit" { "Save text" }
                }
            }
            (recipes_section(&recipes, &staff))
        }
    };
    Ok(layout::page(
        "Firm settings",
        &staff,
        record.firm.name(),
        Nav::Settings,
        notice,
        body,
    ))
}

async fn save(
    state: &AppState,
    staff: &Staff,
    patch: FirmPatch,
    done: &str,
) -> Result<Response, WebError> {
    let result = state.app.update_firm(staff.firm(), &patch).await;
    finish(state, staff, SETTINGS, result, done).await
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    #[serde(default)]
    notification_email: String,
}

/// `POST /settings/email`.
pub(crate) async fn email(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(form): WebForm<EmailForm>,
) -> Result<Response, WebError> {
    let patch = FirmPatch {
        notification_email: Some(form.notification_email),
        ..FirmPatch::default()
    };
    save(&state, &staff, patch, "Notification email saved.").await
}

/// `POST /settings/numbers`: rows `number_i`, `class_i`, `rate_i`, `remove_i`.
pub(crate) async fn numbers(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(fields): WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: String| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut numbers = Vec::new();
    for i in 0..20 {
        let Some(number) = field(format!("number_{i}")) else {
            continue;
        };
        if field(format!("remove_{i}")).is_some() {
            continue;
        }
        let class = field(format!("class_{i}")).and_then(NumberClass::parse);
        let rate = match field(format!("rate_{i}")) {
            None => None,
            Some(r) => match r.parse::<f64>() {
                Ok(r) => Some(r),
                Err(_) => {
                    let problem: Result<(), AppError> = Err(AppError::invalid(
                        format!("texting_numbers[{i}].rate"),
                        "expected a number of segments per second, such as 1 or 0.5",
                    ));
                    return finish(&state, &staff, SETTINGS, problem, "").await;
                }
            },
        };
        numbers.push(TextingNumberInput {
            number: number.to_owned(),
            class,
            rate,
        });
    }
    let patch = FirmPatch {
        texting_numbers: Some(numbers),
        ..FirmPatch::default()
    };
    save(&state, &staff, patch, "Texting numbers saved.").await
}

#[derive(Deserialize)]
pub(crate) struct QuietHoursForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

/// `POST /settings/quiet-hours`.
pub(crate) async fn quiet_hours(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(form): WebForm<QuietHoursForm>,
) -> Result<Response, WebError> {
    let patch = FirmPatch {
        quiet_hours: Some((form.start, form.end)),
        ..FirmPatch::default()
    };
    save(&state, &staff, patch, "Quiet hours saved.").await
}

#[derive(Deserialize)]
pub(crate) struct RepliesForm {
    mode: Option<String>,
    opt_out: Option<String>,
    opt_in: Option<String>,
    help: Option<String>,
    #[serde(default)]
    keywords_opt_out: String,
    #[serde(default)]
    keywords_opt_in: String,
    #[serde(default)]
    keywords_help: String,
}

fn words(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /settings/replies`: who answers keywords, the replies and extra keywords.
pub(crate) async fn replies(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(form): WebForm<RepliesForm>,
) -> Result<Response, WebError> {
    let patch = FirmPatch {
        reply_mode: match form.mode.as_deref() {
            Some("suppress") => Some(ReplyMode::Suppress),
            Some("send") => Some(ReplyMode::Send),
            _ => None,
        },
        replies: [form.opt_out, form.opt_in, form.help],
        extra_keywords: [
            Some(words(&form.keywords_opt_out)),
            Some(words(&form.keywords_opt_in)),
            Some(words(&form.keywords_help)),
        ],
        ..FirmPatch::default()
    };
    save(&state, &staff, patch, "Keyword replies saved.").await
}

#[derive(Deserialize)]
pub(crate) struct EventTemplateForm {
    #[serde(default)]
    event_template: String,
}

/// `POST /settings/event-template`.
pub(crate) async fn event_template(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(form): WebForm<EventTemplateForm>,
) -> Result<Response, WebError> {
    let patch = FirmPatch {
        event_template: Some(form.event_template),
        ..FirmPatch::default()
    };
    save(&state, &staff, patch, "Reminder text saved.").await
}

#[derive(Deserialize)]
pub(crate) struct RecipeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    applies_to: String,
    #[serde(default)]
    before_amount: String,
    before_unit: Option<String>,
    at: Option<String>,
    template: Option<String>,
    enabled: Option<String>,
}

impl From<RecipeForm> for RecipeInput {
    fn from(form: RecipeForm) -> Self {
        RecipeInput {
            name: form.name,
            applies_to: words(&form.applies_to),
            before: format!(
                "{} {}",
                form.before_amount.trim(),
                form.before_unit.as_deref().unwrap_or("days")
            ),
            at: form.at.filter(|a| !a.trim().is_empty()),
            template: form.template,
            enabled: form.enabled.as_deref() == Some("on"),
        }
    }
}

/// `POST /settings/recipes`: a new recipe, planned for every open case at once.
pub(crate) async fn create_recipe(
    State(state): State<AppState>,
    staff: Staff,
    WebForm(form): WebForm<RecipeForm>,
) -> Result<Response, WebError> {
    let result = state.app.create_recipe(staff.firm(), &form.into()).await;
    finish(&state, &staff, SETTINGS, result, "Recipe created.").await
}

/// `POST /settings/recipes/{id}`: replaces a recipe.
pub(crate) async fn update_recipe(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(id): WebPath<i64>,
    WebForm(form): WebForm<RecipeForm>,
) -> Result<Response, WebError> {
    let result = state
        .app
        .update_recipe(staff.firm(), RecipeId::new(id), &form.into())
        .await;
    finish(&state, &staff, SETTINGS, result, "Recipe saved.").await
}

#[derive(Deserialize)]
pub(crate) struct ToggleForm {
    enabled: Option<String>,
}

/// `POST /settings/recipes/{id}/enabled`: switches a recipe on or off.
pub(crate) async fn toggle_recipe(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(id): WebPath<i64>,
    WebForm(form): WebForm<ToggleForm>,
) -> Result<Response, WebError> {
    let firm = staff.firm();
    let id = RecipeId::new(id);
    let recipe = state
        .app
        .recipes(firm)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(WebError::NotFound)?;
    let enabled = form.enabled.as_deref() == Some("on");
    let input = RecipeInput {
        name: recipe.name.clone(),
        applies_to: match &recipe.applies_to {
            AppliesTo::AllEvents => Vec::new(),
            AppliesTo::Kinds(kinds) => kinds.iter().map(|k| k.as_str().to_owned()).collect(),
        },
        before: recipe.lead.before.to_string(),
        at: recipe.lead.at.map(|t| t.format("%H:%M").to_string()),
        template: Some(recipe.template.as_str().to_owned()),
        enabled,
    };
    let result = state.app.update_recipe(firm, id, &input).await;
    let done = if enabled {
        "Recipe enabled."
    } else {
        "Recipe disabled; its pending reminders were cancelled."
    };
    finish(&state, &staff, SETTINGS, result, done).await
}

/// `POST /settings/recipes/{id}/delete`.
pub(crate) async fn delete_recipe(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(id): WebPath<i64>,
) -> Result<Response, WebError> {
    let result = state
        .app
        .delete_recipe(staff.firm(), RecipeId::new(id))
        .await;
    finish(&state, &staff, SETTINGS, result, "Recipe deleted.").await
}

#[derive(Deserialize)]
pub(crate) struct PreviewBody {
    template: String,
}

/// `POST /ui/preview`: a template rendered for a sample event, or why it cannot be
/// saved.
pub(crate) async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    Json(body): Json<PreviewBody>,
) -> Result<Json<serde_json::Value>, WebError> {
    let record = state.app.firm(staff.firm()).await?;
    Ok(Json(match Template::parse(&body.template) {
        Ok(template) => {
            let preview = template.preview(&record.firm, state.app.now());
            let (encoding, segments) = casewire_lint::segments(&preview.with_location);
            json!({
                "ok": true,
                "with_location": preview.with_location,
                "without_location": preview.without_location,
                "encoding": encoding,
                "segments": segments.count,
            })
        }
        Err(e) => json!({ "ok": false, "error": e.to_string() }),
    }))
}
