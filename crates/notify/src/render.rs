//! The reply-notification email: what staff read when a client texts back.

use std::fmt;

use casewire_model::{EmailAddress, PhoneNumber};
use chrono::DateTime;
use chrono_tz::Tz;

use crate::{Email, email::one_line};

/// What happened, for [`reply_notification`]: a text came in from a number, usually a
/// client on a case.
///
/// Every string is shown as given (and HTML-escaped in the HTML part). `Debug` leaves
/// out the client's name and the text.
#[derive(Clone, Copy)]
pub struct ReplyNotice<'a> {
    /// The firm's name, for the footer.
    pub firm_name: &'a str,
    /// The case number (`24-10345`). Empty when the number is on no case (the unmatched
    /// inbox).
    pub case_number: &'a str,
    /// The case's title, usually the debtors' names. Empty when on no case.
    pub case_title: &'a str,
    /// A link to the case (or to the inbox) in Casewire, built by the caller from the
    /// configured base URL. Only `http` and `https` links are made clickable.
    pub case_url: Option<&'a str>,
    /// The client who texted, if the number belongs to one.
    pub client_name: Option<&'a str>,
    /// The number the text came from.
    pub from_number: &'a PhoneNumber,
    /// The text itself.
    pub body: &'a str,
    /// When it arrived, already in the firm's time zone.
    pub received_at: DateTime<Tz>,
    /// How many pictures or files came with it.
    pub media_count: usize,
    /// Anything staff should know about how the text was filed, e.g. "This number is on
    /// two open cases; attached to the most recently active one." or "The client asked
    /// to stop texts (opt-out)."
    pub note: Option<&'a str>,
}

impl fmt::Debug for ReplyNotice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyNotice")
            .field("case_number", &self.case_number)
            .field("from_number", &self.from_number)
            .field("received_at", &self.received_at)
            .field("media_count", &self.media_count)
            .finish_non_exhaustive()
    }
}

/// Renders the email that tells the firm a client replied by text.
///
/// The subject names the client and the case ("Text from Maria Rivera — case
/// 24-10345"), or the number when the sender is unknown. The body quotes the text and
/// gives the time in the firm's zone ("Tue, Mar 10, 2026 at 9:31 AM CDT"), the number in
/// national format, the note and a link to the case. `message_id` should come from
/// [`Email::message_id_for`], keyed by the outbox entry.
pub fn reply_notification(
    notice: &ReplyNotice<'_>,
    to: EmailAddress,
    from: EmailAddress,
    message_id: String,
) -> Email {
    let content = Content::of(notice);
    Email {
        to,
        from,
        subject: one_line(&content.subject),
        text: content.text(),
        html: content.html(),
        message_id,
    }
}

/// The pieces of the email, in plain text, shared by both bodies.
struct Content {
    subject: String,
    headline: String,
    quote: String,
    details: Vec<(&'static str, String)>,
    note: Option<String>,
    link: Option<(String, bool)>,
    footer: String,
}

impl Content {
    fn of(n: &ReplyNotice<'_>) -> Self {
        let number = n.from_number.national();
        let case_number = n.case_number.trim();
        let case_title = n.case_title.trim();
        let on_case = !case_number.is_empty();
        let client = n.client_name.map(str::trim).filter(|s| !s.is_empty());

        let who = client.unwrap_or(&number);
        let subject = if on_case {
            format!("Text from {who} — case {case_number}")
        } else {
            format!("Text from {who} — not on any case")
        };
        let case = match (on_case, case_title.is_empty()) {
            (false, _) => None,
            (true, true) => Some(case_number.to_owned()),
            (true, false) => Some(format!("{case_number} ({case_title})")),
        };
        let case_label = case.as_ref().map(|case| format!("case {case}"));
        let headline = match (client, &case_label) {
            (Some(name), Some(case)) => format!("{name} texted about {case}."),
            (None, Some(case)) => format!("A text came from {number} on {case}."),
            (Some(name), None) => format!("{name} texted from {number}, which is on no case."),
            (None, None) => format!("A text came from {number}, which is on no case."),
        };

        let quote = if !n.body.trim().is_empty() {
            n.body.trim_end().to_owned()
        } else if n.media_count > 0 {
            "(no words, only pictures or files)".to_owned()
        } else {
            "(an empty text)".to_owned()
        };

        let mut details = vec![
            (
                "From",
                match client {
                    Some(name) => format!("{name}, {number}"),
                    None => number.clone(),
                },
            ),
            (
                "Received",
                n.received_at
                    .format("%a, %b %-d, %Y at %-I:%M %p %Z")
                    .to_string(),
            ),
        ];
        if let Some(case) = case {
            details.push(("Case", case));
        }
        match n.media_count {
            0 => {}
            1 => details.push((
                "Attached",
                "1 picture or file, shown in Casewire".to_owned(),
            )),
            count => details.push((
                "Attached",
                format!("{count} pictures or files, shown in Casewire"),
            )),
        }

        let note = n
            .note
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let link = n
            .case_url
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|url| {
                let lower = url.to_ascii_lowercase();
                let clickable = lower.starts_with("https://") || lower.starts_with("http://");
                (url.to_owned(), clickable)
            });
        let footer = format!(
            "Sent by Casewire for {}. Replying to this email does not text the client: \
             answer from the case in Casewire.",
            n.firm_name.trim()
        );

