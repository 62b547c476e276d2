//! Classifying an inbound text: an opt-out (by keyword or by a clear sentence), an opt-in,
//! a request for help, something staff should look at, or an ordinary message.

mod message;
mod rules;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, fmt};

use casewire_model::PhoneNumber;
use chrono::{DateTime, Utc};

use crate::{ConsentChange, ConsentMethod, ConsentState, Intent, Keyword, Keywords};
use message::Message;
use rules::PHRASE_RULES;

/// How an opt-out was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// One of the firm's opt-out keywords, alone or with courtesy words around it
    /// ("STOP", "stop please", "stop all texts").
    Keyword(Keyword),
    /// A sentence that clearly revokes consent ("please stop texting me"). `rule` is the
    /// stable name of the rule that matched, kept with the opt-out.
    Phrase {
        /// The rule's stable name, e.g. `stop_texting`.
        rule: &'static str,
    },
}

impl Detection {
    /// How the consent ledger records this detection.
    pub fn method(&self) -> ConsentMethod {
        match self {
            Detection::Keyword(keyword) => ConsentMethod::Keyword {
                keyword: keyword.as_str().to_owned(),
            },
            Detection::Phrase { rule } => ConsentMethod::Phrase {
                rule: (*rule).to_owned(),
            },
        }
    }
}

/// Why a message needs a person to decide whether it revokes consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewReason {
    /// An opt-out word used inside a longer message that matched no rule and no
    /// everyday use ("how do I unsubscribe?", "stop this harassment").
    OptOutWord {
        /// The word, lowercase (`stop`, `unsubscribe`, `opt out`, ...).
        word: &'static str,
    },
    /// An opt-out keyword with other words that may give it another meaning ("cancel
    /// it", "end it", or "Cancel." as one sentence of a longer message).
    AmbiguousKeyword {
        /// The firm keyword found.
        keyword: Keyword,
    },
    /// A message that starts like a revocation but goes on ("stop texting me about the
    /// hearing", "I don't want texts at work").
    PhraseWithMore {
        /// The rule the message starts with.
        rule: &'static str,
    },
    /// A clause that would be a revocation as a statement but is asked as a question
    /// ("No reminders?", "no more texts?").
    PhraseAsQuestion {
        /// The rule the question matches.
        rule: &'static str,
    },
    /// A complaint about being texted that does not ask to stop ("why do you keep
    /// texting me").
    KeepsTexting,
    /// A request to be left alone that does not name the texts ("leave me alone"): in a
    /// bankruptcy it is often about creditors.
    LeaveMeAlone,
    /// The message says the number is the wrong one.
    WrongNumber,
}

impl ReviewReason {
    /// A short snake_case code for storage and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReviewReason::OptOutWord { .. } => "opt_out_word",
            ReviewReason::AmbiguousKeyword { .. } => "ambiguous_keyword",
            ReviewReason::PhraseWithMore { .. } => "phrase_with_more",
            ReviewReason::PhraseAsQuestion { .. } => "phrase_as_question",
            ReviewReason::KeepsTexting => "keeps_texting",
            ReviewReason::LeaveMeAlone => "leave_me_alone",
            ReviewReason::WrongNumber => "wrong_number",
        }
    }
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewReason::OptOutWord { word } => {
                write!(
                    f,
                    "contains the opt-out word \"{word}\" inside a longer message"
                )
            }
            ReviewReason::AmbiguousKeyword { keyword } => write!(
                f,
                "contains the opt-out keyword \"{keyword}\" with other words that may give it another meaning"
            ),
            ReviewReason::PhraseWithMore { rule } => write!(
                f,
                "starts like a request to stop texts (rule {rule}) but goes on with other words"
            ),
            ReviewReason::PhraseAsQuestion { rule } => write!(
                f,
                "asks a question that would stop texts as a statement (rule {rule})"
            ),
            ReviewReason::KeepsTexting => {
                f.write_str("complains about the texts without clearly asking to stop them")
            }
            ReviewReason::LeaveMeAlone => f.write_str(
                "asks to be left alone without saying whether that means texts from the firm",
            ),
            ReviewReason::WrongNumber => {
                f.write_str("says this is the wrong number: check the client's phone number")
            }
        }
    }
}

