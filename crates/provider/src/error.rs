//! Send errors that tell the caller what to do next.

use std::time::Duration;

use thiserror::Error;

/// Why a provider did not (or may not have) sent a message.
///
/// Each variant says what the caller should do; [`SendError::action`] spells it out and
/// the worker matches on that, never on the text. `message` fields carry the provider's
/// own words for people reading a failed message's details. They may quote the
/// recipient's number, so log [`SendError::reason_code`] and [`SendError::code`] at info
/// level, not the `Display` text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// The provider definitely did not accept the message and a later attempt may work:
    /// the connection was refused before the request was written, Twilio 20429 (too many
    /// concurrent requests). Safe to retry. (A 5xx answer is [`SendError::Uncertain`]:
    /// the provider may have accepted the message before failing.)
    #[error("temporary provider failure{}: {message}", code_suffix(.code))]
    Transient {
        /// How long the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
        /// The provider's error code, if any.
        code: Option<u32>,
        /// The provider's description.
        message: String,
    },
    /// The provider is throttling this account or sender (HTTP 429). Safe to retry, and
    /// the whole sender should slow down, not just this message.
    #[error("the provider is rate limiting us{}", wait_suffix(.retry_after))]
    RateLimited {
        /// How long the provider asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The request may have been accepted: a timeout after the request was sent, a 5xx
    /// from the provider. Twilio's create is not idempotent, so retrying may text the
    /// client twice; the caller decides.
    #[error("the provider may or may not have accepted the message: {message}")]
    Uncertain {
        /// What happened.
        message: String,
    },
    /// The recipient has opted out (replied STOP) at the provider (Twilio 21610).
    #[error("the recipient has opted out of texts from this number{}", code_suffix(.code))]
    RecipientOptedOut {
        /// The provider's error code, if any.
        code: Option<u32>,
    },
    /// The recipient cannot receive this text: not a valid number, not a mobile number,
    /// unreachable (Twilio 21211, 21614, ...).
    #[error("the recipient cannot receive texts{}: {message}", code_suffix(.code))]
    InvalidRecipient {
        /// The provider's error code, if any.
        code: Option<u32>,
        /// The provider's description.
        message: String,
    },
    /// The provider refused our credentials (Twilio 20003). Every send will fail until
    /// configuration is fixed.
    #[error("the provider refused our credentials: {message}")]
    Unauthorized {
        /// The provider's description.
        message: String,
    },
    /// Any other refusal that a retry will not fix (a filtered message, an invalid
    /// sender, a body that is too long, ...).
    #[error("the provider refused the message{}: {message}", code_suffix(.code))]
    Permanent {
        /// The provider's error code, if any.
        code: Option<u32>,
        /// The provider's description.
        message: String,
    },
}

fn code_suffix(code: &Option<u32>) -> String {
    code.map(|c| format!(" (error {c})")).unwrap_or_default()
}

