//! Style that reads as marketing to carrier filters: shouting in capitals, runs of
//! exclamation marks.

use crate::{Code, Finding, Severity};

/// Below this many cased letters a message is too short to call shouting.
const ALL_CAPS_MIN_LETTERS: usize = 20;
/// All-capital words this short are acronyms ("US", "IRS", "LLC"), not shouting.
const ACRONYM_MAX_LETTERS: usize = 3;

pub(crate) fn check(body: &str, out: &mut Vec<Finding>) {
    all_caps(body, out);
    exclamation_runs(body, out);
}

fn all_caps(body: &str, out: &mut Vec<Finding>) {
    let mut letters = 0;
    let mut capitals = 0;
    // The stretch from the first to the last shouted word.
    let mut shouted: Option<(usize, usize)> = None;
    for (start, word) in words(body) {
        let upper = word.chars().filter(|c| c.is_uppercase()).count();
        let lower = word.chars().filter(|c| c.is_lowercase()).count();
        let cased = upper + lower;
        if lower == 0 && cased <= ACRONYM_MAX_LETTERS {
            // Not counted, but an acronym inside shouting belongs to the shouting.
            if let Some((_, end)) = shouted.as_mut().filter(|_| cased > 0) {
                *end = start + word.len();
            }
            continue;
        }
        letters += cased;
        capitals += upper;
        if upper > lower {
            let end = start + word.len();
            shouted = Some(shouted.map_or((start, end), |(first, _)| (first, end)));
        }
    }
    if letters >= ALL_CAPS_MIN_LETTERS && capitals * 2 > letters {
        let (start, end) = shouted.unwrap_or((0, body.len()));
        out.push(Finding::new(
            Code::AllCaps,
            Severity::Warning,
            start..end,
            "Most of this message is in capital letters, which reads as shouting and as \
             marketing to carrier spam filters. Write it in sentence case.",
        ));
    }
}

/// Runs of letters and digits, with their byte offsets.
fn words(body: &str) -> impl Iterator<Item = (usize, &str)> {
    body.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(move |word| (word.as_ptr() as usize - body.as_ptr() as usize, word))
}

fn exclamation_runs(body: &str, out: &mut Vec<Finding>) {
    let bytes = body.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'!' {
            index += 1;
            continue;
        }
        let start = index;
        while index < bytes.len() && bytes[index] == b'!' {
            index += 1;
        }
        if index - start >= 2 {
            out.push(
                Finding::new(
                    Code::ExclamationRun,
                    Severity::Warning,
                    start..index,
                    "Several exclamation marks in a row read as marketing to carrier spam \
                     filters. One is enough.",
                )
                .suggest("!"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Code;
    use crate::rules::testing::flagged_text;

    #[test]
    fn a_message_mostly_in_capitals_is_shouting() {
        let cases: &[(&str, &[&str])] = &[
            (
                "URGENT: YOUR HEARING IS TOMORROW, CALL US NOW",
                &["URGENT: YOUR HEARING IS TOMORROW, CALL US NOW"],
            ),
            (
                "Reminder: PLEASE BRING YOUR ID AND SSN CARD to the meeting",
                &["PLEASE BRING YOUR ID AND SSN CARD"],
            ),
            (
                "Your 341 meeting is at the US Trustee's office on May 5.",
                &[],
            ),
            (
                "Bring your IRS, DMV and SSA letters to the LLC meeting",
                &[],
            ),
            ("CALL US NOW", &[]),
            ("Your 341 meeting of creditors is on MONDAY at 9 am.", &[]),
            ("中文消息没有大小写之分所以不会被当作大写字母", &[]),
        ];
        for (body, expected) in cases {
            assert_eq!(flagged_text(body, Code::AllCaps), *expected, "{body}");
        }
    }

    #[test]
    fn runs_of_exclamation_marks_are_flagged() {
        let cases: &[(&str, &[&str])] = &[
            ("Congratulations!!", &["!!"]),
            ("Discharged!!! Call us!!", &["!!!", "!!"]),
            ("Congratulations! Your case is discharged!", &[]),
            ("! ! !", &[]),
        ];
        for (body, expected) in cases {
            assert_eq!(
                flagged_text(body, Code::ExclamationRun),
                *expected,
                "{body}"
            );
        }
    }
}
