//! Send times in real zones, across the 2026 US clock changes (March 8 and November 1).

use casewire_scheduler::Lead;
use chrono::{DateTime, Utc};
use chrono_tz::America::{Chicago, New_York, Phoenix};
use chrono_tz::Pacific::Honolulu;
use chrono_tz::Tz;

use crate::fixtures::*;

/// Plans one event with one recipe of `lead` and gives the send time, in the event's zone.
fn send_time(zone: Tz, starts_at: DateTime<Utc>, lead: Lead) -> String {
    let mut world = World::new();
    world.now = utc("2025-12-01T00:00:00Z");
    world.events = vec![event(50, "341 Meeting", starts_at, zone)];
    world.recipes = vec![recipe(
        1,
        casewire_scheduler::AppliesTo::AllEvents,
        lead,
        "Hi",
    )];
    let plan = world.plan();
    assert_eq!(plan.len(), 1, "{zone} {starts_at} {lead}");
    plan[0].send_at.with_timezone(&zone).to_rfc3339()
}

/// A row of a table: zone, event start as local (month, day, hour, minute), lead,
/// expected send time in the zone.
type Row<L> = (Tz, (u32, u32, u32, u32), L, &'static str);

fn days(before: &str) -> Lead {
    Lead::from(offset(before))
}

#[test]
fn calendar_day_reminders_keep_the_wall_clock_time_across_clock_changes() {
    let cases: &[Row<Lead>] = &[
        // New York springs forward on Sunday March 8, 2026 at 2:00.
        (
            New_York,
            (3, 10, 9, 30),
            days("3 days"),
            "2026-03-07T09:30:00-05:00",
        ),
        (
            New_York,
            (3, 9, 10, 0),
            lead_at("1 day", 10, 0),
            "2026-03-08T10:00:00-04:00",
        ),
        (
            New_York,
            (3, 9, 10, 0),
            lead_at("1 day", 1, 0),
            "2026-03-08T01:00:00-05:00",
        ),
        // ...and falls back on Sunday November 1, 2026 at 2:00.
        (
            New_York,
            (11, 3, 9, 0),
            days("1 week"),
            "2026-10-27T09:00:00-04:00",
        ),
        (
            New_York,
            (11, 2, 9, 0),
            lead_at("1 day", 10, 0),
            "2026-11-01T10:00:00-05:00",
        ),
        // Chicago, the same dates an hour later in UTC.
        (
            Chicago,
            (3, 9, 9, 0),
            lead_at("2 days", 10, 0),
            "2026-03-07T10:00:00-06:00",
        ),
        (
            Chicago,
            (3, 9, 9, 0),
            days("1 day"),
            "2026-03-08T09:00:00-05:00",
        ),
        (
            Chicago,
            (11, 3, 9, 0),
            days("1 week"),
            "2026-10-27T09:00:00-05:00",
        ),
        (
            Chicago,
            (11, 2, 9, 0),
            lead_at("1 day", 17, 0),
            "2026-11-01T17:00:00-06:00",
        ),
        // Phoenix keeps MST all year.
        (
            Phoenix,
            (3, 9, 9, 0),
            days("1 day"),
            "2026-03-08T09:00:00-07:00",
        ),
        (
            Phoenix,
            (11, 2, 9, 0),
            lead_at("1 week", 8, 0),
            "2026-10-26T08:00:00-07:00",
        ),
        // Honolulu keeps HST all year.
        (
            Honolulu,
            (11, 2, 8, 30),
            days("1 day"),
            "2026-11-01T08:30:00-10:00",
        ),
        (
            Honolulu,
            (3, 9, 8, 30),
            lead_at("2 days", 18, 0),
            "2026-03-07T18:00:00-10:00",
        ),
    ];
    for &(zone, (mo, d, h, mi), lead, want) in cases {
        let start = local(zone, 2026, mo, d, h, mi);
        assert_eq!(
            send_time(zone, start, lead),
            want,
            "{zone} {mo}/{d} {h}:{mi:02} {lead}"
        );
    }
}

#[test]
fn hours_and_minutes_are_elapsed_time_across_clock_changes() {
    let cases: &[Row<&str>] = &[
        // Noon EDT on the spring-forward Sunday: 24 real hours before is 11:00 EST...
        (
            New_York,
            (3, 8, 12, 0),
            "24 hours",
            "2026-03-07T11:00:00-05:00",
        ),
        // ...while "1 day" before is noon on the wall clock.
        (
            New_York,
            (3, 8, 12, 0),
            "1 day",
            "2026-03-07T12:00:00-05:00",
        ),
        // Noon EST on the fall-back Sunday: 12 real hours before is 1:00 EDT.
        (
            New_York,
            (11, 1, 12, 0),
            "12 hours",
            "2026-11-01T01:00:00-04:00",
        ),
        (
            Chicago,
            (3, 8, 4, 0),
            "90 minutes",
            "2026-03-08T01:30:00-06:00",
        ),
        (
            Phoenix,
            (3, 8, 12, 0),
            "24 hours",
            "2026-03-07T12:00:00-07:00",
        ),
        (
            Honolulu,
            (3, 9, 8, 30),
            "24 hours",
            "2026-03-08T08:30:00-10:00",
        ),
    ];
    for &(zone, (mo, d, h, mi), before, want) in cases {
        let start = local(zone, 2026, mo, d, h, mi);
        assert_eq!(
            send_time(zone, start, days(before)),
            want,
            "{zone} {mo}/{d} {before}"
        );
    }
}

#[test]
fn a_reminder_time_the_clocks_skip_goes_out_as_much_later_as_the_skip() {
    // 2:30 AM on March 8, 2026 does not exist in New York or Chicago: 3:30 AM instead.
    let start = local(New_York, 2026, 3, 9, 2, 30);
    assert_eq!(
        send_time(New_York, start, days("1 day")),
        "2026-03-08T03:30:00-04:00"
    );
    let start = local(Chicago, 2026, 3, 10, 9, 0);
    assert_eq!(
        send_time(Chicago, start, lead_at("2 days", 2, 15)),
        "2026-03-08T03:15:00-05:00"
    );
}

#[test]
fn a_reminder_time_the_clocks_repeat_goes_out_the_first_time() {
    // 1:30 AM on November 1, 2026 happens twice in New York: the EDT one is used.
    let start = local(New_York, 2026, 11, 2, 1, 30);
    assert_eq!(
        send_time(New_York, start, days("1 day")),
        "2026-11-01T01:30:00-04:00"
    );
    let start = local(Chicago, 2026, 11, 3, 9, 0);
    assert_eq!(
        send_time(Chicago, start, lead_at("2 days", 1, 45)),
        "2026-11-01T01:45:00-05:00"
    );
}

#[test]
fn a_reminder_shows_the_events_zone_not_the_firms() {
    // The firm is in Chicago; the hearing is in Honolulu.
    let mut world = World::new();
    world.event_template = casewire_scheduler::Template::parse("{event_time}").unwrap();
    world.events = vec![event(
        50,
        "Hearing",
        local(Honolulu, 2026, 3, 10, 8, 30),
        Honolulu,
    )];
    world.events[0].reminders = vec![offset("1 day")];
    assert_eq!(world.plan()[0].body, "8:30 AM HST");
}
