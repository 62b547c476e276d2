//! UCS-2: which characters sent the message in the costly alphabet, what that costs, and
//! what could replace them.

use crate::encoding::{ForcedUcs2, Segments, gsm7_septets, segments};
use crate::{Code, Finding, Severity};

pub(crate) fn check(body: &str, actual: &Segments, forced: &[ForcedUcs2], out: &mut Vec<Finding>) {
    if forced.is_empty() {
        return;
    }
    let as_gsm7 = segments_if_gsm7(body);
    let extra = actual.count.saturating_sub(as_gsm7);
    let (severity, cost) = if extra > 0 {
        (
            Severity::Warning,
            format!(
                "so the whole message is sent as UCS-2: {} segments instead of {as_gsm7}.",
                actual.count
            ),
        )
    } else {
        (
            Severity::Info,
            "so the whole message is sent as UCS-2, 70 characters a segment instead of 160 \
             (no extra segment yet)."
                .to_owned(),
        )
    };

    // One finding per distinct character that has a stand-in, at its first occurrence.
    let mut seen: Vec<(char, usize, usize)> = Vec::new(); // (char, first index, occurrences)
    for (index, item) in forced.iter().enumerate() {
        if item.replacement.is_none() {
            continue;
        }
        match seen.iter_mut().find(|(c, _, _)| *c == item.ch) {
            Some((_, _, occurrences)) => *occurrences += 1,
            None => seen.push((item.ch, index, 1)),
        }
    }
    for &(ch, index, occurrences) in &seen {
        let item = &forced[index];
        let replacement = item.replacement.unwrap_or_default();
        let times = if occurrences > 1 {
            format!(" ({occurrences} times)")
        } else {
            String::new()
        };
        let instead = match replacement {
            "" => "Remove it.".to_owned(),
            " " => "Use a plain space instead.".to_owned(),
            "\n" => "Use a line break instead.".to_owned(),
            other => format!("Use {other} instead."),
        };
        out.push(
            Finding::new(
                Code::Ucs2Encoding,
                severity,
                item.span.clone(),
                format!(
                    "{}{times} is not in the GSM-7 alphabet, {cost} {instead}",
                    describe(ch)
                ),
            )
            .suggest(replacement),
        );
    }

    // One finding for everything that has no stand-in, at the first such character.
    let mut without = forced.iter().filter(|item| item.replacement.is_none());
    if let Some(item) = without.next() {
        let others = without.count();
        let who = match others {
            0 => format!("{} has", describe(item.ch)),
            1 => format!("{} and 1 other character have", describe(item.ch)),
            n => format!("{} and {n} other characters have", describe(item.ch)),
        };
        out.push(Finding::new(
            Code::Ucs2Encoding,
            severity,
            item.span.clone(),
            format!("{who} no GSM-7 equivalent, {cost}"),
        ));
    }
}

/// Segments the body would take if every character outside GSM-7 were replaced by its
/// stand-in, or by one plain character when it has none.
fn segments_if_gsm7(body: &str) -> u32 {
    let mut stand_in = String::with_capacity(body.len());
    for c in body.chars() {
        match (gsm7_septets(c), crate::gsm_replacement(c)) {
            (Some(_), _) => stand_in.push(c),
            (None, Some(replacement)) => stand_in.push_str(replacement),
            (None, None) => stand_in.push('?'),
        }
    }
    segments(&stand_in).1.count
}

/// A character as staff can recognise it in a sentence; spaces and invisible characters
/// are named, since showing them shows nothing.
fn describe(c: char) -> String {
    let name = match c {
        '\t' => "A tab",
        '\u{00A0}' | '\u{202F}' => "A non-breaking space",
        '\u{00AD}' => "A soft hyphen",
        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => "An invisible character",
        '\u{0085}' | '\u{2028}' | '\u{2029}' => "A Unicode line break",
        c if c.is_whitespace() => "An unusual space",
        c if c.is_control() => "A control character",
        c => return format!("{c} (U+{:04X})", u32::from(c)),
    };
    format!("{name} (U+{:04X})", u32::from(c))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::flagged;
    use crate::{Code, Severity};

    #[test]
    fn each_replaceable_character_is_flagged_once_with_its_stand_in() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("It’s here", &[("’", "'")]),
            (
                "“Hi” — it’s me…",
                &[
                    ("“", "\""),
                    ("”", "\""),
                    ("—", "-"),
                    ("’", "'"),
                    ("…", "..."),
                ],
            ),
            ("Don’t forget: it’s Monday", &[("’", "'")]),
            ("9\u{00A0}am", &[("\u{00A0}", " ")]),
            ("zero\u{200B}width", &[("\u{200B}", "")]),
            ("• bring ID", &[("•", "-")]),
        ];
        for (body, expected) in cases {
            let found: Vec<(String, String)> = flagged(body, Code::Ucs2Encoding)
                .into_iter()
                .map(|(text, finding)| (text, finding.suggestion.unwrap_or_default()))
                .collect();
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect();
            assert_eq!(found, expected, "{body}");
        }
    }

    #[test]
    fn characters_without_a_stand_in_are_reported_together() {
        let found = flagged("Congrats 🎉 on your discharge 😀😀", Code::Ucs2Encoding);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "🎉");
        assert!(
            found[0].1.message.contains("and 2 other characters"),
            "{}",
            found[0].1.message
        );
        assert_eq!(found[0].1.suggestion, None);
    }

    #[test]
    fn a_curly_apostrophe_that_costs_a_segment_is_a_warning() {
        // 100 GSM-7 characters are one segment; with one ’ they are 101 UCS-2 units, two.
        let body = format!("{}’", "a".repeat(100));
        let found = flagged(&body, Code::Ucs2Encoding);
        assert_eq!(found[0].1.severity, Severity::Warning);
        assert!(
            found[0].1.message.contains("2 segments instead of 1"),
            "{}",
            found[0].1.message
        );
    }

    #[test]
    fn ucs2_that_costs_nothing_yet_is_a_note() {
        let found = flagged("It’s Monday", Code::Ucs2Encoding);
        assert_eq!(found[0].1.severity, Severity::Info);
    }

    #[test]
    fn gsm7_text_has_no_encoding_finding() {
        let body = "Your 341 meeting: May 5, 9:00 am. Cost €5 {approx}. Déjà vu!";
        assert!(flagged(body, Code::Ucs2Encoding).is_empty());
    }
}
