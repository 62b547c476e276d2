//! Twilio's webhooks: inbound texts and delivery-status callbacks. A request without a
//! valid `X-Twilio-Signature` for the configured public URL, or for another account, is
//! refused with 403 and changes nothing.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use casewire_app::InboundOutcome;
use casewire_twilio::{signature, twiml_message, webhook};

use crate::{AppState, Metrics, error::ApiError};

/// What validating Twilio's webhooks needs.
#[derive(Clone)]
pub struct TwilioWebhooks {
    /// The account's auth token (the signing key).
    pub auth_token: String,
    /// The account SID every webhook must carry.
    pub account_sid: String,
    /// The server's public base URL as Twilio calls it (`https://texts.example.com`);
    /// behind a proxy the request's own URL differs, so it is configured.
    pub public_url: String,
}

impl std::fmt::Debug for TwilioWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioWebhooks")
            .field("account_sid", &self.account_sid)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

fn xml(body: String) -> Response {
    ([("content-type", "text/xml; charset=utf-8")], body).into_response()
}

/// Checks the signature and the account; returns the form's fields.
fn authenticate(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, ApiError> {
    let Some(twilio) = state.twilio.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Twilio webhooks are not enabled: the provider is not Twilio",
        ));
    };
    // Every byte string parses as a form (a `%` that starts no escape stands for
    // itself, bytes that are not UTF-8 become U+FFFD): a body Twilio did not send fails
    // the signature check, or the field checks after it.
    let form: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let forged = || {
        Metrics::inc(&state.metrics.webhook_rejected_total);
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "missing or invalid X-Twilio-Signature",
        )
    };
    let header = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forged)?;
    let mut url = format!("{}{}", twilio.public_url.trim_end_matches('/'), uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    if !signature::validate(&twilio.auth_token, &url, &form, header) {
        tracing::warn!(
            path = uri.path(),
            "webhook with an invalid signature refused"
        );
        return Err(forged());
    }
    webhook::verify_account(&form, &twilio.account_sid).map_err(|_| {
        Metrics::inc(&state.metrics.webhook_rejected_total);
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the webhook is for another account",
        )
    })?;
    Ok(form)
}

/// `POST /webhooks/twilio/messages`: a client's text. Answers with TwiML, carrying the
/// firm's keyword reply when one is due.
pub(crate) async fn inbound(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match authenticate(&state, &uri, &headers, &body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let message = match webhook::parse_inbound(&form) {
        Ok(m) => m,
        Err(e) => {
            Metrics::inc(&state.metrics.webhook_malformed_total);
            return ApiError::bad_request(e.to_string()).into_response();
        }
    };
    let Some(ingest) = state.ingest.as_ref() else {
        return ApiError::not_found("webhook").into_response();
    };
    match ingest.submit(message).await {
        Ok(InboundOutcome::Stored { reply, .. }) => {
            Metrics::inc(&state.metrics.inbound_received_total);
            xml(twiml_message(reply.as_deref()))
        }
        Ok(InboundOutcome::Duplicate { reply, .. }) => {
            Metrics::inc(&state.metrics.inbound_duplicates_total);
            xml(twiml_message(reply.as_deref()))
        }
        Ok(InboundOutcome::UnknownNumber) => xml(twiml_message(None)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /webhooks/twilio/status`: a delivery-status update.
pub(crate) async fn status(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match authenticate(&state, &uri, &headers, &body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let update = match webhook::parse_status(&form) {
        Ok(u) => u,
        Err(e) => {
            Metrics::inc(&state.metrics.webhook_malformed_total);
            return ApiError::bad_request(e.to_string()).into_response();
        }
    };
    match state.app.delivery_status(&update).await {
        Ok(_) => {
            Metrics::inc(&state.metrics.status_updates_total);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