/// What an inbound text means for consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// The client revoked consent: stop all texts from the firm to this number.
    OptOut {
        /// How it was recognised.
        detection: Detection,
    },
    /// The client asked to be texted again.
    OptIn {
        /// The opt-in keyword.
        keyword: Keyword,
    },
    /// The client asked for help.
    Help {
        /// The help keyword.
        keyword: Keyword,
    },
    /// Possibly a revocation: a person should decide.
    Review {
        /// Why.
        reason: ReviewReason,
    },
    /// An ordinary message.
    None,
}

impl Classification {
    /// The keyword intent, for opt-outs, opt-ins and help; `None` otherwise.
    pub fn intent(&self) -> Option<Intent> {
        match self {
            Classification::OptOut { .. } => Some(Intent::OptOut),
            Classification::OptIn { .. } => Some(Intent::OptIn),
            Classification::Help { .. } => Some(Intent::Help),
            Classification::Review { .. } | Classification::None => None,
        }
    }

    /// The consent change this message makes, if any: opt-outs and opt-ins change
    /// consent, everything else does not. `via_number` is the firm number that received
    /// the message.
    pub fn consent_change(
        &self,
        at: DateTime<Utc>,
        raw_text: &str,
        via_number: Option<PhoneNumber>,
    ) -> Option<ConsentChange> {
        let (to, method) = match self {
            Classification::OptOut { detection } => (ConsentState::OptedOut, detection.method()),
            Classification::OptIn { keyword } => (
                ConsentState::Subscribed,
                ConsentMethod::Keyword {
                    keyword: keyword.as_str().to_owned(),
                },
            ),
            _ => return None,
        };
        Some(ConsentChange {
            to,
            at,
            method,
            raw_text: Some(raw_text.to_owned()),
            via_number,
        })
    }
}

/// A firm keyword as the classifier looks it up.
#[derive(Debug, Clone)]
struct Entry {
    intent: Intent,
    keyword: Keyword,
    strong: bool,
    takes_pronoun: bool,
}

/// Classifies inbound texts for one firm's keywords.
///
/// Build it once per firm (or whenever the firm's keywords change) and share it: the
/// phrase rules are compiled once per process, the keyword table once per classifier.
///
/// ```
/// use casewire_compliance::{Classification, Classifier, Detection, Intent, Keywords};
///
/// let classifier = Classifier::new(Keywords::default());
/// assert_eq!(classifier.classify("Stop please 🙏").intent(), Some(Intent::OptOut));
/// assert_eq!(
///     classifier.classify("please stop texting me"),
///     Classification::OptOut { detection: Detection::Phrase { rule: "stop_texting" } },
/// );
/// assert_eq!(classifier.classify("Can you stop by the office at 3?"), Classification::None);
/// ```
#[derive(Debug, Clone)]
pub struct Classifier {
    keywords: Keywords,
    /// Every firm keyword by its compact uppercase form.
    table: HashMap<String, Entry>,
    /// The most words an opt-out keyword can span in a message.
    longest: usize,
}

impl Classifier {
    /// A classifier for a firm's keywords.
    pub fn new(keywords: Keywords) -> Classifier {
        let mut table = HashMap::new();
        for intent in Intent::ALL {
            for keyword in keywords.iter(intent) {
                let compact = keyword.compact();
                table.entry(compact.clone()).or_insert_with(|| Entry {
                    intent,
                    keyword: keyword.clone(),
                    strong: rules::is_strong_keyword(&compact),
                    takes_pronoun: rules::takes_pronoun(&compact),
                });
            }
        }
        let longest = keywords
            .iter(Intent::OptOut)
            .map(|k| k.as_str().split([' ', '-']).count())
            .max()
            .unwrap_or(1)
            // "OPTOUT" may be typed "opt out".
            .max(2);
        Classifier {
            keywords,
            table,
            longest,
        }
    }

