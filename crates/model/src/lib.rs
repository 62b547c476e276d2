//! Casewire's domain model: firms, their texting numbers, cases, debtors, phone numbers
//! and case events.
//!
//! Everything here is a value. Nothing does IO, reads the clock or makes ids: ids are
//! given by whoever stores the values, time comes in as a parameter. Values that carry an
//! invariant (a phone number is E.164, an email address is well formed, a joint case has
//! exactly two debtors) can only be built through a parser, so holding one is proof that
//! it is valid.
//!
//! ```
//! use casewire_model::{PhoneNumber, Region};
//!
//! let number = PhoneNumber::parse("(415) 555-0134", Region::US).unwrap();
//! assert_eq!(number.as_e164(), "+14155550134");
//! assert_eq!(format!("{number:?}"), "PhoneNumber(+*******0134)");
//! ```

/// The date and time library the crates' APIs take and return (`DateTime<Utc>`,
/// `NaiveTime`), re-exported so an embedding application uses the same version.
pub use chrono;
/// The time-zone database the crates' APIs take (`Tz`), re-exported for the same reason.
pub use chrono_tz;

mod case;
mod email;
mod event;
mod firm;
mod ids;
mod phone;
mod recipients;
mod text;

pub use case::{
    AutomaticReminders, Case, CaseNumber, CaseNumberError, CaseStatus, Debtor, Debtors, PersonName,
    PersonNameError, TextingSettings,
};
pub use email::{EmailAddress, EmailAddressError};
pub use event::{
    CaseEvent, EventDraft, EventError, EventKind, EventKindError, Offset, OffsetError, OffsetUnit,
};
pub use firm::{Firm, FirmNameError, NumberClass, SendRate, SendRateError, TextingNumber};
pub use ids::{CaseId, DebtorId, EventId, FirmId, MessageId, PhoneId, RecipeId, UserId};
pub use phone::{
    NotTextable, Phone, PhoneKind, PhoneKindError, PhoneNumber, PhoneNumberError, Region,
};
pub use recipients::{Recipient, Recipients, SharedNumber};
pub use text::{TextError, bounded_text};
