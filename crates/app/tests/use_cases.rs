//! The use-cases as product sentences, on SQLite and PostgreSQL, with the in-memory
//! provider and mailer.

#![allow(clippy::unwrap_used)] // Test set-up: a failure is a test failure.

use std::sync::Arc;

use casewire_app::{
    App, AppConfig, AppError, Backoff, CaseInput, DebtorInput, EventInput, EventPatch, FirmInput,
    InboundOutcome, ManualClock, PhoneInput, RecipeInput, ReminderPolicy, ReplyDelivery,
    SendRequest, Sender, TextingNumberInput,
};
use casewire_compliance::{Applied, ConsentState};
use casewire_model::{Case, CaseId, EmailAddress, FirmId, PhoneNumber, Region};
use casewire_notify::MemoryMailer;
use casewire_provider::{InMemoryProvider, InboundMessage, ProviderMessageId, SendError};
use casewire_store::{MessageStatus, ReminderState, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};

casewire_store::both_backends!(
    a_joint_case_texts_both_debtors,
    stop_from_one_debtor_blocks_only_that_number,
    start_unblocks_a_number,
    a_polite_opt_out_in_words_blocks_the_number,
    stop_by_the_office_does_not_opt_out,
    a_reply_is_emailed_to_the_case_override_address,
    an_unreadable_email_fails_alone,
    a_reply_from_an_unknown_number_lands_in_the_unmatched_inbox,
    the_same_webhook_twice_stores_one_message,
    a_moved_hearing_moves_its_reminder,
    switching_reminders_off_cancels_them_and_on_brings_them_back,
    a_recipe_plans_reminders_for_matching_events,
    a_due_reminder_is_sent_once,
    an_opt_out_after_planning_stops_the_reminder,
    reminders_in_quiet_hours_wait_for_the_morning,
    transient_errors_are_retried_then_fail_with_the_reason,
    lint_errors_refuse_a_send_unless_overridden,
    another_firms_case_is_not_found,
    an_invalid_phone_number_changes_nothing,
    a_provider_opt_out_report_blocks_the_number,
    a_batch_of_replies_gives_each_its_own_outcome,
    the_inbound_pipeline_gives_each_text_its_own_outcome,
);

/// Monday 2 March 2026, 15:00 UTC = 09:00 in Chicago.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
}

struct World {
    app: App,
    provider: InMemoryProvider,
    clock: Arc<ManualClock>,
    firm: FirmId,
}

const FIRM_NUMBER: &str = "+13125550100";
const MARIA: &str = "+13125550101";
const LUIS: &str = "+13125550102";

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, Region::US).unwrap()
}

async fn world(store: &Store) -> World {
    let provider = InMemoryProvider::new();
    let clock = Arc::new(ManualClock::new(start()));
    let app = App::new(
        store.clone(),
        Arc::new(provider.clone()),
        clock.clone(),
        AppConfig {
            public_url: Some("https://texts.example.com".into()),
            status_callback_url: None,
            email_from: EmailAddress::parse("casewire@example.com").unwrap(),
            reminders: ReminderPolicy {
                retry: Backoff {
                    base: std::time::Duration::from_secs(60),
                    max: std::time::Duration::from_secs(600),
                    max_attempts: 3,
                },
                ..ReminderPolicy::default()
            },
            email_retry: Backoff {
                base: std::time::Duration::from_secs(60),
                max: std::time::Duration::from_secs(600),
                max_attempts: 5,
            },
            worker_id: "test-worker".into(),
        },
    );
    let (record, _key) = app
        .create_firm(&FirmInput {
            name: "Rivera & Cole".into(),
            time_zone: "America/Chicago".into(),
            region: None,
            texting_numbers: vec![TextingNumberInput::long_code("(312) 555-0100")],
            notification_email: "intake@example.com".into(),
        })
        .await
        .unwrap();
    World {
        app,
        provider,
        clock,
        firm: record.firm.id(),
    }
}

fn debtor(first: &str, mobile: &str) -> DebtorInput {
    DebtorInput {
        first_name: first.into(),
        last_name: "Rivera".into(),
        email: None,
        time_zone: None,
        phones: vec![PhoneInput {
            number: mobile.into(),
            kind: "mobile".into(),
        }],
    }
}

