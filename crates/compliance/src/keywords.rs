//! The firm's keyword sets: the whole-message words that opt a number out, opt it back
//! in, or ask for help.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a client's keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Stop texting this number.
    OptOut,
    /// Start texting this number again.
    OptIn,
    /// Tell me who you are and how to get help.
    Help,
}

impl Intent {
    /// All intents, in display order.
    pub const ALL: [Intent; 3] = [Intent::OptOut, Intent::OptIn, Intent::Help];

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::OptOut => "opt_out",
            Intent::OptIn => "opt_in",
            Intent::Help => "help",
        }
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Intent::OptOut => "opt-out",
            Intent::OptIn => "opt-in",
            Intent::Help => "help",
        })
    }
}

/// The longest keyword, in characters.
pub const MAX_KEYWORD_LEN: usize = 24;

/// The most keywords one intent may hold: enough for every language a firm texts in,
/// few enough that classifying a message stays cheap.
pub const MAX_KEYWORDS_PER_INTENT: usize = 32;

/// The keywords no firm may remove, with the intent each must belong to (CTIA and the
/// carriers expect STOP, START and HELP to work on every number).
pub const MANDATORY_KEYWORDS: [(Intent, &str); 3] = [
    (Intent::OptOut, "STOP"),
    (Intent::OptIn, "START"),
    (Intent::Help, "HELP"),
];

/// A keyword: uppercase letters of any script and digits, words separated by one space
/// or one hyphen, 1 to 24 characters (`STOP`, `OPT OUT`, `OPT-OUT`, `BAJA`).
///
/// Matching ignores the separators, so `OPT OUT`, `OPT-OUT` and `OPTOUT` all match the
/// same replies.
///
/// ```
/// use casewire_compliance::Keyword;
///
/// let keyword = Keyword::parse("  opt   out ")?;
/// assert_eq!(keyword.as_str(), "OPT OUT");
/// assert!(Keyword::parse("stop!").is_err());
/// # Ok::<(), casewire_compliance::KeywordError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Keyword(String);

impl Keyword {
    /// Parses a keyword as staff type it: surrounding whitespace is dropped, runs of
    /// whitespace between words become one space, letters are uppercased.
    pub fn parse(input: &str) -> Result<Self, KeywordError> {
        let mut out = String::new();
        let mut pending_space = false;
        for c in input.trim().chars() {
            if c.is_whitespace() {
                pending_space = true;
                continue;
            }
            if c == '-' {
                if pending_space || out.is_empty() || out.ends_with('-') {
                    return Err(KeywordError::BadSeparator);
                }
                out.push('-');
                continue;
            }
            if !c.is_alphanumeric() {
                return Err(KeywordError::BadCharacter(c));
            }
            if pending_space {
                if out.ends_with('-') {
                    return Err(KeywordError::BadSeparator);
                }
                out.push(' ');
                pending_space = false;
            }
            for upper in c.to_uppercase() {
                // Some letters uppercase to a letter plus a combining mark; refuse those
                // rather than store a keyword that would not parse again.
                if !upper.is_alphanumeric() {
                    return Err(KeywordError::BadCharacter(c));
                }
                out.push(upper);
            }
        }
        if out.ends_with('-') {
            return Err(KeywordError::BadSeparator);
        }
        if out.is_empty() {
            return Err(KeywordError::Empty);
        }
        let len = out.chars().count();
        if len > MAX_KEYWORD_LEN {
            return Err(KeywordError::TooLong {
                max: MAX_KEYWORD_LEN,
                len,
            });
        }
        Ok(Keyword(out))
    }

    /// The keyword as stored: uppercase, single separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The keyword without its spaces and hyphens: the form messages are matched on.
    pub fn compact(&self) -> String {
        self.0.chars().filter(|c| *c != ' ' && *c != '-').collect()
    }
}

impl fmt::Debug for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keyword({})", self.0)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Keyword {
    type Error = KeywordError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Keyword::parse(&value)
    }
}

impl From<Keyword> for String {
    fn from(value: Keyword) -> Self {
        value.0
    }
}

