//! Phone numbers: parsing what staff type into E.164, and the type of a phone line.

use std::{fmt, str::FromStr};

use phonenumber::country;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The region used to read numbers typed without a country code (a firm setting; the
/// United States unless the firm says otherwise).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(country::Id);

impl Region {
    /// The United States (country calling code +1).
    pub const US: Region = Region(country::Id::US);

    /// Parses an ISO 3166-1 alpha-2 region code such as `US` or `ca`.
    pub fn parse(code: &str) -> Result<Self, PhoneNumberError> {
        let upper = code.trim().to_ascii_uppercase();
        country::Id::from_str(&upper)
            .map(Region)
            .map_err(|_| PhoneNumberError::UnknownRegion(code.to_owned()))
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::US
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.0.as_ref())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

impl Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_ref())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Region::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneNumberError {
    /// Nothing that looks like a phone number was given.
    #[error("not a phone number: expected digits such as (555) 123-4567 or +1 555 123 4567")]
    NotANumber,
    /// The region code is not a known ISO 3166-1 alpha-2 code.
    #[error("unknown region code {0:?}: expected a two-letter code such as US")]
    UnknownRegion(String),
    /// The country calling code does not exist.
    #[error("unknown country calling code")]
    UnknownCountryCode,
    /// Too few digits for a number of its country.
    #[error("too few digits for a phone number")]
    TooShort,
    /// Too many digits for a number of its country.
    #[error("too many digits for a phone number")]
    TooLong,
    /// The number has the right length but cannot exist (a North American area code
    /// starting with 0 or 1, an unassigned range, ...).
    #[error("this number cannot exist: {0}")]
    Impossible(&'static str),
    /// The number carries an extension, which cannot receive texts.
    #[error("phone extensions cannot receive texts")]
    HasExtension,
}

/// A phone number in E.164 form (`+14155550134`).
///
/// Built only through [`PhoneNumber::parse`] (what people type) or
/// [`PhoneNumber::parse_e164`] (what providers send), so every value is a number that
/// can exist. `Debug` masks all but the last four digits, so a number never lands in a
/// log by accident; `Display` shows it whole, for the places where it must be shown.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number as staff type it: `(555) 123-4567`, `555.123.4567`,
    /// `+1 555-123-4567`, `1-555-123-4567`. Numbers without a country code are read in
    /// `region`.
    ///
    /// North American numbers are accepted when they have ten digits and an area code
    /// that can exist (starting with 2–9, not an N11 service code such as 911): new area
    /// codes open faster than number metadata is released, and refusing a client's real
    /// number is worse than accepting an unassigned one. Numbers elsewhere must be valid
    /// per the libphonenumber metadata.
    pub fn parse(input: &str, region: Region) -> Result<Self, PhoneNumberError> {
        let input = input.trim();
        if !input.chars().any(|c| c.is_ascii_digit()) {
            return Err(PhoneNumberError::NotANumber);
        }
        let parsed = phonenumber::parse(Some(region.0), input).map_err(|e| match e {
            phonenumber::ParseError::NoNumber => PhoneNumberError::NotANumber,
            phonenumber::ParseError::InvalidCountryCode => PhoneNumberError::UnknownCountryCode,
            phonenumber::ParseError::TooShortAfterIdd | phonenumber::ParseError::TooShortNsn => {
                PhoneNumberError::TooShort
            }
            phonenumber::ParseError::TooLong => PhoneNumberError::TooLong,
            phonenumber::ParseError::MalformedInteger(_) => PhoneNumberError::NotANumber,
        })?;
        if parsed.extension().is_some() {
            return Err(PhoneNumberError::HasExtension);
        }
        let code = parsed.code().value();
        let national = parsed.national().to_string();
        if code == 1 {
            check_nanp(&national)?;
        } else if !parsed.is_valid() {
            return Err(classify_invalid(&national));
        }
        Ok(PhoneNumber(format!("+{code}{national}")))
    }

    /// Parses a number that must already be in E.164 form, such as the `From` of a
    /// provider webhook. Anything else (spaces, a missing `+`) is refused.
    pub fn parse_e164(input: &str) -> Result<Self, PhoneNumberError> {
        let digits = input
            .strip_prefix('+')
            .ok_or(PhoneNumberError::NotANumber)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneNumberError::NotANumber);
        }
        if digits.len() > 15 {
            return Err(PhoneNumberError::TooLong);
        }
        // North American numbers are the common case and need no metadata look-up.
        if let Some(national) = digits.strip_prefix('1') {
            if national.len() == 10 {
                check_nanp(national)?;
                return Ok(PhoneNumber(input.to_owned()));
            }
        }
        let number = Self::parse(input, Region::US)?;
        if number.0 != input {
            // The metadata normalised it (a national prefix, say): not canonical E.164.
            return Err(PhoneNumberError::NotANumber);
        }
        Ok(number)
    }

    /// The number in E.164 form, `+` and digits.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The number as people of its own country write it, e.g. `(415) 555-0134`.
    pub fn national(&self) -> String {
        match phonenumber::parse(None, &self.0) {
            Ok(parsed) if parsed.code().value() == 1 => {
                let n = parsed.national().to_string();
                format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..])
            }
            Ok(parsed) => parsed
                .format()
                .mode(phonenumber::Mode::National)
                .to_string(),
            Err(_) => self.0.clone(),
        }
    }

    /// The last four digits, for masked display.
    pub fn last_four(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }

    /// A masked form for logs: `+*******0134`.
    pub fn masked(&self) -> String {
        let keep = self.last_four();
        let hidden = self.0.len() - 1 - keep.len();
        format!("+{}{}", "*".repeat(hidden), keep)
    }
}