async fn joint_case(w: &World) -> Case {
    w.app
        .create_case(
            w.firm,
            &CaseInput {
                number: "24-10345".into(),
                title: None,
                debtors: vec![
                    debtor("Maria", "312-555-0101"),
                    debtor("Luis", "312.555.0102"),
                ],
                notification_email: None,
                automatic_reminders: None,
            },
        )
        .await
        .unwrap()
}

fn text(body: &str) -> SendRequest {
    SendRequest {
        body: body.into(),
        sender: Sender::Api,
        override_lint: false,
        only_debtor: None,
    }
}

static SID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn inbound(from: &str, body: &str) -> InboundMessage {
    let n = SID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    InboundMessage {
        provider_id: ProviderMessageId::new(format!("SMin{n:08}")).unwrap(),
        from: number(from),
        to: number(FIRM_NUMBER),
        body: body.into(),
        media: vec![],
        keyword_hint: None,
    }
}

async fn hearing(w: &World, case_id: CaseId, reminders: &[&str]) -> casewire_model::CaseEvent {
    w.app
        .create_event(
            w.firm,
            case_id,
            &EventInput {
                title: "Meeting of creditors".into(),
                kind: "341 Meeting".into(),
                starts_at: "2026-03-10T09:30".into(),
                ends_at: None,
                time_zone: None,
                location: Some("Room 1, 219 S Dearborn St".into()),
                reminders: reminders.iter().map(|r| r.to_string()).collect(),
            },
        )
        .await
        .unwrap()
}

async fn reminder_states(
    w: &World,
    case_id: CaseId,
) -> Vec<(String, ReminderState, Option<String>)> {
    w.app
        .case_reminders(w.firm, case_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.to.as_e164().to_owned(), r.state, r.reason))
        .collect()
}

async fn a_joint_case_texts_both_debtors(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let outcome = w
        .app
        .send_case_text(w.firm, case.id, &text("Your hearing is on Tuesday."))
        .await
        .unwrap();
    assert_eq!(outcome.results.len(), 2);
    let sent: Vec<_> = w
        .provider
        .sent()
        .iter()
        .map(|s| s.message.to.as_e164().to_owned())
        .collect();
    assert_eq!(sent, [MARIA, LUIS]);
    let thread = w
        .app
        .store()
        .thread(w.firm, case.id, None, 50)
        .await
        .unwrap();
    assert_eq!(thread.len(), 2);
    assert!(
        thread
            .iter()
            .all(|m| matches!(m.status, MessageStatus::Delivery(_)))
    );
}

async fn stop_from_one_debtor_blocks_only_that_number(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let got = w
        .app
        .receive_inbound(&inbound(MARIA, "Stop."), ReplyDelivery::Provider)
        .await
        .unwrap();
    let InboundOutcome::Stored {
        consent: Some(Applied::Changed(t)),
        reply: Some(reply),
        ..
    } = got
    else {
        panic!("STOP must opt out and be confirmed: {got:?}");
    };
    assert_eq!(t.to, ConsentState::OptedOut);
    assert!(reply.contains("START"), "{reply}");
    // The confirmation is the one text that goes to the number after STOP.
    assert_eq!(w.provider.sent_to(&number(MARIA)).len(), 1);
    w.provider.clear();

    let outcome = w
        .app
        .send_case_text(w.firm, case.id, &text("Documents are ready."))
        .await
        .unwrap();
    let refused: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| matches!(r.outcome, casewire_app::RecipientOutcome::Refused { .. }))
        .map(|r| r.to.as_e164())
        .collect();
    assert_eq!(refused, [MARIA]);
    let sent: Vec<_> = w
        .provider
        .sent()
        .iter()
        .map(|s| s.message.to.as_e164().to_owned())
        .collect();
    assert_eq!(sent, [LUIS], "nothing is ever sent to a blocked number");
}

async fn start_unblocks_a_number(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    w.app
        .receive_inbound(&inbound(MARIA, "STOP"), ReplyDelivery::Provider)
        .await
        .unwrap();
    w.app
        .receive_inbound(&inbound(MARIA, " start "), ReplyDelivery::Provider)
        .await
        .unwrap();
    let consent = w.app.store().consent(w.firm, &number(MARIA)).await.unwrap();
    assert_eq!(consent.state, ConsentState::Subscribed);
    assert_eq!(consent.ledger.history().len(), 2);
    w.provider.clear();
    w.app
        .send_case_text(w.firm, case.id, &text("Welcome back."))
        .await
        .unwrap();
    assert_eq!(w.provider.sent_to(&number(MARIA)).len(), 1);
}

