//! The inbound pipeline's own SQLite connection: it matches and stores texts exactly as
//! the store does.

#![allow(clippy::unwrap_used)] // Test set-up: a failure is a test failure.

use std::time::Duration;

use casewire_compliance::{ConsentChange, ConsentMethod, ConsentState};
use casewire_model::{
    CaseId, CaseNumber, CaseStatus, EmailAddress, FirmId, NumberClass, PersonName, PhoneKind,
    PhoneNumber, Region, TextingNumber, TextingSettings,
};
use casewire_provider::ProviderMessageId;
use casewire_store::{
    EmailJob, FirmSettings, InboundConnection, InboundInsert, NewCase, NewDebtor, NewFirm,
    NewInbound, NewPhone, Store, StoreError, testing::TestDb,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, Region::US).unwrap()
}

const FIRM_NUMBER: &str = "312-555-0100";
const MARIA: &str = "312-555-0101";
const LUIS: &str = "312-555-0102";
const HOME: &str = "312-555-0199";
const STRANGER: &str = "312-555-0177";

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

/// A firm with two open joint cases on Maria's number (the second more recently
/// created) and a closed one: what the store and the connection must both read.
async fn seeded() -> (TestDb, FirmId, [CaseId; 2]) {
    let db = casewire_store::testing::sqlite().await;
    let store = &db.store;
    let firm = store
        .create_firm(
            &NewFirm {
                name: "Rivera & Cole".into(),
                time_zone: chrono_tz::America::Chicago,
                region: Region::US,
                numbers: vec![TextingNumber::new(
                    number(FIRM_NUMBER),
                    NumberClass::LongCode,
                )],
                notification_email: EmailAddress::parse("intake@example.com").unwrap(),
                settings: FirmSettings::default(),
            },
            t(8, 0),
        )
        .await
        .unwrap()
        .firm
        .id();
    let mut ids = Vec::new();
    for (i, case_number) in ["24-10345", "25-00002", "25-00003"].iter().enumerate() {
        let case = NewCase {
            number: CaseNumber::parse(case_number).unwrap(),
            title: "Maria and Luis Rivera".into(),
            debtor: debtor(
                "Maria",
                &[(MARIA, PhoneKind::Mobile), (HOME, PhoneKind::Home)],
            ),
            joint_debtor: Some(debtor("Luis", &[(LUIS, PhoneKind::Mobile)])),
            texting: TextingSettings::default(),
        };
        let id = store
            .create_case(firm, &case, t(8, i as u32))
            .await
            .unwrap()
            .id;
        ids.push(id);
    }
    store
        .set_case_status(firm, ids[2], CaseStatus::Closed)
        .await
        .unwrap();
    (db, firm, [ids[0], ids[1]])
}

fn direct(store: &Store) -> InboundConnection {
    store
        .inbound_connection()
        .unwrap()
        .expect("an SQLite file has a direct connection")
}

/// One text to store: its provider id, sender and whether it is on the first case.
#[derive(Debug, Clone)]
struct Text {
    sid: u8,
    from: &'static str,
    on_case: Option<usize>,
    notify: bool,
    /// With a staff note and media.
    extras: bool,
}

fn batch<'a>(
    firm: FirmId,
    cases: [CaseId; 2],
    texts: &[Text],
    sids: &'a [ProviderMessageId],
    phones: &'a [(PhoneNumber, PhoneNumber, PhoneNumber)],
) -> Vec<(FirmId, NewInbound<'a>)> {
    texts
        .iter()
        .map(|text| {
            let (maria, luis, to) = &phones[0];
            let from = if text.from == MARIA { maria } else { luis };
            (
                firm,
                NewInbound {
                    provider_id: &sids[usize::from(text.sid)],
                    from,
                    to,
                    body: "See you Tuesday",
                    media_json: text.extras.then_some(
                        r#"[{"url":"https://api.twilio.com/m/1","content_type":"image/jpeg"}]"#,
                    ),
                    case_id: text.on_case.map(|i| cases[i]),
                    debtor_id: None,
                    note: text.extras.then_some("Possible opt-out."),
                    consent: None,
                    notify: text.notify,
                },
            )
        })
        .collect()
}

/// What a store holds after the batches: every message's provider id and case, the
/// queued notifications, and the cases' order for a reply.
async fn contents(store: &Store, firm: FirmId, cases: [CaseId; 2]) -> Vec<String> {
    let mut out = Vec::new();
    for case in cases {
        for m in store.thread(firm, case, None, 500).await.unwrap() {
            out.push(format!("{case:?} {m:?}"));
        }
    }
    for m in store.unmatched(firm, None, 500).await.unwrap() {
        out.push(format!("unmatched {m:?}"));
    }
    let emails = store
        .claim_due_emails("check", t(23, 0), Duration::from_secs(60), 500)
        .await
        .unwrap();
    let mut jobs: Vec<String> = emails.iter().map(|e| format!("{:?}", e.job)).collect();
    jobs.sort();
    out.extend(jobs);
    let order = store
        .reply_matches_many(firm, &[number(MARIA)])
        .await
        .unwrap();
    out.push(format!("{order:?}"));
    out
}

