//! The email value that mailers send and the outbox stores, and its RFC 5322 form.

use std::fmt;

use casewire_model::EmailAddress;
use lettre::{
    Address, Message,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
};
use serde::{Deserialize, Serialize};

use crate::MailError;

/// One email, ready to send: the addresses, the subject and both bodies.
///
/// A plain value (it serialises to JSON for the outbox). `Debug` shows the
/// `Message-ID` and the masked addresses, never the subject or the bodies, which quote
/// the client.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The recipient.
    pub to: EmailAddress,
    /// The sender (`From`, and the SMTP envelope sender).
    pub from: EmailAddress,
    /// The subject, one line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, an alternative to `text` showing the same content.
    pub html: String,
    /// The `Message-ID`, stable across retries of the same outbox entry so that a
    /// retried send can be recognised: see [`Email::message_id_for`]. The angle brackets
    /// may be left out.
    pub message_id: String,
}

impl Email {
    /// The `Message-ID` for an outbox entry: `<casewire-{key}@{domain of from}>`.
    ///
    /// `key` is the outbox entry's id (letters, digits, dots and dashes), so every retry
    /// of that entry carries the same id.
    ///
    /// ```
    /// use casewire_model::EmailAddress;
    /// use casewire_notify::Email;
    ///
    /// let from = EmailAddress::parse("notify@smithlaw.com").unwrap();
    /// assert_eq!(Email::message_id_for(42, &from), "<casewire-42@smithlaw.com>");
    /// ```
    pub fn message_id_for(key: impl fmt::Display, from: &EmailAddress) -> String {
        format!("<casewire-{key}@{}>", from.domain())
    }

    /// The `Message-ID` in angle brackets, or why it cannot be one.
    pub(crate) fn checked_message_id(&self) -> Result<String, MailError> {
        let id = self.message_id.trim();
        let bare = id
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .unwrap_or(id);
        let allowed = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"<>()[]\\\",;:@".contains(c))
        };
        match bare.split_once('@') {
            Some((left, right)) if allowed(left) && allowed(right) && bare.len() <= 200 => {
                Ok(format!("<{bare}>"))
            }
            _ => Err(MailError::permanent(format!(
                "{:?} is not a Message-ID: expected <id@domain> without spaces",
                self.message_id
            ))),
        }
    }

    /// The email as a MIME message: `multipart/alternative` with the text part first,
    /// marked `Auto-Submitted` so auto-responders stay quiet.
    pub(crate) fn to_message(&self) -> Result<Message, MailError> {
        let message_id = self.checked_message_id()?;
        let from = address(&self.from, "sender")?;
        let to = address(&self.to, "recipient")?;
        Message::builder()
            .from(Mailbox::new(Some("Casewire".to_owned()), from))
            .to(Mailbox::new(None, to))
            .subject(one_line(&self.subject))
            .message_id(Some(message_id))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))
            .map_err(|e| MailError::permanent(format!("cannot build the email: {e}")))
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("message_id", &self.message_id)
            .field("to", &self.to)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

fn address(address: &EmailAddress, role: &str) -> Result<Address, MailError> {
    address
        .as_str()
        .parse()
        .map_err(|e| MailError::permanent(format!("the {role} address {address:?}: {e}")))
}

/// Collapses line breaks and other control characters to spaces, so a value can sit in
/// a header.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(message_id: &str) -> Email {
        Email {
            to: EmailAddress::parse("intake@smithlaw.com").unwrap(),
            from: EmailAddress::parse("notify@smithlaw.com").unwrap(),
            subject: "Text from Maria Rivera — case 24-10345".to_owned(),
            text: "Maria Rivera texted:\n\n> Can I bring my pay stubs on Friday?\n".to_owned(),
            html: "<p>Can I bring my pay stubs on Friday?</p>".to_owned(),
            message_id: message_id.to_owned(),
        }
    }

    #[test]
    fn message_ids_are_checked_and_bracketed() {
        let ok = [
            ("<casewire-42@smithlaw.com>", "<casewire-42@smithlaw.com>"),
            ("casewire-42@smithlaw.com", "<casewire-42@smithlaw.com>"),
            (" <a.b+c@x.y> ", "<a.b+c@x.y>"),
        ];
        for (given, want) in ok {
            assert_eq!(
                sample(given).checked_message_id().unwrap(),
                want,
                "{given:?}"
            );
        }
        for bad in [
            "",
            "<>",
            "no-at-sign",
            "two@@x.com",
            "sp ace@x.com",
            "a@b\r\nBcc: x@y.z",
        ] {
            let err = sample(bad).checked_message_id().unwrap_err();
            assert!(!err.is_transient(), "{bad:?}");
        }
    }

    #[test]
    fn an_email_survives_the_outbox_as_json() {
        let email = sample("<casewire-7@smithlaw.com>");
        let json = serde_json::to_string(&email).unwrap();
        assert!(json.contains("\"to\":\"intake@smithlaw.com\""), "{json}");
        let back: Email = serde_json::from_str(&json).unwrap();
        assert_eq!(back, email);
    }

    #[test]
    fn a_stored_email_with_a_bad_address_is_refused_when_read() {
        let json = r#"{"to":"nobody","from":"notify@smithlaw.com","subject":"s","text":"t","html":"h","message_id":"<a@b.c>"}"#;
        assert!(serde_json::from_str::<Email>(json).is_err());
    }

    #[test]
    fn debug_shows_neither_the_client_nor_the_text() {
        let shown = format!("{:?}", sample("<casewire-7@smithlaw.com>"));
        assert!(shown.contains("casewire-7"), "{shown}");
        assert!(!shown.contains("Rivera"), "{shown}");
        assert!(!shown.contains("pay stubs"), "{shown}");
        assert!(!shown.contains("intake@"), "{shown}");
    }

    #[test]
    fn a_subject_cannot_smuggle_in_a_header() {
        let mut email = sample("<casewire-7@smithlaw.com>");
        email.subject = "Hi\r\nBcc: victim@example.com".to_owned();
        let raw = String::from_utf8(email.to_message().unwrap().formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
    }
}