/// Why a keyword, or a change to a firm's keyword sets, was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeywordError {
    /// Nothing but whitespace was given.
    #[error("a keyword must not be empty")]
    Empty,
    /// The keyword is longer than [`MAX_KEYWORD_LEN`].
    #[error("a keyword must be at most {max} characters, got {len}")]
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// A character other than a letter, a digit, a space or a hyphen.
    #[error("a keyword may only contain letters, digits, spaces and hyphens, not {0:?}")]
    BadCharacter(char),
    /// A hyphen at either end, two hyphens together, or a hyphen next to a space.
    #[error("a keyword's words are separated by one space or one hyphen")]
    BadSeparator,
    /// The keyword (ignoring spaces and hyphens) already belongs to another intent.
    #[error("{keyword} is already a {existing} keyword")]
    Conflict {
        /// The keyword that was added.
        keyword: Keyword,
        /// The intent it already belongs to.
        existing: Intent,
    },
    /// STOP, START and HELP cannot be removed.
    #[error("{0} is required by carriers and cannot be removed")]
    Mandatory(Keyword),
    /// Stored keyword sets lack a mandatory keyword.
    #[error("the {intent} keywords must include {keyword}")]
    MissingMandatory {
        /// The missing keyword.
        keyword: &'static str,
        /// The intent it must belong to.
        intent: Intent,
    },
    /// The keyword to remove is not in any set.
    #[error("{0} is not one of the firm's keywords")]
    NotFound(Keyword),
    /// An intent already holds [`MAX_KEYWORDS_PER_INTENT`] keywords.
    #[error("a firm may have at most {max} {intent} keywords")]
    TooMany {
        /// The intent that is full.
        intent: Intent,
        /// The limit.
        max: usize,
    },
}

/// A firm's keyword sets, one per [`Intent`].
///
/// The three sets never share a keyword (ignoring spaces and hyphens), and STOP, START
/// and HELP are always present. Deserialising checks both, so stored settings that were
/// edited by hand cannot switch STOP off.
///
/// ```
/// use casewire_compliance::{Intent, KeywordError, Keywords};
///
/// let mut keywords = Keywords::default();
/// keywords.add(Intent::OptOut, "baja")?;
/// assert!(keywords.iter(Intent::OptOut).any(|k| k.as_str() == "BAJA"));
/// assert!(matches!(keywords.remove("STOP"), Err(KeywordError::Mandatory(_))));
/// # Ok::<(), KeywordError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KeywordLists", into = "KeywordLists")]
pub struct Keywords {
    opt_out: Vec<Keyword>,
    opt_in: Vec<Keyword>,
    help: Vec<Keyword>,
}

/// The stored form of [`Keywords`]: three plain lists, validated on the way in.
#[derive(Serialize, Deserialize)]
struct KeywordLists {
    opt_out: Vec<Keyword>,
    opt_in: Vec<Keyword>,
    help: Vec<Keyword>,
}

/// Twilio's default keywords (2025), plus `OPT OUT` and `OPT-OUT` written the ways
/// clients type them.
const DEFAULTS: [(Intent, &[&str]); 3] = [
    (
        Intent::OptOut,
        &[
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "OPT OUT",
            "OPT-OUT",
        ],
    ),
    (Intent::OptIn, &["START", "YES", "UNSTOP"]),
    (Intent::Help, &["HELP", "INFO"]),
];

impl Default for Keywords {
    fn default() -> Self {
        let list = |intent: Intent| -> Vec<Keyword> {
            DEFAULTS
                .iter()
                .filter(|(i, _)| *i == intent)
                .flat_map(|(_, words)| words.iter())
                .map(|w| Keyword(String::from(*w)))
                .collect()
        };
        Keywords {
            opt_out: list(Intent::OptOut),
            opt_in: list(Intent::OptIn),
            help: list(Intent::Help),
        }
    }
}

impl Keywords {
    fn list(&self, intent: Intent) -> &Vec<Keyword> {
        match intent {
            Intent::OptOut => &self.opt_out,
            Intent::OptIn => &self.opt_in,
            Intent::Help => &self.help,
        }
    }

    fn list_mut(&mut self, intent: Intent) -> &mut Vec<Keyword> {
        match intent {
            Intent::OptOut => &mut self.opt_out,
            Intent::OptIn => &mut self.opt_in,
            Intent::Help => &mut self.help,
        }
    }

