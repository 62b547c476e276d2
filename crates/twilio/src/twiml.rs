//! TwiML answers to Twilio's incoming-message webhook: nothing, or one reply text.

/// The TwiML document answering an incoming-message webhook: an empty `<Response>`
/// when Casewire has nothing to say (Twilio then sends nothing), or one `<Message>`
/// with `reply` as its text.
///
/// The text is XML-escaped (`&`, `<`, `>`, `"`, `'`), and characters XML 1.0 forbids
/// (control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF)
/// are dropped, since Twilio would refuse the whole document for them.
///
/// ```
/// use casewire_twilio::twiml_message;
///
/// assert_eq!(
///     twiml_message(None),
///     r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
/// );
/// assert_eq!(
///     twiml_message(Some("Smith & Lee: you're unsubscribed")),
///     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Smith &amp; Lee: you&apos;re unsubscribed</Message></Response>"#
/// );
/// ```
pub fn twiml_message(reply: Option<&str>) -> String {
    const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
    let Some(text) = reply else {
        return format!("{DECLARATION}<Response></Response>");
    };
    let mut document = String::with_capacity(DECLARATION.len() + text.len() + 40);
    document.push_str(DECLARATION);
    document.push_str("<Response><Message>");
    for c in text.chars() {
        match c {
            '&' => document.push_str("&amp;"),
            '<' => document.push_str("&lt;"),
            '>' => document.push_str("&gt;"),
            '"' => document.push_str("&quot;"),
            '\'' => document.push_str("&apos;"),
            '\t' | '\n' | '\r' => document.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {}
            c => document.push(c),
        }
    }
    document.push_str("</Message></Response>");
    document
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

    fn message(inner: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>{inner}</Message></Response>"#
        )
    }

    #[test]
    fn no_reply_is_an_empty_response() {
        assert_eq!(twiml_message(None), EMPTY);
    }

    #[test]
    fn a_reply_is_one_escaped_message() {
        let cases = [
            ("Thanks, we got it.", "Thanks, we got it."),
            ("a & b", "a &amp; b"),
            ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
            (r#"say "STOP""#, "say &quot;STOP&quot;"),
            ("it's", "it&apos;s"),
            ("line one\nline two", "line one\nline two"),
            ("bell\u{7}nul\u{0}", "bellnul"),
            ("Sí, mañana 👍", "Sí, mañana 👍"),
            ("", ""),
        ];
        for (reply, inner) in cases {
            assert_eq!(twiml_message(Some(reply)), message(inner), "{reply:?}");
        }
    }

    proptest! {
        #[test]
        fn a_reply_cannot_break_out_of_its_message(reply in "\\PC{0,60}|[<>&\"'\\x00-\\x1f]{0,20}") {
            let document = twiml_message(Some(&reply));
            let inner = document
                .strip_prefix(&message("")[..message("").find("</Message>").unwrap()])
                .and_then(|rest| rest.strip_suffix("</Message></Response>"))
                .unwrap();
            prop_assert!(!inner.contains('<') && !inner.contains('>'));
            prop_assert!(!inner.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r') && c < ' '));
        }
    }
}