fn check_nanp(national: &str) -> Result<(), PhoneNumberError> {
    let b = national.as_bytes();
    if b.len() < 10 {
        return Err(PhoneNumberError::TooShort);
    }
    if b.len() > 10 {
        return Err(PhoneNumberError::TooLong);
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return Err(PhoneNumberError::NotANumber);
    }
    if b[0] < b'2' {
        return Err(PhoneNumberError::Impossible(
            "North American area codes start with 2-9",
        ));
    }
    if b[1] == b'1' && b[2] == b'1' {
        return Err(PhoneNumberError::Impossible(
            "N11 codes such as 911 are not area codes",
        ));
    }
    Ok(())
}

fn classify_invalid(national: &str) -> PhoneNumberError {
    match national.len() {
        0..=3 => PhoneNumberError::TooShort,
        16.. => PhoneNumberError::TooLong,
        _ => PhoneNumberError::Impossible("no such number range in its country"),
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneNumberError;

    /// Deserialising accepts E.164 only: stored and wire values are canonical.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse_e164(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

/// Reads a number as [`PhoneNumber::parse`] does with [`Region::US`]: numbers without a
/// country code are North American. Use [`PhoneNumber::parse`] to give another region.
impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s, Region::US)
    }
}

/// The kind of line a phone number is. Only mobile numbers receive texts: a landline
/// cannot, and texting a fax or work number would reach the wrong person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// A mobile phone: the only kind that receives texts.
    Mobile,
    /// A home landline.
    Home,
    /// A work number.
    Work,
    /// A fax line.
    Fax,
    /// Anything else.
    Other,
}

/// An unknown phone kind name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown phone type {0:?}: expected mobile, home, work, fax or other")]
pub struct PhoneKindError(String);

impl PhoneKind {
    /// All kinds, in display order.
    pub const ALL: [PhoneKind; 5] = [
        PhoneKind::Mobile,
        PhoneKind::Home,
        PhoneKind::Work,
        PhoneKind::Fax,
        PhoneKind::Other,
    ];

    /// The lowercase name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Home => "home",
            PhoneKind::Work => "work",
            PhoneKind::Fax => "fax",
            PhoneKind::Other => "other",
        }
    }

    /// Whether numbers of this kind can be texted.
    pub fn is_textable(self) -> bool {
        self == PhoneKind::Mobile
    }
}

impl FromStr for PhoneKind {
    type Err = PhoneKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        PhoneKind::ALL
            .into_iter()
            .find(|k| k.as_str() == lower)
            .ok_or_else(|| PhoneKindError(s.to_owned()))
    }
}

impl fmt::Display for PhoneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One phone number of a debtor, with the kind of line it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The store's id of this phone entry.
    pub id: crate::PhoneId,
    /// The number.
    pub number: PhoneNumber,
    /// The kind of line.
    pub kind: PhoneKind,
}

/// Asking to text a number that cannot receive texts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{number:?} is a {kind} number; only mobile numbers can be texted")]
pub struct NotTextable {
    /// The number that was asked for.
    pub number: PhoneNumber,
    /// Its kind.
    pub kind: PhoneKind,
}

