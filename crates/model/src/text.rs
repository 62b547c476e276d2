//! Small helpers for free text that has to be non-empty and bounded.

use thiserror::Error;

/// Why a piece of free text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// The text was empty or only whitespace.
    #[error("must not be empty")]
    Empty,
    /// The text was longer than allowed.
    #[error("must be at most {max} characters, got {len}")]
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// The text contained a control character (a newline in a name, say).
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trims `input` and checks it is non-empty, at most `max` characters and free of control
/// characters. Returns the trimmed text.
pub fn bounded_text(input: &str, max: usize) -> Result<String, TextError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(TextError::TooLong { max, len });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(bounded_text("  Jane ", 10).unwrap(), "Jane");
        assert_eq!(bounded_text("   ", 10), Err(TextError::Empty));
        assert_eq!(
            bounded_text("abcdef", 3),
            Err(TextError::TooLong { max: 3, len: 6 })
        );
        assert_eq!(bounded_text("a\nb", 10), Err(TextError::ControlCharacter));
    }
}
