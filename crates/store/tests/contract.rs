//! The store contract: the same sentences, true on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)] // Test set-up: a failure is a test failure.

use std::{collections::HashSet, time::Duration};

use casewire_compliance::{Applied, ConsentChange, ConsentMethod, ConsentState};
use casewire_model::{
    AutomaticReminders, CaseEvent, CaseId, CaseNumber, CaseStatus, EmailAddress, EventDraft,
    EventId, EventKind, FirmId, NumberClass, Offset, OffsetUnit, PersonName, PhoneKind,
    PhoneNumber, Region, TextingNumber, TextingSettings,
};
use casewire_provider::{DeliveryStatus, ProviderMessageId};
use casewire_scheduler::{PlannedReminder, ReminderKey, ReminderSource};
use casewire_store::{
    ApiKeyHash, ClaimedReminder, EmailJob, EmailOutcome, FinishedReminder, FirmSettings,
    InboundInsert, MessageStatus, NewCase, NewDebtor, NewFirm, NewInbound, NewOutbound, NewPhone,
    ReminderOutcome, ReminderRecord, ReminderState, ReminderWave, SendAnswer, SentBy, Start,
    StartingReminder, StatusApplied, Store, StoreError,
};
use chrono::{DateTime, TimeZone, Utc};

casewire_store::both_backends!(
    a_firm_round_trips_and_its_numbers_find_it,
    a_texting_number_belongs_to_one_firm,
    another_firms_ids_are_not_found,
    a_case_number_is_unique_within_a_firm,
    a_joint_case_keeps_both_debtors_and_their_phones,
    cases_are_searched_by_number_and_name,
    phones_are_added_edited_and_removed,
    replies_find_open_cases_most_recent_first,
    the_same_webhook_twice_stores_one_message,
    an_inbound_opt_out_blocks_the_number_and_cancels_its_reminders,
    delivery_status_never_moves_backwards,
    re_planning_inserts_updates_cancels_and_revives,
    sent_reminders_are_never_re_planned,
    a_claimed_reminder_is_claimed_once_until_its_lease_expires,
    a_claim_is_renewed_only_by_its_holder_while_its_lease_holds,
    concurrent_workers_never_claim_one_reminder_twice,
    emails_wait_in_the_outbox_until_sent,
    api_keys_are_found_by_hash_until_revoked,
    unmatched_texts_can_be_attached_to_a_case,
    settings_round_trip,
    a_status_that_overtakes_the_send_answer_is_applied_later,
    a_number_is_held_to_its_rate_across_reservations,
    a_batch_of_inbound_texts_is_stored_once_each,
    a_wave_records_answers_finishes_and_starts_in_one_step,
    batch_reads_leave_out_other_firms_rows,
    an_opt_out_after_the_checks_still_stops_the_send,
);

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, Region::US).unwrap()
}

fn new_firm(name: &str, texting: &str) -> NewFirm {
    NewFirm {
        name: name.into(),
        time_zone: chrono_tz::America::Chicago,
        region: Region::US,
        numbers: vec![TextingNumber::new(number(texting), NumberClass::LongCode)],
        notification_email: EmailAddress::parse("intake@example.com").unwrap(),
        settings: FirmSettings::default(),
    }
}

async fn firm(store: &Store) -> FirmId {
    store
        .create_firm(&new_firm("Rivera & Cole", "312-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id()
}

fn debtor(first: &str, phones: &[(&str, PhoneKind)]) -> NewDebtor {
    NewDebtor {
        name: PersonName::new(first, "Rivera").unwrap(),
        email: None,
        phones: phones
            .iter()
            .map(|(n, kind)| NewPhone {
                number: number(n),
                kind: *kind,
            })
            .collect(),
        time_zone: None,
    }
}

fn joint_case(case_number: &str) -> NewCase {
    NewCase {
        number: CaseNumber::parse(case_number).unwrap(),
        title: "Maria and Luis Rivera".into(),
        debtor: debtor(
            "Maria",
            &[
                ("312-555-0101", PhoneKind::Mobile),
                ("312-555-0199", PhoneKind::Home),
            ],
        ),
        joint_debtor: Some(debtor("Luis", &[("312-555-0102", PhoneKind::Mobile)])),
        texting: TextingSettings::default(),
    }
}

async fn case(store: &Store, firm: FirmId) -> CaseId {
    store
        .create_case(firm, &joint_case("24-10345"), t(8, 0))
        .await
        .unwrap()
        .id
}

async fn event(store: &Store, firm: FirmId, case_id: CaseId) -> CaseEvent {
    let draft = EventDraft {
        title: "Meeting of creditors",
        kind: EventKind::parse("341 Meeting").unwrap(),
        starts_at: Utc.with_ymd_and_hms(2026, 3, 20, 15, 0, 0).unwrap(),
        ends_at: None,
        time_zone: chrono_tz::America::Chicago,
        location: Some("Room 1"),
        reminders: vec![Offset::new(1, OffsetUnit::Days).unwrap()],
    };
    let e = CaseEvent::new(EventId::new(0), case_id, draft).unwrap();
    store.insert_event(firm, &e).await.unwrap()
}

fn key(n: u32) -> ReminderKey {
    ReminderKey::parse(&format!("rk1_{n:032x}")).unwrap()
}

fn planned(
    n: u32,
    event: &CaseEvent,
    to: &str,
    send_at: DateTime<Utc>,
    body: &str,
) -> PlannedReminder {
    PlannedReminder {
        key: key(n),
        event_id: event.id,
        source: ReminderSource::Event {
            offset: Offset::new(1, OffsetUnit::Days).unwrap(),
        },
        debtor_id: casewire_model::DebtorId::new(1),
        to: number(to),
        send_at,
        body: body.into(),
        event_starts_at: event.starts_at,
    }
}

/// Stores `plan` for the case at 9:00 and claims what is due at 10:00 as `w1`, with a
/// one-minute lease.
async fn claimed_at_ten(
    store: &Store,
    firm_id: FirmId,
    case_id: CaseId,
    plan: &[PlannedReminder],
) -> Vec<ClaimedReminder> {
    store
        .sync_case_reminders(firm_id, case_id, plan, |_| Some("x"), t(9, 0))
        .await
        .unwrap();
    store
        .claim_due_reminders("w1", t(10, 0), Duration::from_secs(60), 10)
        .await
        .unwrap()
}

fn pid(s: &str) -> ProviderMessageId {
    ProviderMessageId::new(s).unwrap()
}

fn inbound<'a>(
    provider_id: &'a ProviderMessageId,
    from: &'a PhoneNumber,
    to: &'a PhoneNumber,
    body: &'a str,
) -> NewInbound<'a> {
    NewInbound {
        provider_id,
        from,
        to,
        body,
        media_json: None,
        case_id: None,
        debtor_id: None,
        note: None,
        consent: None,
        notify: false,
    }
}

