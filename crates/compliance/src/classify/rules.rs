//! The phrase rules and word lists behind classification. Rule names are stable: they
//! are stored with every opt-out a rule detects, so renaming one rewrites history.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// Requests and openers that may come before a revocation without changing its meaning:
/// "please", "can you", "I want you to", "why won't you", "I said", "hi". No plain
/// negation is among them, so "don't stop texting me" never matches a rule.
const PREFIX: &str = r"(?:(?:please|pls|plz|pleas|kindly|just|ok|okay|k|hi|hello|hey|yes|yeah|yea|no|nope|sorry|thanks|thank you|thx|again|seriously|honestly|and|so|now|guys|y'all|yall|sir|ma'am|maam|also|then|for the last time|one more time|i said|i said to|i told you|i told you to|i asked you to|i already said|i already told you|i already told you to|i already asked you to|can you|could you|would you|will you|can u|could u|would u|will u|you can|you need to|you have to|you must|i want you to|i need you to|i'd like you to|id like you to|i would like you to|i'm asking you to|im asking you to|i am asking you to|i ask you to|i ask that you|i request that you|why don't you|why dont you|why won't you|why wont you|why can't you|why cant you|can't you|cant you|how about you|i want to|i wanna|i would like to|i'd like to|id like to|i wish to|i need to|i choose to|i have decided to|i've decided to|i decided to|i hereby|we hereby) )*";

/// What clients call the texts.
const MSGS: &str = r"(?:texts?|txts?|text messages?|messages?|msgs?|sms|reminders?|notifications?|alerts?|texting|messaging|communications?|contact|subscription)";

/// Determiners and adjectives that may come before [`MSGS`]: "all of these", "your".
const DET: &str = r"(?:(?:all|the|these|those|this|your|ur|my|any|of|text|sms|such|more|further|future|automated|automatic) )*";

/// Courtesy and scope words that may follow a revocation: "please", "anymore", "from
/// you guys", "on this number".
const TAIL: &str = r"(?: (?:please|pls|plz|now|right now|thanks|thank you|thx|ty|anymore|any more|again|ever again|ever|immediately|asap|already|ok|okay|by text|via text|by sms|through text|on this number|at this number|to this number|to me|this number|on my phone|to my phone|here|for good|forever|period|seriously|guys|y'all|yall|sir|ma'am|maam|at all|going forward|from now on|effective immediately|whatsoever|altogether|lol|por favor|gracias|from (?:you|u|your office|this number|the firm|your firm|you guys|you people|y'all|yall|this law firm|the law office|your law firm|your office)))*";

/// An opt-out phrase rule.
struct Rule {
    /// The stable name stored with the opt-out.
    name: &'static str,
    /// The revocation, matched at the start of a clause after [`PREFIX`].
    body: String,
    /// Whether the rule, followed by words it does not know, still goes to review.
    /// Off for the bare "stop": "can you stop by the office" is not a revocation.
    review_when_longer: bool,
    /// Whether the rule is a statement that, asked as a question, is no revocation:
    /// "no more texts" opts out, "No reminders?" asks why none came.
    statement_only: bool,
}

