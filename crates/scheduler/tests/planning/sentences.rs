//! What the planner does, one product sentence per test.

use casewire_model::{AutomaticReminders, CaseStatus, DebtorId, Debtors, EventId, PhoneKind};
use casewire_scheduler::{AppliesTo, Lead, ReminderSource, Template, diff};

use crate::fixtures::*;

fn three_days_before_341s() -> casewire_scheduler::Recipe {
    recipe(
        7,
        AppliesTo::Kinds(vec![kind("341 Meeting")]),
        Lead::from(offset("3 days")),
        "{firm_name}: Hi {client_first_name}, your {event_title} is {event_date} at \
         {event_time}{event_location_phrase}.",
    )
}

#[test]
fn a_recipe_reminds_the_client_three_days_before_at_the_same_local_time() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    let plan = world.plan();
    assert_eq!(plan.len(), 1);
    let r = &plan[0];
    assert_eq!(r.event_id, EventId::new(50));
    assert_eq!(r.debtor_id, DebtorId::new(1));
    assert_eq!(r.to, number("312-555-0101"));
    assert_eq!(
        r.source,
        ReminderSource::Recipe {
            recipe_id: casewire_model::RecipeId::new(7)
        }
    );
    // Saturday March 7 at 9:30 AM CST: the clocks change on the 8th, in between.
    assert_eq!(r.send_at, utc("2026-03-07T15:30:00Z"));
    assert_eq!(r.event_starts_at, utc("2026-03-10T14:30:00Z"));
    assert_eq!(
        r.body,
        "Smith Law: Hi Maria, your Meeting of creditors is Tuesday, March 10, 2026 at \
         9:30 AM CDT at Room 2100."
    );
}

#[test]
fn a_joint_case_texts_both_debtors_by_name() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    let plan = world.plan();
    let sent: Vec<_> = plan
        .iter()
        .map(|r| (r.debtor_id.get(), r.to.as_e164()))
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.contains(&(1, "+13125550101")) && sent.contains(&(2, "+13125550102")));
    let luis = plan
        .iter()
        .find(|r| r.debtor_id == DebtorId::new(2))
        .unwrap();
    assert!(luis.body.contains("Hi Luis,"), "{}", luis.body);
    assert_ne!(plan[0].key, plan[1].key);
}

#[test]
fn a_number_both_debtors_share_is_texted_once() {
    let mut world = World::new();
    world.case = case_of(Debtors::Joint {
        debtor: debtor(1, "Maria", &[("312-555-0101", PhoneKind::Mobile)]),
        joint_debtor: debtor(2, "Luis", &[("(312) 555-0101", PhoneKind::Mobile)]),
    });
    world.recipes = vec![three_days_before_341s()];
    let plan = world.plan();
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].debtor_id, DebtorId::new(1));
}

#[test]
fn landlines_and_fax_numbers_get_no_texts() {
    let mut world = World::new();
    world.case = case_of(Debtors::Single {
        debtor: debtor(
            1,
            "Maria",
            &[
                ("312-555-0101", PhoneKind::Home),
                ("312-555-0109", PhoneKind::Fax),
            ],
        ),
    });
    world.recipes = vec![three_days_before_341s()];
    assert!(world.plan().is_empty());
}

#[test]
fn a_cancelled_event_gets_no_reminders() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 day")];
    world.events[0].cancelled = true;
    assert!(world.plan().is_empty());
}

#[test]
fn a_closed_case_gets_no_reminders() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 day")];
    world.case.status = CaseStatus::Closed;
    assert!(world.plan().is_empty());
}

#[test]
fn turning_automatic_reminders_off_stops_recipe_and_per_event_reminders_alike() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 day"), offset("2 hours")];
    assert_eq!(world.plan().len(), 3);
    world.case.texting.automatic_reminders = AutomaticReminders::Off;
    assert!(world.plan().is_empty());
}

#[test]
fn a_disabled_recipe_makes_nothing() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.recipes[0].enabled = false;
    assert!(world.plan().is_empty());
}

