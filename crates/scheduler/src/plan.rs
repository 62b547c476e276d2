//! Planning: which reminders a case's events should get, when, to whom and with what
//! text, under keys that stay put while nothing about a reminder changes.

use std::collections::{HashMap, HashSet};
use std::fmt;

use casewire_model::{
    Case, CaseEvent, CaseId, CaseStatus, DebtorId, EventId, Firm, FirmId, Offset, OffsetUnit,
    PhoneNumber, RecipeId, Recipients,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Lead, Recipe, RenderContext, Template};

/// What made a reminder: a firm recipe, or an offset set on the event itself.
///
/// Serialized as `{"type":"recipe","recipe_id":7}` or
/// `{"type":"event","offset":{"amount":2,"unit":"hours"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReminderSource {
    /// A firm-wide recipe.
    Recipe {
        /// The recipe.
        recipe_id: RecipeId,
    },
    /// One of the event's own reminders.
    Event {
        /// How long before the event.
        offset: Offset,
    },
}

impl ReminderSource {
    /// The source as it enters a [`ReminderKey`]: `recipe:7` or `event:2:hours`. Stable
    /// across releases: changing it would change every key.
    pub fn as_key_part(&self) -> String {
        match self {
            ReminderSource::Recipe { recipe_id } => format!("recipe:{}", recipe_id.get()),
            ReminderSource::Event { offset } => {
                let unit = match offset.unit() {
                    OffsetUnit::Minutes => "minutes",
                    OffsetUnit::Hours => "hours",
                    OffsetUnit::Days => "days",
                    OffsetUnit::Weeks => "weeks",
                };
                format!("event:{}:{unit}", offset.amount())
            }
        }
    }
}

/// The identity of one planned reminder: `rk1_` and 32 lowercase hex digits.
///
/// It is the 128-bit FNV-1a hash of the UTF-8 text
/// `casewire-reminder|<firm id>|<case id>|<event id>|<source>|<E.164 number>|<start>`,
/// where `<source>` is [`ReminderSource::as_key_part`] and `<start>` is the event's start
/// as Unix seconds, a dot and nine digits of nanoseconds (`1773149400.000000000`).
///
/// So the key of a reminder stays the same as long as its event, source, number and the
/// event's start do, whatever else is edited (the text, the lead time, the recipient's
/// name), and re-planning updates it in place; moving the event or changing the number
/// gives a new key, so the old reminder is cancelled and a new one made. The number
/// enters only through the hash, which keeps it out of logs; FNV is not a cryptographic
/// hash, so a key is not a secret.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReminderKey(String);

/// A stored text that is not a reminder key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a reminder key is rk1_ followed by 32 lowercase hexadecimal digits")]
pub struct ReminderKeyError;

const KEY_PREFIX: &str = "rk1_";
const FNV128_OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV128_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

fn fnv1a_128(bytes: &[u8]) -> u128 {
    bytes.iter().fold(FNV128_OFFSET_BASIS, |hash, &b| {
        (hash ^ u128::from(b)).wrapping_mul(FNV128_PRIME)
    })
}

impl ReminderKey {
    /// The key of the reminder for this firm, case, event, source, number and event
    /// start. See the type's documentation for the exact recipe.
    pub fn derive(
        firm_id: FirmId,
        case_id: CaseId,
        event_id: EventId,
        source: &ReminderSource,
        to: &PhoneNumber,
        event_starts_at: DateTime<Utc>,
    ) -> Self {
        let input = format!(
            "casewire-reminder|{}|{}|{}|{}|{}|{}.{:09}",
            firm_id.get(),
            case_id.get(),
            event_id.get(),
            source.as_key_part(),
            to.as_e164(),
            event_starts_at.timestamp(),
            event_starts_at.timestamp_subsec_nanos(),
        );
        ReminderKey(format!("{KEY_PREFIX}{:032x}", fnv1a_128(input.as_bytes())))
    }

