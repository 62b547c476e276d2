//! Properties of the linter that hold for any text: it never panics, its spans point into
//! the body, its segment counts agree with a slow count, and `gsm_safe` makes text GSM-7.

use casewire_lint::{Encoding, LintOptions, gsm_replacement, gsm_safe, links, lint, segments};
use proptest::prelude::*;
use std::sync::LazyLock;

/// The GSM-7 default alphabet and extension table, written out independently of the crate.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{0C}";

/// Counts segments the slow way: decide the alphabet, then pour the characters into
/// segments one by one, opening a new one when the next character does not fit whole.
fn slow_count(body: &str) -> (Encoding, usize, usize) {
    let gsm = body
        .chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c));
    let width = |c: char| {
        if !gsm {
            c.len_utf16()
        } else if GSM7_EXTENSION.contains(c) {
            2
        } else {
            1
        }
    };
    let (encoding, single, split) = if gsm {
        (Encoding::Gsm7, 160, 153)
    } else {
        (Encoding::Ucs2, 70, 67)
    };
    let units: usize = body.chars().map(width).sum();
    if units == 0 {
        return (encoding, 0, 0);
    }
    if units <= single {
        return (encoding, 1, units);
    }
    let mut filled: Vec<Vec<char>> = vec![Vec::new()];
    for c in body.chars() {
        let room = split
            - filled
                .last()
                .map_or(0, |s| s.iter().map(|&c| width(c)).sum());
        if width(c) > room {
            filled.push(Vec::new());
        }
        if let Some(segment) = filled.last_mut() {
            segment.push(c);
        }
    }
    (encoding, filled.len(), units)
}

/// Text near segment boundaries: a mix of one- and two-unit characters of both alphabets.
fn boundary_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec!["a", "a", "a", "{", "€", "é", "\n", "中", "😀", "’"]);
    (prop::collection::vec(pieces, 0..420), any::<bool>()).prop_map(|(pieces, gsm_only)| {
        pieces
            .into_iter()
            .filter(|p| !gsm_only || !matches!(*p, "中" | "😀" | "’"))
            .collect()
    })
}

/// Every character with a GSM-7 stand-in, found once by asking about every character.
static REPLACEABLE: LazyLock<Vec<char>> = LazyLock::new(|| {
    (0..=0x10FFFFu32)
        .filter_map(char::from_u32)
        .filter(|&c| gsm_replacement(c).is_some())
        .collect()
});

/// Messages staff might write, with the things the linter looks for sprinkled in.
fn message_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "Your hearing is on May 5. ",
        "bit.ly/x ",
        "https://smithlaw.com/pay ",
        "smithlaw.com/pay ",
        "DEBT RELIEF ",
        "!!! ",
        "It’s ",
        "😀",
        "wine ",
        "jane@smithlaw.com ",
        "“quoted” ",
        "www.",
        ".com",
        "/",
        "é",
        "中",
        "\u{200D}",
        "\u{0301}",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

fn assert_spans_in_body(body: &str, recent: &[&str]) {
    let report = lint(
        body,
        &LintOptions {
            recent_messages: recent,
        },
    );
    for finding in &report.findings {
        assert!(
            body.get(finding.span.clone()).is_some(),
            "{finding:?} in {body:?}"
        );
        assert!(finding.span.start <= finding.span.end);
    }
    for forced in &report.forced_ucs2 {
        assert_eq!(
            body.get(forced.span.clone()),
            Some(forced.ch.to_string().as_str())
        );
    }
    for link in links(body) {
        assert!(
            body.get(link.span.clone()).is_some(),
            "{link:?} in {body:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lint_never_panics_and_every_span_is_inside_the_body(
        body in any::<String>(),
        recent in prop::collection::vec(any::<String>(), 0..3),
    ) {
        let recent: Vec<&str> = recent.iter().map(String::as_str).collect();
        assert_spans_in_body(&body, &recent);
    }

    #[test]
    fn spans_stay_inside_message_like_bodies(body in message_like(), recent in message_like()) {
        assert_spans_in_body(&body, &[recent.as_str()]);
    }

    #[test]
    fn segment_counts_agree_with_a_slow_count(body in boundary_text()) {
        let (encoding, counted) = segments(&body);
        let (slow_encoding, slow_segments, slow_units) = slow_count(&body);
        prop_assert_eq!(encoding, slow_encoding);
        prop_assert_eq!(counted.count as usize, slow_segments);
        prop_assert_eq!(counted.units as usize, slow_units);
        prop_assert_eq!(counted.chars as usize, body.chars().count());
    }

    #[test]
    fn segment_counts_agree_with_a_slow_count_on_any_text(body in any::<String>()) {
        let (encoding, counted) = segments(&body);
        let (slow_encoding, slow_segments, slow_units) = slow_count(&body);
        prop_assert_eq!(encoding, slow_encoding);
        prop_assert_eq!(counted.count as usize, slow_segments);
        prop_assert_eq!(counted.units as usize, slow_units);
    }

    #[test]
    fn gsm_safe_makes_word_processor_text_gsm7(
        picks in prop::collection::vec((any::<prop::sample::Index>(), "[ -~\n\r]{0,3}"), 0..60),
    ) {
        let body: String = picks
            .iter()
            .map(|(index, ascii)| format!("{}{ascii}", index.get(&REPLACEABLE)))
            .collect();
        let safe = gsm_safe(&body);
        prop_assert_eq!(segments(&safe).0, Encoding::Gsm7, "{:?} -> {:?}", body, safe);
        prop_assert_eq!(gsm_safe(&safe), safe.clone(), "gsm_safe is idempotent");
    }
}