#[test]
fn a_recipe_for_hearings_leaves_341_meetings_alone() {
    let mut world = World::new();
    world.recipes = vec![recipe(
        8,
        AppliesTo::Kinds(vec![kind("Confirmation Hearing")]),
        Lead::from(offset("1 day")),
        "Hearing tomorrow",
    )];
    let hearing = event(
        51,
        "confirmation  hearing",
        local(chrono_tz::America::Chicago, 2026, 3, 20, 13, 0),
        chrono_tz::America::Chicago,
    );
    world.events.push(hearing);
    let plan = world.plan();
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].event_id, EventId::new(51));
}

#[test]
fn a_reminder_already_due_is_not_planned() {
    let mut world = World::new();
    world.events[0].reminders = vec![offset("1 day")];
    let due = utc("2026-03-09T14:30:00Z");
    world.now = due;
    assert!(world.plan().is_empty(), "due exactly now");
    world.now = due + chrono::TimeDelta::minutes(5);
    assert!(world.plan().is_empty(), "due five minutes ago");
    world.now = due - chrono::TimeDelta::seconds(1);
    assert_eq!(world.plan().len(), 1, "due in a second");
}

#[test]
fn per_event_reminders_use_the_event_template_and_recipes_their_own() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("2 hours")];
    let plan = world.plan();
    assert_eq!(plan.len(), 2);
    let per_event = plan
        .iter()
        .find(|r| {
            r.source
                == ReminderSource::Event {
                    offset: offset("2 hours"),
                }
        })
        .unwrap();
    assert_eq!(
        per_event.body,
        "Reminder: Meeting of creditors Tuesday, March 10, 2026 9:30 AM CDT."
    );
    assert_eq!(per_event.send_at, utc("2026-03-10T12:30:00Z"));
}

#[test]
fn a_recipe_and_an_event_reminder_at_the_same_time_both_go_out_when_they_say_different_things() {
    let mut world = World::new();
    world.recipes = vec![recipe(
        7,
        AppliesTo::AllEvents,
        offset("1 day").into(),
        "Recipe says hi",
    )];
    world.events[0].reminders = vec![offset("1 day")];
    let plan = world.plan();
    assert_eq!(plan.len(), 2);
    assert_eq!(plan[0].send_at, plan[1].send_at);
}

#[test]
fn the_same_text_at_the_same_time_goes_out_once() {
    let mut world = World::new();
    world.recipes = vec![recipe(
        7,
        AppliesTo::AllEvents,
        offset("1 day").into(),
        "See you tomorrow",
    )];
    world.event_template = template("See you tomorrow");
    world.events[0].reminders = vec![offset("1 day"), offset("24 hours")];
    let plan = world.plan();
    // "1 day" and "24 hours" fall on the same instant (no clock change that night), and
    // say the same thing as the recipe: the recipe's reminder is the one kept.
    assert_eq!(plan.len(), 1);
    assert_eq!(
        plan[0].source,
        ReminderSource::Recipe {
            recipe_id: casewire_model::RecipeId::new(7)
        }
    );
}

#[test]
fn reminders_come_sorted_by_send_time() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 week"), offset("30 minutes"), offset("1 day")];
    world.events.push(event(
        51,
        "Confirmation Hearing",
        local(chrono_tz::America::New_York, 2026, 3, 5, 10, 0),
        chrono_tz::America::New_York,
    ));
    world.events[1].reminders = vec![offset("1 day")];
    let plan = world.plan();
    assert_eq!(
        plan.len(),
        10,
        "4 reminders of the meeting and 1 of the hearing, for each debtor"
    );
    assert!(
        plan.windows(2)
            .all(|w| (w[0].send_at, &w[0].key) < (w[1].send_at, &w[1].key))
    );
}

#[test]
fn a_moved_hearing_moves_its_reminder() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    let before = world.plan();
    world.events[0].starts_at = local(chrono_tz::America::Chicago, 2026, 3, 17, 14, 0);
    let after = world.plan();
    let changes = diff(&stored(&before), &after);
    assert_eq!(changes.insert.len(), 2);
    assert!(changes.update.is_empty());
    let old_keys: Vec<_> = before.iter().map(|r| r.key.clone()).collect();
    assert_eq!(changes.cancel, old_keys);
    assert!(
        changes
            .insert
            .iter()
            .all(|r| r.body.contains("Tuesday, March 17, 2026 at 2:00 PM CDT"))
    );
    assert!(
        changes
            .insert
            .iter()
            .all(|r| r.send_at == utc("2026-03-14T19:00:00Z"))
    );
}