    /// The keywords this classifier matches.
    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }

    /// Every rule name a [`Detection::Phrase`] can carry: `keyword_sentence`, then the
    /// phrase rules in the order they are tried.
    pub fn phrase_rules() -> &'static [&'static str] {
        PHRASE_RULES.detections()
    }

    /// Classifies one inbound text. See `docs/COMPLIANCE.md` for the rules; in short:
    ///
    /// 1. the whole message is a keyword (ignoring case, punctuation, emoji, spaces and
    ///    hyphens) → that intent;
    /// 2. an opt-out keyword with only courtesy words around it → opt-out;
    /// 3. an opt-out keyword as its own sentence in a longer message → opt-out for
    ///    STOP, STOPALL, UNSUBSCRIBE, REVOKE and OPT OUT, review for the others;
    /// 4. a sentence that is a clear revocation ("please stop texting me") → opt-out;
    /// 5. a revocation that goes on or is asked as a question, "why do you keep texting
    ///    me", "leave me alone", "wrong number", an opt-out word outside its everyday
    ///    uses, or a short message starting with an opt-out keyword → review;
    /// 6. anything else → none.
    pub fn classify(&self, text: &str) -> Classification {
        let msg = Message::parse(text);
        if msg.words.is_empty() {
            return Classification::None;
        }
        if let Some(entry) = self.table.get(&msg.upper.concat()) {
            return whole_message(entry);
        }
        if let Some(entry) = self.keyword_with_courtesy(&msg, 0..msg.words.len()) {
            return Classification::OptOut {
                detection: Detection::Keyword(entry.keyword.clone()),
            };
        }

        let rules = &*PHRASE_RULES;
        let clauses: Vec<String> = msg.clauses.iter().map(|r| msg.text(r.clone())).collect();
        let mut review: Option<ReviewReason> = None;
        if msg.clauses.len() > 1 {
            for range in &msg.clauses {
                if let Some(entry) = self.keyword_with_courtesy(&msg, range.clone()) {
                    if entry.strong {
                        return Classification::OptOut {
                            detection: Detection::Phrase {
                                rule: rules::KEYWORD_SENTENCE,
                            },
                        };
                    }
                    review.get_or_insert(ReviewReason::AmbiguousKeyword {
                        keyword: entry.keyword.clone(),
                    });
                }
            }
        }
        for (clause, asked) in clauses.iter().zip(&msg.asked) {
            match rules.exact(clause) {
                Some(exact) if exact.statement_only && *asked => {
                    review.get_or_insert(ReviewReason::PhraseAsQuestion { rule: exact.rule });
                }
                Some(exact) => {
                    return Classification::OptOut {
                        detection: Detection::Phrase { rule: exact.rule },
                    };
                }
                None => {}
            }
        }

        let review = rules
            .wrong_number(&clauses.join(" "))
            .then_some(ReviewReason::WrongNumber)
            .or_else(|| {
                clauses
                    .iter()
                    .find_map(|c| rules.starts_with(c))
                    .map(|rule| ReviewReason::PhraseWithMore { rule })
            })
            .or_else(|| strong_word_outside_everyday_use(&msg))
            .or(review)
            .or_else(|| {
                clauses
                    .iter()
                    .any(|c| rules.keeps_texting(c))
                    .then_some(ReviewReason::KeepsTexting)
            })
            .or_else(|| {
                clauses
                    .iter()
                    .any(|c| rules.leave_me_alone(c))
                    .then_some(ReviewReason::LeaveMeAlone)
            })
            .or_else(|| self.short_message_starting_with_keyword(&msg));
        match review {
            Some(reason) => Classification::Review { reason },
            None => Classification::None,
        }
    }

    /// The opt-out keyword a span of words is, once courtesy words are set aside: "stop
    /// please", "please STOP", "stop it", "STOP NOW", "stop all texts", "stop stop".
    fn keyword_with_courtesy(
        &self,
        msg: &Message,
        range: std::ops::Range<usize>,
    ) -> Option<&Entry> {
        let mut found: Option<&Entry> = None;
        let mut i = range.start;
        while i < range.end {
            if let Some((entry, next)) = self.opt_out_keyword_at(msg, i, range.end) {
                found.get_or_insert(entry);
                i = next;
                continue;
            }
            let word = msg.words[i].as_str();
            let pronoun_ok = rules::is_pronoun(word) && found.is_some_and(|e| e.takes_pronoun);
            if !(rules::is_courtesy(word) || pronoun_ok) {
                return None;
            }
            i += 1;
        }
        found
    }

    /// The longest opt-out keyword starting at word `i` (it may span words: "opt out"),
    /// with the index after it.
    fn opt_out_keyword_at(&self, msg: &Message, i: usize, end: usize) -> Option<(&Entry, usize)> {
        let mut compact = String::new();
        let mut best = None;
        for j in i..end.min(i + self.longest) {
            compact.push_str(&msg.upper[j]);
            if let Some(entry) = self.table.get(&compact) {
                if entry.intent == Intent::OptOut {
                    best = Some((entry, j + 1));
                }
            }
        }
        best
    }

    /// "cancel it", "end it", "cancel hearing": up to three words starting with an
    /// opt-out keyword that is not strong, and not a question ("end date?").
    fn short_message_starting_with_keyword(&self, msg: &Message) -> Option<ReviewReason> {
        if msg.words.len() > 3 || msg.question {
            return None;
        }
        let (entry, _) = self.opt_out_keyword_at(msg, 0, msg.words.len())?;
        (!entry.strong).then(|| ReviewReason::AmbiguousKeyword {
            keyword: entry.keyword.clone(),
        })
    }
}

