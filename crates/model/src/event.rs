//! Case events (341 meetings, hearings, deadlines) and reminder offsets.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CaseId, EventId, TextError, bounded_text};

/// The kind of an event, which recipes select on ("341 Meeting", "Confirmation
/// Hearing"). Compared without regard to case or repeated spaces.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventKind {
    display: String,
    key: String,
}

/// An event kind that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("event kind {0}")]
pub struct EventKindError(TextError);

impl EventKind {
    /// Parses an event kind of 1 to 80 characters.
    pub fn parse(input: &str) -> Result<Self, EventKindError> {
        let display = bounded_text(input, 80).map_err(EventKindError)?;
        let display = display.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = display.to_lowercase();
        Ok(EventKind { display, key })
    }

    /// The kind as the firm wrote it.
    pub fn as_str(&self) -> &str {
        &self.display
    }
}

impl PartialEq for EventKind {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for EventKind {}

impl std::hash::Hash for EventKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Debug for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKind({})", self.display)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl TryFrom<String> for EventKind {
    type Error = EventKindError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        EventKind::parse(&value)
    }
}

impl From<EventKind> for String {
    fn from(value: EventKind) -> Self {
        value.display
    }
}

/// The unit of a reminder offset. Days and weeks are calendar days in the event's zone;
/// minutes and hours are elapsed time (so "2 hours before" is two real hours even across
/// a clock change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetUnit {
    /// Elapsed minutes.
    Minutes,
    /// Elapsed hours.
    Hours,
    /// Calendar days in the event's zone.
    Days,
    /// Calendar weeks (7 calendar days) in the event's zone.
    Weeks,
}

impl OffsetUnit {
    fn minutes(self) -> u32 {
        match self {
            OffsetUnit::Minutes => 1,
            OffsetUnit::Hours => 60,
            OffsetUnit::Days => 24 * 60,
            OffsetUnit::Weeks => 7 * 24 * 60,
        }
    }

    fn name(self, plural: bool) -> &'static str {
        match (self, plural) {
            (OffsetUnit::Minutes, false) => "minute",
            (OffsetUnit::Minutes, true) => "minutes",
            (OffsetUnit::Hours, false) => "hour",
            (OffsetUnit::Hours, true) => "hours",
            (OffsetUnit::Days, false) => "day",
            (OffsetUnit::Days, true) => "days",
            (OffsetUnit::Weeks, false) => "week",
            (OffsetUnit::Weeks, true) => "weeks",
        }
    }
}

/// How long before an event a reminder goes out: "1 day", "2 hours", "30 minutes".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "OffsetRepr", into = "OffsetRepr")]
pub struct Offset {
    amount: u32,
    unit: OffsetUnit,
}

#[derive(Serialize, Deserialize)]
struct OffsetRepr {
    amount: u32,
    unit: OffsetUnit,
}

/// An offset that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OffsetError {
    /// Zero: a reminder at the moment of the event reminds nobody.
    #[error("a reminder offset must be at least 1")]
    Zero,
    /// More than a year ahead.
    #[error("a reminder offset can be at most one year (365 days)")]
    TooFar,
    /// Text that is not "N unit".
    #[error(
        "cannot read {0:?} as an offset: write e.g. \"30 minutes\", \"2 hours\", \"1 day\", \"1 week\""
    )]
    Unreadable(String),
}

impl Offset {
    /// The longest offset allowed, in minutes (365 days).
    pub const MAX_MINUTES: u32 = 365 * 24 * 60;

    /// An offset of `amount` units, between one minute and a year.
    pub fn new(amount: u32, unit: OffsetUnit) -> Result<Self, OffsetError> {
        if amount == 0 {
            return Err(OffsetError::Zero);
        }
        if amount
            .checked_mul(unit.minutes())
            .is_none_or(|m| m > Self::MAX_MINUTES)
        {
            return Err(OffsetError::TooFar);
        }
        Ok(Offset { amount, unit })
    }

    /// How many units.
    pub fn amount(self) -> u32 {
        self.amount
    }

    /// Which unit.
    pub fn unit(self) -> OffsetUnit {
        self.unit
    }

    /// The offset in minutes, for ordering (a calendar day counted as 1,440 minutes).
    pub fn nominal_minutes(self) -> u32 {
        self.amount * self.unit.minutes()
    }
}

impl FromStr for Offset {
    type Err = OffsetError;