async fn a_polite_opt_out_in_words_blocks_the_number(store: &Store) {
    let w = world(store).await;
    joint_case(&w).await;
    w.app
        .receive_inbound(
            &inbound(MARIA, "Please stop texting me, thanks"),
            ReplyDelivery::Provider,
        )
        .await
        .unwrap();
    assert_eq!(
        w.app
            .store()
            .consent_state(w.firm, &number(MARIA))
            .await
            .unwrap(),
        ConsentState::OptedOut
    );
}

async fn stop_by_the_office_does_not_opt_out(store: &Store) {
    let w = world(store).await;
    joint_case(&w).await;
    w.app
        .receive_inbound(
            &inbound(MARIA, "Can you stop by the office at 3?"),
            ReplyDelivery::Provider,
        )
        .await
        .unwrap();
    assert_eq!(
        w.app
            .store()
            .consent_state(w.firm, &number(MARIA))
            .await
            .unwrap(),
        ConsentState::Subscribed
    );
    assert!(w.provider.sent().is_empty(), "no keyword reply");
}

async fn a_reply_is_emailed_to_the_case_override_address(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    w.app
        .set_texting(w.firm, case.id, Some(Some("paralegal@example.com")), None)
        .await
        .unwrap();
    w.app
        .receive_inbound(
            &inbound(LUIS, "Got it, see you Tuesday"),
            ReplyDelivery::Provider,
        )
        .await
        .unwrap();
    let mailer = MemoryMailer::new();
    let run = w.app.deliver_emails_once(&mailer).await.unwrap();
    assert_eq!(run.sent, 1);
    let sent = mailer.sent();
    assert_eq!(sent[0].to.as_str(), "paralegal@example.com");
    assert!(
        sent[0].subject.contains("Luis Rivera"),
        "{}",
        sent[0].subject
    );
    assert!(sent[0].text.contains("Got it, see you Tuesday"));
    assert!(
        sent[0]
            .text
            .contains(&format!("https://texts.example.com/cases/{}", case.id))
    );

    // Clearing the override sends the next one to the firm's default.
    w.app
        .set_texting(w.firm, case.id, Some(None), None)
        .await
        .unwrap();
    w.app
        .receive_inbound(&inbound(LUIS, "One more thing"), ReplyDelivery::Provider)
        .await
        .unwrap();
    w.app.deliver_emails_once(&mailer).await.unwrap();
    assert_eq!(mailer.sent()[1].to.as_str(), "intake@example.com");
}

async fn an_unreadable_email_fails_alone(store: &Store) {
    let w = world(store).await;
    joint_case(&w).await;
    w.app
        .store()
        .enqueue_email(w.firm, "{\"to\": 42}", w.app.now())
        .await
        .unwrap();
    w.app
        .receive_inbound(&inbound(LUIS, "Got it"), ReplyDelivery::Provider)
        .await
        .unwrap();
    let mailer = MemoryMailer::new();
    let run = w.app.deliver_emails_once(&mailer).await.unwrap();
    assert_eq!((run.claimed, run.sent, run.failed), (2, 1, 1));
    assert!(mailer.sent()[0].text.contains("Got it"));
    // Failed for good: not claimed again.
    assert_eq!(w.app.deliver_emails_once(&mailer).await.unwrap().claimed, 0);
}

