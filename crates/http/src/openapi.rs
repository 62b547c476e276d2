//! `/openapi.json`: the OpenAPI 3.1 description of every route. Kept beside the router;
//! a test checks that every route of the router is described.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, body: Option<Value>, ok: &str, errors: &[&str]) -> Value {
    let mut responses = serde_json::Map::new();
    let (code, description) = ok.split_once(' ').unwrap_or((ok, ""));
    responses.insert(code.into(), json!({ "description": description }));
    for e in errors {
        responses.insert(
            (*e).into(),
            json!({ "$ref": format!("#/components/responses/E{e}") }),
        );
    }
    let mut o = json!({ "summary": summary, "responses": responses });
    if let (Some(body), Some(obj)) = (body, o.as_object_mut()) {
        obj.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": body } } }),
        );
    }
    o
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
}

const STR: &str = "string";

fn s() -> Value {
    json!({ "type": STR })
}

fn phone_body() -> Value {
    obj(
        &["number", "type"],
        json!({ "number": { "type": STR, "example": "(312) 555-0101" },
                "type": { "enum": ["mobile", "home", "work", "fax", "other"] } }),
    )
}

fn recipe_body() -> Value {
    obj(
        &[],
        json!({ "name": s(), "applies_to": { "type": "array", "items": s() },
                "before": { "type": STR, "example": "3 days" }, "at": { "type": STR, "example": "10:00" },
                "template": s(), "enabled": { "type": "boolean" } }),
    )
}

