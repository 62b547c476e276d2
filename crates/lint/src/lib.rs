//! Casewire's message linter: what a text will cost and what might get it filtered,
//! worked out as staff type it and again before every send.
//!
//! [`lint`] reads a message body and returns a [`Report`]: the alphabet the body travels
//! in and the segments it costs ([`segments`]), the characters that forced the costly
//! UCS-2 alphabet ([`ForcedUcs2`]), and [`Finding`]s — empty or over-long bodies, public URL
//! shorteners, repeated links, shouting, SHAFT content and debt-relief wording that
//! carriers and campaign reviewers act on. Each finding's code, severity and advice are
//! listed in `docs/LINT.md`.
//!
//! Everything here is a pure function of its arguments: no IO, no clock, no errors.
//! Findings are values; whether a warning blocks a send is the caller's policy (only
//! [`Severity::Error`] means Twilio would refuse the body).
//!
//! ```
//! use casewire_lint::{Code, Encoding, LintOptions, lint};
//!
//! let report = lint("Your 341 meeting is May 5 at 9 am. Details: bit.ly/x", &LintOptions::default());
//! assert_eq!(report.encoding, Encoding::Gsm7);
//! assert_eq!(report.segments.count, 1);
//! assert!(report.findings.iter().any(|finding| finding.code == Code::ShortenedLink));
//! assert!(!report.has_errors());
//! ```

mod encoding;
mod finding;
mod links;
mod rules;

use serde::Serialize;

pub use encoding::{
    Encoding, ForcedUcs2, Segments, forced_ucs2, gsm_replacement, gsm_safe, gsm7_septets, segments,
};
pub use finding::{Code, Finding, Severity};
pub use links::{Link, URL_SHORTENERS, links, public_shortener};

/// What the linter needs besides the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions<'a> {
    /// Recent texts of the same conversation, newest first or last (order does not
    /// matter), so that a link sent again can be flagged.
    pub recent_messages: &'a [&'a str],
}

/// Everything the linter worked out about one body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The alphabet the body is sent in.
    pub encoding: Encoding,
    /// What it costs in segments.
    pub segments: Segments,
    /// What staff should know, ordered by position in the body.
    pub findings: Vec<Finding>,
    /// Each character that made the body UCS-2; empty for GSM-7.
    pub forced_ucs2: Vec<ForcedUcs2>,
}

impl Report {
    /// Whether any finding means Twilio would refuse the body.
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Error)
    }

    /// Whether any finding is a warning (a risk of filtering or an avoidable cost).
    pub fn has_warnings(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Warning)
    }
}

/// Lints one message body.
///
/// Runs on every keystroke, so it does the least it can: one pass for the encoding, one
/// link scan of the body and of each recent message, and regexes compiled once per
/// process.
pub fn lint(body: &str, options: &LintOptions<'_>) -> Report {
    let (encoding, segments) = segments(body);
    let forced_ucs2 = forced_ucs2(body);
    let found_links = links(body);

    let mut findings = Vec::new();
    rules::length::check(body, &mut findings);
    rules::charset::check(body, &segments, &forced_ucs2, &mut findings);
    rules::link::check(body, &found_links, options.recent_messages, &mut findings);
    rules::style::check(body, &mut findings);
    rules::wording::check(body, &mut findings);
    findings.sort_by_key(|finding| (finding.span.start, finding.severity, finding.code));

    Report {
        encoding,
        segments,
        findings,
        forced_ucs2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_reminder_has_nothing_to_say() {
        let report = lint(
            "Hi Maria, your 341 meeting of creditors is on May 5 at 9:00 am by phone. \
             Call us at (415) 555-0134 with questions. - Smith Law",
            &LintOptions::default(),
        );
        assert_eq!(report.findings, vec![]);
        assert_eq!(report.encoding, Encoding::Gsm7);
        assert_eq!(report.segments.count, 1);
        assert!(!report.has_errors());
        assert!(!report.has_warnings());
    }

    #[test]
    fn only_an_unsendable_body_has_errors() {
        assert!(lint("", &LintOptions::default()).has_errors());
        assert!(lint(&"a".repeat(1601), &LintOptions::default()).has_errors());
        let risky = lint("DEBT RELIEF NOW!!! bit.ly/x 😀", &LintOptions::default());
        assert!(!risky.has_errors());
        assert!(risky.has_warnings());
    }

    #[test]
    fn findings_are_ordered_by_where_they_are() {
        let report = lint("Debt relief!! See bit.ly/x", &LintOptions::default());
        let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "debt-relief-wording",
                "exclamation-run",
                "shortened-link",
                "link-without-scheme"
            ]
        );
    }

    #[test]
    fn every_code_is_documented_in_lint_md() {
        let docs = include_str!("../../../docs/LINT.md");
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("| `{}` |", code.as_str())),
                "{code} has a row in docs/LINT.md"
            );
        }
    }

    #[test]
    fn the_report_serialises_with_stable_names() {
        let report = lint("It’s bit.ly/x!!", &LintOptions::default());
        let json = serde_json::to_string(&report).expect("a report serialises");
        for needle in [
            "\"encoding\":\"ucs2\"",
            "\"code\":\"ucs2-encoding\"",
            "\"severity\":\"info\"",
            "\"code\":\"shortened-link\"",
            "\"severity\":\"warning\"",
            "\"replacement\":\"'\"",
            "\"span\":{\"start\":2,\"end\":5}",
        ] {
            assert!(json.contains(needle), "{needle} in {json}");
        }
    }
}