fn rules() -> Vec<Rule> {
    let rule = |name, body: String| Rule {
        name,
        body,
        review_when_longer: true,
        statement_only: false,
    };
    let statement = |name, body: String| Rule {
        statement_only: true,
        ..rule(name, body)
    };
    vec![
        // "please stop texting me", "stop sending me messages", "quit messaging me".
        rule(
            "stop_texting",
            format!(
                r"(?:stop|quit|cease|halt) (?:(?:all|the) )?(?:texting|txting|texing|messaging|msging|contacting|sending|bothering|harassing|spamming)(?: (?:me|us|this number|my number|my phone|my cell|to me|to this number|to my phone))?(?: (?:any more|anymore))?(?: {DET}(?:{MSGS}|these|this|those|them|it|stuff|things|spam|junk|crap))?"
            ),
        ),
        // "stop the texts", "cancel these reminders", "turn off notifications".
        rule(
            "stop_the_texts",
            format!(
                r"(?:stop|end|cancel|quit|halt|cease|discontinue|disable|turn off|shut off) {DET}{MSGS}"
            ),
        ),
        // "no more texts", "no more text messages please", "enough of these texts".
        statement(
            "no_more_texts",
            format!(
                r"(?:no more|no further|nothing more|not any more|enough|enough with|none of) {DET}{MSGS}"
            ),
        ),
        // "no texts please", "no text messages anymore". A bare "No text" answers "did
        // you get our text?", so a courtesy or scope word must follow.
        statement(
            "no_texts",
            format!(
                r"no {DET}{MSGS} (?:please|pls|plz|thanks|thank you|thx|anymore|any more|again|ever again|from (?:you|u|your office|this number|the firm|your firm|you guys|you people|y'all|yall))"
            ),
        ),
        // "unsubscribe me", "unsubscribe me from this list".
        rule(
            "unsubscribe_me",
            format!(
                r"(?:(?:i|we) )?(?:unsubscribe|unsub|unsuscribe|unsubcribe|unsubscibe|unsubscrib)(?: (?:me|us|this number|my number))?(?: (?:from|to|of) {DET}(?:{MSGS}|list|lists|service|number|everything|all|this|these|you|your list))?"
            ),
        ),
        // "don't text me anymore", "do not contact me by text", "never text me again".
        // Calls and email are left out: "don't call me, text me" keeps the texts.
        rule(
            "do_not_text",
            format!(
                r"(?:do not|don't|dont|never)(?: ever)?(?: again)? (?:text|txt|message|msg|contact|sms|send|bother)(?: (?:me|us|this number|my number|my phone|my cell|to this number|to me))?(?: {DET}(?:{MSGS}|anything|stuff|things))?"
            ),
        ),
        // "remove me from this list", "take me off your list", "delete my number".
        rule(
            "remove_me",
            format!(
                r"(?:remove|delete|take|drop|erase|lose|unlist|unenroll|unenrol|unregister) (?:me|us|my number|this number|my phone number|my phone|my cell|my cell number|my info)(?: (?:off of|off|from|out of|out)(?: {DET}(?:list|lists|texting list|mailing list|contact list|distribution list|{MSGS}|system|database|contacts|service|program|this|it))?)?"
            ),
        ),
        // "opt me out", "I want to opt out", "opt out of these texts".
        rule(
            "opt_me_out",
            format!(
                r"(?:(?:i|we) )?(?:(?:opt|opted)(?: me| us| this number| my number)? out|optout(?: me)?)(?: (?:of|from) {DET}(?:{MSGS}|list|service|program|everything|all|this|these|it|them|you|your list))?"
            ),
        ),
        // "I no longer want to receive these texts", "I don't want texts anymore".
        rule(
            "no_longer_want",
            format!(
                r"(?:i|we) (?:really |just |honestly )?(?:no longer|don't|do not|dont|did not|didn't|didnt|never)(?: (?:really|ever|even))? (?:want|wish|wanna)(?:(?: (?:to|for) (?:receive|get|be getting|keep getting|keep receiving|be sent|see|have|be receiving))?(?: (?:any|more|of|these|those|this|your|the|such|all|text|anymore|further|future))* {MSGS}| to be (?:texted|txted|contacted|messaged|sent texts|on {DET}list))"
            ),
        ),
        // "I revoke my consent to receive text messages", "I withdraw my consent".
        rule(
            "revoke_consent",
            format!(
                r"(?:(?:i|we) )?(?:revoke|withdraw|cancel|rescind|retract|take back|pull|remove)(?: (?:my|all|any|the|our))* (?:consent|permission|authorization|authorisation)(?: (?:to|for) (?:be |receive |get |getting |receiving |send |sending |being )?(?:me )?(?:contacted|texted|contact|calls|communications?|text communications?|{MSGS})(?: by text| via text)?)?"
            ),
        ),
        // "can you stop", "I said stop", "I want you to stop": a bare stop asked for.
        Rule {
            name: "request_to_stop",
            body: String::from(r"(?:stop|quit)(?: (?:it|this|that|them|all|now))*"),
            review_when_longer: false,
            statement_only: false,
        },
    ]
}

/// The compiled rules: one set for whole clauses, one for clauses that start with a rule
/// and go on.
/// The rule name of an opt-out keyword standing as its own sentence in a longer
/// message ("I'm tired of this, stop.").
pub(super) const KEYWORD_SENTENCE: &str = "keyword_sentence";

pub(super) struct PhraseRules {
    names: Vec<&'static str>,
    detections: Vec<&'static str>,
    statement_only: Vec<bool>,
    exact: RegexSet,
    longer: RegexSet,
    longer_names: Vec<&'static str>,
    leave_me_alone: Regex,
    keeps_texting: Regex,
    wrong_number: Regex,
}

/// A clause that is a whole phrase rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exact {
    /// The rule's name.
    pub(super) rule: &'static str,
    /// Whether a question mark makes it no revocation.
    pub(super) statement_only: bool,
}

/// Compiled once for the process: the rules do not depend on the firm.
pub(super) static PHRASE_RULES: LazyLock<PhraseRules> = LazyLock::new(PhraseRules::compile);

