//! A firm's texting settings, kept as one JSON document beside the firm row.

use casewire_compliance::{KeywordReplies, Keywords, QuietHours};
use casewire_scheduler::Template;
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// Everything a firm can tune about its texting, beyond its numbers and its email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FirmSettings {
    /// The local hours in which automatic texts may land.
    #[serde(with = "quiet_hours")]
    pub quiet_hours: QuietHours,
    /// The firm's keywords (the mandatory STOP, START and HELP always among them).
    pub keywords: Keywords,
    /// The keyword replies and whether the firm sends them itself.
    pub replies: KeywordReplies,
    /// The template of per-event reminders.
    pub event_template: Template,
}

impl Default for FirmSettings {
    fn default() -> Self {
        FirmSettings {
            quiet_hours: QuietHours::default(),
            keywords: Keywords::default(),
            replies: KeywordReplies::default(),
            event_template: Template::default_reminder(),
        }
    }
}

mod quiet_hours {
    use super::*;
    use serde::{Deserializer, Serializer, de::Error as _};

    #[derive(Serialize, Deserialize)]
    struct Repr {
        start: NaiveTime,
        end: NaiveTime,
    }

    pub(super) fn serialize<S: Serializer>(q: &QuietHours, s: S) -> Result<S::Ok, S::Error> {
        Repr {
            start: q.start(),
            end: q.end(),
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<QuietHours, D::Error> {
        let r = Repr::deserialize(d)?;
        QuietHours::new(r.start, r.end).map_err(D::Error::custom)
    }
}