    /// Adds a keyword to an intent. Adding one that is already there does nothing; adding
    /// one that another intent holds (ignoring spaces and hyphens) is a
    /// [`KeywordError::Conflict`].
    pub fn add(&mut self, intent: Intent, keyword: &str) -> Result<(), KeywordError> {
        let keyword = Keyword::parse(keyword)?;
        self.insert(intent, keyword)
    }

    fn insert(&mut self, intent: Intent, keyword: Keyword) -> Result<(), KeywordError> {
        let compact = keyword.compact();
        for other in Intent::ALL.into_iter().filter(|i| *i != intent) {
            if self.list(other).iter().any(|k| k.compact() == compact) {
                return Err(KeywordError::Conflict {
                    keyword,
                    existing: other,
                });
            }
        }
        let list = self.list_mut(intent);
        if list.contains(&keyword) {
            return Ok(());
        }
        if list.len() >= MAX_KEYWORDS_PER_INTENT {
            return Err(KeywordError::TooMany {
                intent,
                max: MAX_KEYWORDS_PER_INTENT,
            });
        }
        list.push(keyword);
        Ok(())
    }

    /// Removes a keyword, with every spelling of it that differs only in spaces and
    /// hyphens (removing `OPT OUT` also removes `OPTOUT` and `OPT-OUT`, since they match
    /// the same replies). STOP, START and HELP cannot be removed.
    pub fn remove(&mut self, keyword: &str) -> Result<(), KeywordError> {
        let keyword = Keyword::parse(keyword)?;
        let compact = keyword.compact();
        if MANDATORY_KEYWORDS.iter().any(|(_, k)| *k == compact) {
            return Err(KeywordError::Mandatory(keyword));
        }
        let mut removed = false;
        for intent in Intent::ALL {
            let list = self.list_mut(intent);
            let before = list.len();
            list.retain(|k| k.compact() != compact);
            removed |= list.len() != before;
        }
        if removed {
            Ok(())
        } else {
            Err(KeywordError::NotFound(keyword))
        }
    }

    /// The keywords of one intent, in the order they were added.
    pub fn iter(&self, intent: Intent) -> impl Iterator<Item = &Keyword> {
        self.list(intent).iter()
    }

    /// The keywords of one intent that are not among the defaults: the firm's own.
    pub fn added(&self, intent: Intent) -> Vec<&Keyword> {
        let defaults = Keywords::default();
        self.list(intent)
            .iter()
            .filter(|k| defaults.intent_of(k).is_none())
            .collect()
    }

    /// The default keywords this set no longer holds, every spelling listed (`OPT OUT`,
    /// `OPTOUT` and `OPT-OUT` after removing `OPT OUT`).
    pub fn removed_defaults(&self) -> Vec<Keyword> {
        let defaults = Keywords::default();
        Intent::ALL
            .into_iter()
            .flat_map(|intent| defaults.list(intent).clone())
            .filter(|k| self.intent_of(k).is_none())
            .collect()
    }

    /// The intent a keyword belongs to (ignoring spaces and hyphens), if any.
    pub fn intent_of(&self, keyword: &Keyword) -> Option<Intent> {
        let compact = keyword.compact();
        Intent::ALL
            .into_iter()
            .find(|i| self.list(*i).iter().any(|k| k.compact() == compact))
    }
}

impl TryFrom<KeywordLists> for Keywords {
    type Error = KeywordError;

    fn try_from(lists: KeywordLists) -> Result<Self, Self::Error> {
        let mut keywords = Keywords {
            opt_out: Vec::new(),
            opt_in: Vec::new(),
            help: Vec::new(),
        };
        for (intent, list) in [
            (Intent::OptOut, lists.opt_out),
            (Intent::OptIn, lists.opt_in),
            (Intent::Help, lists.help),
        ] {
            for keyword in list {
                keywords.insert(intent, keyword)?;
            }
        }
        for (intent, mandatory) in MANDATORY_KEYWORDS {
            if !keywords
                .list(intent)
                .iter()
                .any(|k| k.compact() == mandatory)
            {
                return Err(KeywordError::MissingMandatory {
                    keyword: mandatory,
                    intent,
                });
            }
        }
        Ok(keywords)
    }
}

