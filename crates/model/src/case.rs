//! Cases, their debtors and their texting settings.

use std::fmt;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CaseId, DebtorId, EmailAddress, Firm, FirmId, Phone, TextError, bounded_text};

/// A court case number as the firm writes it (`24-10345`, `2:24-bk-10345-ABC`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber(String);

/// A case number that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaseNumberError {
    /// Empty, too long or with control characters.
    #[error("case number {0}")]
    Text(TextError),
    /// A character other than letters, digits, spaces and `-:/._#`.
    #[error("case number contains {0:?}; use letters, digits, spaces and - : / . _ #")]
    BadCharacter(char),
}

impl CaseNumber {
    /// Parses a case number: 1 to 64 characters of letters, digits, spaces and `-:/._#`.
    pub fn parse(input: &str) -> Result<Self, CaseNumberError> {
        let text = bounded_text(input, 64).map_err(CaseNumberError::Text)?;
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || " -:/._#".contains(*c)))
        {
            return Err(CaseNumberError::BadCharacter(c));
        }
        Ok(CaseNumber(text))
    }

    /// The case number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseNumber({})", self.0)
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = CaseNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        CaseNumber::parse(&value)
    }
}

impl From<CaseNumber> for String {
    fn from(value: CaseNumber) -> Self {
        value.0
    }
}

/// A person's name, split the way texts address people ("Hi Maria").
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    first: String,
    last: String,
}

/// A name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonNameError {
    /// The first name is unusable.
    #[error("first name {0}")]
    First(TextError),
    /// The last name is unusable.
    #[error("last name {0}")]
    Last(TextError),
}

impl PersonName {
    /// Builds a name from a first and a last name, each 1 to 100 characters.
    pub fn new(first: &str, last: &str) -> Result<Self, PersonNameError> {
        Ok(PersonName {
            first: bounded_text(first, 100).map_err(PersonNameError::First)?,
            last: bounded_text(last, 100).map_err(PersonNameError::Last)?,
        })
    }

    /// The first name.
    pub fn first(&self) -> &str {
        &self.first
    }

    /// The last name.
    pub fn last(&self) -> &str {
        &self.last
    }

    /// First and last name.
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names are personal data; initials are enough to tell debtors apart in a log.
        write!(
            f,
            "PersonName({}. {}.)",
            self.first.chars().next().unwrap_or('?'),
            self.last.chars().next().unwrap_or('?')
        )
    }
}

/// A debtor (the firm's client) on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Debtor {
    /// The store's id.
    pub id: DebtorId,
    /// The debtor's name.
    pub name: PersonName,
    /// The debtor's email, if known.
    pub email: Option<EmailAddress>,
    /// The debtor's phone numbers, of any kind; only mobile ones are texted.
    pub phones: Vec<Phone>,
    /// Where the debtor lives, if not in the firm's zone; quiet hours are kept in it.
    pub time_zone: Option<Tz>,
}

impl Debtor {
    /// Whether the debtor has at least one number that can be texted.
    pub fn has_mobile(&self) -> bool {
        self.phones.iter().any(|p| p.kind.is_textable())
    }
}

/// The debtors of a case: one, or two in a joint case. No other count can be built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Debtors {
    /// A case with one debtor.
    Single {
        /// The debtor.
        debtor: Debtor,
    },
    /// A joint case of two debtors (usually spouses), each with their own numbers.
    Joint {
        /// The first-named debtor.
        debtor: Debtor,
        /// The joint debtor.
        joint_debtor: Debtor,
    },
}

impl Debtors {
    /// The debtors in order: one or two.
    pub fn iter(&self) -> impl Iterator<Item = &Debtor> {
        let (first, second) = match self {
            Debtors::Single { debtor } => (debtor, None),
            Debtors::Joint {
                debtor,
                joint_debtor,
            } => (debtor, Some(joint_debtor)),
        };
        std::iter::once(first).chain(second)
    }

    /// The debtors in order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Debtor> {
        let (first, second) = match self {
            Debtors::Single { debtor } => (debtor, None),
            Debtors::Joint {
                debtor,
                joint_debtor,
            } => (debtor, Some(joint_debtor)),
        };
        std::iter::once(first).chain(second)
    }

    /// The debtor with this id, if it is on the case.
    pub fn get(&self, id: DebtorId) -> Option<&Debtor> {
        self.iter().find(|d| d.id == id)
    }

    /// Whether this is a joint case.
    pub fn is_joint(&self) -> bool {
        matches!(self, Debtors::Joint { .. })
    }
}

/// Whether a case is still being worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Open: texts and replies flow.
    Open,
    /// Closed: replies from its numbers are no longer matched to it.
    Closed,
}

