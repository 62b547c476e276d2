//! The provider's id of a message (Twilio's `SM…`/`MM…` sid), validated once.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest id accepted. Twilio sids are 34 characters; the headroom is for other
/// providers, the bound is for storage columns and log lines.
const MAX_LEN: usize = 64;

/// The id a provider gave a message, such as Twilio's `SM0123…` sid.
///
/// It is what status callbacks and inbound webhooks refer to, so it is the key for
/// matching them to stored messages (and for de-duplicating replayed webhooks). Built
/// only through [`ProviderMessageId::new`]: 1 to 64 ASCII letters, digits, `-` and `_`.
///
/// ```
/// use casewire_provider::ProviderMessageId;
///
/// let id = ProviderMessageId::new("SM1f0e2d3c4b5a69788796a5b4c3d2e1f0").unwrap();
/// assert_eq!(id.as_str(), "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0");
/// assert!(ProviderMessageId::new("SM 1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProviderMessageId(String);

/// Why a provider message id was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProviderMessageIdError {
    /// The id was empty.
    #[error("provider message id must not be empty")]
    Empty,
    /// The id was longer than 64 characters.
    #[error("provider message id must be at most {MAX_LEN} characters, got {len}")]
    TooLong {
        /// The length given, in characters.
        len: usize,
    },
    /// The id contained something other than ASCII letters, digits, `-` and `_`.
    #[error("provider message id contains {0:?}; use ASCII letters, digits, - and _")]
    BadCharacter(char),
}

impl ProviderMessageId {
    /// Validates a provider's message id. Nothing is trimmed: ids come from machines,
    /// and one with spaces around it is a bug to surface, not to hide.
    pub fn new(id: impl Into<String>) -> Result<Self, ProviderMessageIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(ProviderMessageIdError::Empty);
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(ProviderMessageIdError::BadCharacter(c));
        }
        // All ASCII by now, so bytes are characters.
        if id.len() > MAX_LEN {
            return Err(ProviderMessageIdError::TooLong { len: id.len() });
        }
        Ok(ProviderMessageId(id))
    }

    /// An id made of an ASCII prefix and a zero-padded counter (`MM00000001`), for the
    /// providers in this crate. Valid by construction for the short prefixes used here.
    pub(crate) fn numbered(prefix: &'static str, n: u64) -> Self {
        debug_assert!(prefix.bytes().all(|b| b.is_ascii_alphanumeric()) && prefix.len() <= 40);
        ProviderMessageId(format!("{prefix}{n:08}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProviderMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderMessageId({})", self.0)
    }
}

impl fmt::Display for ProviderMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ProviderMessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProviderMessageId {
    type Error = ProviderMessageIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ProviderMessageId::new(value)
    }
}

impl TryFrom<&str> for ProviderMessageId {
    type Error = ProviderMessageIdError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        ProviderMessageId::new(value)
    }
}

impl FromStr for ProviderMessageId {
    type Err = ProviderMessageIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderMessageId::new(s)
    }
}

impl From<ProviderMessageId> for String {
    fn from(value: ProviderMessageId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn twilio_sids_are_accepted() {
        for sid in [
            "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0",
            "MM00000001",
            "CONSOLE00000001",
            "msg_01-ab",
        ] {
            assert_eq!(ProviderMessageId::new(sid).unwrap().as_str(), sid);
        }
    }

    #[test]
    fn malformed_ids_are_refused_with_a_reason() {
        let cases: &[(&str, ProviderMessageIdError)] = &[
            ("", ProviderMessageIdError::Empty),
            (" SM1", ProviderMessageIdError::BadCharacter(' ')),
            ("SM1\n", ProviderMessageIdError::BadCharacter('\n')),
            ("SM/1", ProviderMessageIdError::BadCharacter('/')),
            ("SMé", ProviderMessageIdError::BadCharacter('é')),
        ];
        for (input, want) in cases {
            assert_eq!(
                ProviderMessageId::new(*input).as_ref(),
                Err(want),
                "{input:?}"
            );
        }
        assert_eq!(
            ProviderMessageId::new("a".repeat(65)),
            Err(ProviderMessageIdError::TooLong { len: 65 })
        );
        assert!(ProviderMessageId::new("a".repeat(64)).is_ok());
    }

    #[test]
    fn numbered_ids_are_valid_ids() {
        for (prefix, n, want) in [
            ("MM", 1, "MM00000001"),
            ("CONSOLE", 42, "CONSOLE00000042"),
            ("MM", u64::MAX, "MM18446744073709551615"),
        ] {
            let id = ProviderMessageId::numbered(prefix, n);
            assert_eq!(id.as_str(), want);
            assert_eq!(ProviderMessageId::new(want), Ok(id));
        }
    }

    #[test]
    fn deserialising_validates() {
        let id: ProviderMessageId = serde_json_like("SM123").unwrap();
        assert_eq!(id.as_str(), "SM123");
        assert!(serde_json_like("SM 123").is_err());
        assert!(serde_json_like("").is_err());
    }

    /// Deserialises through serde's `String` path without a JSON dependency.
    fn serde_json_like(s: &str) -> Result<ProviderMessageId, serde::de::value::Error> {
        use serde::de::{IntoDeserializer, value::StringDeserializer};
        let de: StringDeserializer<serde::de::value::Error> = s.to_owned().into_deserializer();
        ProviderMessageId::deserialize(de)
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepts_exactly_the_documented_alphabet(input in "\\PC{0,80}") {
            let valid = !input.is_empty()
                && input.len() <= 64
                && input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            match ProviderMessageId::new(input.clone()) {
                Ok(id) => {
                    prop_assert!(valid);
                    prop_assert_eq!(id.as_str(), input.as_str());
                    prop_assert_eq!(id.to_string(), input);
                }
                Err(_) => prop_assert!(!valid),
            }
        }

        #[test]
        fn any_id_of_the_alphabet_round_trips(input in "[A-Za-z0-9_-]{1,64}") {
            let id = ProviderMessageId::new(input.clone()).unwrap();
            prop_assert_eq!(String::from(id.clone()), input.clone());
            prop_assert_eq!(input.parse::<ProviderMessageId>().unwrap(), id);
        }
    }
}
