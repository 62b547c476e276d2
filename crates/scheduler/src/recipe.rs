//! Firm-wide reminder recipes: which events they apply to, how long before, and what
//! they say.

use std::fmt;

use casewire_model::{EventKind, Offset, OffsetUnit, RecipeId};
use chrono::{DateTime, Days, NaiveTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Template, local_time};

/// Which events a recipe reminds of.
///
/// Serialized as `{"type":"all_events"}` or `{"type":"kinds","kinds":["341 Meeting"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "kinds", rename_all = "snake_case")]
pub enum AppliesTo {
    /// Every event of every case.
    AllEvents,
    /// Events of these kinds (compared as [`EventKind`] does: ignoring case and repeated
    /// spaces). An empty list applies to nothing.
    Kinds(Vec<EventKind>),
}

impl AppliesTo {
    /// Whether an event of `kind` gets this recipe's reminder.
    pub fn matches(&self, kind: &EventKind) -> bool {
        match self {
            AppliesTo::AllEvents => true,
            AppliesTo::Kinds(kinds) => kinds.contains(kind),
        }
    }
}

/// How long before an event a reminder goes out: "3 days before", or "2 days before at
/// 10:00" (a fixed wall-clock time in the event's zone).
///
/// Build it with [`Lead::new`], which refuses a fixed time on an elapsed-time lead
/// ("2 hours before at 10:00" says two different things). A `Lead` built field by field
/// with both is read as the elapsed time, ignoring `at`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "LeadRepr", into = "LeadRepr")]
pub struct Lead {
    /// How far ahead of the event.
    pub before: Offset,
    /// The local time of day to send at, in the event's zone; only with days or weeks.
    pub at: Option<NaiveTime>,
}

#[derive(Serialize, Deserialize)]
struct LeadRepr {
    before: Offset,
    #[serde(default)]
    at: Option<NaiveTime>,
}

/// Why a lead was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LeadError {
    /// A fixed delivery time on a lead of minutes or hours.
    #[error(
        "a delivery time only goes with a lead in days or weeks; \"{before} before\" is counted in elapsed time"
    )]
    AtNeedsDaysOrWeeks {
        /// The lead that was given.
        before: Offset,
    },
    /// A delivery time with seconds, such as 10:00:30.
    #[error("a delivery time is a whole minute, such as 10:00")]
    AtNotWholeMinute,
}

impl Lead {
    /// A lead of `before`, sent at the local time `at` of that day if given. `at` needs
    /// a lead in days or weeks and a whole minute.
    pub fn new(before: Offset, at: Option<NaiveTime>) -> Result<Self, LeadError> {
        if let Some(at) = at {
            if matches!(before.unit(), OffsetUnit::Minutes | OffsetUnit::Hours) {
                return Err(LeadError::AtNeedsDaysOrWeeks { before });
            }
            if at.second() != 0 || at.nanosecond() != 0 {
                return Err(LeadError::AtNotWholeMinute);
            }
        }
        Ok(Lead { before, at })
    }

    /// When a reminder with this lead goes out for an event starting at `start` (in the
    /// event's zone).
    ///
    /// - Minutes and hours are elapsed time: `start` minus the duration, even across a
    ///   clock change.
    /// - Days and weeks are calendar days in the event's zone: the event's local date
    ///   minus that many days, at the event's local time or at `at` if set. A wall-clock
    ///   time that a clock change skips is moved forward by the length of the skip
    ///   (02:30 becomes 03:30); one that happens twice is the earlier of the two.
    ///
    /// `None` only when the result falls outside the dates chrono can represent.
    ///
    /// ```
    /// use casewire_scheduler::Lead;
    /// use chrono::{NaiveTime, TimeZone};
    /// use chrono_tz::America::New_York;
    ///
    /// let lead = Lead::new("1 day".parse()?, NaiveTime::from_hms_opt(10, 0, 0))?;
    /// // A Monday 9:30 AM hearing, the day after clocks spring forward...
    /// let start = New_York
    ///     .with_ymd_and_hms(2026, 3, 9, 9, 30, 0)
    ///     .single()
    ///     .ok_or("9:30 happens once that day")?;
    /// // ...is reminded of on Sunday at 10:00 AM local time, now EDT.
    /// let send_at = lead.send_at(start).ok_or("within chrono's range")?;
    /// assert_eq!(send_at.to_rfc3339(), "2026-03-08T14:00:00+00:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_at(&self, start: DateTime<Tz>) -> Option<DateTime<Utc>> {
        let days = match self.before.unit() {
            OffsetUnit::Minutes | OffsetUnit::Hours => {
                let lead = TimeDelta::try_minutes(self.before.nominal_minutes().into())?;
                return start.with_timezone(&Utc).checked_sub_signed(lead);
            }
            OffsetUnit::Days => self.before.amount(),
            OffsetUnit::Weeks => self.before.amount().checked_mul(7)?,
        };
        let date = start
            .date_naive()
            .checked_sub_days(Days::new(days.into()))?;
        let time = self.at.unwrap_or_else(|| start.time());
        local_time::resolve(start.timezone(), date.and_time(time)).map(|t| t.with_timezone(&Utc))
    }
}

impl From<Offset> for Lead {
    /// A lead with no fixed delivery time.
    fn from(before: Offset) -> Self {
        Lead { before, at: None }
    }
}

impl fmt::Display for Lead {
    /// "3 days before", "2 days before at 10:00 AM".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} before", self.before)?;
        match self.at {
            Some(at) if matches!(self.before.unit(), OffsetUnit::Days | OffsetUnit::Weeks) => {
                write!(f, " at {}", at.format("%-I:%M %p"))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Lead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lead({self})")
    }
}

impl TryFrom<LeadRepr> for Lead {
    type Error = LeadError;