fn sids() -> Vec<ProviderMessageId> {
    (0..=u8::MAX)
        .map(|i| ProviderMessageId::new(format!("SM{i:032x}")).unwrap())
        .collect()
}

fn phones() -> Vec<(PhoneNumber, PhoneNumber, PhoneNumber)> {
    vec![(number(MARIA), number(LUIS), number(FIRM_NUMBER))]
}

/// Runs the same batches through the store and through the direct connection, on two
/// databases seeded alike, and checks each answer and what each database holds.
async fn same_as_the_store(batches: Vec<Vec<Text>>) {
    let (through_store, firm_a, cases_a) = seeded().await;
    let (through_direct, firm_b, cases_b) = seeded().await;
    assert_eq!((firm_a, cases_a), (firm_b, cases_b));
    let mut conn = direct(&through_direct.store);
    let (sids, phones) = (sids(), phones());
    for (n, texts) in batches.iter().enumerate() {
        let now = t(9, n as u32);
        let items = batch(firm_a, cases_a, texts, &sids, &phones);
        let expected: Vec<InboundInsert> = through_store
            .store
            .record_inbound_batch(&items, now)
            .await
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let got = conn.record_batch(&items, now).await.unwrap();
        assert_eq!(got, expected, "batch {n}: {texts:?}");
    }
    assert_eq!(
        contents(&through_direct.store, firm_b, cases_b).await,
        contents(&through_store.store, firm_a, cases_a).await
    );
    drop(conn);
    through_store.finish().await;
    through_direct.finish().await;
}

#[tokio::test]
async fn repeats_in_a_batch_and_of_earlier_batches_are_duplicates_of_the_first() {
    let text = |sid, from, on_case, notify| Text {
        sid,
        from,
        on_case,
        notify,
        extras: sid % 2 == 0,
    };
    same_as_the_store(vec![
        vec![
            text(1, MARIA, Some(0), true),
            text(2, LUIS, Some(1), false),
            text(1, MARIA, Some(0), true),
        ],
        vec![
            text(3, MARIA, None, true),
            text(1, MARIA, Some(0), true),
            text(4, LUIS, Some(0), true),
        ],
    ])
    .await;
}