impl Phone {
    /// The number, if it can be texted; a typed error saying why not otherwise.
    pub fn textable(&self) -> Result<&PhoneNumber, NotTextable> {
        if self.kind.is_textable() {
            Ok(&self.number)
        } else {
            Err(NotTextable {
                number: self.number.clone(),
                kind: self.kind,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_staff_type() {
        for input in [
            "(555) 123-4567",
            "555.123.4567",
            "+1 555-123-4567",
            "1-555-123-4567",
            "5551234567",
            " 555 123 4567 ",
            "+15551234567",
        ] {
            let n = PhoneNumber::parse(input, Region::US)
                .unwrap_or_else(|e| panic!("{input:?} should parse: {e}"));
            assert_eq!(n.as_e164(), "+15551234567", "{input:?}");
        }
    }

    #[test]
    fn formats_national_and_masks_debug() {
        let n = PhoneNumber::parse("415 555 0134", Region::US).unwrap();
        assert_eq!(n.national(), "(415) 555-0134");
        assert_eq!(n.to_string(), "+14155550134");
        assert_eq!(format!("{n:?}"), "PhoneNumber(+*******0134)");
        assert!(!format!("{n:?}").contains("415"));
    }

    #[test]
    fn international_numbers_use_their_own_metadata() {
        let uk = PhoneNumber::parse("+44 7911 123456", Region::US).unwrap();
        assert_eq!(uk.as_e164(), "+447911123456");
        let local_uk = PhoneNumber::parse("07911 123456", Region::parse("gb").unwrap()).unwrap();
        assert_eq!(local_uk, uk);
    }

    #[test]
    fn refuses_impossible_numbers_with_a_reason() {
        let cases: &[(&str, PhoneNumberError)] = &[
            ("", PhoneNumberError::NotANumber),
            ("call me", PhoneNumberError::NotANumber),
            ("123", PhoneNumberError::TooShort),
            ("555-1234", PhoneNumberError::TooShort),
            (
                "(055) 123-4567",
                PhoneNumberError::Impossible("North American area codes start with 2-9"),
            ),
            (
                "(911) 555-0134",
                PhoneNumberError::Impossible("N11 codes such as 911 are not area codes"),
            ),
            ("555 123 45678", PhoneNumberError::TooLong),
            ("555-123-4567 ext. 12", PhoneNumberError::HasExtension),
        ];
        for (input, want) in cases {
            assert_eq!(
                PhoneNumber::parse(input, Region::US).as_ref(),
                Err(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn e164_parsing_is_strict() {
        assert!(PhoneNumber::parse_e164("+14155550134").is_ok());
        assert!(PhoneNumber::parse_e164("+447911123456").is_ok());
        for bad in [
            "14155550134",
            "+1 415 555 0134",
            "+",
            "+1415555013x",
            "+10155550134",
        ] {
            assert!(PhoneNumber::parse_e164(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let n = PhoneNumber::parse("415-555-0134", Region::US).unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+14155550134\"");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<PhoneNumber>("\"415-555-0134\"").is_err());
    }

    #[test]
    fn only_mobile_numbers_are_textable() {
        let number = PhoneNumber::parse("415-555-0134", Region::US).unwrap();
        for kind in PhoneKind::ALL {
            let phone = Phone {
                id: crate::PhoneId::new(1),
                number: number.clone(),
                kind,
            };
            assert_eq!(phone.textable().is_ok(), kind == PhoneKind::Mobile);
        }
        let fax = Phone {
            id: crate::PhoneId::new(1),
            number,
            kind: PhoneKind::Fax,
        };
        let err = fax.textable().unwrap_err().to_string();
        assert!(err.contains("fax") && err.contains("only mobile"), "{err}");
        assert!(
            !err.contains("415"),
            "error must not leak the number: {err}"
        );
    }

    #[test]
    fn region_and_kind_parse() {
        assert_eq!(Region::parse("ca").unwrap().to_string(), "CA");
        assert!(Region::parse("ZZ").is_err());
        assert_eq!("MOBILE".parse::<PhoneKind>().unwrap(), PhoneKind::Mobile);
        assert!("pager".parse::<PhoneKind>().is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            let _ = PhoneNumber::parse(&input, Region::US);
            let _ = PhoneNumber::parse_e164(&input);
        }

        #[test]
        fn any_valid_nanp_number_round_trips(
            area in 200u32..1000,
            exchange in 0u32..1000,
            line in 0u32..10000,
            style in 0usize..4,
        ) {
            prop_assume!(area % 100 != 11);
            let typed = match style {
                0 => format!("({area}) {exchange:03}-{line:04}"),
                1 => format!("{area}.{exchange:03}.{line:04}"),
                2 => format!("+1 {area}-{exchange:03}-{line:04}"),
                _ => format!("1-{area}-{exchange:03}-{line:04}"),
            };
            let n = PhoneNumber::parse(&typed, Region::US).unwrap();
            let e164 = format!("+1{area}{exchange:03}{line:04}");
            prop_assert_eq!(n.as_e164(), e164.as_str());
            prop_assert_eq!(PhoneNumber::parse_e164(n.as_e164()).unwrap(), n.clone());
            prop_assert_eq!(PhoneNumber::parse(&n.national(), Region::US).unwrap(), n);
        }

        #[test]
        fn debug_never_shows_more_than_four_digits(
            area in 200u32..1000, exchange in 200u32..1000, line in 0u32..10000,
        ) {
            prop_assume!(area % 100 != 11);
            let n = PhoneNumber::parse(&format!("{area}{exchange}{line:04}"), Region::US).unwrap();
            let shown = format!("{n:?}");
            prop_assert_eq!(shown.chars().filter(char::is_ascii_digit).count(), 4);
        }
    }
}
