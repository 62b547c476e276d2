//! One error type for every handler, rendered as `{"error":{"code":…,"message":…}}` with
//! the right status. Server-side failures are logged once here and never described to
//! the client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use casewire_app::AppError;
use serde_json::json;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with a status, a stable code and a message a developer can act on.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// 400 with code `invalid_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 404 with code `not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 401 with code `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the firm's API key as `Authorization: Bearer <key>`",
        )
    }

    /// 500, logged here with its cause; the client sees only that something failed.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; it has been logged",
        )
    }

    fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::Invalid { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("{field}: {message}"),
            )
            .with_details(json!({ "field": field })),
            AppError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            AppError::LintRefused(report) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "lint_errors",
                "the message has lint errors; fix them or send again with \"override_lint\": true",
            )
            .with_details(json!({ "lint": report })),
            AppError::NoRecipients => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_recipients",
                "no debtor on this case has a mobile number; add one first",
            ),
            AppError::Unavailable(reason) => {
                tracing::error!(%reason, "service unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server cannot store this right now; retry",
                )
            }
            AppError::Store(e) => ApiError::internal(&e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let (Some(details), Some(error)) = (self.details, body.get_mut("error")) {
            if let Some(obj) = error.as_object_mut() {
                obj.insert("details".into(), details);
            }
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme that would be accepted.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