    /// Reads a key back from storage.
    pub fn parse(input: &str) -> Result<Self, ReminderKeyError> {
        let hex = input.strip_prefix(KEY_PREFIX).ok_or(ReminderKeyError)?;
        if hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(ReminderKey(input.to_owned()))
        } else {
            Err(ReminderKeyError)
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReminderKey({})", self.0)
    }
}

impl TryFrom<String> for ReminderKey {
    type Error = ReminderKeyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ReminderKey::parse(&value)
    }
}

impl From<ReminderKey> for String {
    fn from(value: ReminderKey) -> Self {
        value.0
    }
}

impl std::str::FromStr for ReminderKey {
    type Err = ReminderKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReminderKey::parse(s)
    }
}

/// One text the plan wants sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedReminder {
    /// Its identity across re-plans.
    pub key: ReminderKey,
    /// The event it reminds of.
    pub event_id: EventId,
    /// What made it.
    pub source: ReminderSource,
    /// The debtor the number belongs to (the first-named one when two share it).
    pub debtor_id: DebtorId,
    /// The number it goes to.
    pub to: PhoneNumber,
    /// When it should go out.
    pub send_at: DateTime<Utc>,
    /// The text, filled in.
    pub body: String,
    /// When the event starts, as planned for; a worker can compare it with the event
    /// before sending.
    pub event_starts_at: DateTime<Utc>,
}

impl fmt::Debug for PlannedReminder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body stays out of logs; the number's Debug is masked.
        f.debug_struct("PlannedReminder")
            .field("key", &self.key)
            .field("event_id", &self.event_id)
            .field("source", &self.source)
            .field("debtor_id", &self.debtor_id)
            .field("to", &self.to)
            .field("send_at", &self.send_at)
            .field("body_chars", &self.body.chars().count())
            .field("event_starts_at", &self.event_starts_at)
            .finish()
    }
}

/// Everything [`plan`] reads.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The firm: its id enters the keys, its name and primary texting number the texts.
    pub firm: &'a Firm,
    /// The case whose events are planned.
    pub case: &'a Case,
    /// The case's events, cancelled ones included (they get nothing).
    pub events: &'a [CaseEvent],
    /// The firm's recipes, disabled ones included (they make nothing).
    pub recipes: &'a [Recipe],
    /// The text of the reminders set on events themselves.
    pub event_template: &'a Template,
    /// The present: nothing is planned at or before it.
    pub now: DateTime<Utc>,
}

