//! Response shapes.

use casewire_compliance::{ConsentState, Transition};
use casewire_model::{Case, CaseEvent, Debtor, Firm};
use casewire_scheduler::{AppliesTo, Recipe, ReminderSource};
use casewire_store::{MessageRecord, ReminderRecord, SentBy};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize)]
pub(crate) struct PhoneView {
    id: i64,
    number: String,
    national: String,
    #[serde(rename = "type")]
    kind: &'static str,
    textable: bool,
}

#[derive(Serialize)]
pub(crate) struct DebtorView {
    id: i64,
    first_name: String,
    last_name: String,
    email: Option<String>,
    time_zone: Option<String>,
    has_mobile: bool,
    phones: Vec<PhoneView>,
}

fn debtor(d: &Debtor) -> DebtorView {
    DebtorView {
        id: d.id.get(),
        first_name: d.name.first().to_owned(),
        last_name: d.name.last().to_owned(),
        email: d.email.as_ref().map(|e| e.as_str().to_owned()),
        time_zone: d.time_zone.map(|z| z.name().to_owned()),
        has_mobile: d.has_mobile(),
        phones: d
            .phones
            .iter()
            .map(|p| PhoneView {
                id: p.id.get(),
                number: p.number.as_e164().to_owned(),
                national: p.number.national(),
                kind: p.kind.as_str(),
                textable: p.kind.is_textable(),
            })
            .collect(),
    }
}

pub(crate) fn texting(case: &Case, firm: &Firm) -> Value {
    json!({
        "notification_email": case.texting.notification_email.as_ref().map(|e| e.as_str()),
        "effective_notification_email": case.notification_address(firm).as_str(),
        "automatic_reminders": case.texting.automatic_reminders.is_on(),
    })
}

pub(crate) fn case(case: &Case, firm: &Firm) -> Value {
    json!({
        "id": case.id.get(),
        "number": case.number.as_str(),
        "title": case.title,
        "status": case.status.as_str(),
        "joint": case.debtors.is_joint(),
        "debtors": case.debtors.iter().map(debtor).collect::<Vec<_>>(),
        "texting": texting(case, firm),
    })
}

pub(crate) fn message(m: &MessageRecord) -> Value {
    let sent_by = m.sent_by.map(|s| match s {
        SentBy::User(id) => json!({ "kind": "user", "user_id": id.get() }),
        SentBy::Api => json!({ "kind": "api" }),
        SentBy::Reminder => json!({ "kind": "reminder" }),
        SentBy::System => json!({ "kind": "system" }),
    });
    let media: Value = m
        .media_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| json!([]));
    json!({
        "id": m.id.get(),
        "case_id": m.case_id.map(|c| c.get()),
        "debtor_id": m.debtor_id.map(|d| d.get()),
        "direction": m.direction.as_str(),
        "from": m.from.as_e164(),
        "to": m.to.as_e164(),
        "body": m.body,
        "media": media,
        "status": m.status.as_str(),
        "provider_id": m.provider_id,
        "error_code": m.error_code,
        "reason": m.refusal,
        "sent_by": sent_by,
        "reminder_key": m.reminder_key,
        "note": m.note,
        "created_at": m.created_at.to_rfc3339(),
        "updated_at": m.updated_at.to_rfc3339(),
    })
}

pub(crate) fn event(e: &CaseEvent) -> Value {
    json!({
        "id": e.id.get(),
        "case_id": e.case_id.get(),
        "title": e.title,
        "kind": e.kind.as_str(),
        "starts_at": e.start().to_rfc3339(),
        "ends_at": e.ends_at.map(|t| t.with_timezone(&e.time_zone).to_rfc3339()),
        "time_zone": e.time_zone.name(),
        "location": e.location,
        "reminders": e.reminders.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "cancelled": e.cancelled,
    })
}

fn source(s: &ReminderSource) -> Value {
    match s {
        ReminderSource::Recipe { recipe_id } => {
            json!({ "kind": "recipe", "recipe_id": recipe_id.get() })
        }
        ReminderSource::Event { offset } => {
            json!({ "kind": "event", "before": offset.to_string() })
        }
    }
}

pub(crate) fn reminder(r: &ReminderRecord) -> Value {
    json!({
        "id": r.id,
        "key": r.key.as_str(),
        "event_id": r.event_id.get(),
        "source": source(&r.source),
        "debtor_id": r.debtor_id.get(),
        "to": r.to.as_e164(),
        "body": r.body,
        "send_at": r.send_at.to_rfc3339(),
        "due_at": r.due_at.to_rfc3339(),
        "state": r.state.as_str(),
        "attempts": r.attempts,
        "reason": r.reason,
        "message_id": r.message_id.map(|m| m.get()),
        "updated_at": r.updated_at.to_rfc3339(),
    })
}

pub(crate) fn recipe(r: &Recipe) -> Value {
    json!({
        "id": r.id.get(),
        "name": r.name,
        "applies_to": match &r.applies_to {
            AppliesTo::AllEvents => Vec::new(),
            AppliesTo::Kinds(kinds) => kinds.iter().map(|k| k.as_str().to_owned()).collect(),
        },
        "before": r.lead.before.to_string(),
        "at": r.lead.at.map(|t| t.format("%H:%M").to_string()),
        "template": r.template.as_str(),
        "enabled": r.enabled,
    })
}

pub(crate) fn consent(number: &str, state: ConsentState, history: &[Transition]) -> Value {
    json!({
        "number": number,
        "state": state.as_str(),
        "history": history.iter().map(|t| json!({
            "from": t.from.as_str(),
            "to": t.to.as_str(),
            "at": t.at.to_rfc3339(),
            "method": t.method,
            "description": t.method.describe(),
            "text": t.raw_text,
            "via_number": t.via_number.as_ref().map(|n| n.as_e164().to_owned()),
        })).collect::<Vec<_>>(),
    })
}
