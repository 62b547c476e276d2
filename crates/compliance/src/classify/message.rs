//! An inbound text reduced to what classification looks at: lowercase words, the
//! sentences ("clauses") they fall in, and whether it asks a question.

use std::ops::Range;

/// A normalised inbound text.
#[derive(Debug)]
pub(super) struct Message {
    /// The words, lowercased; apostrophes inside a word are kept (`don't`).
    pub(super) words: Vec<String>,
    /// The words, uppercased: the form keywords are matched on.
    pub(super) upper: Vec<String>,
    /// Each clause as a range of `words`: text between `.`, `,`, `!`, `?`, `;`, dashes
    /// and line breaks.
    pub(super) clauses: Vec<Range<usize>>,
    /// For each clause, whether it is a question (ends with `?` or opens with `¿`).
    pub(super) asked: Vec<bool>,
    /// Whether the text contains a question mark.
    pub(super) question: bool,
}

impl Message {
    /// Splits a text into words and clauses. Punctuation, symbols, emoji and control
    /// characters only separate words; curly apostrophes count as straight ones.
    pub(super) fn parse(text: &str) -> Message {
        let mut words = Vec::new();
        let mut clauses = Vec::new();
        let mut clause_start = 0;
        let mut word = String::new();
        let mut question = false;
        let mut asked = Vec::new();
        let mut current_asked = false;
        let mut prev: Option<char> = None;
        let mut chars = text.chars().peekable();
        while let Some(raw) = chars.next() {
            let c = match raw {
                '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
                other => other,
            };
            if c.is_alphanumeric() || (c == '\'' && !word.is_empty()) {
                word.extend(c.to_lowercase());
            } else {
                flush(&mut word, &mut words);
                if c == '?' || c == '¿' {
                    question = true;
                    if c == '¿' || words.len() > clause_start {
                        current_asked = true;
                    } else if let Some(last) = asked.last_mut() {
                        // "stop texting me ?!": the mark belongs to the clause before.
                        *last = true;
                    }
                }
                if is_clause_break(c, prev, chars.peek().copied()) && words.len() > clause_start {
                    clauses.push(clause_start..words.len());
                    asked.push(current_asked);
                    current_asked = false;
                    clause_start = words.len();
                }
            }
            prev = Some(raw);
        }
        flush(&mut word, &mut words);
        if words.len() > clause_start {
            clauses.push(clause_start..words.len());
            asked.push(current_asked);
        }
        let upper = words.iter().map(|w| w.to_uppercase()).collect();
        Message {
            words,
            upper,
            clauses,
            asked,
            question,
        }
    }

    /// The words of a range joined by single spaces: the text phrase rules run on.
    pub(super) fn text(&self, range: Range<usize>) -> String {
        self.words[range].join(" ")
    }
}

fn flush(word: &mut String, words: &mut Vec<String>) {
    let trimmed = word.trim_end_matches('\'');
    if !trimmed.is_empty() {
        words.push(trimmed.to_owned());
    }
    word.clear();
}

fn is_clause_break(c: char, prev: Option<char>, next: Option<char>) -> bool {
    match c {
        '.' | ',' | '!' | '?' | ';' | '\n' | '\r' | '…' | '¡' | '¿' | '–' | '—' => true,
        // A hyphen joins words ("opt-out") unless it stands apart ("tired - stop").
        '-' => prev.is_none_or(char::is_whitespace) || next.is_none_or(char::is_whitespace),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clauses(text: &str) -> Vec<String> {
        let m = Message::parse(text);
        m.clauses.iter().map(|r| m.text(r.clone())).collect()
    }

    #[test]
    fn punctuation_emoji_and_case_only_separate_words() {
        let m = Message::parse("  STOP 🙏!! Thank-you\u{0}");
        assert_eq!(m.words, ["stop", "thank", "you"]);
        assert_eq!(m.upper, ["STOP", "THANK", "YOU"]);
        assert!(!m.question);
    }

    #[test]
    fn curly_apostrophes_are_straight_ones_and_quotes_are_dropped() {
        let m = Message::parse("Don\u{2019}t \u{2018}stop\u{2019} 'now'");
        assert_eq!(m.words, ["don't", "stop", "now"]);
    }

    #[test]
    fn sentences_commas_and_dashes_split_clauses() {
        assert_eq!(
            clauses("I'm tired of this, stop."),
            ["i'm tired of this", "stop"]
        );
        assert_eq!(clauses("Thanks - stop\nok"), ["thanks", "stop", "ok"]);
        assert_eq!(clauses("opt-out please"), ["opt out please"]);
        assert_eq!(clauses("...!!"), Vec::<String>::new());
    }

    #[test]
    fn a_question_mark_anywhere_makes_a_question() {
        assert!(Message::parse("start date?").question);
        assert!(Message::parse("¿baja").question);
    }

    #[test]
    fn each_clause_knows_whether_it_is_a_question() {
        assert_eq!(Message::parse("No reminders? ok").asked, [true, false]);
        assert_eq!(Message::parse("ok. no texts ?!").asked, [false, true]);
        assert_eq!(Message::parse("¿baja, por favor").asked, [true, false]);
        assert_eq!(Message::parse("?? stop").asked, [false]);
    }
}
