//! `X-Twilio-Signature`: how Twilio signs its webhooks, and checking that a request
//! really came from Twilio.
//!
//! The signature is `base64(HMAC-SHA1(auth token, url + params))`, where `url` is the
//! full URL Twilio called, query string included, and `params` is every POST parameter's
//! name followed by its value, sorted by name (and, for a repeated name, by value), all
//! concatenated without separators. This is what Twilio's own helper libraries compute
//! (`RequestValidator` in twilio-python, `getExpectedTwilioSignature` in twilio-node);
//! the tests pin their published vectors.
//!
//! Behind a TLS-terminating proxy the URL the application sees differs from the one
//! Twilio called, so the caller passes the configured public URL, never the request's.
//! Like Twilio's helpers, [`validate`] accepts a signature computed over the URL with
//! or without its port (`https://host:443/path` and `https://host/path`), because
//! Twilio's own signing is inconsistent about it.
//!
//! There is no timestamp in the signature: a captured request can be replayed, so
//! handlers de-duplicate on `MessageSid`.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The signature Twilio sends in `X-Twilio-Signature` for a POST of `params` to `url`.
///
/// ```
/// use casewire_twilio::signature::signature;
///
/// // The example from Twilio's webhook-security documentation.
/// let params: Vec<(String, String)> = [
///     ("CallSid", "CA1234567890ABCDE"),
///     ("Caller", "+12349013030"),
///     ("Digits", "1234"),
///     ("From", "+12349013030"),
///     ("To", "+18005551212"),
/// ]
/// .into_iter()
/// .map(|(name, value)| (name.to_owned(), value.to_owned()))
/// .collect();
/// assert_eq!(
///     signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params),
///     "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
/// );
/// ```
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(digest(auth_token, url, params))
}

/// Whether `header` (the `X-Twilio-Signature` value) is Twilio's signature of a POST of
/// `params` to `url`, the public URL Twilio was configured to call. Accepts the URL's
/// form with and without its port, as Twilio's helpers do. The comparison takes the
/// same time wherever the first difference is.
///
/// ```
/// use casewire_twilio::signature::{signature, validate};
///
/// let params = vec![("MessageSid".to_owned(), "SM1".to_owned())];
/// let url = "https://casewire.smithlaw.com/webhooks/twilio/messages";
/// let header = signature("token", url, &params);
/// assert!(validate("token", url, &params, &header));
/// assert!(validate("token", "https://casewire.smithlaw.com:443/webhooks/twilio/messages", &params, &header));
/// assert!(!validate("other token", url, &params, &header));
/// ```
pub fn validate(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let header = header.trim().as_bytes();
    let sorted = sorted(params);
    let key = keyed(auth_token);
    let without_port = STANDARD.encode(mac(key.clone(), &remove_port(url), &sorted));
    let with_port = STANDARD.encode(mac(key, &add_port(url), &sorted));
    // `|` rather than `||`: both comparisons always run.
    let matches = without_port.as_bytes().ct_eq(header) | with_port.as_bytes().ct_eq(header);
    matches.into()
}

fn digest(auth_token: &str, url: &str, params: &[(String, String)]) -> Vec<u8> {
    mac(keyed(auth_token), url, &sorted(params))
}

/// The parameters in the order they are signed in. Byte order of UTF-8 is code point
/// order, which is how the helpers' sorts compare.
fn sorted(params: &[(String, String)]) -> Vec<&(String, String)> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_unstable();
    sorted
}

/// HMAC-SHA1 with the auth token as its key, before any message.
fn keyed(auth_token: &str) -> Hmac<Sha1> {
    // HMAC takes a key of any length, so this cannot fail.
    match Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

fn mac(mut mac: Hmac<Sha1>, url: &str, sorted: &[&(String, String)]) -> Vec<u8> {
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

/// Where the authority (`user@host:port`) of `url` sits: `(start, end)` byte offsets,
/// and the offset of the `:` before the port if there is one. `None` for a URL
/// without `scheme://`.
fn authority(url: &str) -> Option<(usize, usize, Option<usize>)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |offset| start + offset);
    let host_start = url[start..end]
        .rfind('@')
        .map_or(start, |at| start + at + 1);
    let host = &url[host_start..end];
    // An IPv6 literal has colons of its own: the port comes after its `]`.
    let after_host = if host.starts_with('[') {
        host.find(']').map_or(host.len(), |close| close + 1)
    } else {
        0
    };
    let colon = host[after_host..]
        .rfind(':')
        .map(|offset| host_start + after_host + offset);
    Some((start, end, colon))
}

/// `url` without its port: `https://host:443/path` → `https://host/path`.
fn remove_port(url: &str) -> String {
    match authority(url) {
        Some((_, end, Some(colon))) => format!("{}{}", &url[..colon], &url[end..]),
        _ => url.to_owned(),
    }
}

