//! The use-cases' errors: what the caller did wrong (a 4xx at the HTTP edge) or what
//! failed underneath (a 5xx).

use casewire_lint::Report;
use casewire_store::StoreError;
use thiserror::Error;

/// Why a use-case did not happen. Nothing was written when one is returned, unless the
/// variant says otherwise.
#[derive(Debug, Error)]
pub enum AppError {
    /// The thing does not exist, or belongs to another firm.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input is invalid; `field` names it and `message` says how to fix it.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field (`debtors[1].phones[0].number`, `body`, ...).
        field: String,
        /// What is wrong, for a developer or a user to act on.
        message: String,
    },
    /// The request conflicts with what is stored (a case number already used).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The linter found errors in the text and the caller did not override them.
    #[error("the message has lint errors; fix them or send with the override")]
    LintRefused(Box<Report>),
    /// The case has nobody to text: no debtor has a mobile number.
    #[error("no debtor on this case has a mobile number")]
    NoRecipients,
    /// A shared service is not available right now (a failed batch write, a stopped
    /// task): the caller may retry.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(#[source] StoreError),
}

impl AppError {
    /// An invalid-input error.
    pub fn invalid(field: impl Into<String>, message: impl ToString) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict(what) => AppError::Conflict(what),
            other => AppError::Store(other),
        }
    }
}

/// Result of a use-case.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Maps a store `NotFound` to a named one.
pub(crate) fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(what),
        other => AppError::from(other),
    }
}
