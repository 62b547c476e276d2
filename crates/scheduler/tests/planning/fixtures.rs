//! A firm, cases, events and recipes to plan with, built the way the app would build them.
#![allow(
    clippy::unwrap_used,
    reason = "fixtures are test code: a fixture that does not build should fail the test"
)]

use casewire_model::{
    AutomaticReminders, Case, CaseEvent, CaseId, CaseNumber, CaseStatus, Debtor, DebtorId, Debtors,
    EmailAddress, EventId, EventKind, Firm, FirmId, NumberClass, Offset, PersonName, Phone,
    PhoneId, PhoneKind, PhoneNumber, RecipeId, Region, TextingNumber, TextingSettings,
};
use casewire_scheduler::{AppliesTo, Lead, PlanInput, PlannedReminder, Recipe, Template, plan};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub(crate) const FIRM: FirmId = FirmId::new(1);
pub(crate) const CASE: CaseId = CaseId::new(10);

pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, Region::US).unwrap()
}

pub(crate) fn offset(s: &str) -> Offset {
    s.parse().unwrap()
}

pub(crate) fn kind(s: &str) -> EventKind {
    EventKind::parse(s).unwrap()
}

pub(crate) fn template(s: &str) -> Template {
    Template::parse(s).unwrap()
}

/// The instant of a wall-clock time in `zone` that happens exactly once.
pub(crate) fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn firm() -> Firm {
    Firm::new(
        FIRM,
        "Smith Law",
        chrono_tz::America::Chicago,
        Region::US,
        vec![TextingNumber::new(
            number("312-555-0100"),
            NumberClass::LongCode,
        )],
        EmailAddress::parse("intake@smithlaw.com").unwrap(),
    )
    .unwrap()
}

pub(crate) fn debtor(id: i64, first: &str, phones: &[(&str, PhoneKind)]) -> Debtor {
    Debtor {
        id: DebtorId::new(id),
        name: PersonName::new(first, "Rivera").unwrap(),
        email: None,
        phones: phones
            .iter()
            .enumerate()
            .map(|(i, (n, kind))| Phone {
                id: PhoneId::new(id * 100 + i as i64),
                number: number(n),
                kind: *kind,
            })
            .collect(),
        time_zone: None,
    }
}

pub(crate) fn case_of(debtors: Debtors) -> Case {
    Case {
        id: CASE,
        firm_id: FIRM,
        number: CaseNumber::parse("26-10345").unwrap(),
        title: "Rivera".into(),
        status: CaseStatus::Open,
        debtors,
        texting: TextingSettings {
            notification_email: None,
            automatic_reminders: AutomaticReminders::On,
        },
    }
}

/// Maria Rivera, alone on her case, with one mobile number.
pub(crate) fn single_case() -> Case {
    case_of(Debtors::Single {
        debtor: debtor(1, "Maria", &[("312-555-0101", PhoneKind::Mobile)]),
    })
}

/// Maria and Luis Rivera, each with their own mobile number.
pub(crate) fn joint_case() -> Case {
    case_of(Debtors::Joint {
        debtor: debtor(1, "Maria", &[("312-555-0101", PhoneKind::Mobile)]),
        joint_debtor: debtor(2, "Luis", &[("312-555-0102", PhoneKind::Mobile)]),
    })
}

pub(crate) fn event(id: i64, kind_name: &str, starts_at: DateTime<Utc>, zone: Tz) -> CaseEvent {
    CaseEvent {
        id: EventId::new(id),
        case_id: CASE,
        title: if kind_name == "341 Meeting" {
            "Meeting of creditors".into()
        } else {
            kind_name.into()
        },
        kind: kind(kind_name),
        starts_at,
        ends_at: None,
        time_zone: zone,
        location: Some("Room 2100".into()),
        reminders: vec![],
        cancelled: false,
    }
}

/// The 341 meeting: Tuesday, March 10, 2026 at 9:30 AM in Chicago (CDT).
pub(crate) fn meeting_341() -> CaseEvent {
    event(
        50,
        "341 Meeting",
        local(chrono_tz::America::Chicago, 2026, 3, 10, 9, 30),
        chrono_tz::America::Chicago,
    )
}

pub(crate) fn recipe(id: i64, applies_to: AppliesTo, lead: Lead, text: &str) -> Recipe {
    Recipe {
        id: RecipeId::new(id),
        name: format!("recipe {id}"),
        applies_to,
        lead,
        template: template(text),
        enabled: true,
    }
}

pub(crate) fn lead_at(before: &str, h: u32, m: u32) -> Lead {
    Lead::new(offset(before), NaiveTime::from_hms_opt(h, m, 0)).unwrap()
}

/// Everything one planning run reads, owned, so tests can edit one thing and re-plan.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub(crate) firm: Firm,
    pub(crate) case: Case,
    pub(crate) events: Vec<CaseEvent>,
    pub(crate) recipes: Vec<Recipe>,
    pub(crate) event_template: Template,
    pub(crate) now: DateTime<Utc>,
}

impl World {
    /// Maria's case, her 341 meeting, no recipes yet, on March 1, 2026.
    pub(crate) fn new() -> Self {
        World {
            firm: firm(),
            case: single_case(),
            events: vec![meeting_341()],
            recipes: vec![],
            event_template: template("Reminder: {event_title} {event_date} {event_time}."),
            now: utc("2026-03-01T15:00:00Z"),
        }
    }

    pub(crate) fn plan(&self) -> Vec<PlannedReminder> {
        plan(&PlanInput {
            firm: &self.firm,
            case: &self.case,
            events: &self.events,
            recipes: &self.recipes,
            event_template: &self.event_template,
            now: self.now,
        })
    }
}

/// What the store holds for a plan: (key, send time, text).
pub(crate) fn stored(
    plan: &[PlannedReminder],
) -> Vec<(casewire_scheduler::ReminderKey, DateTime<Utc>, String)> {
    plan.iter()
        .map(|p| (p.key.clone(), p.send_at, p.body.clone()))
        .collect()
}