/// `url` with its scheme's default port if it names none: `https://host/path` →
/// `https://host:443/path`; 80 for any other scheme, as Twilio's helpers do.
fn add_port(url: &str) -> String {
    match authority(url) {
        Some((_, end, None)) => {
            let scheme = &url[..url.find(':').unwrap_or(0)];
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            format!("{}:{port}{}", &url[..end], &url[end..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The URL and parameters of twilio-python's `test_request_validator.py`.
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn helper_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    #[test]
    fn twilios_documented_example_signs_as_documented() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(
            signature("12345", URL, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(validate(
            "12345",
            URL,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }

    #[test]
    fn twilio_python_vectors_hold() {
        assert_eq!(
            signature("12345", URL, &helper_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        // Repeated names sort by value too.
        let repeated = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            signature("12345", URL, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn the_port_may_or_may_not_be_part_of_the_signed_url() {
        let params = helper_params();
        let cases = [
            // (URL given to validate, signature Twilio sent): twilio-python's vectors.
            (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
            (
                "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            ),
            (
                "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
            ),
            (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
            (
                "http://mycompany.com/myapp.php?foo=1&bar=2",
                "0ZXoZLH/DfblKGATFgpif+LLRf4=",
            ),
        ];
        for (url, header) in cases {
            assert!(validate("12345", url, &params, header), "{url} {header}");
        }
    }

    #[test]
    fn a_signature_for_other_params_url_or_token_is_refused() {
        let params = helper_params();
        let good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let mut extra = params.clone();
        extra.push(("Body".into(), "hi".into()));
        assert!(!validate("12345", URL, &extra, good));
        assert!(!validate(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            good
        ));
        assert!(!validate("54321", URL, &params, good));
        assert!(!validate("12345", URL, &params, ""));
        assert!(!validate(
            "12345",
            URL,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8"
        ));
        // Surrounding spaces from a proxy do not matter.
        assert!(validate(
            "12345",
            URL,
            &params,
            " RSOYDt4T1cUTdK1PDd93/VVr8B8= "
        ));
    }

    #[test]
    fn ports_are_added_and_removed_like_twilios_helpers() {
        let cases = [
            ("https://h/p", "https://h/p", "https://h:443/p"),
            ("http://h/p?q=1", "http://h/p?q=1", "http://h:80/p?q=1"),
            ("https://h:8443/p", "https://h/p", "https://h:8443/p"),
            ("https://h", "https://h", "https://h:443"),
            ("https://h?x=a:b", "https://h?x=a:b", "https://h:443?x=a:b"),
            (
                "https://u:pw@h/p",
                "https://u:pw@h/p",
                "https://u:pw@h:443/p",
            ),
            ("https://[::1]:9/p", "https://[::1]/p", "https://[::1]:9/p"),
            ("https://[::1]/p", "https://[::1]/p", "https://[::1]:443/p"),
            ("not a url", "not a url", "not a url"),
        ];
        for (url, without, with) in cases {
            assert_eq!(remove_port(url), without, "{url}");
            assert_eq!(add_port(url), with, "{url}");
        }
    }

    fn params_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[A-Za-z0-9]{1,12}", "[ -~]{0,24}"), 1..8)
    }

    proptest! {
        #[test]
        fn a_signed_request_validates(
            token in "[ -~]{1,40}",
            url in "https?://[a-z.]{1,20}(:[0-9]{1,5})?/[ -~]{0,30}",
            params in params_strategy(),
        ) {
            let header = signature(&token, &url, &params);
            prop_assert!(validate(&token, &url, &params, &header));
            // Order of the form fields does not matter.
            let mut reversed = params.clone();
            reversed.reverse();
            prop_assert!(validate(&token, &url, &reversed, &header));
        }

        #[test]
        fn changing_any_byte_of_the_params_breaks_the_signature(
            token in "[ -~]{1,40}",
            url in "https://[a-z.]{1,20}/[ -~]{0,30}",
            params in params_strategy(),
            pick in any::<proptest::sample::Index>(),
        ) {
            let header = signature(&token, &url, &params);
            // Every byte of every name and value, as (pair, in name?, offset).
            let mut positions = Vec::new();
            for (i, (name, value)) in params.iter().enumerate() {
                positions.extend((0..name.len()).map(|at| (i, true, at)));
                positions.extend((0..value.len()).map(|at| (i, false, at)));
            }
            let (i, in_name, at) = positions[pick.index(positions.len())];
            let mut tampered = params.clone();
            let field = if in_name { &mut tampered[i].0 } else { &mut tampered[i].1 };
            let mut bytes = std::mem::take(field).into_bytes();
            // Stays printable ASCII, and differs.
            bytes[at] = if bytes[at] == b'~' { b' ' } else { bytes[at] + 1 };
            *field = String::from_utf8(bytes).unwrap();
            prop_assert!(!validate(&token, &url, &tampered, &header));
        }

        #[test]
        fn changing_any_byte_of_the_url_breaks_the_signature(
            token in "[ -~]{1,40}",
            path in "[a-z0-9/?=&]{1,30}",
            params in params_strategy(),
            pick in any::<proptest::sample::Index>(),
        ) {
            let url = format!("https://firm.example/{path}");
            let header = signature(&token, &url, &params);
            let mut bytes = url.clone().into_bytes();
            let at = "https://firm.example/".len() + pick.index(path.len());
            bytes[at] = if bytes[at] == b'z' { b'a' } else { bytes[at] + 1 };
            let tampered = String::from_utf8(bytes).unwrap();
            prop_assert!(!validate(&token, &tampered, &params, &header));
        }
    }
}