/// Plans the reminders of one case, sorted by send time, then key.
///
/// - Nothing for a closed case, a case whose automatic reminders are Off (recipe and
///   per-event reminders alike: Off means no automatic text at all), or a case of
///   another firm than `input.firm`.
/// - Nothing for a cancelled event, nor for an event of another case.
/// - For every other event, every enabled recipe that applies to its kind and every
///   offset set on the event make one reminder per recipient ([`Recipients::of`]: each
///   distinct mobile number once, so a joint case texts both debtors). Recipes use their
///   own template, event offsets `input.event_template`.
/// - A reminder whose send time is at or before `now`, or not before the event's start,
///   is dropped.
/// - Two reminders of one event to one number at the same instant are both kept when
///   their texts differ (a recipe and an event offset that say different things); when
///   the texts are identical the client would get the same text twice, so only the first
///   is kept: recipes in `input.recipes` order, then event offsets.
/// - A key appears once: if the input repeats an event id or a recipe id, the first wins.
///
/// The same input always gives the same output.
pub fn plan(input: &PlanInput<'_>) -> Vec<PlannedReminder> {
    let case = input.case;
    if case.status != CaseStatus::Open
        || !case.texting.automatic_reminders.is_on()
        || case.firm_id != input.firm.id()
    {
        return Vec::new();
    }
    let recipients = Recipients::of(case);
    let firm_phone = &input.firm.primary_number().number;
    let mut planned: Vec<PlannedReminder> = Vec::new();
    let mut keys: HashSet<ReminderKey> = HashSet::new();
    for event in input.events {
        if event.cancelled || event.case_id != case.id {
            continue;
        }
        let recipe_sources = input
            .recipes
            .iter()
            .filter(|r| r.applies(&event.kind))
            .map(|r| {
                let source = ReminderSource::Recipe { recipe_id: r.id };
                (source, r.lead, &r.template)
            });
        let event_sources = event.reminders.iter().map(|&offset| {
            let source = ReminderSource::Event { offset };
            (source, Lead::from(offset), input.event_template)
        });
        let first_of_event = planned.len();
        for (source, lead, template) in recipe_sources.chain(event_sources) {
            let Some(send_at) = lead.send_at(event.start()) else {
                continue;
            };
            if send_at <= input.now || send_at >= event.starts_at {
                continue;
            }
            for recipient in &recipients.recipients {
                let body = template.render(&RenderContext {
                    event,
                    client_first_name: &recipient.first_name,
                    firm_name: input.firm.name(),
                    firm_phone,
                });
                let same_text_already = planned[first_of_event..]
                    .iter()
                    .any(|p| p.to == recipient.number && p.send_at == send_at && p.body == body);
                if same_text_already {
                    continue;
                }
                let key = ReminderKey::derive(
                    input.firm.id(),
                    case.id,
                    event.id,
                    &source,
                    &recipient.number,
                    event.starts_at,
                );
                if !keys.insert(key.clone()) {
                    continue;
                }
                planned.push(PlannedReminder {
                    key,
                    event_id: event.id,
                    source,
                    debtor_id: recipient.debtor_id,
                    to: recipient.number.clone(),
                    send_at,
                    body,
                    event_starts_at: event.starts_at,
                });
            }
        }
    }
    planned.sort_by(|a, b| a.send_at.cmp(&b.send_at).then_with(|| a.key.cmp(&b.key)));
    planned
}

/// What to change in the store to go from the reminders it holds to a new plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanDiff {
    /// Planned reminders the store does not have: new events, recipes, numbers, or the
    /// new key of a moved event.
    pub insert: Vec<PlannedReminder>,
    /// Planned reminders the store has under the same key with another send time or
    /// text: an edited recipe text or lead, a renamed event, a new location.
    pub update: Vec<PlannedReminder>,
    /// Stored reminders the plan no longer wants: a cancelled or moved event, a disabled
    /// recipe, a removed number, automatic reminders turned Off.
    pub cancel: Vec<ReminderKey>,
}

impl PlanDiff {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.insert.is_empty() && self.update.is_empty() && self.cancel.is_empty()
    }
}

