//! Properties that hold for any case, events, recipes and present moment.

use std::collections::HashSet;

use casewire_model::{
    AutomaticReminders, CaseStatus, Debtors, EventId, Offset, OffsetUnit, PhoneKind, Recipients,
};
use casewire_scheduler::{AppliesTo, Lead, PlannedReminder, ReminderKey, Template, diff};
use chrono::{NaiveTime, TimeDelta};
use chrono_tz::Tz;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::fixtures::*;

const ZONES: [Tz; 9] = [
    chrono_tz::America::New_York,
    chrono_tz::America::Chicago,
    chrono_tz::America::Phoenix,
    chrono_tz::Pacific::Honolulu,
    chrono_tz::America::Denver,
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::Anchorage,
    // A 30-minute clock change, and a zone that once skipped a whole day.
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Apia,
];
const KINDS: [&str; 3] = ["341 Meeting", "Confirmation Hearing", "Deadline"];
const NUMBERS: [&str; 4] = [
    "312-555-0101",
    "312-555-0102",
    "312-555-0103",
    "212-555-0104",
];
const TEXTS: [&str; 4] = [
    "default",
    "Hi {client_first_name}",
    "{event_title} {event_date} {event_time}{event_location_phrase}",
    // The same words from every source, so that identical texts meet.
    "See you soon",
];

fn text(i: usize) -> Template {
    match TEXTS[i] {
        "default" => Template::default_reminder(),
        other => template(other),
    }
}

fn offsets() -> impl Strategy<Value = Offset> {
    (1u32..=400, 0usize..4).prop_filter_map("an offset of at most a year", |(n, unit)| {
        let (amount, unit) = match unit {
            0 => (n, OffsetUnit::Minutes),
            1 => (n % 72 + 1, OffsetUnit::Hours),
            2 => (n % 30 + 1, OffsetUnit::Days),
            _ => (n % 8 + 1, OffsetUnit::Weeks),
        };
        Offset::new(amount, unit).ok()
    })
}

fn leads() -> impl Strategy<Value = Lead> {
    (offsets(), proptest::option::of((0u32..24, 0u32..60))).prop_map(|(before, at)| {
        let at = at.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0));
        Lead::new(before, at).unwrap_or(Lead::from(before))
    })
}

fn phones() -> impl Strategy<Value = Vec<(usize, bool)>> {
    vec((0..NUMBERS.len(), prop::bool::weighted(0.8)), 0..=2)
}

fn worlds() -> impl Strategy<Value = World> {
    let events = vec(
        (
            -20_000i64..200_000,
            0..ZONES.len(),
            0..KINDS.len(),
            vec(offsets(), 0..=3),
            prop::bool::weighted(0.1),
            any::<bool>(),
        ),
        0..=4,
    );
    let recipes = vec(
        (
            proptest::option::of(vec(0..KINDS.len(), 0..=2)),
            leads(),
            prop::bool::weighted(0.85),
            0..TEXTS.len(),
        ),
        0..=4,
    );
    (
        0i64..2 * 365 * 24 * 60,
        any::<bool>(),
        phones(),
        phones(),
        events,
        recipes,
        0..TEXTS.len(),
    )
        .prop_map(|(now, joint, first, second, events, recipes, event_text)| {
            let mut world = World::new();
            world.now = utc("2025-06-01T00:00:00Z") + TimeDelta::minutes(now);
            let phones = |list: &[(usize, bool)]| -> Vec<(&str, PhoneKind)> {
                list.iter()
                    .map(|&(n, mobile)| {
                        (
                            NUMBERS[n],
                            if mobile {
                                PhoneKind::Mobile
                            } else {
                                PhoneKind::Home
                            },
                        )
                    })
                    .collect()
            };
            world.case = case_of(if joint {
                Debtors::Joint {
                    debtor: debtor(1, "Maria", &phones(&first)),
                    joint_debtor: debtor(2, "Luis", &phones(&second)),
                }
            } else {
                Debtors::Single {
                    debtor: debtor(1, "Maria", &phones(&first)),
                }
            });
            world.events = events
                .into_iter()
                .enumerate()
                .map(|(i, (start, zone, kind, reminders, cancelled, located))| {
                    let starts_at = world.now + TimeDelta::minutes(start);
                    let mut e = event(i as i64 + 1, KINDS[kind], starts_at, ZONES[zone]);
                    e.reminders = reminders;
                    e.cancelled = cancelled;
                    if !located {
                        e.location = None;
                    }
                    e
                })
                .collect();
            world.recipes = recipes
                .into_iter()
                .enumerate()
                .map(|(i, (kinds, lead, enabled, t))| {
                    let applies_to = match kinds {
                        None => AppliesTo::AllEvents,
                        Some(k) => {
                            AppliesTo::Kinds(k.into_iter().map(|k| kind(KINDS[k])).collect())
                        }
                    };
                    let mut r = recipe(i as i64 + 1, applies_to, lead, "x");
                    r.template = text(t);
                    r.enabled = enabled;
                    r
                })
                .collect();
            world.event_template = text(event_text);
            world
        })
}