impl PhraseRules {
    // The patterns are constants and a test compiles them: failing here is a bug.
    fn compile() -> PhraseRules {
        let rules = rules();
        let exact = rules
            .iter()
            .map(|r| format!(r"^{PREFIX}(?:{}){TAIL}$", r.body));
        let longer: Vec<&Rule> = rules.iter().filter(|r| r.review_when_longer).collect();
        let longer_patterns = longer
            .iter()
            .map(|r| format!(r"^{PREFIX}(?:{}) .+$", r.body));
        PhraseRules {
            names: rules.iter().map(|r| r.name).collect(),
            detections: std::iter::once(KEYWORD_SENTENCE)
                .chain(rules.iter().map(|r| r.name))
                .collect(),
            statement_only: rules.iter().map(|r| r.statement_only).collect(),
            exact: RegexSet::new(exact).expect("phrase rules compile"),
            longer: RegexSet::new(longer_patterns).expect("phrase rules compile"),
            longer_names: longer.iter().map(|r| r.name).collect(),
            leave_me_alone: Regex::new(&format!(
                r"^{PREFIX}(?:leave me alone|leave me be|go away|get lost|get off my phone)\b"
            ))
            .expect("phrase rules compile"),
            keeps_texting: Regex::new(&format!(
                r"^{PREFIX}(?:why (?:do|are|r|does|would|did) (?:you|u|y'all|yall|you guys|your office|you people)(?: (?:keep|still|always|even))* (?:texting|txting|messaging|sending|contacting)|(?:you|u|y'all|yall|you guys|you people) (?:keep|still|always)(?: (?:on))? (?:texting|txting|messaging|sending|contacting))\b"
            ))
            .expect("phrase rules compile"),
            wrong_number: Regex::new(
                r"\b(?:wrong (?:number|person|phone|guy|girl|lady|#)|not (?:my|the right) number|(?:you|u) have the wrong)\b",
            )
            .expect("phrase rules compile"),
        }
    }

    /// The rule a whole clause is, if any: an opt-out.
    pub(super) fn exact(&self, clause: &str) -> Option<Exact> {
        let first = self.exact.matches(clause).into_iter().next()?;
        Some(Exact {
            rule: self.names.get(first).copied()?,
            statement_only: self.statement_only.get(first).copied()?,
        })
    }

    /// The rule a clause starts with but does not end with: a review.
    pub(super) fn starts_with(&self, clause: &str) -> Option<&'static str> {
        let first = self.longer.matches(clause).into_iter().next()?;
        self.longer_names.get(first).copied()
    }

    /// Whether a clause asks to be left alone without naming texts.
    pub(super) fn leave_me_alone(&self, clause: &str) -> bool {
        self.leave_me_alone.is_match(clause)
    }

    /// Whether a clause complains about the texts without asking to stop them.
    pub(super) fn keeps_texting(&self, clause: &str) -> bool {
        self.keeps_texting.is_match(clause)
    }

    /// Whether the text says the number is the wrong one.
    pub(super) fn wrong_number(&self, text: &str) -> bool {
        self.wrong_number.is_match(text)
    }

    /// Every name a phrase detection can carry.
    pub(super) fn detections(&self) -> &[&'static str] {
        &self.detections
    }
}

/// Opt-out words with no everyday meaning a client would text a law firm, except "stop"
/// whose everyday uses are recognised one by one. Found alone inside a longer message
/// they send it to review.
pub(super) const STRONG_WORDS: [&str; 5] = ["stop", "stopall", "unsubscribe", "revoke", "optout"];

/// Compact keywords that are strong: see [`STRONG_WORDS`].
pub(super) fn is_strong_keyword(compact: &str) -> bool {
    matches!(
        compact,
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "REVOKE" | "OPTOUT"
    )
}

/// Compact keywords after which "it", "this" or "that" still means the texts ("stop
/// it", "quit it"). "cancel it" and "end it" may mean a hearing or an appointment.
pub(super) fn takes_pronoun(compact: &str) -> bool {
    matches!(compact, "STOP" | "STOPALL" | "QUIT")
}

/// Words that may surround an opt-out keyword without changing it: "stop please",
/// "STOP NOW", "stop all texts", "baja por favor".
pub(super) fn is_courtesy(word: &str) -> bool {
    matches!(
        word,
        "please"
            | "pls"
            | "plz"
            | "pleas"
            | "now"
            | "all"
            | "thanks"
            | "thank"
            | "you"
            | "u"
            | "thx"
            | "ty"
            | "thankyou"
            | "texts"
            | "text"
            | "texting"
            | "txt"
            | "txts"
            | "txting"
            | "messages"
            | "message"
            | "msgs"
            | "msg"
            | "messaging"
            | "sms"
            | "immediately"
            | "asap"
            | "ok"
            | "okay"
            | "k"
            | "sorry"
            | "already"
            | "again"
            | "just"
            | "yes"
            | "right"
            | "anymore"
            | "forever"
            | "permanently"
            | "sir"
            | "maam"
            | "ma'am"
            | "por"
            | "favor"
            | "porfavor"
            | "gracias"
    )
}

