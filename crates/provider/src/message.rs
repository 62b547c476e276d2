//! What goes to a provider and what comes back: outbound texts, receipts, status
//! updates and inbound replies.

use std::fmt;

use casewire_model::PhoneNumber;
use serde::{Deserialize, Serialize};

use crate::{DeliveryStatus, ProviderMessageId};

/// A text to send. `Debug` shows the body's length, never the body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// The firm's texting number the message is sent from.
    pub from: PhoneNumber,
    /// The client's mobile number.
    pub to: PhoneNumber,
    /// The text itself.
    pub body: String,
    /// The absolute URL the provider will POST status updates to, if any.
    pub status_callback: Option<String>,
    /// Set when this is an automatic reminder, so fakes and logs can tell sends apart.
    pub reminder_key: Option<String>,
}

impl OutboundMessage {
    /// A text with no status callback that is not a reminder.
    pub fn new(from: PhoneNumber, to: PhoneNumber, body: impl Into<String>) -> Self {
        OutboundMessage {
            from,
            to,
            body: body.into(),
            status_callback: None,
            reminder_key: None,
        }
    }
}

impl fmt::Debug for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundMessage")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("body_len", &self.body.chars().count())
            .field("status_callback", &self.status_callback)
            .field("reminder_key", &self.reminder_key)
            .finish()
    }
}

/// What the provider answered when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The provider's id of the message, which status updates will refer to.
    pub provider_id: ProviderMessageId,
    /// The status the provider gave it on creation (Twilio: `queued`, or `accepted`
    /// with a Messaging Service).
    pub status: DeliveryStatus,
}

/// A provider's report that a sent message changed status (Twilio's status callback).
/// Apply it with [`DeliveryStatus::advance`]: callbacks arrive out of order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The message the update is about.
    pub provider_id: ProviderMessageId,
    /// The reported status.
    pub status: DeliveryStatus,
    /// The provider's error code, for undelivered and failed messages (Twilio 30007:
    /// filtered as spam, ...).
    pub error_code: Option<u32>,
}

/// A text a client sent to one of the firm's numbers. `Debug` shows the body's length,
/// never the body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The provider's id of the message, for de-duplicating replayed webhooks.
    pub provider_id: ProviderMessageId,
    /// Who sent it.
    pub from: PhoneNumber,
    /// The firm's number it was sent to.
    pub to: PhoneNumber,
    /// The text, as received.
    pub body: String,
    /// Pictures and other attachments.
    pub media: Vec<Media>,
    /// The keyword the provider itself recognised, if any.
    pub keyword_hint: Option<KeywordHint>,
}

impl fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundMessage")
            .field("provider_id", &self.provider_id)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("body_len", &self.body.chars().count())
            .field("media", &self.media.len())
            .field("keyword_hint", &self.keyword_hint)
            .finish()
    }
}

/// An attachment of an inbound message (Twilio's `MediaUrl{N}` and
/// `MediaContentType{N}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Where the provider serves the file.
    pub url: String,
    /// Its MIME type, such as `image/jpeg`.
    pub content_type: String,
}

/// A keyword the provider itself recognised in an inbound message and acted on.
///
/// This is a hint, not the decision: the compliance rules read the body too (Twilio only
/// recognises a message that is exactly one keyword, while the law counts "please stop
/// texting me" as well).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordHint {
    /// An opt-out such as STOP: the provider has blocked further texts to the sender.
    OptOut,
    /// An opt-in such as START: the provider has unblocked the sender.
    OptIn,
    /// A request for help such as HELP.
    Help,
}

impl KeywordHint {
    /// Reads Twilio's `OptOutType` webhook field (`STOP`, `START`, `HELP`), ignoring
    /// case and surrounding spaces. Anything else, including an empty field, is `None`.
    ///
    /// ```
    /// use casewire_provider::KeywordHint;
    ///
    /// assert_eq!(KeywordHint::from_twilio_opt_out_type("STOP"), Some(KeywordHint::OptOut));
    /// assert_eq!(KeywordHint::from_twilio_opt_out_type(""), None);
    /// ```
    pub fn from_twilio_opt_out_type(value: &str) -> Option<Self> {
        let value = value.trim();
        [
            ("STOP", KeywordHint::OptOut),
            ("START", KeywordHint::OptIn),
            ("HELP", KeywordHint::Help),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, hint)| hint)
    }

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            KeywordHint::OptOut => "opt_out",
            KeywordHint::OptIn => "opt_in",
            KeywordHint::Help => "help",
        }
    }
}

impl fmt::Display for KeywordHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(e164: &str) -> PhoneNumber {
        PhoneNumber::parse_e164(e164).unwrap()
    }

    #[test]
    fn debug_of_an_outbound_text_hides_the_body_and_the_numbers() {
        let message = OutboundMessage::new(
            number("+14155550100"),
            number("+13125550134"),
            "Your meeting of creditors is tomorrow at 9:00",
        );
        let shown = format!("{message:?}");
        assert!(!shown.contains("creditors"), "{shown}");
        assert!(!shown.contains("312555"), "{shown}");
        assert!(shown.contains("body_len: 45"), "{shown}");
        assert!(shown.contains("0134"), "{shown}");
    }

    #[test]
    fn debug_of_an_inbound_text_hides_the_body() {
        let message = InboundMessage {
            provider_id: ProviderMessageId::new("SM1").unwrap(),
            from: number("+13125550134"),
            to: number("+14155550100"),
            body: "I lost my job, can we talk".into(),
            media: vec![Media {
                url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1".into(),
                content_type: "image/jpeg".into(),
            }],
            keyword_hint: None,
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains("job"), "{shown}");
        assert!(!shown.contains("312555"), "{shown}");
        assert!(shown.contains("body_len: 26"), "{shown}");
        assert!(shown.contains("media: 1"), "{shown}");
    }

    #[test]
    fn twilio_opt_out_types_become_hints() {
        let cases = [
            ("STOP", Some(KeywordHint::OptOut)),
            ("stop", Some(KeywordHint::OptOut)),
            ("START", Some(KeywordHint::OptIn)),
            (" HELP ", Some(KeywordHint::Help)),
            ("", None),
            ("UNSUBSCRIBE", None),
            ("STOP PLEASE", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                KeywordHint::from_twilio_opt_out_type(input),
                want,
                "{input:?}"
            );
        }
    }
}