    /// Reads "30 minutes", "2 hours", "1 day", "1 week", "3d", "2h", "30m", "1w"; an
    /// optional trailing "before" is allowed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unreadable = || OffsetError::Unreadable(s.to_owned());
        let lower = s.trim().to_ascii_lowercase();
        let lower = lower.strip_suffix("before").unwrap_or(&lower).trim_end();
        let split = lower
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(unreadable)?;
        let (digits, unit) = lower.split_at(split);
        let amount: u32 = digits.parse().map_err(|_| unreadable())?;
        let unit = match unit.trim() {
            "m" | "min" | "mins" | "minute" | "minutes" => OffsetUnit::Minutes,
            "h" | "hr" | "hrs" | "hour" | "hours" => OffsetUnit::Hours,
            "d" | "day" | "days" => OffsetUnit::Days,
            "w" | "wk" | "wks" | "week" | "weeks" => OffsetUnit::Weeks,
            _ => return Err(unreadable()),
        };
        Offset::new(amount, unit)
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.name(self.amount != 1))
    }
}

impl fmt::Debug for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Offset({self})")
    }
}

impl TryFrom<OffsetRepr> for Offset {
    type Error = OffsetError;

    fn try_from(value: OffsetRepr) -> Result<Self, Self::Error> {
        Offset::new(value.amount, value.unit)
    }
}

impl From<Offset> for OffsetRepr {
    fn from(value: Offset) -> Self {
        OffsetRepr {
            amount: value.amount,
            unit: value.unit,
        }
    }
}

/// A dated event of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The store's id.
    pub id: EventId,
    /// The case it belongs to.
    pub case_id: CaseId,
    /// What the client sees in reminders ("Meeting of creditors").
    pub title: String,
    /// What recipes select on ("341 Meeting").
    pub kind: EventKind,
    /// When it starts, as an instant.
    pub starts_at: DateTime<Utc>,
    /// When it ends, if known; after `starts_at`.
    pub ends_at: Option<DateTime<Utc>>,
    /// The zone the event happens in; dates and times in reminders are shown in it.
    pub time_zone: Tz,
    /// Where it happens (a courtroom, an address, "by phone: ..."), if known.
    pub location: Option<String>,
    /// Reminders set on this event itself, in addition to the firm's recipes.
    pub reminders: Vec<Offset>,
    /// A cancelled event keeps its history but gets no reminders.
    pub cancelled: bool,
}

/// Why an event cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    /// The title is unusable.
    #[error("event title {0}")]
    Title(TextError),
    /// The location is unusable.
    #[error("event location {0}")]
    Location(TextError),
    /// The end is not after the start.
    #[error("an event must end after it starts")]
    EndsBeforeStart,
    /// The same offset was given twice.
    #[error("the reminder {0} is listed twice")]
    DuplicateReminder(Offset),
    /// More per-event reminders than a client would want.
    #[error("at most {max} reminders can be set on one event")]
    TooManyReminders {
        /// The limit.
        max: usize,
    },
}

impl EventError {
    /// The field of the event the error is about: `title`, `location`, `ends_at` or
    /// `reminders`.
    pub fn field(&self) -> &'static str {
        match self {
            EventError::Title(_) => "title",
            EventError::Location(_) => "location",
            EventError::EndsBeforeStart => "ends_at",
            EventError::DuplicateReminder(_) | EventError::TooManyReminders { .. } => "reminders",
        }
    }
}

/// The fields of an event as entered, before they are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft<'a> {
    /// Title.
    pub title: &'a str,
    /// Kind.
    pub kind: EventKind,
    /// Start instant.
    pub starts_at: DateTime<Utc>,
    /// End instant, if any.
    pub ends_at: Option<DateTime<Utc>>,
    /// Zone of the event.
    pub time_zone: Tz,
    /// Location text, if any (blank counts as none).
    pub location: Option<&'a str>,
    /// Per-event reminder offsets.
    pub reminders: Vec<Offset>,
}

impl CaseEvent {
    /// The most per-event reminders one event may have.
    pub const MAX_REMINDERS: usize = 5;

    /// Checks an event draft: a title of 1 to 200 characters, an optional location of up
    /// to 300, an end after the start, at most five distinct reminder offsets (kept
    /// sorted, furthest first).
    pub fn new(id: EventId, case_id: CaseId, draft: EventDraft<'_>) -> Result<Self, EventError> {
        let title = bounded_text(draft.title, 200).map_err(EventError::Title)?;
        let location = match draft.location.map(str::trim) {
            None | Some("") => None,
            Some(l) => Some(bounded_text(l, 300).map_err(EventError::Location)?),
        };
        if draft.ends_at.is_some_and(|end| end <= draft.starts_at) {
            return Err(EventError::EndsBeforeStart);
        }
        let mut reminders = draft.reminders;
        if reminders.len() > Self::MAX_REMINDERS {
            return Err(EventError::TooManyReminders {
                max: Self::MAX_REMINDERS,
            });
        }
        reminders.sort_by_key(|o| std::cmp::Reverse((o.nominal_minutes(), o.unit)));
        if let Some(w) = reminders.windows(2).find(|w| w[0] == w[1]) {
            return Err(EventError::DuplicateReminder(w[0]));
        }
        Ok(CaseEvent {
            id,
            case_id,
            title,
            kind: draft.kind,
            starts_at: draft.starts_at,
            ends_at: draft.ends_at,
            time_zone: draft.time_zone,
            location,
            reminders,
            cancelled: false,
        })
    }