async fn a_reply_from_an_unknown_number_lands_in_the_unmatched_inbox(store: &Store) {
    let w = world(store).await;
    joint_case(&w).await;
    let got = w
        .app
        .receive_inbound(
            &inbound("+13125550177", "Who is this?"),
            ReplyDelivery::Provider,
        )
        .await
        .unwrap();
    assert!(
        matches!(got, InboundOutcome::Stored { case_id: None, .. }),
        "{got:?}"
    );
    assert_eq!(
        w.app
            .store()
            .unmatched(w.firm, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // A text to a number no firm has is not stored at all.
    let mut stray = inbound(MARIA, "hello");
    stray.to = number("+13125550999");
    assert_eq!(
        w.app
            .receive_inbound(&stray, ReplyDelivery::Provider)
            .await
            .unwrap(),
        InboundOutcome::UnknownNumber
    );
}

async fn the_same_webhook_twice_stores_one_message(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let message = inbound(MARIA, "STOP");
    w.app
        .receive_inbound(&message, ReplyDelivery::Provider)
        .await
        .unwrap();
    let again = w
        .app
        .receive_inbound(&message, ReplyDelivery::Provider)
        .await
        .unwrap();
    assert!(
        matches!(again, InboundOutcome::Duplicate { .. }),
        "{again:?}"
    );
    let inbound_count = w
        .app
        .store()
        .thread(w.firm, case.id, None, 50)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.direction == casewire_store::Direction::Inbound)
        .count();
    assert_eq!(inbound_count, 1);
    assert_eq!(w.provider.sent().len(), 1, "one confirmation, not two");
    let mailer = MemoryMailer::new();
    w.app.deliver_emails_once(&mailer).await.unwrap();
    assert_eq!(mailer.sent().len(), 1, "one email, not two");
}

async fn a_moved_hearing_moves_its_reminder(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let event = hearing(&w, case.id, &["1 day"]).await;
    let before = w.app.case_reminders(w.firm, case.id).await.unwrap();
    assert_eq!(before.len(), 2, "one per debtor");
    assert!(
        before
            .iter()
            .all(|r| r.body.contains("Meeting of creditors"))
    );
    w.app
        .update_event(
            w.firm,
            case.id,
            event.id,
            &EventPatch {
                starts_at: Some("2026-03-12T13:00".into()),
                ..EventPatch::default()
            },
        )
        .await
        .unwrap();
    let after = w.app.case_reminders(w.firm, case.id).await.unwrap();
    let cancelled: Vec<_> = after
        .iter()
        .filter(|r| r.state == ReminderState::Cancelled)
        .collect();
    let pending: Vec<_> = after
        .iter()
        .filter(|r| r.state == ReminderState::Pending)
        .collect();
    assert_eq!(cancelled.len(), 2);
    assert!(
        cancelled
            .iter()
            .all(|r| r.reason.as_deref() == Some("event_moved"))
    );
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|r| r.send_at == Utc.with_ymd_and_hms(2026, 3, 11, 18, 0, 0).unwrap())
    );

    w.app.cancel_event(w.firm, case.id, event.id).await.unwrap();
    let states = reminder_states(&w, case.id).await;
    assert!(
        states
            .iter()
            .all(|(_, s, _)| *s == ReminderState::Cancelled),
        "{states:?}"
    );
}

async fn switching_reminders_off_cancels_them_and_on_brings_them_back(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    hearing(&w, case.id, &["1 day", "2 hours"]).await;
    assert_eq!(reminder_states(&w, case.id).await.len(), 4);
    w.app
        .set_texting(w.firm, case.id, None, Some(false))
        .await
        .unwrap();
    let states = reminder_states(&w, case.id).await;
    assert!(
        states.iter().all(
            |(_, s, r)| *s == ReminderState::Cancelled && r.as_deref() == Some("reminders_off")
        ),
        "{states:?}"
    );
    // Nothing goes out when the time comes.
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap());
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!(run.sent, 0);
    assert!(w.provider.sent().is_empty());
    // Back on: the future ones are planned again.
    w.clock.set(start());
    w.app
        .set_texting(w.firm, case.id, None, Some(true))
        .await
        .unwrap();
    let states = reminder_states(&w, case.id).await;
    assert!(
        states.iter().all(|(_, s, _)| *s == ReminderState::Pending),
        "{states:?}"
    );
}

async fn a_recipe_plans_reminders_for_matching_events(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    w.app
        .create_recipe(
            w.firm,
            &RecipeInput {
                name: "341 meeting, 3 days before".into(),
                applies_to: vec!["341 meeting".into()],
                before: "3 days".into(),
                at: Some("10:00".into()),
                template: None,
                enabled: true,
            },
        )
        .await
        .unwrap();
    hearing(&w, case.id, &[]).await;
    let reminders = w.app.case_reminders(w.firm, case.id).await.unwrap();
    assert_eq!(reminders.len(), 2);
    // 7 March 2026 10:00 in Chicago (CST, UTC-6).
    assert!(
        reminders
            .iter()
            .all(|r| r.send_at == Utc.with_ymd_and_hms(2026, 3, 7, 16, 0, 0).unwrap())
    );
    let body = &reminders[0].body;
    assert!(body.contains("Room 1, 219 S Dearborn St"), "{body}");
    assert!(body.contains("STOP"), "{body}");
    // A template with an unknown placeholder is refused when saved.
    let err = w
        .app
        .create_recipe(
            w.firm,
            &RecipeInput {
                name: "broken".into(),
                applies_to: vec![],
                before: "1 day".into(),
                at: None,
                template: Some("Hi {client_nickname}".into()),
                enabled: true,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid { ref field, .. } if field == "template"),
        "{err:?}"
    );
}