/// Object pronouns allowed after [`takes_pronoun`] keywords.
pub(super) fn is_pronoun(word: &str) -> bool {
    matches!(word, "it" | "this" | "that" | "them" | "these")
}

/// Negations that make a following opt-out word benign: "I never said stop", "please
/// don't stop texting me updates".
pub(super) fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "don't"
            | "dont"
            | "never"
            | "didn't"
            | "didnt"
            | "won't"
            | "wont"
            | "can't"
            | "cant"
            | "cannot"
            | "shouldn't"
            | "shouldnt"
            | "wouldn't"
            | "wouldnt"
            | "doesn't"
            | "doesnt"
            | "isn't"
            | "wasn't"
            | "haven't"
            | "hasn't"
    )
}

/// Whoever a negation is about, when it turns into a complaint: "you won't stop".
pub(super) fn is_you(word: &str) -> bool {
    matches!(word, "you" | "u" | "y'all" | "yall" | "ya")
}

/// Words before "stop" that make it a statement or a noun, not a request to the firm:
/// "I'll stop at the bank", "make them stop", "a bus stop", "can the bankruptcy stop".
pub(super) fn is_benign_before_stop(word: &str) -> bool {
    matches!(
        word,
        "i" | "i'll"
            | "ill"
            | "i'd"
            | "i'm"
            | "im"
            | "we"
            | "we'll"
            | "they"
            | "they'll"
            | "he"
            | "she"
            | "it"
            | "it'll"
            | "you"
            | "u"
            | "you'll"
            | "them"
            | "him"
            | "her"
            | "will"
            | "would"
            | "could"
            | "can"
            | "should"
            | "shall"
            | "might"
            | "may"
            | "must"
            | "to"
            | "gonna"
            | "wanna"
            | "gotta"
            | "did"
            | "does"
            | "do"
            | "a"
            | "an"
            | "the"
            | "bus"
            | "last"
            | "next"
            | "first"
            | "one"
            | "full"
            | "pit"
            | "truck"
            | "rest"
            | "non"
            | "that"
            | "which"
            | "who"
            | "bankruptcy"
            | "filing"
            | "court"
            | "stay"
            | "trustee"
            | "judge"
            | "calls"
            | "payments"
    )
}

/// Words that name the texts: "how do I stop these texts" is about the firm's texts
/// even though "I stop" is usually a statement.
pub(super) fn is_messages(word: &str) -> bool {
    matches!(
        word,
        "texts"
            | "text"
            | "txt"
            | "txts"
            | "texting"
            | "messages"
            | "message"
            | "msgs"
            | "msg"
            | "messaging"
            | "sms"
            | "reminders"
            | "reminder"
            | "notifications"
            | "alerts"
    )
}

/// Words right after "stop" that make it a visit or a payment instruction: "stop by",
/// "stop at the bank", "stop payment".
pub(super) fn is_benign_after_stop(word: &str) -> bool {
    matches!(
        word,
        "by" | "in"
            | "at"
            | "over"
            | "off"
            | "past"
            | "through"
            | "paying"
            | "payment"
            | "payments"
            | "sign"
            | "light"
            | "lights"
            | "loss"
            | "watch"
    )
}

/// What a bankruptcy client wants stopped or revoked that is not the firm's texts: "will
/// the bankruptcy stop the garnishment", "can they revoke my discharge".
pub(super) fn is_case_matter(word: &str) -> bool {
    matches!(
        word,
        "garnishment"
            | "garnishments"
            | "garnish"
            | "garnishing"
            | "foreclosure"
            | "foreclosing"
            | "repossession"
            | "repo"
            | "repossessing"
            | "levy"
            | "lawsuit"
            | "suit"
            | "collection"
            | "collections"
            | "collector"
            | "collectors"
            | "creditor"
            | "creditors"
            | "sale"
            | "auction"
            | "eviction"
            | "bank"
            | "payment"
            | "payments"
            | "paying"
            | "interest"
            | "wage"
            | "wages"
            | "paycheck"
            | "discharge"
            | "dismissal"
            | "deduction"
            | "deductions"
            | "autopay"
            | "withdrawal"
            | "withdrawals"
            | "debit"
            | "draft"
            | "license"
            | "licence"
            | "plan"
            | "confirmation"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_has_a_unique_snake_case_name() {
        let rules = &*PHRASE_RULES;
        let mut names = rules.detections().to_vec();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rules.detections().len());
    }

    #[test]
    fn strong_words_and_strong_keywords_agree() {
        for word in STRONG_WORDS {
            assert!(is_strong_keyword(&word.to_uppercase()), "{word}");
        }
    }
}