fn whole_message(entry: &Entry) -> Classification {
    let keyword = entry.keyword.clone();
    match entry.intent {
        Intent::OptOut => Classification::OptOut {
            detection: Detection::Keyword(keyword),
        },
        Intent::OptIn => Classification::OptIn { keyword },
        Intent::Help => Classification::Help { keyword },
    }
}

/// The first strong opt-out word ("stop", "unsubscribe", "opt out", ...) that is not in
/// an everyday construction: negated ("I never said stop"), about the case ("stop the
/// garnishment", "revoke my discharge"), or, for "stop", a visit or a statement ("stop
/// by", "I'll stop at the bank", "a bus stop").
fn strong_word_outside_everyday_use(msg: &Message) -> Option<ReviewReason> {
    for range in &msg.clauses {
        let words = &msg.words[range.clone()];
        for (i, word) in words.iter().enumerate() {
            let (strong, len) = if word == "opt" && words.get(i + 1).is_some_and(|w| w == "out") {
                ("opt out", 2)
            } else if let Some(strong) = rules::STRONG_WORDS.iter().find(|s| **s == word) {
                (*strong, 1)
            } else {
                continue;
            };
            if !is_everyday_use(words, i, len, strong == "stop") {
                return Some(ReviewReason::OptOutWord { word: strong });
            }
        }
    }
    None
}

fn is_everyday_use(words: &[String], i: usize, len: usize, is_stop: bool) -> bool {
    // The nearest negation among the three words before decides, unless it is a
    // complaint about the firm: "you won't stop", "you guys never stop".
    for k in (i.saturating_sub(3)..i).rev() {
        if rules::is_negation(&words[k]) {
            let complaint = words[k.saturating_sub(2)..k]
                .iter()
                .any(|w| rules::is_you(w));
            return !complaint;
        }
    }
    let after = &words[(i + len).min(words.len())..(i + len + 3).min(words.len())];
    if after.iter().any(|w| rules::is_case_matter(w)) {
        return true;
    }
    if after.iter().any(|w| rules::is_messages(w)) {
        // "how do I stop these texts": about the firm's texts, whoever says it.
        return false;
    }
    is_stop
        && (i > 0 && rules::is_benign_before_stop(&words[i - 1])
            || after
                .first()
                .is_some_and(|w| rules::is_benign_after_stop(w)))
}