/// The OpenAPI document.
pub(crate) fn spec() -> Value {
    let auth = &["401", "404", "422"];
    let debtor = obj(
        &["first_name", "last_name"],
        json!({ "first_name": s(), "last_name": s(), "email": s(), "time_zone": s(),
                "phones": { "type": "array", "items": phone_body() } }),
    );
    let event = obj(
        &["title", "kind", "starts_at"],
        json!({ "title": s(), "kind": { "type": STR, "example": "341 Meeting" },
                "starts_at": { "type": STR, "example": "2026-03-10T09:30" }, "ends_at": s(),
                "time_zone": s(), "location": s(),
                "reminders": { "type": "array", "items": { "type": STR, "example": "1 day" } } }),
    );
    let form = json!({ "application/x-www-form-urlencoded": { "schema": { "type": "object" } } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Casewire API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Texting from inside a law firm's cases. Authenticate with `Authorization: Bearer <firm API key>`; another firm's ids answer 404. Errors are `{\"error\":{\"code\":…,\"message\":…}}`."
        },
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": obj(&["error"], json!({ "error": obj(&["code", "message"],
                    json!({ "code": s(), "message": s(), "details": { "type": "object" } })) })),
            },
            "responses": {
                "E400": { "description": "Malformed request (bad JSON, unknown field, bad query).", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E401": { "description": "Missing or unknown API key.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E403": { "description": "Missing or forged webhook signature.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E404": { "description": "Unknown id, or another firm's.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E409": { "description": "Conflicts with stored data.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E422": { "description": "A field is invalid (details.field names it), or lint errors.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            }
        },
        "paths": {
            "/v1/cases": {
                "post": op("Create a case with one debtor, or two for a joint case", Some(obj(&["number", "debtors"], json!({
                    "number": s(), "title": s(), "debtors": { "type": "array", "minItems": 1, "maxItems": 2, "items": debtor },
                    "notification_email": s(), "automatic_reminders": { "type": "boolean" } }))), "201 The case", &["400", "401", "409", "422"]),
                "get": op("List cases, most recently active first (?search=, ?limit=, ?offset=)", None, "200 Cases", &["400", "401"]),
            },
            "/v1/cases/{case_id}": {
                "get": op("A case with its debtors, phones and texting settings", None, "200 The case", auth),
                "patch": op("Open or close a case", Some(obj(&["status"], json!({ "status": { "enum": ["open", "closed"] } }))), "200 The case", auth),
            },
            "/v1/cases/{case_id}/debtors/{debtor_id}/phones": {
                "post": op("Add a phone to a debtor (409 when the debtor already has the number)", Some(phone_body()), "201 The case", &["401", "404", "409", "422"]),
            },
            "/v1/cases/{case_id}/phones/{phone_id}": {
                "patch": op("Change a phone's number and type together (409 when the debtor already has the number)", Some(phone_body()), "200 The case", &["401", "404", "409", "422"]),
                "delete": op("Remove a phone", None, "204 Removed", auth),
            },
            "/v1/cases/{case_id}/messages": {
                "post": op("Text the case: one message per recipient; refusals and lint findings per recipient", Some(obj(&["body"], json!({
                    "body": s(), "override_lint": { "type": "boolean" }, "debtor_id": { "type": "integer" } }))), "201 Per-recipient results and the lint report", &["400", "401", "404", "409", "422"]),
                "get": op("The thread, newest first (?before=<message id>, ?limit=)", None, "200 Messages", auth),
            },
            "/v1/cases/{case_id}/texting": {
                "get": op("Texting settings", None, "200 Settings", auth),
                "patch": op("Change the notification email override (null = firm default) or automatic reminders", Some(obj(&[], json!({
                    "notification_email": { "type": ["string", "null"] }, "automatic_reminders": { "type": "boolean" } }))), "200 Settings", auth),
            },
            "/v1/cases/{case_id}/events": {
                "post": op("Add an event with per-event reminders", Some(event), "201 The event", auth),
                "get": op("The case's events", None, "200 Events", auth),
            },
            "/v1/cases/{case_id}/events/{event_id}": {
                "patch": op("Edit, move, cancel or restore an event; reminders are re-planned", Some(obj(&[], json!({
                    "title": s(), "kind": s(), "starts_at": s(), "ends_at": { "type": ["string", "null"] }, "time_zone": s(),
                    "location": { "type": ["string", "null"] }, "reminders": { "type": "array", "items": s() }, "cancelled": { "type": "boolean" } }))), "200 The event", auth),
                "delete": op("Cancel an event (kept in history)", None, "200 The event", auth),
            },
            "/v1/cases/{case_id}/reminders": {
                "get": op("Scheduled reminders, and what was sent, skipped, cancelled or failed", None, "200 Reminders", auth),
            },
            "/v1/firm": {
                "get": op("The firm's settings", None, "200 The firm", &["401"]),
                "patch": op("Change the default notification email, texting numbers, quiet hours, keyword replies, keywords or the event template", Some(obj(&[], json!({
                    "notification_email": s(),
                    "texting_numbers": { "type": "array", "items": obj(&["number"], json!({ "number": s(), "class": { "enum": ["long_code", "toll_free", "short_code"] }, "rate": { "type": "number" } })) },
                    "quiet_hours": obj(&["start", "end"], json!({ "start": s(), "end": s() })),
                    "keyword_replies": obj(&[], json!({ "mode": { "enum": ["send", "suppress"] }, "opt_out": s(), "opt_in": s(), "help": s() })),
                    "keywords": obj(&[], json!({ "opt_out": { "type": "array", "items": s() }, "opt_in": { "type": "array", "items": s() }, "help": { "type": "array", "items": s() }, "removed": { "type": "array", "items": s() } })),
                    "event_template": s() }))), "200 The firm", &["400", "401", "409", "422"]),
            },
            "/v1/firm/recipes": {
                "get": op("The firm's reminder recipes", None, "200 Recipes", &["401"]),
                "post": op("Create a recipe; the template is checked now", Some(recipe_body()), "201 The recipe", &["400", "401", "422"]),
            },
            "/v1/firm/recipes/{recipe_id}": {
                "get": op("A recipe", None, "200 The recipe", auth),
                "patch": op("Change a recipe; open cases are re-planned", Some(recipe_body()), "200 The recipe", auth),
                "delete": op("Delete a recipe; its pending reminders are cancelled", None, "204 Deleted", auth),
            },
            "/v1/lint": {
                "post": op("Lint a draft: encoding, segments and findings", Some(obj(&["body"], json!({ "body": s(), "case_id": { "type": "integer" } }))), "200 The report", &["400", "401", "404"]),
            },
            "/v1/consent/{phone}": {
                "get": op("A number's consent state and ledger", None, "200 Consent", &["400", "401"]),
                "post": op("Record an opt-out or opt-in the client gave staff by other means", Some(obj(&["state"], json!({ "state": { "enum": ["opted_out", "subscribed"] }, "note": s() }))), "200 Consent", &["400", "401"]),
            },
            "/v1/inbox/unmatched": {
                "get": op("Replies from numbers on no open case", None, "200 Messages", &["401"]),
            },
            "/v1/inbox/unmatched/{message_id}/attach": {
                "post": op("Attach an unmatched reply to a case", Some(obj(&["case_id"], json!({ "case_id": { "type": "integer" }, "debtor_id": { "type": "integer" } }))), "200 The message", auth),
            },
            "/webhooks/twilio/messages": {
                "post": { "summary": "Twilio inbound-text webhook (signed); answers TwiML", "security": [], "requestBody": { "content": form }, "responses": { "200": { "description": "TwiML" }, "400": { "$ref": "#/components/responses/E400" }, "403": { "$ref": "#/components/responses/E403" } } },
            },
            "/webhooks/twilio/status": {
                "post": { "summary": "Twilio status-callback webhook (signed)", "security": [], "requestBody": { "content": form }, "responses": { "204": { "description": "Applied" }, "400": { "$ref": "#/components/responses/E400" }, "403": { "$ref": "#/components/responses/E403" } } },
            },
            "/healthz": { "get": { "summary": "Liveness", "security": [], "responses": { "200": { "description": "ok" } } } },
            "/readyz": { "get": { "summary": "Readiness: the database answers", "security": [], "responses": { "200": { "description": "ready" }, "503": { "description": "database unavailable" } } } },
            "/metrics": { "get": { "summary": "Prometheus metrics", "security": [], "responses": { "200": { "description": "text exposition" } } } },
            "/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } },
        }
    })
}

/// `GET /openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(spec())
}