impl From<Keywords> for KeywordLists {
    fn from(k: Keywords) -> Self {
        KeywordLists {
            opt_out: k.opt_out,
            opt_in: k.opt_in,
            help: k.help,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keywords_are_normalised_to_uppercase_with_single_separators() {
        let cases = [
            ("stop", "STOP"),
            ("  Opt   Out ", "OPT OUT"),
            ("opt-out", "OPT-OUT"),
            ("baja", "BAJA"),
            ("alto", "ALTO"),
            ("ayuda", "AYUDA"),
            ("arrêt", "ARRÊT"),
            ("стоп", "СТОП"),
            ("stop2", "STOP2"),
        ];
        for (input, want) in cases {
            assert_eq!(Keyword::parse(input).map(String::from), Ok(want.into()));
        }
    }

    #[test]
    fn malformed_keywords_are_refused_with_a_reason() {
        let cases = [
            ("", KeywordError::Empty),
            ("   ", KeywordError::Empty),
            ("stop!", KeywordError::BadCharacter('!')),
            ("stop_all", KeywordError::BadCharacter('_')),
            ("-stop", KeywordError::BadSeparator),
            ("stop-", KeywordError::BadSeparator),
            ("opt--out", KeywordError::BadSeparator),
            ("opt - out", KeywordError::BadSeparator),
            ("opt- out", KeywordError::BadSeparator),
            (
                "abcdefghijklmnopqrstuvwxy",
                KeywordError::TooLong { max: 24, len: 25 },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Keyword::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn the_default_sets_are_twilios_keywords_plus_opt_out_spellings() {
        let k = Keywords::default();
        let words = |i| k.iter(i).map(Keyword::as_str).collect::<Vec<_>>();
        assert_eq!(
            words(Intent::OptOut),
            [
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "REVOKE",
                "OPTOUT",
                "OPT OUT",
                "OPT-OUT"
            ]
        );
        assert_eq!(words(Intent::OptIn), ["START", "YES", "UNSTOP"]);
        assert_eq!(words(Intent::Help), ["HELP", "INFO"]);
        for (intent, words) in DEFAULTS {
            for w in words {
                assert_eq!(
                    Keyword::parse(w).map(|k| k.as_str().to_owned()),
                    Ok(w.to_string())
                );
                assert_eq!(k.intent_of(&Keyword(w.to_string())), Some(intent));
            }
        }
    }

    #[test]
    fn a_firm_can_add_spanish_keywords() {
        let mut k = Keywords::default();
        assert_eq!(k.add(Intent::OptOut, "baja"), Ok(()));
        assert_eq!(k.add(Intent::OptOut, "Alto"), Ok(()));
        assert_eq!(k.add(Intent::Help, "ayuda"), Ok(()));
        assert_eq!(
            k.add(Intent::OptOut, "BAJA"),
            Ok(()),
            "adding twice is harmless"
        );
        assert_eq!(
            k.iter(Intent::OptOut)
                .filter(|w| w.as_str() == "BAJA")
                .count(),
            1
        );
        assert_eq!(
            k.iter(Intent::Help).last().map(Keyword::as_str),
            Some("AYUDA")
        );
    }

    #[test]
    fn a_keyword_cannot_belong_to_two_intents() {
        let mut k = Keywords::default();
        assert!(matches!(
            k.add(Intent::OptIn, "stop"),
            Err(KeywordError::Conflict {
                existing: Intent::OptOut,
                ..
            })
        ));
        // Spaces and hyphens do not make a different keyword.
        assert!(matches!(
            k.add(Intent::Help, "opt out"),
            Err(KeywordError::Conflict {
                existing: Intent::OptOut,
                ..
            })
        ));
        assert!(matches!(
            k.add(Intent::OptOut, "UN-STOP"),
            Err(KeywordError::Conflict {
                existing: Intent::OptIn,
                ..
            })
        ));
    }

    #[test]
    fn stop_start_and_help_cannot_be_removed_but_others_can() {
        let mut k = Keywords::default();
        for word in ["STOP", "start", "Help", "S-TOP"] {
            assert!(
                matches!(k.remove(word), Err(KeywordError::Mandatory(_))),
                "{word}"
            );
        }
        assert_eq!(k.remove("cancel"), Ok(()));
        assert!(!k.iter(Intent::OptOut).any(|w| w.as_str() == "CANCEL"));
        assert_eq!(
            k.remove("cancel"),
            Err(KeywordError::NotFound(Keyword("CANCEL".into())))
        );
        assert_eq!(k.remove("info"), Ok(()));
        assert_eq!(k.iter(Intent::Help).count(), 1);
    }

    #[test]
    fn removing_a_spelling_removes_every_spelling_of_it() {
        let mut k = Keywords::default();
        assert_eq!(k.remove("opt out"), Ok(()));
        assert!(!k.iter(Intent::OptOut).any(|w| w.compact() == "OPTOUT"));
    }

    #[test]
    fn an_intent_holds_a_bounded_number_of_keywords() {
        let mut k = Keywords::default();
        let room = MAX_KEYWORDS_PER_INTENT - k.iter(Intent::Help).count();
        for n in 0..room {
            assert_eq!(k.add(Intent::Help, &format!("HELP{n}")), Ok(()));
        }
        assert_eq!(
            k.add(Intent::Help, "ONEMORE"),
            Err(KeywordError::TooMany {
                intent: Intent::Help,
                max: MAX_KEYWORDS_PER_INTENT
            })
        );
    }

    #[test]
    fn keywords_round_trip_through_json() {
        let mut k = Keywords::default();
        k.add(Intent::OptOut, "baja").unwrap();
        let json = serde_json::to_string(&k).unwrap();
        assert!(json.contains("\"opt_out\":[\"STOP\""), "{json}");
        assert_eq!(serde_json::from_str::<Keywords>(&json).unwrap(), k);
    }

    #[test]
    fn stored_keywords_must_keep_stop_start_and_help() {
        let without_stop = r#"{"opt_out":["QUIT"],"opt_in":["START"],"help":["HELP"]}"#;
        let err = serde_json::from_str::<Keywords>(without_stop).unwrap_err();
        assert!(err.to_string().contains("STOP"), "{err}");

        let stop_misfiled = r#"{"opt_out":["QUIT"],"opt_in":["START","STOP"],"help":["HELP"]}"#;
        assert!(serde_json::from_str::<Keywords>(stop_misfiled).is_err());

        let conflicting = r#"{"opt_out":["STOP","YES"],"opt_in":["START","YES"],"help":["HELP"]}"#;
        assert!(serde_json::from_str::<Keywords>(conflicting).is_err());

        let malformed = r#"{"opt_out":["STOP!"],"opt_in":["START"],"help":["HELP"]}"#;
        assert!(serde_json::from_str::<Keywords>(malformed).is_err());

        let minimal = r#"{"opt_out":["stop"],"opt_in":["start"],"help":["help"]}"#;
        let k = serde_json::from_str::<Keywords>(minimal).unwrap();
        assert_eq!(k.iter(Intent::OptOut).count(), 1);
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(input in "\\PC{0,40}") {
            if let Ok(k) = Keyword::parse(&input) {
                prop_assert_eq!(Keyword::parse(k.as_str()), Ok(k.clone()));
                prop_assert!(k.as_str().chars().count() <= MAX_KEYWORD_LEN);
            }
        }

        #[test]
        fn any_letters_and_digits_with_separators_parse(
            words in proptest::collection::vec("[a-zA-Z0-9ñÑéÉ]{1,5}", 1..4),
            hyphen in any::<bool>(),
        ) {
            let input = words.join(if hyphen { "-" } else { "  " });
            let k = Keyword::parse(&input).unwrap();
            prop_assert_eq!(k.compact(), words.concat().to_uppercase());
        }
    }

    #[test]
    fn additions_and_removed_defaults_are_told_apart() {
        let mut keywords = Keywords::default();
        keywords.add(Intent::OptOut, "baja").unwrap();
        keywords.add(Intent::Help, "ayuda").unwrap();
        keywords.remove("opt-out").unwrap();
        keywords.remove("CANCEL").unwrap();
        let added = |intent| -> Vec<String> {
            keywords
                .added(intent)
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect()
        };
        assert_eq!(added(Intent::OptOut), ["BAJA"]);
        assert!(added(Intent::OptIn).is_empty());
        assert_eq!(added(Intent::Help), ["AYUDA"]);
        let removed: Vec<String> = keywords
            .removed_defaults()
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect();
        assert_eq!(removed, ["CANCEL", "OPTOUT", "OPT OUT", "OPT-OUT"]);
        assert!(Keywords::default().removed_defaults().is_empty());
    }
}