fn wait_suffix(after: &Option<Duration>) -> String {
    after
        .map(|d| format!("; retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

/// What the caller should do about a [`SendError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendAction {
    /// Nothing was sent: try again, after `after` if the provider said so (otherwise
    /// after the caller's own backoff).
    Retry {
        /// The provider's requested wait, if any.
        after: Option<Duration>,
    },
    /// The message may have gone out. Retry only if a duplicate text is acceptable;
    /// otherwise mark the message as uncertain for a person to check.
    RetryOnlyIfDuplicatesAcceptable,
    /// Record that the recipient opted out and send them nothing more.
    MarkOptedOut,
    /// Give up on this message and record why.
    Fail,
}

impl SendError {
    /// What the caller should do about this error.
    ///
    /// ```
    /// use casewire_provider::{SendAction, SendError};
    ///
    /// let error = SendError::RecipientOptedOut { code: Some(21610) };
    /// assert_eq!(error.action(), SendAction::MarkOptedOut);
    /// ```
    pub fn action(&self) -> SendAction {
        match self {
            SendError::Transient { retry_after, .. } | SendError::RateLimited { retry_after } => {
                SendAction::Retry {
                    after: *retry_after,
                }
            }
            SendError::Uncertain { .. } => SendAction::RetryOnlyIfDuplicatesAcceptable,
            SendError::RecipientOptedOut { .. } => SendAction::MarkOptedOut,
            SendError::InvalidRecipient { .. }
            | SendError::Unauthorized { .. }
            | SendError::Permanent { .. } => SendAction::Fail,
        }
    }

    /// The provider's numeric error code (Twilio's `error_code`), when there was one.
    pub fn code(&self) -> Option<u32> {
        match self {
            SendError::Transient { code, .. }
            | SendError::RecipientOptedOut { code }
            | SendError::InvalidRecipient { code, .. }
            | SendError::Permanent { code, .. } => *code,
            SendError::RateLimited { .. }
            | SendError::Uncertain { .. }
            | SendError::Unauthorized { .. } => None,
        }
    }

    /// A stable snake_case name of the variant, for storage and logs: `transient`,
    /// `rate_limited`, `uncertain`, `opted_out`, `invalid_recipient`, `unauthorized`,
    /// `permanent`.
    pub fn reason_code(&self) -> &'static str {
        match self {
            SendError::Transient { .. } => "transient",
            SendError::RateLimited { .. } => "rate_limited",
            SendError::Uncertain { .. } => "uncertain",
            SendError::RecipientOptedOut { .. } => "opted_out",
            SendError::InvalidRecipient { .. } => "invalid_recipient",
            SendError::Unauthorized { .. } => "unauthorized",
            SendError::Permanent { .. } => "permanent",
        }
    }

    /// How long the provider asked us to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Transient { retry_after, .. } | SendError::RateLimited { retry_after } => {
                *retry_after
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<SendError> {
        vec![
            SendError::Transient {
                retry_after: Some(Duration::from_secs(2)),
                code: Some(20429),
                message: "Too Many Requests".into(),
            },
            SendError::RateLimited { retry_after: None },
            SendError::Uncertain {
                message: "timed out after 10s".into(),
            },
            SendError::RecipientOptedOut { code: Some(21610) },
            SendError::InvalidRecipient {
                code: Some(21211),
                message: "invalid To number".into(),
            },
            SendError::Unauthorized {
                message: "Authenticate".into(),
            },
            SendError::Permanent {
                code: Some(30007),
                message: "filtered".into(),
            },
        ]
    }

    #[test]
    fn every_error_says_what_to_do() {
        let actions: Vec<SendAction> = one_of_each().iter().map(SendError::action).collect();
        assert_eq!(
            actions,
            [
                SendAction::Retry {
                    after: Some(Duration::from_secs(2))
                },
                SendAction::Retry { after: None },
                SendAction::RetryOnlyIfDuplicatesAcceptable,
                SendAction::MarkOptedOut,
                SendAction::Fail,
                SendAction::Fail,
                SendAction::Fail,
            ]
        );
    }

    #[test]
    fn reason_codes_are_stable_storage_names() {
        let codes: Vec<&str> = one_of_each().iter().map(SendError::reason_code).collect();
        assert_eq!(
            codes,
            [
                "transient",
                "rate_limited",
                "uncertain",
                "opted_out",
                "invalid_recipient",
                "unauthorized",
                "permanent"
            ]
        );
    }

    #[test]
    fn provider_codes_are_kept() {
        let codes: Vec<Option<u32>> = one_of_each().iter().map(SendError::code).collect();
        assert_eq!(
            codes,
            [
                Some(20429),
                None,
                None,
                Some(21610),
                Some(21211),
                None,
                Some(30007)
            ]
        );
    }

    #[test]
    fn messages_read_as_sentences() {
        let texts: Vec<String> = one_of_each().iter().map(ToString::to_string).collect();
        assert_eq!(
            texts[0],
            "temporary provider failure (error 20429): Too Many Requests"
        );
        assert_eq!(texts[1], "the provider is rate limiting us");
        assert_eq!(
            texts[3],
            "the recipient has opted out of texts from this number (error 21610)"
        );
        assert_eq!(
            SendError::RateLimited {
                retry_after: Some(Duration::from_secs(30))
            }
            .to_string(),
            "the provider is rate limiting us; retry after 30s"
        );
    }

    #[test]
    fn only_retryable_errors_carry_a_wait() {
        let waits: Vec<Option<Duration>> =
            one_of_each().iter().map(SendError::retry_after).collect();
        assert_eq!(waits[0], Some(Duration::from_secs(2)));
        assert!(waits[1..].iter().all(Option::is_none));
    }
}