impl CaseStatus {
    /// The lowercase name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }

    /// Parses the name given by [`CaseStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(CaseStatus::Open),
            "closed" => Some(CaseStatus::Closed),
            _ => None,
        }
    }
}

/// The case's switch for automatic reminders (recipe and per-event alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutomaticReminders {
    /// Reminders are planned and sent (the default).
    #[default]
    On,
    /// No automatic reminder is planned or sent for this case.
    Off,
}

impl AutomaticReminders {
    /// Whether reminders are on.
    pub fn is_on(self) -> bool {
        self == AutomaticReminders::On
    }
}

/// A case's texting settings (the "settings wheel" of its texting panel).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextingSettings {
    /// Where client replies on this case are emailed; `None` means the firm's default.
    pub notification_email: Option<EmailAddress>,
    /// Whether automatic reminders go out for this case.
    pub automatic_reminders: AutomaticReminders,
}

/// A case of a firm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The store's id.
    pub id: CaseId,
    /// The firm the case belongs to.
    pub firm_id: FirmId,
    /// The court case number.
    pub number: CaseNumber,
    /// A short title, usually the debtors' names.
    pub title: String,
    /// Open or closed.
    pub status: CaseStatus,
    /// One debtor, or two in a joint case.
    pub debtors: Debtors,
    /// The case's texting settings.
    pub texting: TextingSettings,
}

impl Case {
    /// Where a client reply on this case is emailed: the case's override if set, the
    /// firm's default otherwise.
    pub fn notification_address<'a>(&'a self, firm: &'a Firm) -> &'a EmailAddress {
        self.texting
            .notification_email
            .as_ref()
            .unwrap_or_else(|| firm.notification_email())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PhoneId, PhoneKind, PhoneNumber, Region, TextingNumber};

    fn debtor(id: i64, first: &str) -> Debtor {
        Debtor {
            id: DebtorId::new(id),
            name: PersonName::new(first, "Rivera").unwrap(),
            email: None,
            phones: vec![Phone {
                id: PhoneId::new(id),
                number: PhoneNumber::parse("312-555-0101", Region::US).unwrap(),
                kind: PhoneKind::Home,
            }],
            time_zone: None,
        }
    }

    #[test]
    fn case_numbers_are_checked() {
        assert_eq!(
            CaseNumber::parse(" 2:24-bk-10345 ").unwrap().as_str(),
            "2:24-bk-10345"
        );
        assert!(matches!(
            CaseNumber::parse(""),
            Err(CaseNumberError::Text(TextError::Empty))
        ));
        assert_eq!(
            CaseNumber::parse("24<script>"),
            Err(CaseNumberError::BadCharacter('<'))
        );
    }

    #[test]
    fn a_joint_case_has_two_debtors_in_order() {
        let joint = Debtors::Joint {
            debtor: debtor(1, "Maria"),
            joint_debtor: debtor(2, "Luis"),
        };
        let names: Vec<_> = joint.iter().map(|d| d.name.first().to_owned()).collect();
        assert_eq!(names, ["Maria", "Luis"]);
        assert!(joint.is_joint());
        assert!(joint.get(DebtorId::new(2)).is_some());
        assert!(joint.get(DebtorId::new(3)).is_none());
        assert!(!debtor(1, "Maria").has_mobile());
    }

    #[test]
    fn notification_goes_to_the_override_or_the_firm_default() {
        let firm = Firm::new(
            FirmId::new(1),
            "Smith Law",
            chrono_tz::America::Chicago,
            Region::US,
            vec![TextingNumber::new(
                PhoneNumber::parse("312-555-0100", Region::US).unwrap(),
                crate::NumberClass::LongCode,
            )],
            EmailAddress::parse("intake@smithlaw.com").unwrap(),
        )
        .unwrap();
        let mut case = Case {
            id: CaseId::new(1),
            firm_id: firm.id(),
            number: CaseNumber::parse("24-10345").unwrap(),
            title: "Rivera".into(),
            status: CaseStatus::Open,
            debtors: Debtors::Single {
                debtor: debtor(1, "Maria"),
            },
            texting: TextingSettings::default(),
        };
        assert_eq!(
            case.notification_address(&firm).as_str(),
            "intake@smithlaw.com"
        );
        assert!(case.texting.automatic_reminders.is_on());
        case.texting.notification_email = Some(EmailAddress::parse("para@smithlaw.com").unwrap());
        assert_eq!(
            case.notification_address(&firm).as_str(),
            "para@smithlaw.com"
        );
    }

    #[test]
    fn debug_of_a_name_shows_initials_only() {
        let n = PersonName::new("Maria", "Rivera").unwrap();
        assert_eq!(format!("{n:?}"), "PersonName(M. R.)");
    }
}
