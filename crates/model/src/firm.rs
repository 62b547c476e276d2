//! Firms (the tenants) and their texting numbers.

use std::fmt;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{EmailAddress, FirmId, PhoneNumber, Region, TextError, bounded_text};

/// What kind of sender a texting number is; it sets the default throughput carriers
/// allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberClass {
    /// A 10-digit local number (10DLC): about one segment a second.
    LongCode,
    /// A toll-free number: three segments a second by default.
    TollFree,
    /// A short code: a hundred segments a second or more.
    ShortCode,
}

impl NumberClass {
    /// The carrier's usual rate for this class of number.
    pub fn default_rate(self) -> SendRate {
        SendRate(match self {
            NumberClass::LongCode => 1.0,
            NumberClass::TollFree => 3.0,
            NumberClass::ShortCode => 100.0,
        })
    }

    /// The lowercase name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberClass::LongCode => "long_code",
            NumberClass::TollFree => "toll_free",
            NumberClass::ShortCode => "short_code",
        }
    }

    /// Parses the name given by [`NumberClass::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            NumberClass::LongCode,
            NumberClass::TollFree,
            NumberClass::ShortCode,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A sending rate in message segments per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct SendRate(f64);

/// A rate that is not a positive, finite number of segments per second.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("a send rate is a number of segments per second between 0.01 and 10000, got {0}")]
pub struct SendRateError(f64);

impl SendRate {
    /// Parses a rate in segments per second.
    pub fn new(per_second: f64) -> Result<Self, SendRateError> {
        if per_second.is_finite() && (0.01..=10_000.0).contains(&per_second) {
            Ok(SendRate(per_second))
        } else {
            Err(SendRateError(per_second))
        }
    }

    /// Segments per second.
    pub fn per_second(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for SendRate {
    type Error = SendRateError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        SendRate::new(value)
    }
}

impl From<SendRate> for f64 {
    fn from(value: SendRate) -> Self {
        value.0
    }
}

/// One of the firm's numbers that texts are sent from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextingNumber {
    /// The number, in E.164.
    pub number: PhoneNumber,
    /// What kind of sender it is.
    pub class: NumberClass,
    /// How many segments a second may leave from it, across all workers.
    pub rate: SendRate,
}

impl TextingNumber {
    /// A number of the given class at the class's usual rate.
    pub fn new(number: PhoneNumber, class: NumberClass) -> Self {
        TextingNumber {
            number,
            class,
            rate: class.default_rate(),
        }
    }
}

/// A firm name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FirmNameError {
    /// The name is not acceptable text.
    #[error("firm name {0}")]
    Name(TextError),
    /// A firm needs at least one number to text from.
    #[error("a firm needs at least one texting number")]
    NoTextingNumber,
    /// The same number was given twice.
    #[error("texting number {0:?} is listed twice")]
    DuplicateNumber(PhoneNumber),
}

/// A law firm: the tenant that owns cases, numbers, recipes and users.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Firm {
    id: FirmId,
    name: String,
    time_zone: Tz,
    region: Region,
    texting_numbers: Vec<TextingNumber>,
    notification_email: EmailAddress,
}

impl Firm {
    /// Builds a firm. It needs a name, at least one texting number (no duplicates) and
    /// the address that client replies are emailed to unless a case overrides it.
    pub fn new(
        id: FirmId,
        name: &str,
        time_zone: Tz,
        region: Region,
        texting_numbers: Vec<TextingNumber>,
        notification_email: EmailAddress,
    ) -> Result<Self, FirmNameError> {
        let name = bounded_text(name, 200).map_err(FirmNameError::Name)?;
        if texting_numbers.is_empty() {
            return Err(FirmNameError::NoTextingNumber);
        }
        for (i, n) in texting_numbers.iter().enumerate() {
            if texting_numbers[..i].iter().any(|m| m.number == n.number) {
                return Err(FirmNameError::DuplicateNumber(n.number.clone()));
            }
        }
        Ok(Firm {
            id,
            name,
            time_zone,
            region,
            texting_numbers,
            notification_email,
        })
    }

    /// The firm's id.
    pub fn id(&self) -> FirmId {
        self.id
    }

    /// The firm's name, as it signs its texts.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The firm's time zone: used for display and as the recipients' zone unless a
    /// debtor has their own.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Where numbers typed without a country code are read.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The numbers the firm texts from; never empty.
    pub fn texting_numbers(&self) -> &[TextingNumber] {
        &self.texting_numbers
    }

    /// The number texts are sent from unless another is chosen: the first one.
    pub fn primary_number(&self) -> &TextingNumber {
        // Never empty: checked in `new`.
        &self.texting_numbers[0]
    }

    /// Whether `number` is one of the firm's texting numbers.
    pub fn owns_number(&self, number: &PhoneNumber) -> bool {
        self.texting_numbers.iter().any(|n| &n.number == number)
    }

    /// The default address for reply notifications.
    pub fn notification_email(&self) -> &EmailAddress {
        &self.notification_email
    }
}

impl fmt::Debug for Firm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Firm")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("time_zone", &self.time_zone)
            .field("texting_numbers", &self.texting_numbers.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s, Region::US).unwrap()
    }

    fn email() -> EmailAddress {
        EmailAddress::parse("intake@smithlaw.com").unwrap()
    }

    #[test]
    fn a_firm_needs_a_name_and_a_number() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let one = vec![TextingNumber::new(
            number("312-555-0100"),
            NumberClass::LongCode,
        )];
        let firm = Firm::new(
            FirmId::new(1),
            " Smith Law ",
            tz,
            Region::US,
            one.clone(),
            email(),
        )
        .unwrap();
        assert_eq!(firm.name(), "Smith Law");
        assert_eq!(firm.primary_number().rate.per_second(), 1.0);
        assert!(firm.owns_number(&number("(312) 555-0100")));

        assert_eq!(
            Firm::new(FirmId::new(1), "Smith Law", tz, Region::US, vec![], email()),
            Err(FirmNameError::NoTextingNumber)
        );
        assert!(matches!(
            Firm::new(FirmId::new(1), "  ", tz, Region::US, one.clone(), email()),
            Err(FirmNameError::Name(TextError::Empty))
        ));
        let twice = vec![one[0].clone(), one[0].clone()];
        assert!(matches!(
            Firm::new(FirmId::new(1), "Smith Law", tz, Region::US, twice, email()),
            Err(FirmNameError::DuplicateNumber(_))
        ));
    }

    #[test]
    fn send_rates_are_positive_and_bounded() {
        assert!(SendRate::new(1.0).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert!(SendRate::new(bad).is_err(), "{bad}");
        }
        assert_eq!(NumberClass::TollFree.default_rate().per_second(), 3.0);
        assert_eq!(
            NumberClass::parse("short_code"),
            Some(NumberClass::ShortCode)
        );
    }
}
