//! Findings: what the linter says about a body, as values the editor and the send path act
//! on.

use std::fmt;
use std::ops::Range;

use serde::{Serialize, Serializer};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The message cannot be sent as it is.
    Error,
    /// The message can be sent, but risks filtering or costs more than it should.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The lowercase name, as serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about. Each code has a stable kebab-case name, documented with its
/// severity and advice in `docs/LINT.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The body is empty or only whitespace.
    EmptyBody,
    /// The body is longer than the 1,600 characters Twilio accepts.
    TooLong,
    /// The body is longer than the 320 characters Twilio recommends.
    LongMessage,
    /// A character outside GSM-7 sends the whole message as UCS-2.
    Ucs2Encoding,
    /// A link goes through a public URL shortener.
    ShortenedLink,
    /// A link appears twice in the message or was already sent in the thread.
    RepeatedLink,
    /// A link without `https://`.
    LinkWithoutScheme,
    /// Most of the text is in capital letters.
    AllCaps,
    /// Two or more exclamation marks in a row.
    ExclamationRun,
    /// Wording about sex, hate, alcohol, firearms, tobacco or cannabis.
    ShaftContent,
    /// Wording that reviewers read as debt relief, credit repair or debt collection.
    DebtReliefWording,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: &'static [Code] = &[
        Code::EmptyBody,
        Code::TooLong,
        Code::LongMessage,
        Code::Ucs2Encoding,
        Code::ShortenedLink,
        Code::RepeatedLink,
        Code::LinkWithoutScheme,
        Code::AllCaps,
        Code::ExclamationRun,
        Code::ShaftContent,
        Code::DebtReliefWording,
    ];

    /// The stable kebab-case name, as serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::EmptyBody => "empty-body",
            Code::TooLong => "too-long",
            Code::LongMessage => "long-message",
            Code::Ucs2Encoding => "ucs2-encoding",
            Code::ShortenedLink => "shortened-link",
            Code::RepeatedLink => "repeated-link",
            Code::LinkWithoutScheme => "link-without-scheme",
            Code::AllCaps => "all-caps",
            Code::ExclamationRun => "exclamation-run",
            Code::ShaftContent => "shaft-content",
            Code::DebtReliefWording => "debt-relief-wording",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One thing the linter noticed about a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub code: Code,
    /// How much it matters.
    pub severity: Severity,
    /// The text it is about, in bytes of the body; always on character boundaries.
    pub span: Range<usize>,
    /// A sentence for staff saying what is wrong and why.
    pub message: String,
    /// Text that could replace the span, when there is a mechanical fix.
    pub suggestion: Option<String>,
}

impl Finding {
    pub(crate) fn new(
        code: Code,
        severity: Severity,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity,
            span,
            message: message.into(),
            suggestion: None,
        }
    }

    pub(crate) fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }
}