#[test]
fn editing_a_recipe_updates_its_reminders_in_place() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    let before = world.plan();
    world.recipes[0].template = template("{client_first_name}, see you {event_date}.");
    world.recipes[0].lead = lead_at("2 days", 10, 0);
    let after = world.plan();
    let changes = diff(&stored(&before), &after);
    assert!(changes.insert.is_empty() && changes.cancel.is_empty());
    assert_eq!(changes.update.len(), 2);
    assert!(
        changes
            .update
            .iter()
            .all(|r| r.send_at == utc("2026-03-08T15:00:00Z"))
    );
    let keys = |p: &[casewire_scheduler::PlannedReminder]| {
        let mut k: Vec<_> = p.iter().map(|r| r.key.clone()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&before), keys(&after));
}

#[test]
fn re_planning_without_changes_touches_nothing() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 day")];
    let plan = world.plan();
    assert!(diff(&stored(&plan), &world.plan()).is_empty());
    let fresh = diff(&[], &plan);
    assert_eq!(fresh.insert, plan);
}

#[test]
fn a_new_mobile_number_replaces_only_that_debtors_reminders() {
    let mut world = World::new();
    world.case = joint_case();
    world.recipes = vec![three_days_before_341s()];
    let before = world.plan();
    world.case = case_of(Debtors::Joint {
        debtor: debtor(1, "Maria", &[("312-555-0101", PhoneKind::Mobile)]),
        joint_debtor: debtor(2, "Luis", &[("312-555-0199", PhoneKind::Mobile)]),
    });
    let changes = diff(&stored(&before), &world.plan());
    assert_eq!(changes.insert.len(), 1);
    assert_eq!(changes.insert[0].to, number("312-555-0199"));
    let luis_old = before
        .iter()
        .find(|r| r.debtor_id == DebtorId::new(2))
        .unwrap();
    assert_eq!(changes.cancel, std::slice::from_ref(&luis_old.key));
    assert!(changes.update.is_empty());
}

#[test]
fn cancelling_an_event_cancels_exactly_its_reminders() {
    let mut world = World::new();
    world.recipes = vec![three_days_before_341s()];
    world.events[0].reminders = vec![offset("1 day")];
    world.events.push(event(
        51,
        "Confirmation Hearing",
        local(chrono_tz::America::Chicago, 2026, 3, 20, 13, 0),
        chrono_tz::America::Chicago,
    ));
    world.events[1].reminders = vec![offset("1 day")];
    let before = world.plan();
    world.events[0].cancelled = true;
    let changes = diff(&stored(&before), &world.plan());
    let expected: Vec<_> = before
        .iter()
        .filter(|r| r.event_id == EventId::new(50))
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(expected.len(), 2);
    assert_eq!(changes.cancel, expected);
    assert!(changes.insert.is_empty() && changes.update.is_empty());
}

#[test]
fn events_of_another_case_and_cases_of_another_firm_are_ignored() {
    let mut world = World::new();
    world.events[0].reminders = vec![offset("1 day")];
    world.events[0].case_id = casewire_model::CaseId::new(99);
    assert!(world.plan().is_empty());
    let mut world = World::new();
    world.events[0].reminders = vec![offset("1 day")];
    world.case.firm_id = casewire_model::FirmId::new(2);
    assert!(world.plan().is_empty());
}

#[test]
fn the_default_template_is_a_fine_per_event_text() {
    let mut world = World::new();
    world.event_template = Template::default_reminder();
    world.events[0].location = None;
    world.events[0].reminders = vec![offset("1 day")];
    let plan = world.plan();
    assert_eq!(
        plan[0].body,
        "Smith Law: Hi Maria, reminder of your Meeting of creditors on Tuesday, March 10, \
         2026 at 9:30 AM CDT. Questions? Call (312) 555-0100. Reply STOP to opt out."
    );
}

#[test]
fn a_planned_reminder_keeps_its_text_out_of_debug_output() {
    let mut world = World::new();
    world.events[0].reminders = vec![offset("1 day")];
    let shown = format!("{:?}", world.plan()[0]);
    assert!(!shown.contains("Meeting of creditors"), "{shown}");
    assert!(!shown.contains("5550101"), "{shown}");
}