    fn try_from(value: LeadRepr) -> Result<Self, Self::Error> {
        Lead::new(value.before, value.at)
    }
}

impl From<Lead> for LeadRepr {
    fn from(value: Lead) -> Self {
        LeadRepr {
            before: value.before,
            at: value.at,
        }
    }
}

/// A firm-wide reminder rule: "3 days before every 341 meeting, text this".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    /// The store's id; part of every reminder key the recipe makes.
    pub id: RecipeId,
    /// What staff call it ("341 meeting, 3 days out").
    pub name: String,
    /// Which events it reminds of.
    pub applies_to: AppliesTo,
    /// How long before.
    pub lead: Lead,
    /// What the text says.
    pub template: Template,
    /// A disabled recipe plans nothing.
    pub enabled: bool,
}

impl Recipe {
    /// Whether this recipe makes a reminder for an event of `kind`: it is enabled and
    /// applies to that kind.
    pub fn applies(&self, kind: &EventKind) -> bool {
        self.enabled && self.applies_to.matches(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    fn kind(s: &str) -> EventKind {
        EventKind::parse(s).unwrap()
    }

    fn offset(s: &str) -> Offset {
        s.parse().unwrap()
    }

    fn ten() -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(10, 0, 0)
    }

    #[test]
    fn a_recipe_for_341_meetings_leaves_hearings_alone() {
        let only_341 = AppliesTo::Kinds(vec![kind("341 Meeting")]);
        assert!(only_341.matches(&kind("341  meeting")));
        assert!(!only_341.matches(&kind("Confirmation Hearing")));
        assert!(AppliesTo::AllEvents.matches(&kind("Confirmation Hearing")));
        assert!(!AppliesTo::Kinds(vec![]).matches(&kind("341 Meeting")));
    }

    #[test]
    fn a_disabled_recipe_applies_to_nothing() {
        let mut recipe = Recipe {
            id: RecipeId::new(1),
            name: "Everything, 1 day out".into(),
            applies_to: AppliesTo::AllEvents,
            lead: offset("1 day").into(),
            template: Template::default_reminder(),
            enabled: true,
        };
        assert!(recipe.applies(&kind("341 Meeting")));
        recipe.enabled = false;
        assert!(!recipe.applies(&kind("341 Meeting")));
    }

    #[test]
    fn a_delivery_time_goes_only_with_days_or_weeks() {
        assert!(Lead::new(offset("2 days"), ten()).is_ok());
        assert!(Lead::new(offset("1 week"), ten()).is_ok());
        assert!(Lead::new(offset("2 hours"), None).is_ok());
        assert_eq!(
            Lead::new(offset("2 hours"), ten()),
            Err(LeadError::AtNeedsDaysOrWeeks {
                before: offset("2 hours")
            })
        );
        assert!(matches!(
            Lead::new(offset("30 minutes"), ten()),
            Err(LeadError::AtNeedsDaysOrWeeks { .. })
        ));
        assert_eq!(
            Lead::new(offset("1 day"), NaiveTime::from_hms_opt(10, 0, 30)),
            Err(LeadError::AtNotWholeMinute)
        );
    }

    #[test]
    fn leads_read_like_staff_say_them() {
        assert_eq!(Lead::from(offset("3 days")).to_string(), "3 days before");
        assert_eq!(
            Lead::new(offset("2 days"), ten()).unwrap().to_string(),
            "2 days before at 10:00 AM"
        );
        assert_eq!(
            Lead::new(offset("1 day"), NaiveTime::from_hms_opt(17, 30, 0))
                .unwrap()
                .to_string(),
            "1 day before at 5:30 PM"
        );
    }

    #[test]
    fn an_hours_lead_with_a_time_built_by_hand_counts_elapsed_time() {
        let lead = Lead {
            before: offset("2 hours"),
            at: ten(),
        };
        let start = New_York.with_ymd_and_hms(2026, 3, 10, 9, 30, 0).unwrap();
        assert_eq!(
            lead.send_at(start).unwrap().to_rfc3339(),
            "2026-03-10T11:30:00+00:00"
        );
        assert_eq!(lead.to_string(), "2 hours before");
    }

    #[test]
    fn recipes_serialize_in_a_stable_shape_and_validate_when_read() {
        let recipe = Recipe {
            id: RecipeId::new(7),
            name: "341, two days out".into(),
            applies_to: AppliesTo::Kinds(vec![kind("341 Meeting")]),
            lead: Lead::new(offset("2 days"), ten()).unwrap(),
            template: Template::parse("Hi {client_first_name}").unwrap(),
            enabled: true,
        };
        let json = serde_json::to_value(&recipe).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 7,
                "name": "341, two days out",
                "applies_to": {"type": "kinds", "kinds": ["341 Meeting"]},
                "lead": {"before": {"amount": 2, "unit": "days"}, "at": "10:00:00"},
                "template": "Hi {client_first_name}",
                "enabled": true,
            })
        );
        assert_eq!(serde_json::from_value::<Recipe>(json).unwrap(), recipe);
        assert_eq!(
            serde_json::to_value(AppliesTo::AllEvents).unwrap(),
            serde_json::json!({"type": "all_events"})
        );
        let bad_lead =
            serde_json::json!({"before": {"amount": 2, "unit": "hours"}, "at": "10:00:00"});
        assert!(serde_json::from_value::<Lead>(bad_lead).is_err());
        let no_at = serde_json::json!({"before": {"amount": 3, "unit": "days"}});
        assert_eq!(
            serde_json::from_value::<Lead>(no_at).unwrap(),
            Lead::from(offset("3 days"))
        );
    }
}
