//! The seam every mailer implements, and its errors that say whether to retry.

use async_trait::async_trait;
use thiserror::Error;

use crate::Email;

/// Why an email was not sent, phrased as what the caller should do.
///
/// The worker matches on the variant (or [`MailError::is_transient`]), never on the
/// text. `message` is for people reading a failed email's details: it may quote the
/// mail server, whose words can include an address, so keep it out of info-level logs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MailError {
    /// Not sent this time, and a later attempt may work: the server is down or refused
    /// the connection, it did not answer in time, it answered with a 4xx code, the
    /// folder of the file mailer could not be written.
    #[error("email not sent, try again later: {message}")]
    Transient {
        /// What went wrong.
        message: String,
    },
    /// Refused for good: a 5xx rejection of the message or recipient, an address or
    /// `Message-ID` that cannot be put in an email. Retrying will not help.
    #[error("email refused, do not retry: {message}")]
    Permanent {
        /// What went wrong.
        message: String,
    },
}

impl MailError {
    /// Whether a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient { .. })
    }

    pub(crate) fn transient(message: impl Into<String>) -> Self {
        MailError::Transient {
            message: message.into(),
        }
    }

    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        MailError::Permanent {
            message: message.into(),
        }
    }
}

/// Something that delivers an [`Email`]: a folder of `.eml` files, an SMTP server, a
/// vector in memory.
///
/// Implementations put a timeout on every network call and report its expiry as
/// [`MailError::Transient`]. They do not retry: the caller's outbox does, with backoff,
/// and it sends the same `Message-ID` each time.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one email, or says why not.
    async fn send(&self, email: &Email) -> Result<(), MailError>;

    /// Where emails go, for start-up logs and the admin page (`"SMTP server
    /// smtp.example.com:587 with STARTTLS"`). Never contains a password.
    fn describe(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_errors_are_worth_retrying() {
        assert!(MailError::transient("connection refused").is_transient());
        assert!(!MailError::permanent("550 no such user").is_transient());
    }

    #[test]
    fn the_message_says_what_to_do() {
        assert_eq!(
            MailError::transient("connection refused").to_string(),
            "email not sent, try again later: connection refused"
        );
        assert_eq!(
            MailError::permanent("550 no such user").to_string(),
            "email refused, do not retry: 550 no such user"
        );
    }
}
