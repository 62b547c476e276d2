//! The rules: each one reads the body (and what the linter already worked out about it)
//! and appends findings.

pub(crate) mod charset;
pub(crate) mod length;
pub(crate) mod link;
pub(crate) mod style;
pub(crate) mod wording;

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers shared by the rule tests.

    use crate::{Code, Finding, LintOptions, lint};

    /// The findings of `code` for `body`, as (flagged text, finding).
    pub(crate) fn flagged(body: &str, code: Code) -> Vec<(String, Finding)> {
        flagged_with(body, &LintOptions::default(), code)
    }

    /// Like [`flagged`], with options.
    pub(crate) fn flagged_with(
        body: &str,
        options: &LintOptions<'_>,
        code: Code,
    ) -> Vec<(String, Finding)> {
        lint(body, options)
            .findings
            .into_iter()
            .filter(|finding| finding.code == code)
            .map(|finding| (body[finding.span.clone()].to_owned(), finding))
            .collect()
    }

    /// Only the flagged text of each finding of `code`.
    pub(crate) fn flagged_text(body: &str, code: Code) -> Vec<String> {
        flagged(body, code)
            .into_iter()
            .map(|(text, _)| text)
            .collect()
    }
}
