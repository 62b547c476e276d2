//! Links in free text, with or without a scheme, and the public URL shorteners carriers
//! filter.
//!
//! Staff type links the way people say them ("bit.ly/x", "example.com/pay"), so a link
//! need not start with `https://`. Without a scheme a dotted word is a link only when it
//! ends in a plausible top-level domain, so "Mr.Smith", "file.pdf" and "11 U.S.C." are not.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::LazyLock;

use linkify::{LinkFinder, LinkKind};
use url::{Host, Url};

/// A link found in a message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Where the link is, in bytes of the text it was found in.
    pub span: Range<usize>,
    /// The link parsed; `https://` is assumed when the text had no scheme.
    pub url: Url,
    /// The host, lowercase (an internationalised name in its `xn--` form).
    pub host: String,
    /// Whether the text spelled out the scheme (`https://…`).
    pub had_scheme: bool,
}

impl Link {
    /// The link as compared for repetition: host, port, path, query and fragment, without
    /// the scheme and without a trailing slash, so `https://Example.com/a/` and
    /// `example.com/a` are the same link.
    pub fn normalized(&self) -> String {
        let mut key = String::with_capacity(self.host.len() + self.url.path().len());
        key.push_str(&self.host);
        if let Some(port) = self.url.port() {
            // Writing to a String cannot fail.
            let _ = write!(key, ":{port}");
        }
        key.push_str(self.url.path());
        if let Some(query) = self.url.query() {
            key.push('?');
            key.push_str(query);
        }
        if let Some(fragment) = self.url.fragment() {
            key.push('#');
            key.push_str(fragment);
        }
        while key.ends_with('/') {
            key.pop();
        }
        key
    }

    /// The public URL shortener this link goes through, if any (see [`public_shortener`]).
    pub fn shortener(&self) -> Option<&'static str> {
        public_shortener(&self.host)
    }
}

static FINDER: LazyLock<LinkFinder> = LazyLock::new(|| {
    let mut finder = LinkFinder::new();
    finder
        .url_must_have_scheme(false)
        // ASCII-only domains: otherwise a curly quote before "bit.ly" joins the domain.
        .url_can_be_iri(false)
        .kinds(&[LinkKind::Url]);
    finder
});

/// Every web link in `text`, in order. Email addresses are not links; trailing
/// punctuation (a full stop, a closing parenthesis or quote) is not part of one.
///
/// ```
/// use casewire_lint::links;
///
/// let found = links("Pay at www.example.com/pay or bit.ly/x. Questions: jane@example.com");
/// let hosts: Vec<&str> = found.iter().map(|link| link.host.as_str()).collect();
/// assert_eq!(hosts, ["www.example.com", "bit.ly"]);
/// assert!(!found[0].had_scheme);
/// ```
pub fn links(text: &str) -> Vec<Link> {
    FINDER
        .links(text)
        .filter_map(|found| parse(text, found.start()..found.end()))
        .collect()
}

fn parse(text: &str, span: Range<usize>) -> Option<Link> {
    let raw = text.get(span.clone())?;
    // A link cut short by a non-ASCII letter ("https://café.com" found as "https://caf")
    // is not the link the writer meant.
    let rest = text.get(span.end..)?;
    if rest.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    let had_scheme = has_scheme(raw);
    let url = if had_scheme {
        let url = Url::parse(raw).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        url
    } else {
        let url = Url::parse(&format!("https://{raw}")).ok()?;
        match url.host() {
            Some(Host::Domain(domain)) if plausible_bare_domain(domain) => {}
            _ => return None,
        }
        url
    };
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(Link {
        span,
        url,
        host,
        had_scheme,
    })
}

