//! The dashboard's error answers: a redirect to the sign-in page, or a small HTML page
//! with the right status. Server-side failures are logged once here and never described.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use casewire_app::AppError;

use super::layout;

/// Why a dashboard request was not served.
#[derive(Debug)]
pub(crate) enum WebError {
    /// No live session, on a page: go and sign in.
    SignedOut,
    /// No live session, on a change: 401.
    Unauthorized,
    /// The CSRF token is missing or wrong: 403, nothing changed.
    Forbidden,
    /// No such thing in the user's firm: 404.
    NotFound,
    /// A request no page of the dashboard makes: 400.
    BadRequest(String),
    /// The server failed (already logged): 500.
    Internal,
    /// A shared service is busy (already logged): 503.
    Unavailable,
}

impl WebError {
    /// A server-side failure, logged here with its cause.
    pub(crate) fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "dashboard request failed");
        WebError::Internal
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(_) => WebError::NotFound,
            AppError::Invalid { .. }
            | AppError::Conflict(_)
            | AppError::LintRefused(_)
            | AppError::NoRecipients => WebError::BadRequest(e.to_string()),
            AppError::Unavailable(reason) => {
                tracing::error!(%reason, "service unavailable");
                WebError::Unavailable
            }
            AppError::Store(e) => WebError::internal(&e),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            WebError::SignedOut => return Redirect::to("/sign-in").into_response(),
            WebError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Signed out",
                "Your session has ended. Sign in again, then repeat what you were doing."
                    .to_owned(),
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Refused",
                "This request did not come from a Casewire page of your session, so nothing \
                 was changed. Reload the page and try again."
                    .to_owned(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to another firm.".to_owned(),
            ),
            WebError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", why),
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something failed",
                "The server could not do this; the failure has been logged.".to_owned(),
            ),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "The server cannot do this right now; try again in a moment.".to_owned(),
            ),
        };
        (status, layout::bare(title, &text)).into_response()
    }
}