#[tokio::test]
async fn a_text_that_changes_consent_is_refused_and_nothing_is_written() {
    let (db, firm, cases) = seeded().await;
    let mut conn = direct(&db.store);
    let (sids, phones) = (sids(), phones());
    let texts = [
        Text {
            sid: 1,
            from: MARIA,
            on_case: Some(0),
            notify: true,
            extras: false,
        },
        Text {
            sid: 2,
            from: MARIA,
            on_case: Some(0),
            notify: true,
            extras: false,
        },
    ];
    let mut items = batch(firm, cases, &texts, &sids, &phones);
    items[1].1.consent = Some(ConsentChange {
        to: ConsentState::OptedOut,
        at: t(9, 0),
        method: ConsentMethod::Keyword {
            keyword: "STOP".into(),
        },
        raw_text: Some("STOP".into()),
        via_number: Some(number(FIRM_NUMBER)),
    });
    let err = conn.record_batch(&items, t(9, 0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(
        db.store
            .thread(firm, cases[0], None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);
    db.finish().await;
}

#[tokio::test]
async fn senders_are_matched_as_the_store_matches_them() {
    let (db, firm, cases) = seeded().await;
    let mut conn = direct(&db.store);
    let numbers = [
        number(MARIA),
        number(LUIS),
        number(HOME),
        number(STRANGER),
        number(MARIA),
    ];
    let check = |direct: &std::collections::HashMap<_, _>,
                 store: &std::collections::HashMap<_, _>| {
        assert_eq!(direct, store);
        // Both open cases, most recently active first; never the closed one, never a
        // home number, nothing for a stranger.
        assert_eq!(direct.len(), 2);
    };
    let store_view = db.store.reply_matches_many(firm, &numbers).await.unwrap();
    check(&conn.reply_matches(firm, &numbers).unwrap(), &store_view);
    let maria = &store_view[&number(MARIA)];
    assert_eq!(
        maria.iter().map(|m| m.case_id).collect::<Vec<_>>(),
        [cases[1], cases[0]]
    );

    // A text on the older case makes it the most recently active one, for both.
    let (sids, phones) = (sids(), phones());
    let texts = [Text {
        sid: 9,
        from: MARIA,
        on_case: Some(0),
        notify: false,
        extras: false,
    }];
    conn.record_batch(&batch(firm, cases, &texts, &sids, &phones), t(11, 0))
        .await
        .unwrap();
    let store_view = db.store.reply_matches_many(firm, &numbers).await.unwrap();
    check(&conn.reply_matches(firm, &numbers).unwrap(), &store_view);
    assert_eq!(
        store_view[&number(MARIA)]
            .iter()
            .map(|m| m.case_id)
            .collect::<Vec<_>>(),
        [cases[0], cases[1]]
    );
    drop(conn);
    db.finish().await;
}

/// Ties: two cases equally recent (the later case first), and a number both debtors of
/// one case share (that case once, with its first debtor).
#[tokio::test]
async fn ties_are_broken_as_the_store_breaks_them() {
    let (db, firm, _) = seeded().await;
    let store = &db.store;
    const SHARED: &str = "312-555-0150";
    let mut created = Vec::new();
    for case_number in ["25-00010", "25-00011"] {
        let case = NewCase {
            number: CaseNumber::parse(case_number).unwrap(),
            title: "Ana and Jo Reyes".into(),
            debtor: debtor("Ana", &[(SHARED, PhoneKind::Mobile)]),
            joint_debtor: Some(debtor("Jo", &[(SHARED, PhoneKind::Mobile)])),
            texting: TextingSettings::default(),
        };
        // The same instant: equally recent.
        created.push(store.create_case(firm, &case, t(9, 0)).await.unwrap());
    }
    let mut conn = direct(store);
    let numbers = [number(SHARED)];
    let store_view = store.reply_matches_many(firm, &numbers).await.unwrap();
    assert_eq!(conn.reply_matches(firm, &numbers).unwrap(), store_view);
    let found = &store_view[&number(SHARED)];
    assert_eq!(
        found.iter().map(|m| m.case_id).collect::<Vec<_>>(),
        [created[1].id, created[0].id]
    );
    let first = created[1].debtors.iter().next().unwrap();
    assert_eq!(found[0].debtor_id, first.id);
    drop(conn);
    db.finish().await;
}

#[tokio::test]
async fn firms_are_read_as_the_store_reads_them() {
    let (db, firm, _) = seeded().await;
    let mut conn = direct(&db.store);
    for n in [FIRM_NUMBER, MARIA, STRANGER] {
        assert_eq!(
            conn.firm_by_number(&number(n)).unwrap(),
            db.store.firm_by_number(&number(n)).await.unwrap(),
            "{n}"
        );
    }
    assert_eq!(
        conn.firm_by_number(&number(FIRM_NUMBER)).unwrap(),
        Some(firm)
    );
    let got = conn.firm(firm).unwrap();
    let expected = db.store.firm(firm).await.unwrap();
    assert_eq!(format!("{got:?}"), format!("{expected:?}"));
    assert!(matches!(
        conn.firm(FirmId::new(firm.get() + 1)),
        Err(StoreError::NotFound)
    ));
    drop(conn);
    db.finish().await;
}

#[tokio::test]
async fn an_in_memory_database_has_no_direct_connection() {
    let store = Store::open(&casewire_store::StoreOptions::new("sqlite::memory:"))
        .await
        .unwrap();
    assert!(store.inbound_connection().unwrap().is_none());
    store.close().await;
}

#[tokio::test]
async fn a_notification_refers_to_its_message() {
    let (db, firm, cases) = seeded().await;
    let mut conn = direct(&db.store);
    let (sids, phones) = (sids(), phones());
    let texts = [Text {
        sid: 5,
        from: LUIS,
        on_case: Some(1),
        notify: true,
        extras: true,
    }];
    let stored = conn
        .record_batch(&batch(firm, cases, &texts, &sids, &phones), t(9, 0))
        .await
        .unwrap();
    let [InboundInsert::Inserted { id, .. }] = stored[..] else {
        panic!("{stored:?}");
    };
    let emails = db
        .store
        .claim_due_emails("w", t(9, 1), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(
        emails.iter().map(|e| e.job.clone()).collect::<Vec<_>>(),
        [EmailJob::InboundNotice(id)]
    );
    drop(conn);
    db.finish().await;
}

fn text() -> impl Strategy<Value = Text> {
    (
        0u8..12,
        prop_oneof![Just(MARIA), Just(LUIS)],
        prop_oneof![Just(None), Just(Some(0)), Just(Some(1))],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(sid, from, on_case, notify, extras)| Text {
            sid,
            from,
            on_case,
            notify,
            extras,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any run of batches, with provider ids repeated within and across them, gives
    /// the same answers and leaves the same rows as the store.
    #[test]
    fn any_batches_store_as_the_store_does(
        batches in prop::collection::vec(prop::collection::vec(text(), 1..12), 1..4)
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(same_as_the_store(batches));
    }
}