    /// The start in the event's own zone.
    pub fn start(&self) -> DateTime<Tz> {
        self.starts_at.with_timezone(&self.time_zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn event_kinds_compare_loosely() {
        assert_eq!(
            EventKind::parse("341  meeting").unwrap(),
            EventKind::parse("341 Meeting").unwrap()
        );
        assert_eq!(
            EventKind::parse(" 341  Meeting ").unwrap().as_str(),
            "341 Meeting"
        );
        assert!(EventKind::parse(" ").is_err());
    }

    #[test]
    fn offsets_read_like_people_write_them() {
        let cases = [
            ("30 minutes", 30, OffsetUnit::Minutes),
            ("2h", 2, OffsetUnit::Hours),
            ("1 day before", 1, OffsetUnit::Days),
            ("3 Days", 3, OffsetUnit::Days),
            ("1w", 1, OffsetUnit::Weeks),
        ];
        for (input, amount, unit) in cases {
            assert_eq!(
                input.parse::<Offset>().unwrap(),
                Offset::new(amount, unit).unwrap(),
                "{input}"
            );
        }
        assert_eq!(
            Offset::new(1, OffsetUnit::Days).unwrap().to_string(),
            "1 day"
        );
        assert_eq!(
            Offset::new(3, OffsetUnit::Hours).unwrap().to_string(),
            "3 hours"
        );
        assert_eq!("0 days".parse::<Offset>(), Err(OffsetError::Zero));
        assert_eq!("53 weeks".parse::<Offset>(), Err(OffsetError::TooFar));
        assert!(matches!(
            "soon".parse::<Offset>(),
            Err(OffsetError::Unreadable(_))
        ));
        assert!(matches!(
            "5 fortnights".parse::<Offset>(),
            Err(OffsetError::Unreadable(_))
        ));
    }

    fn draft(reminders: Vec<Offset>) -> EventDraft<'static> {
        EventDraft {
            title: "Meeting of creditors",
            kind: EventKind::parse("341 Meeting").unwrap(),
            starts_at: "2026-03-10T14:00:00Z".parse().unwrap(),
            ends_at: None,
            time_zone: chrono_tz::America::New_York,
            location: Some("  "),
            reminders,
        }
    }

    #[test]
    fn events_are_checked() {
        let day = Offset::new(1, OffsetUnit::Days).unwrap();
        let hour = Offset::new(2, OffsetUnit::Hours).unwrap();
        let e = CaseEvent::new(EventId::new(1), CaseId::new(1), draft(vec![hour, day])).unwrap();
        assert_eq!(e.reminders, [day, hour], "furthest first");
        assert_eq!(e.location, None, "blank location counts as none");
        assert_eq!(e.start().to_rfc3339(), "2026-03-10T10:00:00-04:00");

        assert_eq!(
            CaseEvent::new(EventId::new(1), CaseId::new(1), draft(vec![day, day])),
            Err(EventError::DuplicateReminder(day))
        );
        let mut bad = draft(vec![]);
        bad.ends_at = Some(bad.starts_at);
        assert_eq!(
            CaseEvent::new(EventId::new(1), CaseId::new(1), bad),
            Err(EventError::EndsBeforeStart)
        );
    }

    #[test]
    fn errors_name_the_field_they_are_about() {
        let day = Offset::new(1, OffsetUnit::Days).unwrap();
        let check = |d: EventDraft<'_>| {
            CaseEvent::new(EventId::new(1), CaseId::new(1), d)
                .unwrap_err()
                .field()
        };
        let mut untitled = draft(vec![]);
        untitled.title = " ";
        assert_eq!(check(untitled), "title");
        assert_eq!(check(draft(vec![day, day])), "reminders");
        let mut backwards = draft(vec![]);
        backwards.ends_at = Some(backwards.starts_at);
        assert_eq!(check(backwards), "ends_at");
    }

    proptest! {
        #[test]
        fn offset_parse_never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<Offset>();
        }

        #[test]
        fn offsets_round_trip_through_display(amount in 1u32..500, unit in 0usize..4) {
            let unit = [OffsetUnit::Minutes, OffsetUnit::Hours, OffsetUnit::Days, OffsetUnit::Weeks][unit];
            if let Ok(o) = Offset::new(amount, unit) {
                prop_assert_eq!(o.to_string().parse::<Offset>().unwrap(), o);
                prop_assert!(o.nominal_minutes() <= Offset::MAX_MINUTES);
            }
        }
    }
}