/// Compares the reminders the store holds for a case, as (key, send time, text), with a
/// fresh [`plan`] of it, so that exactly the affected reminders are touched.
///
/// `existing` should be the case's reminders that are still pending and due after the
/// `now` the plan was made with: a reminder already due belongs to the worker sending it,
/// and the plan (which never contains a due reminder) would otherwise cancel it. Insert
/// and update keep the plan's order; cancel keeps the order of `existing`, each key once.
pub fn diff(
    existing: &[(ReminderKey, DateTime<Utc>, String)],
    planned: &[PlannedReminder],
) -> PlanDiff {
    let stored: HashMap<&ReminderKey, (&DateTime<Utc>, &String)> = existing
        .iter()
        .map(|(key, send_at, body)| (key, (send_at, body)))
        .collect();
    let mut out = PlanDiff::default();
    for p in planned {
        match stored.get(&p.key) {
            None => out.insert.push(p.clone()),
            Some((send_at, body)) if **send_at != p.send_at || **body != p.body => {
                out.update.push(p.clone());
            }
            Some(_) => {}
        }
    }
    let wanted: HashSet<&ReminderKey> = planned.iter().map(|p| &p.key).collect();
    let mut cancelled: HashSet<&ReminderKey> = HashSet::new();
    for (key, _, _) in existing {
        if !wanted.contains(key) && cancelled.insert(key) {
            out.cancel.push(key.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use casewire_model::Region;

    fn number(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s, Region::US).unwrap()
    }

    fn key(number_text: &str, start: &str) -> ReminderKey {
        ReminderKey::derive(
            FirmId::new(1),
            CaseId::new(2),
            EventId::new(3),
            &ReminderSource::Recipe {
                recipe_id: RecipeId::new(4),
            },
            &number(number_text),
            start.parse().unwrap(),
        )
    }

    #[test]
    fn fnv1a_128_matches_the_published_test_vectors() {
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn a_reminder_key_never_changes_across_releases() {
        // FNV-1a 128 of "casewire-reminder|1|2|3|recipe:4|+13125550101|1773149400.000000000",
        // computed outside this crate. If this fails, every stored key would be orphaned.
        let k = key("312-555-0101", "2026-03-10T13:30:00Z");
        assert_eq!(k.as_str(), "rk1_104c0ff7a7fe05226d6d57d5250ef74e");
    }

    #[test]
    fn a_reminder_key_hides_the_number() {
        let k = key("312-555-0101", "2026-03-10T13:30:00Z");
        assert!(!k.as_str().contains("3125550101"));
        assert!(!k.as_str().contains("0101"));
        assert!(!format!("{k:?}").contains("5550101"));
    }

    #[test]
    fn a_new_number_or_a_new_start_makes_a_new_key() {
        let k = key("312-555-0101", "2026-03-10T13:30:00Z");
        assert_eq!(k, key("(312) 555-0101", "2026-03-10T13:30:00Z"));
        assert_ne!(k, key("312-555-0102", "2026-03-10T13:30:00Z"));
        assert_ne!(k, key("312-555-0101", "2026-03-10T13:30:01Z"));
        assert_ne!(k, key("312-555-0101", "2026-03-10T13:30:00.000000001Z"));
    }

    #[test]
    fn keys_read_back_from_storage_and_junk_is_refused() {
        let k = key("312-555-0101", "2026-03-10T13:30:00Z");
        assert_eq!(ReminderKey::parse(k.as_str()), Ok(k.clone()));
        assert_eq!(k.to_string().parse::<ReminderKey>(), Ok(k.clone()));
        let json = format!("\"{k}\"");
        assert_eq!(serde_json::to_string(&k).unwrap(), json);
        assert_eq!(serde_json::from_str::<ReminderKey>(&json).unwrap(), k);
        for bad in [
            "",
            "rk1_",
            "rk2_2e5c0b1c5f0c8a4a0e9d8e0ecb2f0a8b",
            "rk1_2E5C0B1C5F0C8A4A0E9D8E0ECB2F0A8B",
            "rk1_2e5c0b1c5f0c8a4a0e9d8e0ecb2f0a8",
            "rk1_2e5c0b1c5f0c8a4a0e9d8e0ecb2f0a8bb",
            "rk1_2e5c0b1c5f0c8a4a0e9d8e0ecb2f0a8g",
        ] {
            assert_eq!(ReminderKey::parse(bad), Err(ReminderKeyError), "{bad:?}");
        }
    }

    #[test]
    fn sources_have_stable_key_parts_and_serde_forms() {
        let recipe = ReminderSource::Recipe {
            recipe_id: RecipeId::new(7),
        };
        let event = ReminderSource::Event {
            offset: "2 hours".parse().unwrap(),
        };
        assert_eq!(recipe.as_key_part(), "recipe:7");
        assert_eq!(event.as_key_part(), "event:2:hours");
        assert_eq!(
            ReminderSource::Event {
                offset: "1w".parse().unwrap()
            }
            .as_key_part(),
            "event:1:weeks"
        );
        assert_eq!(
            serde_json::to_value(recipe).unwrap(),
            serde_json::json!({"type": "recipe", "recipe_id": 7})
        );
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            serde_json::json!({"type": "event", "offset": {"amount": 2, "unit": "hours"}})
        );
        let back: ReminderSource =
            serde_json::from_value(serde_json::json!({"type": "recipe", "recipe_id": 7})).unwrap();
        assert_eq!(back, recipe);
    }
}
