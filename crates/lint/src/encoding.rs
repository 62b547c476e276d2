//! GSM-7 and UCS-2: which alphabet a body travels in, how carriers cut it into segments,
//! and which characters forced the costly alphabet.
//!
//! The rules are those of 3GPP TS 23.038 as Twilio applies them: a body made only of the
//! GSM-7 default alphabet (plus its extension table, two septets a character) is sent as
//! GSM-7, 160 septets in one segment or 153 per segment once split; a single character
//! outside it sends the whole body as UCS-2, 70 UTF-16 code units in one segment or 67 per
//! segment once split. A character is never cut across two segments: an escape pair or a
//! surrogate pair that does not fit moves to the next segment whole.

use std::ops::Range;

use serde::Serialize;

/// The alphabet a message body is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The GSM 03.38 default alphabet and its extension table, 7 bits a character.
    Gsm7,
    /// UTF-16 (what carriers call UCS-2), 16 bits a code unit.
    Ucs2,
}

impl Encoding {
    /// Units that fit in a message sent as one segment: 160 septets or 70 code units.
    pub const fn single_segment_units(self) -> u32 {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units each segment carries once a message is split, the rest being taken by the
    /// concatenation header: 153 septets or 67 code units.
    pub const fn split_segment_units(self) -> u32 {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }

    /// The name carriers and Twilio's calculator use: `GSM-7` or `UCS-2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// How many segments a body costs, and the counts behind that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Segments {
    /// Segments the carrier bills; 0 for an empty body.
    pub count: u32,
    /// Units the body takes: septets for GSM-7 (an extension character counts 2), UTF-16
    /// code units for UCS-2 (a character outside the Basic Multilingual Plane counts 2).
    pub units: u32,
    /// Characters (Unicode scalar values) in the body.
    pub chars: u32,
    /// Units one segment can carry here: 160 or 153 for GSM-7, 70 or 67 for UCS-2.
    pub per_segment: u32,
}

/// Which alphabet `body` is sent in and how many segments it takes.
///
/// ```
/// use casewire_lint::{segments, Encoding};
///
/// let (encoding, count) = segments("Your 341 meeting is on May 5 at 9:00 am.");
/// assert_eq!(encoding, Encoding::Gsm7);
/// assert_eq!(count.count, 1);
///
/// // One curly apostrophe sends the whole message as UCS-2.
/// let (encoding, _) = segments("It’s on May 5.");
/// assert_eq!(encoding, Encoding::Ucs2);
/// ```
pub fn segments(body: &str) -> (Encoding, Segments) {
    let mut septets = 0usize;
    let mut code_units = 0usize;
    let mut chars = 0usize;
    let mut gsm = true;
    for c in body.chars() {
        chars += 1;
        code_units += c.len_utf16();
        if gsm {
            match gsm7_septets(c) {
                Some(n) => septets += n,
                None => gsm = false,
            }
        }
    }
    let (encoding, units) = if gsm {
        (Encoding::Gsm7, septets)
    } else {
        (Encoding::Ucs2, code_units)
    };
    let single = encoding.single_segment_units() as usize;
    let (count, per_segment) = if units == 0 {
        (0, single)
    } else if units <= single {
        (1, single)
    } else {
        let split = encoding.split_segment_units() as usize;
        (split_count(body, encoding, split), split)
    };
    (
        encoding,
        Segments {
            count: saturate(count),
            units: saturate(units),
            chars: saturate(chars),
            per_segment: saturate(per_segment),
        },
    )
}

/// Fills segments of `capacity` units one character at a time; a character that does not
/// fit opens the next segment, so escape and surrogate pairs are never split.
fn split_count(body: &str, encoding: Encoding, capacity: usize) -> usize {
    let mut count = 1;
    let mut used = 0;
    for c in body.chars() {
        let width = match encoding {
            Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
            Encoding::Ucs2 => c.len_utf16(),
        };
        if used + width > capacity {
            count += 1;
            used = width;
        } else {
            used += width;
        }
    }
    count
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Septets `c` takes in GSM-7: 1 for the default alphabet, 2 for the extension table, `None`
/// when it is not GSM-7 at all.
///
/// ```
/// use casewire_lint::gsm7_septets;
///
/// assert_eq!(gsm7_septets('é'), Some(1));
/// assert_eq!(gsm7_septets('€'), Some(2));
/// assert_eq!(gsm7_septets('’'), None);
/// ```
pub const fn gsm7_septets(c: char) -> Option<usize> {
    match c {
        // The only printable ASCII character missing from GSM-7.
        '`' => None,
        // Extension table: an escape septet plus the character. Form feed is the
        // extension table's page break.
        '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' | '\u{0C}' => Some(2),
        '\n' | '\r' | ' '..='~' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

/// One character that made a body UCS-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForcedUcs2 {
    /// The character.
    pub ch: char,
    /// Where it is, in bytes of the body.
    pub span: Range<usize>,
    /// GSM-7 text that can stand in for it, when there is a faithful one.
    pub replacement: Option<&'static str>,
}

/// Every character of `body` that is not GSM-7, in order; empty when the body is GSM-7.
pub fn forced_ucs2(body: &str) -> Vec<ForcedUcs2> {
    body.char_indices()
        .filter(|&(_, c)| gsm7_septets(c).is_none())
        .map(|(i, ch)| ForcedUcs2 {
            ch,
            span: i..i + ch.len_utf8(),
            replacement: gsm_replacement(ch),
        })
        .collect()
}

/// `body` with every character that has a GSM-7 stand-in replaced by it: curly quotes
/// become straight ones, dashes hyphens, an ellipsis three dots, unusual spaces plain
/// ones. Characters without a stand-in (emoji, most letters of other scripts) stay, so the
/// result is GSM-7 only when all of them had one.
///
/// Letters are never changed: "está" and "esta" are different words.
///
/// ```
/// use casewire_lint::gsm_safe;
///
/// assert_eq!(gsm_safe("It’s “done” — see you…"), "It's \"done\" - see you...");
/// ```
pub fn gsm_safe(body: &str) -> String {
    if body.chars().all(|c| gsm7_septets(c).is_some()) {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    for c in body.chars() {
        match (gsm7_septets(c), gsm_replacement(c)) {
            (None, Some(replacement)) => out.push_str(replacement),
            _ => out.push(c),
        }
    }
    out
}

/// Printable ASCII in code point order, so a one-character `&'static str` can be sliced
/// out of it.
const PRINTABLE_ASCII: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// The GSM-7 stand-in for a character outside GSM-7, if it has a faithful one. Every
/// stand-in is itself GSM-7 (possibly empty, for invisible characters).
///
/// ```
/// use casewire_lint::gsm_replacement;
///
/// assert_eq!(gsm_replacement('’'), Some("'"));
/// assert_eq!(gsm_replacement('…'), Some("..."));
/// assert_eq!(gsm_replacement('😀'), None);
/// ```
pub fn gsm_replacement(c: char) -> Option<&'static str> {
    let replacement = match c {
        '`' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}'
        | '\u{2039}' | '\u{203A}' | '\u{00B4}' | '\u{02B9}' | '\u{02BB}' | '\u{02BC}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}'
        | '\u{00AB}' | '\u{00BB}' | '\u{02BA}' | '\u{301D}' | '\u{301E}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => "-",
        // Bullets, so a pasted list stays a list.
        '\u{2022}' | '\u{2023}' | '\u{2043}' | '\u{2219}' | '\u{25AA}' | '\u{25CF}'
        | '\u{25E6}' | '\u{00B7}' => "-",
        '\u{2026}' => "...",
        '\u{2025}' => "..",
        '\t'
        | '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => " ",
        // Invisible characters that word processors and web pages leave behind.
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' => "",
        '\u{0085}' | '\u{2028}' | '\u{2029}' => "\n",
        '\u{00A9}' => "(c)",
        '\u{00AE}' => "(R)",
        '\u{2122}' => "TM",
        '\u{2116}' => "No.",
        '\u{00D7}' => "x",
        '\u{00F7}' | '\u{2044}' | '\u{2215}' => "/",
        '\u{00B1}' => "+/-",
        '\u{00BC}' => "1/4",
        '\u{00BD}' => "1/2",
        '\u{00BE}' => "3/4",
        '\u{2153}' => "1/3",
        '\u{2154}' => "2/3",
        '\u{2190}' => "<-",
        '\u{2192}' => "->",
        '\u{2264}' => "<=",
        '\u{2265}' => ">=",
        '\u{3001}' => ",",
        '\u{3002}' => ".",
        // Fullwidth forms of printable ASCII sit 0xFEE0 above it.
        '\u{FF40}' => "'",
        '\u{FF01}'..='\u{FF5E}' => {
            let index = (c as usize) - 0xFF01 + 1;
            return PRINTABLE_ASCII.get(index..=index);
        }
        _ => return None,
    };
    Some(replacement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(body: &str) -> (Encoding, u32, u32) {
        let (encoding, s) = segments(body);
        (encoding, s.count, s.units)
    }

    #[test]
    fn segment_counts_match_what_carriers_bill() {
        let a = |n| "a".repeat(n);
        let han = |n| "中".repeat(n);
        let cases: &[(&str, String, Encoding, u32, u32)] = &[
            (
                "an empty body is no segment",
                String::new(),
                Encoding::Gsm7,
                0,
                0,
            ),
            (
                "160 GSM-7 letters fit one segment",
                a(160),
                Encoding::Gsm7,
                1,
                160,
            ),
            ("161 GSM-7 letters take two", a(161), Encoding::Gsm7, 2, 161),
            (
                "153 twice fills two split segments",
                a(306),
                Encoding::Gsm7,
                2,
                306,
            ),
            ("one more opens a third", a(307), Encoding::Gsm7, 3, 307),
            ("é is GSM-7", "é".repeat(160), Encoding::Gsm7, 1, 160),
            (
                "80 euro signs are 160 septets",
                "€".repeat(80),
                Encoding::Gsm7,
                1,
                160,
            ),
            (
                "81 euro signs are 162 septets",
                "€".repeat(81),
                Encoding::Gsm7,
                2,
                162,
            ),
            (
                "70 Han characters fit one segment",
                han(70),
                Encoding::Ucs2,
                1,
                70,
            ),
            ("71 take two", han(71), Encoding::Ucs2, 2, 71),
            (
                "67 twice fills two split segments",
                han(134),
                Encoding::Ucs2,
                2,
                134,
            ),
            ("one more opens a third", han(135), Encoding::Ucs2, 3, 135),
            (
                "35 emoji are 70 code units",
                "😀".repeat(35),
                Encoding::Ucs2,
                1,
                70,
            ),
            ("36 emoji are 72", "😀".repeat(36), Encoding::Ucs2, 2, 72),
        ];
        for (sentence, body, encoding, segments, units) in cases {
            assert_eq!(count(body), (*encoding, *segments, *units), "{sentence}");
        }
    }

    #[test]
    fn an_escape_pair_is_never_split_across_segments() {
        // 152 letters and a brace are 154 septets: still one 160-septet segment.
        let body = format!("{}{{", "a".repeat(152));
        assert_eq!(count(&body), (Encoding::Gsm7, 1, 154));
        // Past 160 the brace's escape pair would straddle septets 153 and 154 of the first
        // segment, so it opens the second; the first carries only 152.
        let body = format!("{}{{{}", "a".repeat(152), "a".repeat(7));
        assert_eq!(count(&body), (Encoding::Gsm7, 2, 161));
        // 306 septets fit two split segments only if the pair is cut: three segments.
        let body = format!("{}{{{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(count(&body), (Encoding::Gsm7, 3, 306));
        // The same 306 septets with the pair away from the boundary fill exactly two.
        let body = format!("{}{{", "a".repeat(304));
        assert_eq!(count(&body), (Encoding::Gsm7, 2, 306));
    }

    #[test]
    fn an_emoji_at_a_segment_boundary_moves_to_the_next_segment() {
        // 66 Han characters, an emoji, 66 more: 134 code units, which two 67-unit segments
        // could hold only by splitting the surrogate pair.
        let body = format!("{}😀{}", "中".repeat(66), "中".repeat(66));
        assert_eq!(count(&body), (Encoding::Ucs2, 3, 134));
        let body = format!("{}😀{}", "中".repeat(65), "中".repeat(67));
        assert_eq!(count(&body), (Encoding::Ucs2, 2, 134));
    }

    #[test]
    fn one_character_outside_gsm7_makes_the_whole_message_ucs2() {
        let body = format!("{}’", "a".repeat(69));
        assert_eq!(count(&body), (Encoding::Ucs2, 1, 70));
        let body = format!("{}’", "a".repeat(70));
        assert_eq!(count(&body), (Encoding::Ucs2, 2, 71));
    }

    #[test]
    fn segments_report_the_capacity_that_applies() {
        assert_eq!(segments("hi").1.per_segment, 160);
        assert_eq!(segments(&"a".repeat(200)).1.per_segment, 153);
        assert_eq!(segments("hi 😀").1.per_segment, 70);
        assert_eq!(segments(&"😀".repeat(50)).1.per_segment, 67);
        assert_eq!(segments("😀€").1.chars, 2);
    }

    #[test]
    fn the_gsm7_alphabet_is_the_3gpp_default_alphabet() {
        let basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        assert_eq!(
            basic.chars().count(),
            127,
            "128 code points less the escape"
        );
        for c in basic.chars() {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?} is in the default alphabet");
        }
        for c in "^{}\\[~]|€\u{0C}".chars() {
            assert_eq!(gsm7_septets(c), Some(2), "{c:?} is in the extension table");
        }
        let gsm: Vec<char> = basic.chars().chain("^{}\\[~]|€\u{0C}".chars()).collect();
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            if !gsm.contains(&c) {
                assert_eq!(gsm7_septets(c), None, "{c:?} is not GSM-7");
            }
        }
    }

    #[test]
    fn every_replacement_is_gsm7_and_replaces_only_non_gsm7_characters() {
        let mut replaceable = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if let Some(replacement) = gsm_replacement(c) {
                replaceable += 1;
                assert_eq!(gsm7_septets(c), None, "{c:?} needs no replacement");
                assert!(
                    replacement.chars().all(|r| gsm7_septets(r).is_some()),
                    "{c:?} → {replacement:?} is GSM-7"
                );
            }
        }
        assert!(replaceable > 100);
    }

    #[test]
    fn common_word_processor_characters_have_stand_ins() {
        let cases = [
            ('‘', "'"),
            ('’', "'"),
            ('“', "\""),
            ('”', "\""),
            ('–', "-"),
            ('—', "-"),
            ('…', "..."),
            ('\u{00A0}', " "),
            ('\u{2009}', " "),
            ('•', "-"),
            ('\u{200B}', ""),
            ('\t', " "),
            ('`', "'"),
            ('Ａ', "A"),
            ('１', "1"),
            ('～', "~"),
            ('｀', "'"),
            ('！', "!"),
        ];
        for (c, replacement) in cases {
            assert_eq!(gsm_replacement(c), Some(replacement), "{c:?}");
        }
    }

    #[test]
    fn letters_of_other_alphabets_are_left_alone() {
        for c in ['á', 'í', 'ó', 'ú', 'ç', 'ã', 'ő', 'Ж', '中', '😀'] {
            assert_eq!(gsm_replacement(c), None, "{c:?}");
        }
        assert_eq!(gsm_safe("María — está"), "María - está");
    }

    #[test]
    fn forced_ucs2_names_each_offending_character_and_its_place() {
        let body = "It’s 😀";
        assert_eq!(
            forced_ucs2(body),
            vec![
                ForcedUcs2 {
                    ch: '’',
                    span: 2..5,
                    replacement: Some("'")
                },
                ForcedUcs2 {
                    ch: '😀',
                    span: 7..11,
                    replacement: None
                },
            ]
        );
        assert!(forced_ucs2("Plain GSM-7 text: €5 {ok}").is_empty());
    }

    #[test]
    fn gsm_safe_leaves_gsm7_text_untouched() {
        let body = "Hearing on 5/5 at 9:00 — bring ID.";
        assert_eq!(gsm_safe(body), "Hearing on 5/5 at 9:00 - bring ID.");
        assert_eq!(gsm_safe("Déjà vu {€}"), "Déjà vu {€}");
    }
}