async fn a_firm_round_trips_and_its_numbers_find_it(store: &Store) {
    let created = store
        .create_firm(&new_firm("Rivera & Cole", "312-555-0100"), t(8, 0))
        .await
        .unwrap();
    let read = store.firm(created.firm.id()).await.unwrap();
    assert_eq!(read.firm, created.firm);
    assert_eq!(read.firm.name(), "Rivera & Cole");
    assert_eq!(read.firm.time_zone(), chrono_tz::America::Chicago);
    assert_eq!(
        store.firm_by_number(&number("312-555-0100")).await.unwrap(),
        Some(created.firm.id())
    );
    assert_eq!(
        store.firm_by_number(&number("312-555-0999")).await.unwrap(),
        None
    );
    assert!(matches!(
        store.firm(FirmId::new(9999)).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_texting_number_belongs_to_one_firm(store: &Store) {
    firm(store).await;
    let err = store
        .create_firm(&new_firm("Other Firm", "312-555-0100"), t(8, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        store.firm_ids().await.unwrap().len(),
        1,
        "nothing half-written"
    );
}

async fn another_firms_ids_are_not_found(store: &Store) {
    let mine = firm(store).await;
    let case_id = case(store, mine).await;
    let theirs = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    assert!(matches!(
        store.case(theirs, case_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_texting(theirs, case_id, &TextingSettings::default())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_case_status(theirs, case_id, CaseStatus::Closed)
            .await,
        Err(StoreError::NotFound)
    ));
    let mine_case = store.case(mine, case_id).await.unwrap();
    let debtor_id = mine_case.debtors.iter().next().unwrap().id;
    let phone = NewPhone {
        number: number("312-555-0150"),
        kind: PhoneKind::Mobile,
    };
    assert!(matches!(
        store.add_phone(theirs, case_id, debtor_id, &phone).await,
        Err(StoreError::NotFound)
    ));
    let e = event(store, mine, case_id).await;
    assert!(matches!(
        store.event(theirs, case_id, e.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_event(theirs, &e).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.insert_event(theirs, &e).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .thread(theirs, case_id, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.cases(theirs, None, 50, 0).await.unwrap().is_empty());
    assert!(
        store
            .case_reminders(theirs, case_id)
            .await
            .unwrap()
            .is_empty()
    );
    let outbound = NewOutbound {
        case_id: Some(case_id),
        debtor_id: None,
        from: &number("415-555-0100"),
        to: &number("312-555-0101"),
        body: "hello",
        sent_by: SentBy::Api,
        reminder_key: None,
        refusal: None,
    };
    assert!(matches!(
        store.insert_outbound(theirs, &outbound, t(9, 0)).await,
        Err(StoreError::NotFound)
    ));
    // Nothing of the above changed the case.
    assert_eq!(store.case(mine, case_id).await.unwrap(), mine_case);
}

async fn a_case_number_is_unique_within_a_firm(store: &Store) {
    let firm_id = firm(store).await;
    case(store, firm_id).await;
    let err = store
        .create_case(firm_id, &joint_case("24-10345"), t(9, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.cases(firm_id, None, 50, 0).await.unwrap().len(), 1);
    // Another firm may use the same number.
    let other = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    store
        .create_case(other, &joint_case("24-10345"), t(9, 0))
        .await
        .unwrap();
}

async fn a_joint_case_keeps_both_debtors_and_their_phones(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let c = store.case(firm_id, case_id).await.unwrap();
    assert!(c.debtors.is_joint());
    let debtors: Vec<_> = c.debtors.iter().collect();
    assert_eq!(debtors[0].name.first(), "Maria");
    assert_eq!(debtors[1].name.first(), "Luis");
    assert_eq!(debtors[0].phones.len(), 2);
    assert_eq!(debtors[0].phones[1].kind, PhoneKind::Home);
    assert_eq!(debtors[1].phones[0].number, number("312-555-0102"));
    assert_eq!(c.status, CaseStatus::Open);
    assert_eq!(c.texting.automatic_reminders, AutomaticReminders::On);
}

async fn cases_are_searched_by_number_and_name(store: &Store) {
    let firm_id = firm(store).await;
    case(store, firm_id).await;
    let mut other = joint_case("25-00001");
    other.title = "Chen".into();
    other.debtor = debtor("Wei", &[]);
    other.joint_debtor = None;
    store.create_case(firm_id, &other, t(10, 0)).await.unwrap();

    let all = store.cases(firm_id, None, 50, 0).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].number.as_str(), "25-00001", "most recent first");
    assert_eq!(all[1].debtor_names, ["Maria Rivera", "Luis Rivera"]);
    let by_name = store.cases(firm_id, Some("luis riv"), 50, 0).await.unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].number.as_str(), "24-10345");
    let by_number = store.cases(firm_id, Some("25-0"), 50, 0).await.unwrap();
    assert_eq!(by_number.len(), 1);
    assert!(
        store
            .cases(firm_id, Some("nobody"), 50, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.cases(firm_id, None, 1, 1).await.unwrap().len(),
        1,
        "paged"
    );
}

async fn phones_are_added_edited_and_removed(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let luis = store
        .case(firm_id, case_id)
        .await
        .unwrap()
        .debtors
        .iter()
        .nth(1)
        .unwrap()
        .id;
    let id = store
        .add_phone(
            firm_id,
            case_id,
            luis,
            &NewPhone {
                number: number("312-555-0150"),
                kind: PhoneKind::Work,
            },
        )
        .await
        .unwrap();
    store
        .update_phone(
            firm_id,
            case_id,
            id,
            &NewPhone {
                number: number("312-555-0151"),
                kind: PhoneKind::Mobile,
            },
        )
        .await
        .unwrap();
    let c = store.case(firm_id, case_id).await.unwrap();
    let phones = &c.debtors.get(luis).unwrap().phones;
    assert_eq!(phones.len(), 2);
    assert_eq!(phones[1].number, number("312-555-0151"));
    assert_eq!(phones[1].kind, PhoneKind::Mobile);
    // A debtor's numbers are distinct: adding or editing into a duplicate is a conflict
    // and changes nothing; editing a phone's kind alone is not a duplicate.
    let first = phones[0].number.clone();
    assert!(matches!(
        store
            .add_phone(
                firm_id,
                case_id,
                luis,
                &NewPhone {
                    number: number("312-555-0151"),
                    kind: PhoneKind::Home,
                },
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .update_phone(
                firm_id,
                case_id,
                id,
                &NewPhone {
                    number: first,
                    kind: PhoneKind::Mobile,
                },
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .update_phone(
            firm_id,
            case_id,
            id,
            &NewPhone {
                number: number("312-555-0151"),
                kind: PhoneKind::Work,
            },
        )
        .await
        .unwrap();
    let c = store.case(firm_id, case_id).await.unwrap();
    let phones = &c.debtors.get(luis).unwrap().phones;
    assert_eq!(phones.len(), 2);
    assert_eq!(phones[1].number, number("312-555-0151"));
    assert_eq!(phones[1].kind, PhoneKind::Work);
    store.remove_phone(firm_id, case_id, id).await.unwrap();
    assert!(matches!(
        store.remove_phone(firm_id, case_id, id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .case(firm_id, case_id)
            .await
            .unwrap()
            .debtors
            .get(luis)
            .unwrap()
            .phones
            .len(),
        1
    );
}

async fn replies_find_open_cases_most_recent_first(store: &Store) {
    let firm_id = firm(store).await;
    let older = case(store, firm_id).await;
    let newer = store
        .create_case(firm_id, &joint_case("25-00002"), t(10, 0))
        .await
        .unwrap()
        .id;
    let maria = number("312-555-0101");
    let found = store.open_cases_with_mobile(firm_id, &maria).await.unwrap();
    assert_eq!(
        found.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [newer, older]
    );
    // A home number never matches; a closed case never matches.
    assert!(
        store
            .open_cases_with_mobile(firm_id, &number("312-555-0199"))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .set_case_status(firm_id, newer, CaseStatus::Closed)
        .await
        .unwrap();
    let found = store.open_cases_with_mobile(firm_id, &maria).await.unwrap();
    assert_eq!(found.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [older]);
}

async fn the_same_webhook_twice_stores_one_message(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let id = pid("SM0001");
    let (from, to) = (number("312-555-0101"), number("312-555-0100"));
    let mut new = inbound(&id, &from, &to, "See you Tuesday");
    new.case_id = Some(case_id);
    new.notify = true;
    let first = store.record_inbound(firm_id, &new, t(9, 0)).await.unwrap();
    let InboundInsert::Inserted { id: message_id, .. } = first else {
        panic!("first delivery must be stored: {first:?}");
    };
    let second = store.record_inbound(firm_id, &new, t(9, 1)).await.unwrap();
    assert_eq!(second, InboundInsert::Duplicate { id: message_id });
    let thread = store.thread(firm_id, case_id, None, 50).await.unwrap();
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].status, MessageStatus::Received);
    let emails = store
        .claim_due_emails("w", t(9, 2), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(emails.len(), 1, "one email, not two");
}

async fn an_inbound_opt_out_blocks_the_number_and_cancels_its_reminders(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan = [
        planned(1, &e, "312-555-0101", t(20, 0), "to Maria"),
        planned(2, &e, "312-555-0102", t(20, 0), "to Luis"),
    ];
    store
        .sync_case_reminders(firm_id, case_id, &plan, |_| Some("replanned"), t(9, 0))
        .await
        .unwrap();

    let id = pid("SM0002");
    let (from, to) = (number("312-555-0101"), number("312-555-0100"));
    let mut new = inbound(&id, &from, &to, "STOP");
    new.case_id = Some(case_id);
    new.consent = Some(ConsentChange {
        to: ConsentState::OptedOut,
        at: t(9, 5),
        method: ConsentMethod::Keyword {
            keyword: "STOP".into(),
        },
        raw_text: Some("STOP".into()),
        via_number: Some(to.clone()),
    });
    let result = store.record_inbound(firm_id, &new, t(9, 5)).await.unwrap();
    let InboundInsert::Inserted {
        consent: Some(Applied::Changed(transition)),
        cancelled_reminders,
        ..
    } = result
    else {
        panic!("expected an applied opt-out: {result:?}");
    };
    assert_eq!(transition.from, ConsentState::Subscribed);
    assert_eq!(transition.to, ConsentState::OptedOut);
    assert_eq!(cancelled_reminders, 1, "only Maria's reminder");
    assert_eq!(
        store.consent_state(firm_id, &from).await.unwrap(),
        ConsentState::OptedOut
    );
    assert_eq!(
        store
            .consent_state(firm_id, &number("312-555-0102"))
            .await
            .unwrap(),
        ConsentState::Subscribed
    );
    let reminders = store.case_reminders(firm_id, case_id).await.unwrap();
    let states: Vec<_> = reminders.iter().map(|r| (r.to.clone(), r.state)).collect();
    assert!(states.contains(&(from.clone(), ReminderState::Cancelled)));
    assert!(states.contains(&(number("312-555-0102"), ReminderState::Pending)));

    // A second STOP changes nothing; START opts back in; the ledger keeps both steps.
    let again = ConsentChange {
        at: t(9, 6),
        ..new.consent.clone().unwrap()
    };
    let (applied, _) = store
        .apply_consent(firm_id, &from, again, t(9, 6))
        .await
        .unwrap();
    assert_eq!(applied, Applied::Unchanged);
    let start = ConsentChange {
        to: ConsentState::Subscribed,
        at: t(9, 7),
        method: ConsentMethod::Keyword {
            keyword: "START".into(),
        },
        raw_text: Some("START".into()),
        via_number: None,
    };
    store
        .apply_consent(firm_id, &from, start, t(9, 7))
        .await
        .unwrap();
    let record = store.consent(firm_id, &from).await.unwrap();
    assert_eq!(record.state, ConsentState::Subscribed);
    assert_eq!(record.ledger.history().len(), 2);
    // Consent is per firm.
    let other = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    assert!(
        store
            .consent(other, &from)
            .await
            .unwrap()
            .ledger
            .history()
            .is_empty()
    );
}

async fn delivery_status_never_moves_backwards(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let (from, to) = (number("312-555-0100"), number("312-555-0101"));
    let out = NewOutbound {
        case_id: Some(case_id),
        debtor_id: None,
        from: &from,
        to: &to,
        body: "Your hearing is Tuesday",
        sent_by: SentBy::Api,
        reminder_key: None,
        refusal: None,
    };
    let id = store.insert_outbound(firm_id, &out, t(9, 0)).await.unwrap();
    let sid = pid("SM0003");
    store
        .record_send_result(firm_id, id, Ok((&sid, DeliveryStatus::Queued)), t(9, 0))
        .await
        .unwrap();
    let delivered = store
        .apply_status(&sid, DeliveryStatus::Delivered, None, t(9, 1))
        .await
        .unwrap();
    assert!(matches!(delivered, StatusApplied::Advanced { firm, .. } if firm == firm_id));
    assert_eq!(
        store
            .apply_status(&sid, DeliveryStatus::Sent, None, t(9, 2))
            .await
            .unwrap(),
        StatusApplied::Ignored
    );
    assert_eq!(
        store
            .apply_status(&pid("SMunknown"), DeliveryStatus::Sent, None, t(9, 2))
            .await
            .unwrap(),
        StatusApplied::Unknown
    );
    let m = store.message(firm_id, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Delivery(DeliveryStatus::Delivered));
    assert_eq!(m.provider_id.as_deref(), Some("SM0003"));
}

async fn re_planning_inserts_updates_cancels_and_revives(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let a = planned(1, &e, "312-555-0101", t(20, 0), "A");
    let b = planned(2, &e, "312-555-0102", t(20, 0), "B");
    let report = store
        .sync_case_reminders(
            firm_id,
            case_id,
            &[a.clone(), b.clone()],
            |_| Some("x"),
            t(9, 0),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.scheduled, report.updated, report.cancelled),
        (2, 0, 0)
    );
    // Same plan again: nothing changes.
    let report = store
        .sync_case_reminders(
            firm_id,
            case_id,
            &[a.clone(), b.clone()],
            |_| Some("x"),
            t(9, 1),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.scheduled, report.updated, report.cancelled),
        (0, 0, 0)
    );
    // A new body updates; a missing key is cancelled with the caller's reason.
    let a2 = PlannedReminder {
        body: "A, reworded".into(),
        ..a.clone()
    };
    let report = store
        .sync_case_reminders(
            firm_id,
            case_id,
            std::slice::from_ref(&a2),
            |_| Some("event_moved"),
            t(9, 2),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.scheduled, report.updated, report.cancelled),
        (0, 1, 1)
    );
    let rows = store.case_reminders(firm_id, case_id).await.unwrap();
    let row_b = rows.iter().find(|r| r.key == b.key).unwrap();
    assert_eq!(row_b.state, ReminderState::Cancelled);
    assert_eq!(row_b.reason.as_deref(), Some("event_moved"));
    // Planned again (reminders switched back on): revived.
    let report = store
        .sync_case_reminders(firm_id, case_id, &[a2, b.clone()], |_| Some("x"), t(9, 3))
        .await
        .unwrap();
    assert_eq!(report.scheduled, 1);
    let rows = store.case_reminders(firm_id, case_id).await.unwrap();
    assert!(rows.iter().all(|r| r.state == ReminderState::Pending));
    // An overdue reminder the caller keeps is not cancelled.
    let report = store
        .sync_case_reminders(firm_id, case_id, &[], |_| None, t(9, 4))
        .await
        .unwrap();
    assert_eq!(report.cancelled, 0);
}

async fn sent_reminders_are_never_re_planned(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let a = planned(1, &e, "312-555-0101", t(10, 0), "A");
    store
        .sync_case_reminders(
            firm_id,
            case_id,
            std::slice::from_ref(&a),
            |_| Some("x"),
            t(9, 0),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_due_reminders("w1", t(10, 0), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let message_id = casewire_model::MessageId::new(1);
    assert!(
        store
            .finish_reminder(
                claimed[0].id,
                "w1",
                &ReminderOutcome::Sent { message_id },
                t(10, 0)
            )
            .await
            .unwrap()
    );
    let changed = PlannedReminder {
        body: "A again".into(),
        ..a
    };
    let report = store
        .sync_case_reminders(firm_id, case_id, &[changed], |_| Some("x"), t(10, 1))
        .await
        .unwrap();
    assert_eq!(report, Default::default());
    let rows = store.case_reminders(firm_id, case_id).await.unwrap();
    assert_eq!(rows[0].state, ReminderState::Sent);
    assert_eq!(rows[0].body, "A");
    assert_eq!(rows[0].attempts, 1);
}

async fn a_claimed_reminder_is_claimed_once_until_its_lease_expires(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan = [
        planned(1, &e, "312-555-0101", t(10, 0), "A"),
        planned(2, &e, "312-555-0102", t(11, 0), "B"),
    ];
    store
        .sync_case_reminders(firm_id, case_id, &plan, |_| Some("x"), t(9, 0))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    assert!(
        store
            .claim_due_reminders("w1", t(9, 59), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let first = store
        .claim_due_reminders("w1", t(10, 0), lease, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        store
            .claim_due_reminders("w2", t(10, 0), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // w1 dies; after the lease another worker takes the reminder, and w1 can no longer
    // finish it.
    let taken = store
        .claim_due_reminders("w2", t(10, 2), lease, 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].key, first[0].key);
    let retry = ReminderOutcome::Retry {
        at: t(10, 5),
        reason: "transient".into(),
    };
    assert!(
        !store
            .finish_reminder(first[0].id, "w1", &retry, t(10, 2))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_reminder(taken[0].id, "w2", &retry, t(10, 2))
            .await
            .unwrap()
    );
    let rows = store.case_reminders(firm_id, case_id).await.unwrap();
    assert_eq!(rows[0].state, ReminderState::Pending);
    assert_eq!(rows[0].due_at, t(10, 5));
    assert_eq!(rows[0].attempts, 1);
    // Released claims are claimable at once.
    let again = store
        .claim_due_reminders("w3", t(11, 0), lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(store.release_reminders("w3", t(11, 0)).await.unwrap(), 2);
    assert_eq!(
        store
            .claim_due_reminders("w4", t(11, 0), lease, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_claim_is_renewed_only_by_its_holder_while_its_lease_holds(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan = [planned(1, &e, "312-555-0101", t(10, 0), "A")];
    let lease = Duration::from_secs(60);
    let claimed = claimed_at_ten(store, firm_id, case_id, &plan).await;
    let from = number("312-555-0100");
    let starts = |owner: &'static str, at| {
        let (store, reminder, from) = (store.clone(), claimed[0].clone(), from.clone());
        async move {
            let starting = [starting(&reminder, &from)];
            let wave = ReminderWave {
                finished: &[],
                starting: &starting,
            };
            let done = store
                .commit_reminder_wave(owner, &wave, at, lease)
                .await
                .unwrap();
            matches!(done.started[0], Start::Send(_))
        }
    };
    // Started at the last moment of its lease, the claim holds another minute.
    assert!(starts("w1", t(10, 1)).await);
    assert!(
        store
            .claim_due_reminders("w2", t(10, 2), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a renewed claim is not taken"
    );
    assert!(
        !starts("w2", t(10, 2)).await,
        "only its holder renews a claim"
    );
    // Once the lease has run out, the holder can no longer start it, and another
    // worker takes the reminder.
    assert!(!starts("w1", t(10, 3)).await);
    let taken = store
        .claim_due_reminders("w2", t(10, 3), lease, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert!(!starts("w1", t(10, 3)).await);
    assert!(starts("w2", t(10, 3)).await);
}

/// A claimed reminder about to be sent from `from`.
fn starting<'a>(reminder: &'a ReminderRecord, from: &'a PhoneNumber) -> StartingReminder<'a> {
    StartingReminder {
        id: reminder.id,
        lease_until: reminder.lease_until.unwrap(),
        key: reminder.key.as_str(),
        firm: reminder.firm_id,
        message: NewOutbound {
            case_id: Some(reminder.case_id),
            debtor_id: Some(reminder.debtor_id),
            from,
            to: &reminder.to,
            body: &reminder.body,
            sent_by: SentBy::Reminder,
            reminder_key: Some(reminder.key.as_str()),
            refusal: None,
        },
    }
}

async fn a_wave_records_answers_finishes_and_starts_in_one_step(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan = [
        planned(1, &e, "312-555-0101", t(10, 0), "A"),
        planned(2, &e, "312-555-0102", t(10, 0), "B"),
        planned(3, &e, "312-555-0101", t(10, 0), "C"),
    ];
    let claimed = claimed_at_ten(store, firm_id, case_id, &plan).await;
    assert_eq!(claimed.len(), 3);
    let from = number("312-555-0100");
    let [r1, r2, r3] = [&claimed[0], &claimed[1], &claimed[2]];
    let two_minutes = Duration::from_secs(120);

    // The first wave starts two, a minute later: their thread messages are recorded as
    // queued, and their claims, with less than half a lease left, renewed (two minutes).
    let first = [starting(r1, &from), starting(r2, &from)];
    let done = store
        .commit_reminder_wave(
            "w1",
            &ReminderWave {
                finished: &[],
                starting: &first,
            },
            t(10, 1),
            two_minutes,
        )
        .await
        .unwrap();
    let [Start::Send(m1), Start::Send(m2)] = done.started[..] else {
        panic!("both started: {done:?}");
    };
    let message = store.message(firm_id, m1).await.unwrap();
    assert_eq!(
        message.status,
        MessageStatus::Delivery(DeliveryStatus::Queued)
    );
    assert_eq!(message.reminder_key.as_deref(), Some(r1.key.as_str()));
    assert_eq!(message.sent_by, Some(SentBy::Reminder));
    assert_eq!(message.body, r1.body);
    // r3's claim was not renewed: another worker takes it once its lease runs out;
    // r1 and r2 stay w1's.
    let taken = store
        .claim_due_reminders("w2", t(10, 2), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), [r3.id]);

    // The next step records the first wave's answers (a status callback overtook
    // r1's), finishes both, and cannot start r3, which is no longer w1's.
    let sid = pid("SMwave1");
    assert_eq!(
        store
            .apply_status(&sid, DeliveryStatus::Delivered, None, t(10, 1))
            .await
            .unwrap(),
        StatusApplied::Unknown
    );
    let sent = ReminderOutcome::Sent { message_id: m1 };
    let failed = ReminderOutcome::Failed {
        reason: "unreachable (30003)".into(),
        message_id: Some(m2),
    };
    let finished = [
        FinishedReminder {
            id: r1.id,
            outcome: &sent,
            answer: Some(SendAnswer {
                firm: firm_id,
                message_id: m1,
                result: Ok((&sid, DeliveryStatus::Queued)),
            }),
        },
        FinishedReminder {
            id: r2.id,
            outcome: &failed,
            answer: Some(SendAnswer {
                firm: firm_id,
                message_id: m2,
                result: Err((Some(30003), "unreachable")),
            }),
        },
    ];
    let next = [starting(r3, &from)];
    let done = store
        .commit_reminder_wave(
            "w1",
            &ReminderWave {
                finished: &finished,
                starting: &next,
            },
            t(10, 2),
            two_minutes,
        )
        .await
        .unwrap();
    assert_eq!(done.finished, [true, true]);
    assert_eq!(done.started, [Start::NotOurs]);
    let m1 = store.message(firm_id, m1).await.unwrap();
    assert_eq!(m1.provider_id.as_deref(), Some("SMwave1"));
    assert_eq!(
        m1.status,
        MessageStatus::Delivery(DeliveryStatus::Delivered)
    );
    let m2 = store.message(firm_id, m2).await.unwrap();
    assert_eq!(m2.status, MessageStatus::Delivery(DeliveryStatus::Failed));
    assert_eq!(m2.error_code, Some(30003));
    let states: Vec<_> = store
        .case_reminders(firm_id, case_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.state, r.message_id))
        .collect();
    assert!(states.contains(&(r1.id, ReminderState::Sent, Some(m1.id))));
    assert!(states.contains(&(r2.id, ReminderState::Failed, Some(m2.id))));
    assert!(states.contains(&(r3.id, ReminderState::Claimed, None)));
    // w1 can no longer finish r3 either; nothing is written for it.
    let skipped = ReminderOutcome::Skipped {
        reason: "opted_out".into(),
    };
    assert!(
        !store
            .finish_reminder(r3.id, "w1", &skipped, t(10, 2))
            .await
            .unwrap()
    );
    // An answer for a message of another firm changes nothing.
    let theirs = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    let forged = [FinishedReminder {
        id: r3.id,
        outcome: &skipped,
        answer: Some(SendAnswer {
            firm: theirs,
            message_id: m1.id,
            result: Err((None, "forged")),
        }),
    }];
    let wave = ReminderWave {
        finished: &forged,
        starting: &[],
    };
    assert!(matches!(
        store
            .commit_reminder_wave("w2", &wave, t(10, 3), two_minutes)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.case_reminders(firm_id, case_id).await.unwrap()[2].state,
        ReminderState::Claimed,
        "the failed step wrote nothing"
    );
}

async fn batch_reads_leave_out_other_firms_rows(store: &Store) {
    let mine = firm(store).await;
    let case_id = case(store, mine).await;
    let e = event(store, mine, case_id).await;
    let theirs = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    let cases = store
        .cases_by_ids(mine, &[case_id, CaseId::new(9_999)])
        .await
        .unwrap();
    assert_eq!(cases, [store.case(mine, case_id).await.unwrap()]);
    assert!(
        store
            .cases_by_ids(theirs, &[case_id])
            .await
            .unwrap()
            .is_empty()
    );
    let event_id = e.id;
    assert_eq!(store.events_by_ids(mine, &[event_id]).await.unwrap(), [e]);
    assert!(
        store
            .events_by_ids(theirs, &[event_id])
            .await
            .unwrap()
            .is_empty()
    );

    let (maria, luis) = (number("312-555-0101"), number("312-555-0102"));
    let stop = ConsentChange {
        to: ConsentState::OptedOut,
        at: t(9, 0),
        method: ConsentMethod::Keyword {
            keyword: "STOP".into(),
        },
        raw_text: Some("STOP".into()),
        via_number: None,
    };
    store
        .apply_consent(mine, &maria, stop, t(9, 0))
        .await
        .unwrap();
    let states = store
        .consent_states(mine, &[maria.clone(), luis.clone()])
        .await
        .unwrap();
    assert_eq!(states[&maria], ConsentState::OptedOut);
    assert_eq!(states[&luis], ConsentState::Subscribed);
    let states = store
        .consent_states(theirs, std::slice::from_ref(&maria))
        .await
        .unwrap();
    assert_eq!(
        states[&maria],
        ConsentState::Subscribed,
        "consent is per firm"
    );
}

async fn concurrent_workers_never_claim_one_reminder_twice(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan: Vec<_> = (0..300)
        .map(|n| planned(n, &e, "312-555-0101", t(10, 0), "A"))
        .collect();
    store
        .sync_case_reminders(firm_id, case_id, &plan, |_| Some("x"), t(9, 0))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_due_reminders(&owner, t(10, 0), Duration::from_secs(600), 7)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    break mine;
                }
                mine.extend(batch.into_iter().map(|r| r.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for task in tasks {
        for id in task.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "reminder {id} claimed twice");
        }
    }
    assert_eq!(total, 300);
}

async fn emails_wait_in_the_outbox_until_sent(store: &Store) {
    let firm_id = firm(store).await;
    store
        .enqueue_email(firm_id, "{\"n\":1}", t(9, 0))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    let claimed = store
        .claim_due_emails("w", t(9, 0), lease, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].job, EmailJob::Json("{\"n\":1}".into()));
    let retry = EmailOutcome::Retry {
        at: t(9, 5),
        error: "connection refused".into(),
    };
    assert!(
        store
            .finish_email(claimed[0].id, "w", &retry, t(9, 0))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due_emails("w", t(9, 4), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_due_emails("w", t(9, 5), lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert!(
        store
            .finish_email(again[0].id, "w", &EmailOutcome::Sent, t(9, 5))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due_emails("w", t(12, 0), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.email_queue().await.unwrap(), (0, 0));
}

async fn api_keys_are_found_by_hash_until_revoked(store: &Store) {
    let firm_id = firm(store).await;
    let hash = ApiKeyHash("a1b2".into());
    store
        .add_api_key(firm_id, "cw_live_ab", &hash, t(9, 0))
        .await
        .unwrap();
    assert_eq!(store.firm_for_api_key(&hash).await.unwrap(), Some(firm_id));
    assert_eq!(
        store
            .firm_for_api_key(&ApiKeyHash("zz".into()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.revoke_api_keys(firm_id, t(9, 1)).await.unwrap(), 1);
    assert_eq!(store.firm_for_api_key(&hash).await.unwrap(), None);
    assert!(matches!(
        store
            .add_api_key(FirmId::new(999), "x", &ApiKeyHash("q".into()), t(9, 0))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn unmatched_texts_can_be_attached_to_a_case(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let id = pid("SM0009");
    let (from, to) = (number("312-555-0177"), number("312-555-0100"));
    let InboundInsert::Inserted { id: message, .. } = store
        .record_inbound(firm_id, &inbound(&id, &from, &to, "who is this?"), t(9, 0))
        .await
        .unwrap()
    else {
        panic!("stored")
    };
    let inbox = store.unmatched(firm_id, None, 50).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].body, "who is this?");
    let other = store
        .create_firm(&new_firm("Other Firm", "415-555-0100"), t(8, 0))
        .await
        .unwrap()
        .firm
        .id();
    assert!(matches!(
        store.attach_to_case(other, message, case_id, None).await,
        Err(StoreError::NotFound)
    ));
    store
        .attach_to_case(firm_id, message, case_id, None)
        .await
        .unwrap();
    assert!(store.unmatched(firm_id, None, 50).await.unwrap().is_empty());
    assert_eq!(
        store
            .thread(firm_id, case_id, None, 50)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn settings_round_trip(store: &Store) {
    let firm_id = firm(store).await;
    let mut settings = store.firm(firm_id).await.unwrap().settings;
    settings
        .keywords
        .add(casewire_compliance::Intent::OptOut, "BAJA")
        .unwrap();
    store.set_firm_settings(firm_id, &settings).await.unwrap();
    let read = store.firm(firm_id).await.unwrap().settings;
    assert!(
        read.keywords
            .iter(casewire_compliance::Intent::OptOut)
            .any(|k| k.as_str() == "BAJA")
    );
    store
        .set_notification_email(firm_id, &EmailAddress::parse("new@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(
        store
            .firm(firm_id)
            .await
            .unwrap()
            .firm
            .notification_email()
            .as_str(),
        "new@example.com"
    );
}

async fn a_status_that_overtakes_the_send_answer_is_applied_later(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let (from, to) = (number("312-555-0100"), number("312-555-0101"));
    let out = NewOutbound {
        case_id: Some(case_id),
        debtor_id: None,
        from: &from,
        to: &to,
        body: "Hello",
        sent_by: SentBy::Api,
        reminder_key: None,
        refusal: None,
    };
    let id = store.insert_outbound(firm_id, &out, t(9, 0)).await.unwrap();
    let sid = pid("SMearly");
    // The callback arrives before Twilio's answer to the send request.
    assert_eq!(
        store
            .apply_status(&sid, DeliveryStatus::Delivered, None, t(9, 1))
            .await
            .unwrap(),
        StatusApplied::Unknown
    );
    store
        .record_send_result(firm_id, id, Ok((&sid, DeliveryStatus::Queued)), t(9, 2))
        .await
        .unwrap();
    let m = store.message(firm_id, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Delivery(DeliveryStatus::Delivered));
}

async fn a_number_is_held_to_its_rate_across_reservations(store: &Store) {
    let n = number("312-555-0100");
    let second = Duration::from_secs(1);
    let burst = Duration::from_secs(2);
    // Three one-second sends fit (the burst allows two seconds of backlog)...
    for _ in 0..3 {
        assert_eq!(
            store
                .reserve_send_slot(&n, second, burst, t(9, 0))
                .await
                .unwrap(),
            None
        );
    }
    // ...the fourth must wait until the booked time minus the burst.
    let wait = store
        .reserve_send_slot(&n, second, burst, t(9, 0))
        .await
        .unwrap();
    assert_eq!(wait, Some(t(9, 0) + chrono::Duration::seconds(1)));
    // Later, it fits again; another number is independent.
    assert_eq!(
        store
            .reserve_send_slot(&n, second, burst, t(9, 0) + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .reserve_send_slot(&number("312-555-0199"), second, burst, t(9, 0))
            .await
            .unwrap(),
        None
    );
    let backlogs = store.number_backlogs(t(9, 0)).await.unwrap();
    assert_eq!(backlogs.len(), 2);
    assert_eq!(backlogs[0].1, std::time::Duration::from_secs(4));
}

async fn a_batch_of_inbound_texts_is_stored_once_each(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let (a, b) = (pid("SMb1"), pid("SMb2"));
    let (maria, luis, firm_number) = (
        number("312-555-0101"),
        number("312-555-0102"),
        number("312-555-0100"),
    );
    let mut first = inbound(&a, &maria, &firm_number, "one");
    first.case_id = Some(case_id);
    first.notify = true;
    let mut second = inbound(&b, &luis, &firm_number, "two");
    second.case_id = Some(case_id);
    let items = vec![
        (firm_id, first.clone()),
        (firm_id, second),
        (firm_id, first.clone()),
    ];
    let results = store.record_inbound_batch(&items, t(9, 0)).await.unwrap();
    let Ok(InboundInsert::Inserted { id: one, .. }) = results[0] else {
        panic!("{:?}", results[0]);
    };
    let Ok(InboundInsert::Inserted { id: two, .. }) = results[1] else {
        panic!("{:?}", results[1]);
    };
    assert_ne!(one, two);
    assert_eq!(
        results[2].as_ref().ok(),
        Some(&InboundInsert::Duplicate { id: one }),
        "a repeat within the batch is a duplicate of the first"
    );
    let thread = store.thread(firm_id, case_id, None, 50).await.unwrap();
    assert_eq!(thread.len(), 2);
    let stored = store.message(firm_id, one).await.unwrap();
    assert_eq!(
        (stored.body.as_str(), stored.provider_id.as_deref()),
        ("one", Some("SMb1"))
    );
    let emails = store
        .claim_due_emails("w", t(9, 1), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(
        emails[0].job,
        EmailJob::InboundNotice(one),
        "the email refers to its message"
    );

    // A later batch: a text stored before is a duplicate of it; new ones follow on.
    let c = pid("SMb3");
    let third = inbound(&c, &maria, &firm_number, "three");
    let again = store
        .record_inbound_batch(&[(firm_id, third), (firm_id, first)], t(9, 2))
        .await
        .unwrap();
    let Ok(InboundInsert::Inserted { id: three, .. }) = again[0] else {
        panic!("{:?}", again[0]);
    };
    assert!(three.get() > two.get().max(one.get()));
    assert_eq!(
        again[1].as_ref().ok(),
        Some(&InboundInsert::Duplicate { id: one })
    );
    // Ids handed out by the batch are not handed out again.
    let reply = store
        .insert_outbound(
            firm_id,
            &NewOutbound {
                case_id: Some(case_id),
                debtor_id: None,
                from: &firm_number,
                to: &maria,
                body: "reply",
                sent_by: SentBy::System,
                reminder_key: None,
                refusal: None,
            },
            t(9, 3),
        )
        .await
        .unwrap();
    assert!(reply.get() > three.get());
}

async fn an_opt_out_after_the_checks_still_stops_the_send(store: &Store) {
    let firm_id = firm(store).await;
    let case_id = case(store, firm_id).await;
    let e = event(store, firm_id, case_id).await;
    let plan = [
        planned(1, &e, "312-555-0101", t(10, 0), "A"),
        planned(2, &e, "312-555-0102", t(10, 0), "B"),
    ];
    let claimed = claimed_at_ten(store, firm_id, case_id, &plan).await;
    // Maria texts STOP after the worker's checks, before its step commits.
    let maria = number("312-555-0101");
    let stop = ConsentChange {
        to: ConsentState::OptedOut,
        at: t(10, 0),
        method: ConsentMethod::Keyword {
            keyword: "STOP".into(),
        },
        raw_text: Some("STOP".into()),
        via_number: None,
    };
    store
        .apply_consent(firm_id, &maria, stop, t(10, 0))
        .await
        .unwrap();
    let from = number("312-555-0100");
    let starting: Vec<_> = claimed.iter().map(|r| starting(r, &from)).collect();
    let done = store
        .commit_reminder_wave(
            "w1",
            &ReminderWave {
                finished: &[],
                starting: &starting,
            },
            t(10, 0),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let by_number: Vec<_> = claimed
        .iter()
        .zip(&done.started)
        .map(|(r, s)| {
            (
                r.to.clone(),
                matches!(s, Start::Send(_)),
                *s == Start::OptedOut,
            )
        })
        .collect();
    assert!(
        by_number.contains(&(maria.clone(), false, true)),
        "{by_number:?}"
    );
    assert!(
        by_number.contains(&(number("312-555-0102"), true, false)),
        "{by_number:?}"
    );
    // Only Luis's text was recorded.
    let thread = store.thread(firm_id, case_id, None, 10).await.unwrap();
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert_eq!(thread[0].to, number("312-555-0102"));
}
