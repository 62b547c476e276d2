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

    /// Hours kept by a version that accepted windows wider than 08:00–21:00 are read as
    /// the part of them that is allowed.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<QuietHours, D::Error> {
        let r = Repr::deserialize(d)?;
        QuietHours::narrowed(r.start, r.end).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn kept_hours_wider_than_allowed_are_read_narrowed() {
        let kept = r#"{"quiet_hours":{"start":"07:00:00","end":"22:00:00"}}"#;
        let settings: FirmSettings = serde_json::from_str(kept).unwrap();
        assert_eq!(settings.quiet_hours, QuietHours::default());
        let stricter = r#"{"quiet_hours":{"start":"09:00:00","end":"20:00:00"}}"#;
        let settings: FirmSettings = serde_json::from_str(stricter).unwrap();
        assert_eq!(
            (settings.quiet_hours.start(), settings.quiet_hours.end()),
            (t(9), t(20))
        );
        let backwards = r#"{"quiet_hours":{"start":"20:00:00","end":"09:00:00"}}"#;
        assert!(serde_json::from_str::<FirmSettings>(backwards).is_err());
    }
}