fn of_event(plan: &[PlannedReminder], id: EventId) -> Vec<PlannedReminder> {
    plan.iter().filter(|r| r.event_id == id).cloned().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_plan_holds_only_future_reminders_before_their_event_under_unique_keys(world in worlds()) {
        let plan = world.plan();
        let mobiles: Vec<_> = Recipients::of(&world.case)
            .recipients
            .into_iter()
            .map(|r| r.number)
            .collect();
        let mut keys = HashSet::new();
        for r in &plan {
            prop_assert!(r.send_at > world.now, "{r:?} not after {}", world.now);
            prop_assert!(r.send_at < r.event_starts_at, "{r:?}");
            let event = world.events.iter().find(|e| e.id == r.event_id).unwrap();
            prop_assert_eq!(r.event_starts_at, event.starts_at);
            prop_assert!(!event.cancelled);
            prop_assert!(mobiles.contains(&r.to));
            prop_assert!(keys.insert(r.key.clone()), "duplicate key {:?}", r.key);
            prop_assert_eq!(ReminderKey::parse(r.key.as_str()), Ok(r.key.clone()));
        }
        prop_assert!(plan.windows(2).all(|w| (w[0].send_at, &w[0].key) < (w[1].send_at, &w[1].key)));
    }

    #[test]
    fn re_planning_the_same_input_gives_the_same_plan(world in worlds()) {
        let first = world.plan();
        let second = world.plan();
        prop_assert!(diff(&stored(&first), &second).is_empty());
        prop_assert_eq!(first, second);
    }

    #[test]
    fn moving_an_event_changes_every_key_of_that_event_and_no_other(
        world in worlds(),
        which in any::<Index>(),
        minutes in 1i64..100_000,
        earlier in any::<bool>(),
    ) {
        prop_assume!(!world.events.is_empty());
        let i = which.index(world.events.len());
        let id = world.events[i].id;
        let before = world.plan();
        let mut moved = world.clone();
        moved.events[i].starts_at += TimeDelta::minutes(if earlier { -minutes } else { minutes });
        let after = moved.plan();

        let old: HashSet<_> = of_event(&before, id).into_iter().map(|r| r.key).collect();
        let new: HashSet<_> = of_event(&after, id).into_iter().map(|r| r.key).collect();
        prop_assert!(old.is_disjoint(&new));
        for other in world.events.iter().filter(|e| e.id != id) {
            prop_assert_eq!(of_event(&before, other.id), of_event(&after, other.id));
        }
        let changes = diff(&stored(&before), &after);
        prop_assert!(changes.update.iter().all(|r| r.event_id != id));
        prop_assert_eq!(changes.cancel.len(), old.len());
    }

    #[test]
    fn a_closed_case_or_reminders_off_plans_nothing(world in worlds(), closed in any::<bool>()) {
        let mut world = world;
        if closed {
            world.case.status = CaseStatus::Closed;
        } else {
            world.case.texting.automatic_reminders = AutomaticReminders::Off;
        }
        prop_assert!(world.plan().is_empty());
    }
}
