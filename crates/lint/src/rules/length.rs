//! Length: an empty body, a body Twilio refuses, a body longer than Twilio recommends.

use crate::{Code, Finding, Severity};

/// Twilio refuses a longer body with error 21617.
pub(crate) const TWILIO_MAX_CHARS: usize = 1600;
/// Twilio's recommended maximum for deliverability and readability.
pub(crate) const RECOMMENDED_MAX_CHARS: usize = 320;

pub(crate) fn check(body: &str, out: &mut Vec<Finding>) {
    if body.trim().is_empty() {
        out.push(Finding::new(
            Code::EmptyBody,
            Severity::Error,
            0..body.len(),
            "The message is empty. Twilio does not send a text without a body.",
        ));
        return;
    }
    let length = twilio_length(body);
    if length > TWILIO_MAX_CHARS {
        out.push(Finding::new(
            Code::TooLong,
            Severity::Error,
            beyond(body, TWILIO_MAX_CHARS)..body.len(),
            format!(
                "The message is {length} characters; Twilio refuses anything over 1,600 \
                 (error 21617). Shorten it or send it as two texts."
            ),
        ));
    } else if length > RECOMMENDED_MAX_CHARS {
        out.push(Finding::new(
            Code::LongMessage,
            Severity::Info,
            beyond(body, RECOMMENDED_MAX_CHARS)..body.len(),
            format!(
                "The message is {length} characters; Twilio recommends 320 or fewer. Long \
                 texts are harder to read on a phone and more often filtered."
            ),
        ));
    }
}

/// Characters as counted against Twilio's limits. Twilio does not say whether an emoji is
/// one character or two (UTF-16 code units); counting two is the stricter reading, so a
/// body accepted here is never refused there. For GSM-7 text it is the character count.
pub(crate) fn twilio_length(body: &str) -> usize {
    body.chars().map(char::len_utf16).sum()
}

/// The byte offset of the first character past the first `limit` counted characters.
fn beyond(body: &str, limit: usize) -> usize {
    let mut counted = 0;
    for (index, c) in body.char_indices() {
        counted += c.len_utf16();
        if counted > limit {
            return index;
        }
    }
    body.len()
}

#[cfg(test)]
mod tests {
    use crate::Code;
    use crate::rules::testing::{flagged, flagged_text};

    #[test]
    fn an_empty_or_blank_body_cannot_be_sent() {
        for body in ["", " ", "\n\t ", "\u{00A0}"] {
            let found = flagged(body, Code::EmptyBody);
            assert_eq!(found.len(), 1, "{body:?}");
            assert_eq!(found[0].1.span, 0..body.len());
        }
        assert!(flagged("Hi", Code::EmptyBody).is_empty());
    }

    #[test]
    fn twilio_refuses_more_than_1600_characters() {
        let cases = [
            ("a".repeat(1600), None),
            ("a".repeat(1601), Some("a".to_owned())),
            (format!("{}b€", "a".repeat(1599)), Some("€".to_owned())),
            // An emoji counts twice: 799 emoji and two letters make 1,600, while 800 emoji
            // already reach it and one more letter goes over.
            (format!("{}ab", "😀".repeat(799)), None),
            (format!("{}b", "😀".repeat(800)), Some("b".to_owned())),
        ];
        for (body, beyond) in cases {
            assert_eq!(
                flagged_text(&body, Code::TooLong),
                beyond.into_iter().collect::<Vec<_>>(),
                "{} chars",
                body.chars().count()
            );
        }
    }

    #[test]
    fn more_than_320_characters_is_a_note_not_an_error() {
        let long = flagged(&"a".repeat(321), Code::LongMessage);
        assert_eq!(long.len(), 1);
        assert_eq!(long[0].0, "a");
        assert_eq!(long[0].1.severity, crate::Severity::Info);
        assert!(flagged(&"a".repeat(320), Code::LongMessage).is_empty());
        assert!(
            flagged(&"a".repeat(1601), Code::LongMessage).is_empty(),
            "too-long says it already"
        );
    }
}
