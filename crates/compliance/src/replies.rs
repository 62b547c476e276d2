//! The replies to STOP, START and HELP: templates with the firm's name and phone, and
//! whether the firm sends them or leaves them to the provider.

use std::fmt;

use casewire_model::PhoneNumber;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Intent;

/// The longest reply template, in characters (Twilio recommends 320 or fewer).
pub const MAX_TEMPLATE_LEN: usize = 320;

/// The placeholders a reply template may use.
pub const PLACEHOLDERS: [&str; 2] = ["firm_name", "firm_phone"];

/// A reply text with `{firm_name}` and `{firm_phone}` placeholders.
///
/// ```
/// use casewire_compliance::ReplyTemplate;
/// use casewire_model::{PhoneNumber, Region};
///
/// let template = ReplyTemplate::parse("{firm_name}: call {firm_phone}.")?;
/// let phone = PhoneNumber::parse("415 555 0134", Region::US)?;
/// assert_eq!(template.render("Lee Law", &phone), "Lee Law: call (415) 555-0134.");
/// assert!(ReplyTemplate::parse("Hi {client_name}").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReplyTemplate(String);

/// Why a reply template was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplyTemplateError {
    /// Empty or only whitespace.
    #[error("a reply must not be empty")]
    Empty,
    /// Longer than [`MAX_TEMPLATE_LEN`].
    #[error("a reply must be at most {max} characters, got {len}")]
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// A placeholder other than `{firm_name}` and `{firm_phone}`.
    #[error("unknown placeholder {{{0}}}: use {{firm_name}} or {{firm_phone}}")]
    UnknownPlaceholder(String),
    /// A `{` without its `}`.
    #[error("a placeholder is not closed: add the missing }}")]
    UnclosedPlaceholder,
    /// A `}` that closes nothing.
    #[error("a }} closes no placeholder")]
    StrayBrace,
    /// A control character other than a line break.
    #[error("a reply must not contain control characters other than line breaks")]
    ControlCharacter,
}

impl ReplyTemplate {
    /// Parses a template: trimmed, non-empty, at most 320 characters, only known
    /// placeholders, no control characters but line breaks.
    pub fn parse(input: &str) -> Result<Self, ReplyTemplateError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(ReplyTemplateError::Empty);
        }
        let len = text.chars().count();
        if len > MAX_TEMPLATE_LEN {
            return Err(ReplyTemplateError::TooLong {
                max: MAX_TEMPLATE_LEN,
                len,
            });
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ReplyTemplateError::ControlCharacter);
        }
        for piece in pieces(text) {
            if let Piece::Placeholder(name) = piece? {
                if !PLACEHOLDERS.contains(&name) {
                    return Err(ReplyTemplateError::UnknownPlaceholder(name.to_owned()));
                }
            }
        }
        Ok(ReplyTemplate(text.to_owned()))
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reply, with the firm's name and its phone in national format.
    pub fn render(&self, firm_name: &str, firm_phone: &PhoneNumber) -> String {
        let phone = firm_phone.national();
        let mut out = String::with_capacity(self.0.len() + firm_name.len() + phone.len());
        // One pass, so a firm name containing "{firm_phone}" stays as written.
        for piece in pieces(&self.0).flatten() {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Placeholder("firm_name") => out.push_str(firm_name),
                Piece::Placeholder("firm_phone") => out.push_str(&phone),
                Piece::Placeholder(_) => {}
            }
        }
        out
    }
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into text and placeholders.
fn pieces(template: &str) -> impl Iterator<Item = Result<Piece<'_>, ReplyTemplateError>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let next = rest.find(['{', '}']);
        Some(match next {
            None => {
                let text = rest;
                rest = "";
                Ok(Piece::Text(text))
            }
            Some(0) if rest.starts_with('}') => {
                rest = "";
                Err(ReplyTemplateError::StrayBrace)
            }
            Some(0) => match rest.find('}') {
                None => {
                    rest = "";
                    Err(ReplyTemplateError::UnclosedPlaceholder)
                }
                Some(close) => {
                    let name = &rest[1..close];
                    rest = &rest[close + 1..];
                    Ok(Piece::Placeholder(name))
                }
            },
            Some(at) => {
                let text = &rest[..at];
                rest = &rest[at..];
                Ok(Piece::Text(text))
            }
        })
    })
}

