//! Email addresses, for notification settings and debtors.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailAddressError {
    /// No `@`, or more than one.
    #[error("an email address has exactly one @, as in name@example.com")]
    NotOneAt,
    /// Nothing before the `@`, or more than 64 characters there.
    #[error("the part before @ must be 1 to 64 characters")]
    BadLocalPartLength,
    /// A character that mail systems do not accept unquoted.
    #[error("the part before @ contains {0:?}, which is not allowed")]
    BadLocalCharacter(char),
    /// Dots at the start or end of the local part, or two in a row.
    #[error("the part before @ cannot start or end with a dot or have two dots in a row")]
    BadDots,
    /// The domain is not a dotted host name (`example.com`).
    #[error("the domain after @ must be a host name such as example.com")]
    BadDomain,
    /// Longer than 254 characters in all.
    #[error("an email address is at most 254 characters")]
    TooLong,
}

/// A syntactically valid email address (the common subset of RFC 5321 that mail
/// servers accept: no quoted local parts, no IP-literal domains, no comments).
///
/// The domain is lowercased; the local part is kept as typed, since mail servers may
/// treat its case as significant.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an email address, trimming surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let input = input.trim();
        if input.len() > 254 {
            return Err(EmailAddressError::TooLong);
        }
        let (local, domain) = match input.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            _ => return Err(EmailAddressError::NotOneAt),
        };
        if local.is_empty() || local.len() > 64 {
            return Err(EmailAddressError::BadLocalPartLength);
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c)))
        {
            return Err(EmailAddressError::BadLocalCharacter(c));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailAddressError::BadDots);
        }
        let domain = domain.to_ascii_lowercase();
        if !is_host_name(&domain) {
            return Err(EmailAddressError::BadDomain);
        }
        Ok(EmailAddress(format!("{local}@{domain}")))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, lowercased.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

fn is_host_name(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Addresses are personal data: keep the domain, hide the person.
        write!(f, "EmailAddress(***@{})", self.domain())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl FromStr for EmailAddress {
    type Err = EmailAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "intake@smithlaw.com",
            "Jane.Doe+cases@Mail.Example.CO.uk",
            "o'brien@firm-name.law",
            "  spaced@example.org ",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok:?}");
        }
        assert_eq!(
            EmailAddress::parse("Jane@Example.COM").unwrap().as_str(),
            "Jane@example.com"
        );
    }

    #[test]
    fn refuses_malformed_addresses_with_a_reason() {
        use EmailAddressError::*;
        let cases = [
            ("", NotOneAt),
            ("plainaddress", NotOneAt),
            ("a@b@c.com", NotOneAt),
            ("@example.com", BadLocalPartLength),
            ("jane doe@example.com", BadLocalCharacter(' ')),
            (".jane@example.com", BadDots),
            ("jane..doe@example.com", BadDots),
            ("jane@localhost", BadDomain),
            ("jane@-example.com", BadDomain),
            ("jane@example..com", BadDomain),
            ("jane@example.123", BadDomain),
        ];
        for (input, want) in cases {
            assert_eq!(EmailAddress::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn debug_hides_the_person() {
        let e = EmailAddress::parse("jane@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "EmailAddress(***@example.com)");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_is_idempotent(input in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&input) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }

        #[test]
        fn generated_addresses_parse(
            local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]",
            host in "[a-z][a-z0-9-]{0,10}[a-z0-9]",
            tld in "[a-z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let input = format!("{local}@{host}.{tld}");
            prop_assert!(EmailAddress::parse(&input).is_ok(), "{}", input);
        }
    }
}
