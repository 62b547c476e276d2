//! Typed identifiers. Ids are made by the store; the model only carries them, so that a
//! `CaseId` can never be passed where a `FirmId` is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id as given by the store.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw id, for storage and URLs.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

id!(
    /// A law firm (the tenant). Every stored row belongs to exactly one firm.
    FirmId
);
id!(
    /// A bankruptcy case of a firm.
    CaseId
);
id!(
    /// A debtor (client) on a case.
    DebtorId
);
id!(
    /// One phone number of a debtor.
    PhoneId
);
id!(
    /// A dated event of a case (a 341 meeting, a hearing, a deadline).
    EventId
);
id!(
    /// A firm-wide reminder recipe.
    RecipeId
);
id!(
    /// A message in a case's thread.
    MessageId
);
id!(
    /// A staff user of a firm.
    UserId
);