fn has_scheme(raw: &str) -> bool {
    raw.find("://").is_some_and(|end| {
        end > 0
            && raw[..end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Top-level domains common enough that a bare "name.tld" is taken for a link. Two-letter
/// country domains are accepted wholesale; longer ones must be listed, so that "Mr.Smith"
/// or "file.pdf" stay words.
const BARE_TLDS: &[&str] = &[
    "app", "attorney", "biz", "blog", "cloud", "com", "dev", "edu", "email", "gov", "help", "info",
    "law", "lawyer", "legal", "link", "live", "mobi", "net", "news", "online", "org", "page",
    "pro", "site", "store", "tech", "today", "website", "xyz",
];

fn plausible_bare_domain(domain: &str) -> bool {
    if domain.starts_with("www.") {
        return true;
    }
    let tld = domain
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or("");
    (tld.len() == 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        || tld.starts_with("xn--")
        || BARE_TLDS
            .iter()
            .any(|known| tld.eq_ignore_ascii_case(known))
}

/// Public URL shorteners: anyone can make a link on them, so spammers do, and carriers
/// filter texts that carry them. T-Mobile's code of conduct expects a branded domain.
pub const URL_SHORTENERS: &[&str] = &[
    "0rz.tw",
    "adf.ly",
    "bit.do",
    "bit.ly",
    "bitly.com",
    "bl.ink",
    "buff.ly",
    "clck.ru",
    "cli.gs",
    "cutt.ly",
    "cutt.us",
    "dlvr.it",
    "gg.gg",
    "goo.gl",
    "ift.tt",
    "is.gd",
    "j.mp",
    "lnkd.in",
    "ow.ly",
    "po.st",
    "qr.net",
    "qrco.de",
    "rb.gy",
    "rebrand.ly",
    "s.id",
    "short.gy",
    "shorte.st",
    "shorturl.at",
    "snip.ly",
    "soo.gd",
    "t.co",
    "t.ly",
    "t2m.io",
    "tiny.cc",
    "tiny.one",
    "tinyurl.com",
    "tr.im",
    "u.to",
    "v.gd",
    "x.co",
];

/// The public URL shortener `host` belongs to, matching the shortener's domain and its
/// subdomains, case-insensitively.
///
/// ```
/// use casewire_lint::public_shortener;
///
/// assert_eq!(public_shortener("WWW.Bit.ly"), Some("bit.ly"));
/// assert_eq!(public_shortener("microsoft.co"), None);
/// ```
pub fn public_shortener(host: &str) -> Option<&'static str> {
    let host = host.trim_end_matches('.');
    URL_SHORTENERS.iter().copied().find(|shortener| {
        let Some(prefix_len) = host.len().checked_sub(shortener.len()) else {
            return false;
        };
        let (prefix, tail) = (host.get(..prefix_len), host.get(prefix_len..));
        tail.is_some_and(|tail| tail.eq_ignore_ascii_case(shortener))
            && prefix.is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link as (text found, host, whether it had a scheme).
    type Found<'a> = (&'a str, &'a str, bool);

    fn found(text: &str) -> Vec<(&str, String, bool)> {
        links(text)
            .into_iter()
            .map(|link| (&text[link.span.clone()], link.host, link.had_scheme))
            .collect()
    }

    #[test]
    fn links_are_found_with_or_without_a_scheme() {
        let cases: &[(&str, &[Found<'_>])] = &[
            (
                "Pay at https://example.com/pay",
                &[("https://example.com/pay", "example.com", true)],
            ),
            ("See bit.ly/x.", &[("bit.ly/x", "bit.ly", false)]),
            (
                "(see www.example.com/a)",
                &[("www.example.com/a", "www.example.com", false)],
            ),
            ("example.com", &[("example.com", "example.com", false)]),
            (
                "Go to EXAMPLE.COM/Pay!",
                &[("EXAMPLE.COM/Pay", "example.com", false)],
            ),
            ("“bit.ly/abc”", &[("bit.ly/abc", "bit.ly", false)]),
            ("bit.ly/abc…", &[("bit.ly/abc", "bit.ly", false)]),
            (
                "http://Example.org:8080/x",
                &[("http://Example.org:8080/x", "example.org", true)],
            ),
            (
                "a.b and c.d/e at court.uscourts.gov",
                &[("court.uscourts.gov", "court.uscourts.gov", false)],
            ),
        ];
        for (text, expected) in cases {
            let expected: Vec<_> = expected
                .iter()
                .map(|(raw, host, scheme)| (*raw, (*host).to_owned(), *scheme))
                .collect();
            assert_eq!(found(text), expected, "{text}");
        }
    }

    #[test]
    fn words_with_dots_are_not_links() {
        for text in [
            "Mr.Smith will call",
            "Open file.pdf",
            "11 U.S.C. § 362 and Fed.R.Bankr.P. 2002",
            "Bankr.D.Del. No.24-12345",
            "at 9.30 a.m., e.g. tomorrow",
            "Call 555.123.4567",
            "1.2.3.4",
            "Email jane@example.com",
            "ftp://example.com/file",
            "https://café.com",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn repeated_links_compare_without_scheme_case_or_trailing_slash() {
        let a = &links("https://Example.com/Pay/")[0];
        let b = &links("example.com/Pay")[0];
        let c = &links("example.com/pay")[0];
        assert_eq!(a.normalized(), "example.com/Pay");
        assert_eq!(a.normalized(), b.normalized());
        assert_ne!(b.normalized(), c.normalized(), "paths are case-sensitive");
        assert_eq!(links("example.com")[0].normalized(), "example.com");
        assert_eq!(
            links("example.com:8443/a?b=1#c")[0].normalized(),
            "example.com:8443/a?b=1#c"
        );
    }

    #[test]
    fn shorteners_match_their_domain_and_subdomains_only() {
        let cases = [
            ("bit.ly", Some("bit.ly")),
            ("www.bit.ly", Some("bit.ly")),
            ("BIT.LY", Some("bit.ly")),
            ("bit.ly.", Some("bit.ly")),
            ("t.co", Some("t.co")),
            ("microsoft.co", None),
            ("rabbit.ly", None),
            ("tinyurl.com", Some("tinyurl.com")),
            ("mytinyurl.com", None),
            ("example.com", None),
            ("", None),
        ];
        for (host, expected) in cases {
            assert_eq!(public_shortener(host), expected, "{host}");
        }
    }
}