impl fmt::Debug for ReplyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyTemplate({:?})", self.0)
    }
}

impl fmt::Display for ReplyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ReplyTemplate {
    type Error = ReplyTemplateError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ReplyTemplate::parse(&value)
    }
}

impl From<ReplyTemplate> for String {
    fn from(value: ReplyTemplate) -> Self {
        value.0
    }
}

/// Whether the firm answers keywords itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// Casewire sends the replies.
    #[default]
    Send,
    /// The provider answers keywords itself (Twilio's default opt-out handling, or a
    /// toll-free number whose carrier handles STOP): Casewire stays quiet so the client
    /// does not get two confirmations.
    Suppress,
}

/// The default opt-out confirmation: no marketing, says texts stop, says how to return.
pub const DEFAULT_OPT_OUT_REPLY: &str = "{firm_name}: You are unsubscribed and will receive no more texts from us. Reply START to resubscribe.";

/// The default opt-in confirmation.
pub const DEFAULT_OPT_IN_REPLY: &str = "{firm_name}: You are subscribed again to texts about your case. Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP to opt out.";

/// The default HELP reply: who the firm is, how to get help, how to opt out.
pub const DEFAULT_HELP_REPLY: &str = "{firm_name}: Texts about your bankruptcy case. For help, call us at {firm_phone}. Msg & data rates may apply. Reply STOP to opt out.";

/// A firm's keyword replies.
///
/// ```
/// use casewire_compliance::{Intent, KeywordReplies, ReplyMode};
/// use casewire_model::{PhoneNumber, Region};
///
/// let phone = PhoneNumber::parse("415 555 0134", Region::US)?;
/// let mut replies = KeywordReplies::default();
/// let help = replies.reply_for(Intent::Help, "Lee Law", &phone).unwrap_or_default();
/// assert!(help.contains("(415) 555-0134") && help.contains("Reply STOP to opt out"));
///
/// replies.mode = ReplyMode::Suppress;
/// assert_eq!(replies.reply_for(Intent::OptOut, "Lee Law", &phone), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeywordReplies {
    /// Whether Casewire sends these replies.
    pub mode: ReplyMode,
    /// The confirmation of an opt-out (one, within minutes, with no marketing).
    pub opt_out: ReplyTemplate,
    /// The confirmation of an opt-in.
    pub opt_in: ReplyTemplate,
    /// The answer to HELP.
    pub help: ReplyTemplate,
}

impl Default for KeywordReplies {
    fn default() -> Self {
        KeywordReplies {
            mode: ReplyMode::default(),
            opt_out: ReplyTemplate(DEFAULT_OPT_OUT_REPLY.to_owned()),
            opt_in: ReplyTemplate(DEFAULT_OPT_IN_REPLY.to_owned()),
            help: ReplyTemplate(DEFAULT_HELP_REPLY.to_owned()),
        }
    }
}

impl KeywordReplies {
    /// The template for an intent.
    pub fn template(&self, intent: Intent) -> &ReplyTemplate {
        match intent {
            Intent::OptOut => &self.opt_out,
            Intent::OptIn => &self.opt_in,
            Intent::Help => &self.help,
        }
    }