async fn a_due_reminder_is_sent_once(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    hearing(&w, case.id, &["1 day"]).await;
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!(run.claimed, 0, "not due yet");
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 9, 14, 31, 0).unwrap());
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!((run.claimed, run.sent), (2, 2));
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!(run.claimed, 0, "never twice");
    let sent = w.provider.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|s| s.message.reminder_key.is_some()));
    let states = reminder_states(&w, case.id).await;
    assert!(states.iter().all(|(_, s, _)| *s == ReminderState::Sent));
}

async fn an_opt_out_after_planning_stops_the_reminder(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    hearing(&w, case.id, &["1 day"]).await;
    w.app
        .receive_inbound(&inbound(MARIA, "unsubscribe me"), ReplyDelivery::Response)
        .await
        .unwrap();
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 9, 14, 31, 0).unwrap());
    w.app.run_due_reminders_once().await.unwrap();
    let sent: Vec<_> = w
        .provider
        .sent()
        .iter()
        .map(|s| s.message.to.as_e164().to_owned())
        .collect();
    assert_eq!(sent, [LUIS]);
    let states = reminder_states(&w, case.id).await;
    assert!(
        states.contains(&(
            MARIA.into(),
            ReminderState::Cancelled,
            Some("opted_out".into())
        )),
        "{states:?}"
    );
}

async fn reminders_in_quiet_hours_wait_for_the_morning(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    // An 08:00 hearing with a 2-hour reminder: 06:00 in Chicago is before quiet hours end.
    w.app
        .create_event(
            w.firm,
            case.id,
            &EventInput {
                title: "Hearing".into(),
                kind: "Hearing".into(),
                starts_at: "2026-03-10T08:00".into(),
                ends_at: None,
                time_zone: None,
                location: None,
                reminders: vec!["2 hours".into()],
            },
        )
        .await
        .unwrap();
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap());
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!(run.deferred, 2);
    assert!(w.provider.sent().is_empty());
    let reminders = w.app.case_reminders(w.firm, case.id).await.unwrap();
    let morning = Utc.with_ymd_and_hms(2026, 3, 10, 13, 0, 0).unwrap();
    assert!(
        reminders
            .iter()
            .all(|r| r.state == ReminderState::Pending && r.due_at == morning)
    );
    w.clock.set(morning);
    assert_eq!(w.app.run_due_reminders_once().await.unwrap().sent, 2);
}

async fn transient_errors_are_retried_then_fail_with_the_reason(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    w.app
        .set_texting(w.firm, case.id, None, Some(true))
        .await
        .unwrap();
    hearing(&w, case.id, &["1 day"]).await;
    let transient = SendError::Transient {
        retry_after: None,
        code: Some(20429),
        message: "too many requests".into(),
    };
    w.provider.fail_to(number(MARIA), transient);
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 9, 14, 31, 0).unwrap());
    let run = w.app.run_due_reminders_once().await.unwrap();
    assert_eq!((run.sent, run.retried), (1, 1));
    for _ in 0..5 {
        w.clock.advance(Duration::minutes(30));
        w.app.run_due_reminders_once().await.unwrap();
    }
    let maria = w
        .app
        .case_reminders(w.firm, case.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.to.as_e164() == MARIA)
        .unwrap();
    assert_eq!(maria.state, ReminderState::Failed);
    assert_eq!(maria.attempts, 3);
    assert_eq!(maria.reason.as_deref(), Some("transient (20429)"));
}

async fn lint_errors_refuse_a_send_unless_overridden(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let long = "word ".repeat(400);
    let err = w
        .app
        .send_case_text(w.firm, case.id, &text(&long))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid { .. }), "{err:?}");
    let ok = w
        .app
        .send_case_text(w.firm, case.id, &text("Pay online at bit.ly/abc"))
        .await
        .unwrap();
    assert!(
        ok.lint
            .findings
            .iter()
            .any(|f| f.code.as_str() == "shortened-link"),
        "warnings are reported but do not block"
    );
    assert!(w.provider.sent().len() == 2);
}

