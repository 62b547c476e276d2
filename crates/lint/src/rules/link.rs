//! Links: public URL shorteners, the same link sent again, links without a scheme.

use crate::links::{Link, links};
use crate::{Code, Finding, Severity};

pub(crate) fn check(body: &str, found: &[Link], recent_messages: &[&str], out: &mut Vec<Finding>) {
    if found.is_empty() {
        return;
    }
    let recent: Vec<String> = recent_messages
        .iter()
        .flat_map(|message| links(message))
        .map(|link| link.normalized())
        .collect();
    let keys: Vec<String> = found.iter().map(Link::normalized).collect();

    for (index, link) in found.iter().enumerate() {
        let text = body.get(link.span.clone()).unwrap_or_default();
        if let Some(shortener) = link.shortener() {
            out.push(Finding::new(
                Code::ShortenedLink,
                Severity::Warning,
                link.span.clone(),
                format!(
                    "{shortener} links are often filtered as spam by carriers — use the full \
                     link on your own domain."
                ),
            ));
        }
        let key = &keys[index];
        if recent.contains(key) {
            out.push(Finding::new(
                Code::RepeatedLink,
                Severity::Warning,
                link.span.clone(),
                "This link was already sent in this conversation. The same link texted \
                 again and again looks like a campaign to carrier filters; refer to the \
                 earlier text instead.",
            ));
        } else if keys[..index].contains(key) {
            out.push(Finding::new(
                Code::RepeatedLink,
                Severity::Warning,
                link.span.clone(),
                "This link appears twice in the message; once is enough.",
            ));
        }
        if !link.had_scheme {
            out.push(
                Finding::new(
                    Code::LinkWithoutScheme,
                    Severity::Info,
                    link.span.clone(),
                    "Some phones only make a link tappable when it starts with https://.",
                )
                .suggest(format!("https://{text}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{flagged, flagged_text, flagged_with};
    use crate::{Code, LintOptions};

    #[test]
    fn public_url_shorteners_are_flagged() {
        let cases: &[(&str, &[&str])] = &[
            ("Sign here: https://bit.ly/3abc", &["https://bit.ly/3abc"]),
            ("Sign here: bit.ly/3abc.", &["bit.ly/3abc"]),
            (
                "See www.bit.ly/x and TinyURL.com/y",
                &["www.bit.ly/x", "TinyURL.com/y"],
            ),
            (
                "https://t.co/x, is.gd/y, rb.gy/z, cutt.ly/w",
                &["https://t.co/x", "is.gd/y", "rb.gy/z", "cutt.ly/w"],
            ),
            ("Sign at https://smithlaw.com/sign", &[]),
            ("Visit microsoft.co or rabbit.ly", &[]),
        ];
        for (body, expected) in cases {
            assert_eq!(flagged_text(body, Code::ShortenedLink), *expected, "{body}");
        }
        let (_, finding) = &flagged("bit.ly/x", Code::ShortenedLink)[0];
        assert!(
            finding
                .message
                .starts_with("bit.ly links are often filtered")
        );
    }

    #[test]
    fn the_same_link_twice_in_a_message_is_flagged_the_second_time() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Pay at smithlaw.com/pay. Again: https://SmithLaw.com/pay/",
                &["https://SmithLaw.com/pay/"],
            ),
            ("smithlaw.com/a and smithlaw.com/b", &[]),
            (
                "smithlaw.com/a smithlaw.com/a smithlaw.com/a",
                &["smithlaw.com/a", "smithlaw.com/a"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(flagged_text(body, Code::RepeatedLink), *expected, "{body}");
        }
    }

    #[test]
    fn a_link_already_sent_in_the_thread_is_flagged() {
        let recent = [
            "Upload your pay stubs at https://smithlaw.com/upload",
            "Thanks!",
        ];
        let options = LintOptions {
            recent_messages: &recent,
        };
        let found = flagged_with(
            "Reminder: smithlaw.com/upload/",
            &options,
            Code::RepeatedLink,
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].1.message.contains("already sent"));
        assert!(flagged_with("See smithlaw.com/calendar", &options, Code::RepeatedLink).is_empty());
    }

    #[test]
    fn a_link_without_https_gets_it_suggested() {
        let found = flagged("Pay at smithlaw.com/pay today", Code::LinkWithoutScheme);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "smithlaw.com/pay");
        assert_eq!(
            found[0].1.suggestion.as_deref(),
            Some("https://smithlaw.com/pay")
        );
        assert!(flagged("Pay at https://smithlaw.com/pay", Code::LinkWithoutScheme).is_empty());
    }

    #[test]
    fn email_addresses_are_not_links() {
        let body = "Email jane@smithlaw.com or jane@bit.ly";
        for code in [
            Code::ShortenedLink,
            Code::LinkWithoutScheme,
            Code::RepeatedLink,
        ] {
            assert!(flagged(body, code).is_empty(), "{code}");
        }
    }
}