    /// The reply to send for an intent, or `None` when the provider answers keywords.
    pub fn reply_for(
        &self,
        intent: Intent,
        firm_name: &str,
        firm_phone: &PhoneNumber,
    ) -> Option<String> {
        match self.mode {
            ReplyMode::Send => Some(self.template(intent).render(firm_name, firm_phone)),
            ReplyMode::Suppress => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse_e164("+14155550134").unwrap()
    }

    #[test]
    fn the_default_replies_are_valid_templates() {
        for text in [
            DEFAULT_OPT_OUT_REPLY,
            DEFAULT_OPT_IN_REPLY,
            DEFAULT_HELP_REPLY,
        ] {
            assert_eq!(
                ReplyTemplate::parse(text).map(String::from),
                Ok(text.into())
            );
        }
    }

    #[test]
    fn the_opt_out_confirmation_says_texts_stop_and_how_to_come_back() {
        let reply = KeywordReplies::default()
            .reply_for(Intent::OptOut, "Lee & Park Law", &phone())
            .unwrap();
        assert_eq!(
            reply,
            "Lee & Park Law: You are unsubscribed and will receive no more texts from us. Reply START to resubscribe."
        );
    }

    #[test]
    fn the_help_reply_says_who_we_are_how_to_get_help_and_how_to_opt_out() {
        let reply = KeywordReplies::default()
            .reply_for(Intent::Help, "Lee & Park Law", &phone())
            .unwrap();
        assert!(reply.starts_with("Lee & Park Law:"), "{reply}");
        assert!(reply.contains("call us at (415) 555-0134"), "{reply}");
        assert!(reply.contains("Reply STOP to opt out"), "{reply}");
    }

    #[test]
    fn the_opt_in_reply_confirms_and_explains_stop() {
        let reply = KeywordReplies::default()
            .reply_for(Intent::OptIn, "Lee Law", &phone())
            .unwrap();
        assert!(
            reply.contains("subscribed again") && reply.contains("STOP"),
            "{reply}"
        );
    }

    #[test]
    fn suppressed_replies_are_left_to_the_provider() {
        let replies = KeywordReplies {
            mode: ReplyMode::Suppress,
            ..KeywordReplies::default()
        };
        for intent in Intent::ALL {
            assert_eq!(replies.reply_for(intent, "Lee Law", &phone()), None);
        }
    }

    #[test]
    fn templates_refuse_unknown_placeholders_by_name() {
        let cases = [
            ("", ReplyTemplateError::Empty),
            ("  \n ", ReplyTemplateError::Empty),
            (
                "Hi {client_name}",
                ReplyTemplateError::UnknownPlaceholder("client_name".into()),
            ),
            (
                "{FIRM_NAME}",
                ReplyTemplateError::UnknownPlaceholder("FIRM_NAME".into()),
            ),
            ("call {firm_phone", ReplyTemplateError::UnclosedPlaceholder),
            ("smile :}", ReplyTemplateError::StrayBrace),
            ("tab\there", ReplyTemplateError::ControlCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(ReplyTemplate::parse(input), Err(want), "{input:?}");
        }
        let long = "x".repeat(321);
        assert_eq!(
            ReplyTemplate::parse(&long),
            Err(ReplyTemplateError::TooLong { max: 320, len: 321 })
        );
        assert!(ReplyTemplate::parse(&"x".repeat(320)).is_ok());
        let err = ReplyTemplate::parse("Hi {client_name}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("{client_name}"), "{err}");
    }

    #[test]
    fn a_firm_name_with_braces_is_inserted_as_written() {
        let t = ReplyTemplate::parse("{firm_name} / {firm_phone}\nThanks").unwrap();
        assert_eq!(
            t.render("{firm_phone} LLC", &phone()),
            "{firm_phone} LLC / (415) 555-0134\nThanks"
        );
    }

    #[test]
    fn replies_round_trip_through_json_and_validate_on_the_way_in() {
        let replies = KeywordReplies::default();
        let json = serde_json::to_string(&replies).unwrap();
        assert!(json.contains("\"mode\":\"send\""), "{json}");
        assert_eq!(
            serde_json::from_str::<KeywordReplies>(&json).unwrap(),
            replies
        );
        assert_eq!(
            serde_json::from_str::<KeywordReplies>(r#"{"mode":"suppress"}"#)
                .unwrap()
                .mode,
            ReplyMode::Suppress
        );
        assert!(serde_json::from_str::<KeywordReplies>(r#"{"help":"Hi {name}"}"#).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,400}") {
            if let Ok(t) = ReplyTemplate::parse(&input) {
                let _ = t.render("Firm", &phone());
            }
        }

        #[test]
        fn text_without_braces_renders_as_itself(input in "[^{}\\p{Cc}]{1,300}") {
            prop_assume!(!input.trim().is_empty());
            let t = ReplyTemplate::parse(&input).unwrap();
            prop_assert_eq!(t.render("Firm", &phone()), input.trim());
        }
    }
}