async fn another_firms_case_is_not_found(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let (other, _) = w
        .app
        .create_firm(&FirmInput {
            name: "Other Firm".into(),
            time_zone: "America/New_York".into(),
            region: None,
            texting_numbers: vec![TextingNumberInput::long_code("(212) 555-0100")],
            notification_email: "other@example.com".into(),
        })
        .await
        .unwrap();
    let other = other.firm.id();
    assert!(matches!(
        w.app.case(other, case.id).await,
        Err(AppError::NotFound("case"))
    ));
    assert!(matches!(
        w.app.send_case_text(other, case.id, &text("hi")).await,
        Err(AppError::NotFound("case"))
    ));
    assert!(matches!(
        w.app.set_texting(other, case.id, None, Some(false)).await,
        Err(AppError::NotFound("case"))
    ));
    assert!(w.provider.sent().is_empty());
}

async fn an_invalid_phone_number_changes_nothing(store: &Store) {
    let w = world(store).await;
    let err = w
        .app
        .create_case(
            w.firm,
            &CaseInput {
                number: "24-1".into(),
                title: None,
                debtors: vec![debtor("Maria", "312-555-0101"), debtor("Luis", "555-12")],
                notification_email: None,
                automatic_reminders: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        AppError::Invalid { field, .. } => assert_eq!(field, "debtors[1].phones[0].number"),
        other => panic!("{other:?}"),
    }
    assert!(w.app.cases(w.firm, None, 50, 0).await.unwrap().is_empty());

    // The same number twice on one debtor, however it is typed.
    let mut twice = debtor("Maria", "312-555-0101");
    twice.phones.push(PhoneInput {
        number: "(312) 555-0101".into(),
        kind: "home".into(),
    });
    let err = w
        .app
        .create_case(
            w.firm,
            &CaseInput {
                number: "24-1".into(),
                title: None,
                debtors: vec![twice],
                notification_email: None,
                automatic_reminders: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        AppError::Invalid { field, .. } => assert_eq!(field, "debtors[0].phones[1].number"),
        other => panic!("{other:?}"),
    }
    assert!(w.app.cases(w.firm, None, 50, 0).await.unwrap().is_empty());
}

async fn a_provider_opt_out_report_blocks_the_number(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    w.provider.opt_out(number(LUIS));
    let outcome = w
        .app
        .send_case_text(w.firm, case.id, &text("Hello"))
        .await
        .unwrap();
    assert!(outcome.results.iter().any(|r| matches!(
        &r.outcome,
        casewire_app::RecipientOutcome::Failed {
            code: Some(21610),
            ..
        }
    )));
    let consent = w.app.store().consent(w.firm, &number(LUIS)).await.unwrap();
    assert_eq!(consent.state, ConsentState::OptedOut);
    assert_eq!(consent.ledger.history().len(), 1);
}

async fn a_batch_of_replies_gives_each_its_own_outcome(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let hello = inbound(LUIS, "hello");
    let mut stray = inbound(MARIA, "wrong firm");
    stray.to = number("+13125550999");
    let batch = vec![
        inbound(MARIA, "STOP"),
        hello.clone(),
        hello.clone(),
        stray,
        inbound("+13125550177", "who is this"),
    ];
    let outcomes = w
        .app
        .receive_inbound_batch(&batch, ReplyDelivery::Response)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5);
    assert!(
        matches!(&outcomes[0], Ok(InboundOutcome::Stored { reply: Some(_), case_id: Some(c), .. }) if *c == case.id)
    );
    assert!(matches!(
        &outcomes[1],
        Ok(InboundOutcome::Stored { reply: None, .. })
    ));
    assert!(
        matches!(&outcomes[2], Ok(InboundOutcome::Duplicate { .. })),
        "{:?}",
        outcomes[2]
    );
    assert!(matches!(&outcomes[3], Ok(InboundOutcome::UnknownNumber)));
    assert!(matches!(
        &outcomes[4],
        Ok(InboundOutcome::Stored { case_id: None, .. })
    ));
    assert_eq!(
        w.app
            .store()
            .consent_state(w.firm, &number(MARIA))
            .await
            .unwrap(),
        ConsentState::OptedOut
    );
    // The confirmation went out in the response, and is recorded as sent.
    assert!(w.provider.sent().is_empty());
    let thread = w
        .app
        .store()
        .thread(w.firm, case.id, None, 50)
        .await
        .unwrap();
    assert!(
        thread
            .iter()
            .any(|m| m.direction == casewire_store::Direction::Outbound
                && m.status == MessageStatus::Delivery(casewire_provider::DeliveryStatus::Sent))
    );
    let mailer = MemoryMailer::new();
    assert_eq!(w.app.deliver_emails_once(&mailer).await.unwrap().sent, 3);
}

/// The group-commit pipeline (on an SQLite file, its own thread and connection) gives
/// each text what receiving it alone would, however the texts are batched.
async fn the_inbound_pipeline_gives_each_text_its_own_outcome(store: &Store) {
    let w = world(store).await;
    let case = joint_case(&w).await;
    let ingest = casewire_app::Ingest::start(w.app.clone(), ReplyDelivery::Response, 64).unwrap();
    let stopped = ingest.stopped();
    let hello = inbound(LUIS, "hello");
    let mut stray = inbound(MARIA, "wrong firm");
    stray.to = number("+13125550999");
    let texts = [
        inbound(MARIA, "STOP"),
        hello.clone(),
        hello,
        stray,
        inbound("+13125550177", "who is this"),
        inbound(LUIS, "HELP"),
    ];
    let outcomes: Vec<InboundOutcome> =
        futures_util::future::join_all(texts.iter().map(|t| ingest.submit(t.clone())))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    assert!(
        matches!(&outcomes[0], InboundOutcome::Stored { reply: Some(_), case_id: Some(c), consent: Some(_), .. } if *c == case.id),
        "{:?}",
        outcomes[0]
    );
    let hellos = [&outcomes[1], &outcomes[2]];
    let stored = hellos
        .iter()
        .filter(|o| matches!(o, InboundOutcome::Stored { reply: None, .. }))
        .count();
    let duplicates = hellos
        .iter()
        .filter(|o| matches!(o, InboundOutcome::Duplicate { .. }))
        .count();
    assert_eq!((stored, duplicates), (1, 1), "{hellos:?}");
    assert!(matches!(&outcomes[3], InboundOutcome::UnknownNumber));
    assert!(matches!(
        &outcomes[4],
        InboundOutcome::Stored { case_id: None, .. }
    ));
    assert!(
        matches!(
            &outcomes[5],
            InboundOutcome::Stored {
                reply: Some(_),
                consent: None,
                ..
            }
        ),
        "HELP is answered: {:?}",
        outcomes[5]
    );
    assert_eq!(
        w.app
            .store()
            .consent_state(w.firm, &number(MARIA))
            .await
            .unwrap(),
        ConsentState::OptedOut
    );
    drop(ingest);
    stopped.wait().await;
    let thread = w
        .app
        .store()
        .thread(w.firm, case.id, None, 50)
        .await
        .unwrap();
    let inbound_bodies: Vec<&str> = thread
        .iter()
        .filter(|m| m.direction == casewire_store::Direction::Inbound)
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(inbound_bodies.len(), 3, "{inbound_bodies:?}");
    let mailer = MemoryMailer::new();
    assert_eq!(w.app.deliver_emails_once(&mailer).await.unwrap().sent, 4);
}

mod worker_loop {
    use super::*;
    use casewire_app::WorkerPacing;

    #[tokio::test]
    async fn the_worker_loop_sends_due_reminders_and_emails_then_stops_when_told() {
        let db = casewire_store::testing::sqlite().await;
        let w = world(&db.store).await;
        let case = joint_case(&w).await;
        hearing(&w, case.id, &["1 day"]).await;
        w.app
            .receive_inbound(&inbound(LUIS, "ok"), ReplyDelivery::Provider)
            .await
            .unwrap();
        w.clock
            .set(Utc.with_ymd_and_hms(2026, 3, 9, 14, 31, 0).unwrap());
        let mailer = Arc::new(MemoryMailer::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let app = w.app.clone();
        let loop_mailer = mailer.clone();
        let handle = tokio::spawn(async move {
            app.run_worker(
                loop_mailer,
                WorkerPacing {
                    idle: std::time::Duration::from_millis(10),
                    after_error: std::time::Duration::from_millis(10),
                },
                stop_rx,
                |_, _| {},
            )
            .await
        });
        for _ in 0..500 {
            if w.provider.sent().len() == 2 && mailer.sent().len() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        stop_tx.send(true).unwrap();
        let totals = handle.await.unwrap();
        assert_eq!(totals.reminders.sent, 2);
        assert_eq!(totals.emails.sent, 1);
        assert_eq!(totals.errors, 0);
        db.finish().await;
    }
}
