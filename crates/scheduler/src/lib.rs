//! Casewire's reminder planner: which texts a case's events should get, when, to whom and
//! with what words.
//!
//! A reminder comes from a firm-wide [`Recipe`] ("3 days before every 341 meeting, at
//! 10:00") or from an offset set on the event itself ("2 hours before"). [`plan()`] turns a
//! case, its events and the firm's recipes into a sorted list of [`PlannedReminder`]s,
//! each under a deterministic [`ReminderKey`]; [`diff()`] compares a new plan with what the
//! store holds, so an edit touches exactly the reminders it affects.
//!
//! A case whose automatic reminders are Off gets no reminder at all, from recipes and
//! per-event offsets alike; so do closed cases and cancelled events. Identical texts due
//! at the same instant to the same number for the same event are sent once; different
//! texts at the same instant are all sent. See [`plan()`] for every rule.
//!
//! This crate does no IO: no clock, no randomness, no storage. The present comes in as
//! [`PlanInput::now`], and the same input always gives the same plan.
//!
//! # Time zones and clock changes
//!
//! Every date and time is worked out in the event's own zone ([`CaseEvent::time_zone`]).
//!
//! - **Minutes and hours are elapsed time.** "2 hours before" a 9:30 AM hearing is two
//!   real hours before its start, whatever the clocks do in between.
//! - **Days and weeks are calendar days.** "1 day before" a Monday 9:30 AM hearing is
//!   Sunday at 9:30 AM on the wall clock, even when the clocks changed overnight (then
//!   it is 23 or 25 real hours). With a delivery time ("1 day before at 10:00") it is
//!   10:00 on the wall clock of that day.
//! - **A wall-clock time that does not exist** (skipped when clocks spring forward) is
//!   moved forward by the length of the skip: 02:30 on 8 March 2026 in New York becomes
//!   03:30 EDT.
//! - **A wall-clock time that happens twice** (clocks fall back) is the earlier one:
//!   01:30 on 1 November 2026 in New York is 01:30 EDT, not 01:30 EST.
//!
//! Quiet hours are not applied here: a reminder is planned for the time its lead says,
//! and holding it back at night, in the recipient's zone, is decided when it is sent.
//!
//! # Example
//!
//! ```
//! use casewire_model::{
//!     AutomaticReminders, Case, CaseEvent, CaseId, CaseNumber, CaseStatus, Debtor, DebtorId,
//!     Debtors, EmailAddress, EventDraft, EventId, EventKind, Firm, FirmId, NumberClass,
//!     PersonName, Phone, PhoneId, PhoneKind, PhoneNumber, Region, TextingNumber,
//!     TextingSettings,
//! };
//! use casewire_scheduler::{plan, PlanInput, ReminderSource, Template};
//! use chrono::{DateTime, Utc};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let firm = Firm::new(
//!     FirmId::new(1),
//!     "Smith Law",
//!     chrono_tz::America::New_York,
//!     Region::US,
//!     vec![TextingNumber::new(PhoneNumber::parse("212-555-0100", Region::US)?, NumberClass::LongCode)],
//!     EmailAddress::parse("intake@smithlaw.com")?,
//! )?;
//! let case = Case {
//!     id: CaseId::new(10),
//!     firm_id: firm.id(),
//!     number: CaseNumber::parse("26-10345")?,
//!     title: "Rivera".into(),
//!     status: CaseStatus::Open,
//!     debtors: Debtors::Single {
//!         debtor: Debtor {
//!             id: DebtorId::new(100),
//!             name: PersonName::new("Maria", "Rivera")?,
//!             email: None,
//!             phones: vec![Phone {
//!                 id: PhoneId::new(1000),
//!                 number: PhoneNumber::parse("(212) 555-0123", Region::US)?,
//!                 kind: PhoneKind::Mobile,
//!             }],
//!             time_zone: None,
//!         },
//!     },
//!     texting: TextingSettings {
//!         notification_email: None,
//!         automatic_reminders: AutomaticReminders::On,
//!     },
//! };
//! // A 341 meeting on Tuesday, March 10, 2026 at 9:30 AM in New York, with one reminder
//! // set on the event: "1 day before".
//! let event = CaseEvent::new(EventId::new(50), case.id, EventDraft {
//!     title: "Meeting of creditors",
//!     kind: EventKind::parse("341 Meeting")?,
//!     starts_at: "2026-03-10T13:30:00Z".parse()?,
//!     ends_at: None,
//!     time_zone: chrono_tz::America::New_York,
//!     location: Some("Room 2100"),
//!     reminders: vec!["1 day".parse()?],
//! })?;
//! let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse()?;
//!
//! let reminders = plan(&PlanInput {
//!     firm: &firm,
//!     case: &case,
//!     events: &[event],
//!     recipes: &[],
//!     event_template: &Template::default_reminder(),
//!     now,
//! });
//!
//! assert_eq!(reminders.len(), 1);
//! let r = &reminders[0];
//! assert_eq!(r.source, ReminderSource::Event { offset: "1 day".parse()? });
//! assert_eq!(r.to.as_e164(), "+12125550123");
//! assert_eq!(r.send_at.to_rfc3339(), "2026-03-09T13:30:00+00:00");
//! assert_eq!(
//!     r.body,
//!     "Smith Law: Hi Maria, reminder of your Meeting of creditors on Tuesday, March 10, \
//!      2026 at 9:30 AM EDT at Room 2100. Questions? Call (212) 555-0100. \
//!      Reply STOP to opt out."
//! );
//! assert!(r.key.as_str().starts_with("rk1_"));
//! # Ok(())
//! # }
//! ```
//!
//! [`CaseEvent::time_zone`]: casewire_model::CaseEvent::time_zone

mod local_time;
pub mod plan;
pub mod recipe;
pub mod template;

pub use plan::{
    PlanDiff, PlanInput, PlannedReminder, ReminderKey, ReminderKeyError, ReminderSource, diff, plan,
};
pub use recipe::{AppliesTo, Lead, LeadError, Recipe};
pub use template::{
    LOCATION_TO_BE_CONFIRMED, Placeholder, Preview, RenderContext, Template, TemplateError,
};