        Content {
            subject,
            headline,
            quote,
            details,
            note,
            link,
            footer,
        }
    }

    fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.headline);
        for line in self.quote.lines() {
            out.push_str(if line.is_empty() { ">" } else { "> " });
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        let width = self.details.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        for (label, value) in &self.details {
            out.push_str(&format!("{:<width$} {value}\n", format!("{label}:")));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("\nNote: {note}\n"));
        }
        if let Some((url, _)) = &self.link {
            out.push_str(&format!("\nOpen the case: {url}\n"));
        }
        out.push_str(&format!("\n-- \n{}\n", self.footer));
        out
    }

    fn html(&self) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n\
             <body style=\"font-family: sans-serif; line-height: 1.4\">\n",
        );
        out.push_str(&format!("<p>{}</p>\n", html_escape(&self.headline)));
        out.push_str(&format!(
            "<blockquote style=\"white-space: pre-wrap; margin: 0 0 1em 0; \
             padding-left: 12px; border-left: 3px solid #ccc\">{}</blockquote>\n",
            html_escape(&self.quote)
        ));
        out.push_str("<table>\n");
        for (label, value) in &self.details {
            out.push_str(&format!(
                "<tr><td style=\"color: #555; padding-right: 1em\">{label}</td><td>{}</td></tr>\n",
                html_escape(value)
            ));
        }
        out.push_str("</table>\n");
        if let Some(note) = &self.note {
            out.push_str(&format!(
                "<p><strong>Note:</strong> {}</p>\n",
                html_escape(note)
            ));
        }
        match &self.link {
            Some((url, true)) => out.push_str(&format!(
                "<p><a href=\"{}\">Open the case in Casewire</a></p>\n",
                html_escape(url)
            )),
            Some((url, false)) => {
                out.push_str(&format!("<p>Open the case: {}</p>\n", html_escape(url)));
            }
            None => {}
        }
        out.push_str(&format!(
            "<p style=\"color: #777; font-size: smaller\">{}</p>\n</body>\n</html>\n",
            html_escape(&self.footer)
        ));
        out
    }
}

/// Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`,
/// `"` and `'` become character references.
///
/// ```
/// assert_eq!(
///     casewire_notify::html_escape("<script>alert('hi')</script>"),
///     "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt;"
/// );
/// ```
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn number() -> PhoneNumber {
        PhoneNumber::parse_e164("+14155550134").unwrap()
    }

    fn notice(number: &PhoneNumber) -> ReplyNotice<'_> {
        ReplyNotice {
            firm_name: "Smith Law",
            case_number: "24-10345",
            case_title: "Maria Rivera",
            case_url: Some("https://casewire.smithlaw.com/cases/17"),
            client_name: Some("Maria Rivera"),
            from_number: number,
            body: "Can I bring my pay stubs on Friday?",
            received_at: chrono_tz::America::Chicago
                .with_ymd_and_hms(2026, 3, 10, 9, 31, 0)
                .unwrap(),
            media_count: 0,
            note: None,
        }
    }

    fn render(notice: &ReplyNotice<'_>) -> Email {
        reply_notification(
            notice,
            EmailAddress::parse("intake@smithlaw.com").unwrap(),
            EmailAddress::parse("notify@smithlaw.com").unwrap(),
            "<casewire-42@smithlaw.com>".to_owned(),
        )
    }

    #[test]
    fn the_subject_names_the_client_and_the_case() {
        let n = number();
        let email = render(&notice(&n));
        assert_eq!(email.subject, "Text from Maria Rivera — case 24-10345");
        assert_eq!(email.to.as_str(), "intake@smithlaw.com");
        assert_eq!(email.from.as_str(), "notify@smithlaw.com");
        assert_eq!(email.message_id, "<casewire-42@smithlaw.com>");
    }

    #[test]
    fn the_text_body_carries_the_text_time_number_and_link() {
        let n = number();
        let text = render(&notice(&n)).text;
        for want in [
            "Maria Rivera texted about case 24-10345 (Maria Rivera).",
            "> Can I bring my pay stubs on Friday?",
            "From:     Maria Rivera, (415) 555-0134",
            "Received: Tue, Mar 10, 2026 at 9:31 AM CDT",
            "Case:     24-10345 (Maria Rivera)",
            "Open the case: https://casewire.smithlaw.com/cases/17",
            "Sent by Casewire for Smith Law.",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(!text.contains("+14155550134"), "{text}");
        assert!(!text.contains("Note:"), "{text}");
    }

    #[test]
    fn the_time_is_shown_in_the_firms_zone() {
        let n = number();
        let instant = Utc.with_ymd_and_hms(2026, 1, 6, 17, 5, 0).unwrap();
        let cases = [
            (
                chrono_tz::America::Chicago,
                "Tue, Jan 6, 2026 at 11:05 AM CST",
            ),
            (
                chrono_tz::America::New_York,
                "Tue, Jan 6, 2026 at 12:05 PM EST",
            ),
            (
                chrono_tz::America::Los_Angeles,
                "Tue, Jan 6, 2026 at 9:05 AM PST",
            ),
        ];
        for (zone, want) in cases {
            let mut notice = notice(&n);
            notice.received_at = instant.with_timezone(&zone);
            let email = render(&notice);
            assert!(email.text.contains(want), "{zone}: {}", email.text);
            assert!(email.html.contains(want), "{zone}: {}", email.html);
        }
    }

    #[test]
    fn an_unknown_sender_is_named_by_number() {
        let n = number();
        let mut notice = notice(&n);
        notice.client_name = None;
        let email = render(&notice);
        assert_eq!(email.subject, "Text from (415) 555-0134 — case 24-10345");
        assert!(
            email
                .text
                .contains("A text came from (415) 555-0134 on case 24-10345 (Maria Rivera)."),
            "{}",
            email.text
        );
        assert!(
            email.text.contains("From:     (415) 555-0134\n"),
            "{}",
            email.text
        );
    }

    #[test]
    fn a_text_on_no_case_says_so() {
        let n = number();
        let mut notice = notice(&n);
        notice.client_name = None;
        notice.case_number = "";
        notice.case_title = "";
        notice.case_url = Some("https://casewire.smithlaw.com/inbox");
        let email = render(&notice);
        assert_eq!(email.subject, "Text from (415) 555-0134 — not on any case");
        assert!(
            email
                .text
                .contains("A text came from (415) 555-0134, which is on no case."),
            "{}",
            email.text
        );
        assert!(!email.text.contains("Case:"), "{}", email.text);
    }

    #[test]
    fn the_note_is_shown_in_both_parts() {
        let n = number();
        let mut notice = notice(&n);
        notice.note = Some("The client asked to stop texts (opt-out).");
        let email = render(&notice);
        assert!(
            email
                .text
                .contains("\nNote: The client asked to stop texts (opt-out).\n"),
            "{}",
            email.text
        );
        assert!(
            email
                .html
                .contains("<strong>Note:</strong> The client asked to stop texts (opt-out)."),
            "{}",
            email.html
        );
    }

    #[test]
    fn pictures_are_counted_and_a_picture_only_text_is_explained() {
        let n = number();
        let mut notice = notice(&n);
        notice.body = "";
        notice.media_count = 2;
        let text = render(&notice).text;
        assert!(
            text.contains("> (no words, only pictures or files)"),
            "{text}"
        );
        assert!(
            text.contains("Attached: 2 pictures or files, shown in Casewire"),
            "{text}"
        );
        notice.media_count = 1;
        let text = render(&notice).text;
        assert!(
            text.contains("Attached: 1 picture or file, shown in Casewire"),
            "{text}"
        );
    }

    #[test]
    fn a_multi_line_text_is_quoted_line_by_line() {
        let n = number();
        let mut notice = notice(&n);
        notice.body = "Yes.\n\nSee you Friday.\n";
        let text = render(&notice).text;
        assert!(text.contains("> Yes.\n>\n> See you Friday.\n\n"), "{text}");
    }

    #[test]
    fn the_html_part_escapes_everything_the_client_or_staff_typed() {
        let n = number();
        let mut notice = notice(&n);
        notice.client_name = Some("<b>Maria</b>");
        notice.case_title = "Rivera & \"Sons\"";
        notice.body = "<script>alert('x')</script>";
        notice.note = Some("<img src=x onerror=alert(1)>");
        notice.firm_name = "<i>Smith</i> Law";
        notice.case_url = Some("https://casewire.example.com/cases/17?a=1&b=\"2\"");
        let email = render(&notice);
        let html = &email.html;
        for raw in ["<script>", "<b>", "<img", "<i>", "\"2\""] {
            assert!(!html.contains(raw), "{raw:?} unescaped in\n{html}");
        }
        for escaped in [
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
            "&lt;b&gt;Maria&lt;/b&gt;",
            "Rivera &amp; &quot;Sons&quot;",
            "&lt;img src=x onerror=alert(1)&gt;",
            "href=\"https://casewire.example.com/cases/17?a=1&amp;b=&quot;2&quot;\"",
        ] {
            assert!(html.contains(escaped), "missing {escaped:?} in\n{html}");
        }
        // The text part is plain text: shown as typed.
        assert!(email.text.contains("> <script>alert('x')</script>"));
    }

    #[test]
    fn only_web_links_are_clickable() {
        let n = number();
        let mut notice = notice(&n);
        notice.case_url = Some("javascript:alert(1)");
        let html = render(&notice).html;
        assert!(!html.contains("href"), "{html}");
        assert!(
            html.contains("Open the case: javascript:alert(1)"),
            "{html}"
        );
        notice.case_url = None;
        let email = render(&notice);
        assert!(!email.html.contains("Open the case"), "{}", email.html);
        assert!(!email.text.contains("Open the case"), "{}", email.text);
    }

    #[test]
    fn a_name_with_a_line_break_stays_on_the_subject_line() {
        let n = number();
        let mut notice = notice(&n);
        notice.client_name = Some("Maria\r\nBcc: x@example.com");
        let subject = render(&notice).subject;
        assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    }

    #[test]
    fn debug_of_a_notice_leaves_out_the_client_and_the_text() {
        let n = number();
        let shown = format!("{:?}", notice(&n));
        assert!(shown.contains("24-10345"), "{shown}");
        assert!(!shown.contains("Rivera"), "{shown}");
        assert!(!shown.contains("pay stubs"), "{shown}");
        assert!(!shown.contains("5550134"), "{shown}");
    }

    #[test]
    fn escaping_covers_the_five_special_characters() {
        let cases = [
            ("plain", "plain"),
            ("a & b", "a &amp; b"),
            ("<script>", "&lt;script&gt;"),
            ("\"quoted\"", "&quot;quoted&quot;"),
            ("it's", "it&#39;s"),
            ("&amp;", "&amp;amp;"),
            ("café — ok", "café — ok"),
        ];
        for (input, want) in cases {
            assert_eq!(html_escape(input), want, "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_markup_left(input in "\\PC{0,60}") {
            let escaped = html_escape(&input);
            prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
            let unescaped = escaped
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            prop_assert_eq!(unescaped, input);
        }
    }
}
