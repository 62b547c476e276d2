//! Black-box tests of `casewire-worker`: several worker processes on one PostgreSQL
//! database send each due reminder exactly once through the fake Twilio, lose none when
//! killed, re-check a reminder before sending it, hold a texting number to its send rate
//! together, report on `/metrics`, and stop cleanly on SIGTERM.
//!
//! Each test makes a database of its own on the PostgreSQL at
//! `CASEWIRE_TEST_DATABASE_URL` and seeds it with the use-cases in-process (thousands of
//! reminders in seconds); the workers are the real binary.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use casewire_app::{
    App, CaseInput, DebtorInput, EventInput, FirmInput, ManualClock, PhoneInput, TextingNumberInput,
};
use casewire_model::FirmId;
use chrono::{DateTime, Duration as Span, DurationRound, SecondsFormat, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{FIRM_NUMBER, FakeTwilio, Server, TestDatabase, Worker, eventually_within};

/// How long a drain may take before the test fails (they take a few seconds).
const DRAIN: Duration = Duration::from_secs(45);

/// A firm on a test database, and the cases, events and reminders seeded for it.
struct Seeder {
    app: App,
    clock: Arc<ManualClock>,
    firm: FirmId,
    cases: usize,
}

impl Seeder {
    /// A firm texting from [`FIRM_NUMBER`] at `rate` segments a second (a long code's
    /// usual rate when `None`), in a zone where it is midday now, so that quiet hours
    /// never hold a reminder back.
    async fn new(db: &TestDatabase, rate: Option<f64>) -> Seeder {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let app = db.app(clock.clone()).await;
        let (firm, _key) = app
            .create_firm(&FirmInput {
                name: "Rivera Law".into(),
                time_zone: crate::zone_where_it_is_midday(),
                region: None,
                texting_numbers: vec![TextingNumberInput {
                    number: FIRM_NUMBER.into(),
                    class: None,
                    rate,
                }],
                notification_email: "intake@riveralaw.example".into(),
            })
            .await
            .unwrap();
        Seeder {
            app,
            clock,
            firm: firm.firm.id(),
            cases: 0,
        }
    }

    /// `count` reminders due `lead` from now: `count / 2` joint cases whose debtors each
    /// have a mobile of their own, with a hearing reminded of "30 minutes" before.
    /// Everything is planned from the same instant, however long seeding takes; cases
    /// are made by a few tasks at once.
    async fn reminders_due_in(&mut self, lead: Span, count: usize) {
        assert!(count % 2 == 0, "two debtors, two reminders a case");
        let now = Utc::now();
        self.clock.set(now);
        let starts_at =
            (now + Span::minutes(30) + lead).to_rfc3339_opts(SecondsFormat::Millis, true);
        let first = self.cases;
        let cases = count / 2;
        self.cases += cases;
        let tasks = 8;
        let mut running = tokio::task::JoinSet::new();
        for task in 0..tasks {
            let app = self.app.clone();
            let firm = self.firm;
            let starts_at = starts_at.clone();
            running.spawn(async move {
                for n in (first + task..first + cases).step_by(tasks) {
                    let debtor = |first_name: &str, number: String| DebtorInput {
                        first_name: first_name.into(),
                        last_name: format!("Rivera{n}"),
                        email: None,
                        time_zone: None,
                        phones: vec![PhoneInput {
                            number,
                            kind: "mobile".into(),
                        }],
                    };
                    let case = app
                        .create_case(
                            firm,
                            &CaseInput {
                                number: format!("24-{:05}", 10_000 + n),
                                title: None,
                                debtors: vec![
                                    debtor("Ana", mobile(2 * n)),
                                    debtor("Luis", mobile(2 * n + 1)),
                                ],
                                notification_email: None,
                                automatic_reminders: None,
                            },
                        )
                        .await
                        .unwrap();
                    app.create_event(
                        firm,
                        case.id,
                        &EventInput {
                            title: "Hearing".into(),
                            kind: "hearing".into(),
                            starts_at: starts_at.clone(),
                            ends_at: None,
                            time_zone: None,
                            location: None,
                            reminders: vec!["30 minutes".into()],
                        },
                    )
                    .await
                    .unwrap();
                }
            });
        }
        while let Some(done) = running.join_next().await {
            done.unwrap();
        }
    }
}

/// The mobile number of the `n`th seeded debtor: one of its own, so that a reminder is
/// known by its number and text.
fn mobile(n: usize) -> String {
    format!("+1312{:07}", 2_000_000 + n)
}

/// A stored reminder, as the workers left it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, sqlx::FromRow)]
struct Stored {
    to_number: String,
    body: String,
    state: String,
}

async fn stored(pool: &PgPool) -> Vec<Stored> {
    sqlx::query_as("SELECT to_number, body, state FROM reminders ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn count_in_state(pool: &PgPool, state: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM reminders WHERE state = $1")
        .bind(state)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A text by what tells reminders apart: (To, Body).
type Text = (String, String);

/// How many times the fake Twilio received each text.
fn sends(twilio: &FakeTwilio) -> HashMap<Text, usize> {
    let mut sends = HashMap::new();
    for text in twilio.texts() {
        *sends.entry((text.to, text.body)).or_insert(0) += 1;
    }
    sends
}

/// Waits until the fake Twilio has seen each of `expected` reminders and the store
/// holds all of them as sent; returns how long that took.
async fn drained(
    twilio: &FakeTwilio,
    pool: &PgPool,
    expected: &[Stored],
    workers: &[Worker],
) -> Duration {
    let started = Instant::now();
    let seen = || {
        let sends = sends(twilio);
        expected
            .iter()
            .filter(|r| sends.contains_key(&(r.to_number.clone(), r.body.clone())))
            .count()
    };
    let what = "every reminder to reach the fake Twilio and be stored as sent";
    let outcome = tokio::time::timeout(DRAIN, async {
        while seen() < expected.len() || count_in_state(pool, "sent").await < expected.len() as i64
        {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    if outcome.is_err() {
        let states = stored(pool).await;
        let mut by_state: HashMap<&str, usize> = HashMap::new();
        for r in &states {
            *by_state.entry(&r.state).or_default() += 1;
        }
        let stderr: Vec<String> = workers.iter().map(Worker::stderr).collect();
        panic!(
            "waited {DRAIN:?} for {what} in vain: {} of {} seen; stored states {by_state:?}\n\
             workers' stderr:\n{}",
            seen(),
            expected.len(),
            stderr.join("\n---\n")
        );
    }
    started.elapsed()
}

/// The sends beyond the first of each reminder, and a reminder that was never planned
/// but sent, if any.
fn duplicates_and_strangers(
    twilio: &FakeTwilio,
    expected: &[Stored],
) -> (Vec<(Text, usize)>, Option<Text>) {
    let sends = sends(twilio);
    let planned: std::collections::HashSet<Text> = expected
        .iter()
        .map(|r| (r.to_number.clone(), r.body.clone()))
        .collect();
    let stranger = sends.keys().find(|k| !planned.contains(*k)).cloned();
    let duplicates = sends.into_iter().filter(|(_, n)| *n > 1).collect();
    (duplicates, stranger)
}

/// A small xorshift generator: random enough for when to kill which worker, with the
/// seed printed so that a failing run can be replayed.
struct Dice(u64);

impl Dice {
    fn seeded() -> Dice {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9)
            | 1;
        eprintln!("dice seed: {seed}");
        Dice(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Seeds `count` reminders due a second from now and checks they are all pending.
async fn seeded_reminders(
    db: &TestDatabase,
    pool: &PgPool,
    count: usize,
    rate: Option<f64>,
) -> Vec<Stored> {
    let started = Instant::now();
    let mut seeder = Seeder::new(db, rate).await;
    seeder.reminders_due_in(Span::seconds(1), count).await;
    let reminders = stored(pool).await;
    eprintln!("seeded {count} reminders in {:?}", started.elapsed());
    assert_eq!(reminders.len(), count, "one reminder per debtor");
    assert!(
        reminders.iter().all(|r| r.state == "pending"),
        "all pending"
    );
    reminders
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_drain_thousands_of_reminders_exactly_once() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let reminders = seeded_reminders(&db, &pool, 2_000, None).await;

    let twilio = FakeTwilio::start().await;
    let env = db.worker_env(
        &twilio,
        &[
            ("CASEWIRE_WORKER_RATE_LIMITS", "false"),
            ("CASEWIRE_WORKER_BATCH", "50"),
        ],
    );
    let mut workers = Vec::new();
    for _ in 0..2 {
        workers.push(Worker::start(&env).await);
    }
    let took = drained(&twilio, &pool, &reminders, &workers).await;
    eprintln!(
        "2 workers drained {} reminders in {took:?}",
        reminders.len()
    );

    let (duplicates, stranger) = duplicates_and_strangers(&twilio, &reminders);
    assert_eq!(duplicates, [], "reminders sent more than once");
    assert_eq!(stranger, None, "a text that was no reminder");
    assert_eq!(twilio.count(), reminders.len());
    assert!(twilio.texts().iter().all(|t| t.from == FIRM_NUMBER));
    for worker in workers {
        let (status, stderr) = worker.terminate().await;
        assert!(
            status.success(),
            "exit status {status:?}; stderr:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_nothing_and_duplicate_at_most_once_per_kill() {
    // One provider call at a time per worker: a kill can repeat at most that one.
    killed_workers_drain(1, Duration::from_millis(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_at_the_default_concurrency_repeat_only_calls_in_flight() {
    // The default: up to 16 calls in flight per worker, so a kill can repeat up to 16.
    // Slower provider answers keep the drain long enough for the kills.
    killed_workers_drain(16, Duration::from_millis(60)).await;
}

/// Three workers, each making up to `concurrency` provider calls at once, drain 1,000
/// reminders through a fake Twilio that answers after `delay`, while one of them is
/// killed with SIGKILL at random moments and started again, six times: every reminder
/// is sent in the end, and a kill repeats at most the calls that were in flight.
async fn killed_workers_drain(concurrency: usize, delay: Duration) {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let reminders = seeded_reminders(&db, &pool, 1_000, None).await;

    let twilio = FakeTwilio::start().await;
    // Each text takes a few milliseconds, as Twilio's API does, so kills land mid-call.
    twilio.set_delay(delay);
    let concurrency_text = concurrency.to_string();
    let env = db.worker_env(
        &twilio,
        &[
            ("CASEWIRE_WORKER_RATE_LIMITS", "false"),
            ("CASEWIRE_WORKER_BATCH", "50"),
            ("CASEWIRE_WORKER_LEASE_SECS", "2"),
            ("CASEWIRE_WORKER_SEND_CONCURRENCY", &concurrency_text),
        ],
    );
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(Worker::start(&env).await);
    }

    // Kill a random worker at random moments of the drain (when the fake has seen a
    // random share of the texts), and start a new one in its place.
    let mut dice = Dice::seeded();
    let mut moments: Vec<usize> = (0..6)
        .map(|_| {
            reminders.len() / 20
                + usize::try_from(dice.below(reminders.len() as u64 * 17 / 20)).unwrap()
        })
        .collect();
    moments.sort_unstable();
    let mut kills = 0;
    let mut kills_mid_drain = 0;
    for moment in moments {
        eventually_within("the drain to progress", DRAIN, async || {
            (twilio.count() >= moment).then_some(())
        })
        .await;
        let victim = usize::try_from(dice.below(workers.len() as u64)).unwrap();
        workers[victim].kill().await;
        kills += 1;
        if twilio.count() < reminders.len() {
            kills_mid_drain += 1;
        }
        workers[victim] = Worker::start(&env).await;
    }
    let took = drained(&twilio, &pool, &reminders, &workers).await;
    eprintln!(
        "{} reminders drained {took:?} after the kills; {kills} kills, {kills_mid_drain} mid-drain",
        reminders.len()
    );
    assert!(
        kills_mid_drain >= 3,
        "the drain was over too soon for the kills to test anything ({kills_mid_drain} of {kills} mid-drain)"
    );

    let (duplicates, stranger) = duplicates_and_strangers(&twilio, &reminders);
    assert_eq!(stranger, None, "a text that was no reminder");
    let extra: usize = duplicates.iter().map(|(_, n)| n - 1).sum();
    assert!(
        extra <= kills * concurrency,
        "{extra} duplicate sends after {kills} kills with {concurrency} calls in flight at most: \
         {duplicates:?}\nworkers' stderr:\n{}",
        workers
            .iter()
            .map(Worker::stderr)
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    eprintln!("{extra} duplicates after {kills} kills");
}

/// The reminders of a case, as the API shows them.
async fn case_reminders(server: &Server, case_id: i64) -> Vec<Value> {
    let page = server
        .get(&format!("/v1/cases/{case_id}/reminders"))
        .await
        .expect(200);
    page["reminders"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_whose_number_opts_out_or_case_switches_off_or_event_moves_is_not_sent_in_its_old_form()
 {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let server = Server::start_on(&db, &[("CASEWIRE_WORKER_ENABLED", "false")]).await;
    let zone = crate::zone_where_it_is_midday();
    let mut cases = Vec::new();
    for (n, mobile) in [
        "(312) 555-0141",
        "(312) 555-0142",
        "(312) 555-0143",
        "(312) 555-0144",
    ]
    .into_iter()
    .enumerate()
    {
        let case = server
            .post(
                "/v1/cases",
                &json!({ "number": format!("24-2000{n}"), "debtors": [{
                    "first_name": "Ana", "last_name": format!("Rivera{n}"), "time_zone": zone,
                    "phones": [{ "number": mobile, "type": "mobile" }] }] }),
            )
            .await
            .expect(201);
        cases.push(case["id"].as_i64().unwrap());
    }
    let [stops, switched_off, moved, untouched] = cases[..] else {
        unreachable!()
    };

    // Every case's reminder is due six seconds from now (in whole milliseconds, as the
    // store keeps them).
    let starts_at = (Utc::now() + Span::minutes(30) + Span::seconds(6))
        .duration_trunc(Span::milliseconds(1))
        .unwrap();
    let mut events = Vec::new();
    for case_id in &cases {
        let event = server
            .post(
                &format!("/v1/cases/{case_id}/events"),
                &json!({ "title": "Confirmation hearing", "kind": "hearing",
                         "starts_at": starts_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                         "reminders": ["30 minutes"] }),
            )
            .await
            .expect(201);
        events.push(event["id"].as_i64().unwrap());
    }
    let old_send_at = starts_at - Span::minutes(30);
    for case_id in &cases {
        let planned = case_reminders(&server, *case_id).await;
        assert_eq!(planned.len(), 1, "{planned:?}");
        assert_eq!(planned[0]["state"], "pending", "{planned:?}");
    }
    let worker = Worker::start(&server.worker_env(&[])).await;

    // Before the send time: a STOP, reminders switched off, an event moved by a day.
    let stop_number = "+13125550141";
    server.text_in(stop_number, "STOP").await;
    server
        .patch(
            &format!("/v1/cases/{switched_off}/texting"),
            &json!({ "automatic_reminders": false }),
        )
        .await
        .expect(200);
    let new_start = starts_at + Span::days(1);
    server
        .patch(
            &format!("/v1/cases/{moved}/events/{}", events[2]),
            &json!({ "starts_at": new_start.to_rfc3339_opts(SecondsFormat::Millis, true) }),
        )
        .await
        .expect(200);
    assert!(
        Utc::now() < old_send_at,
        "the set-up took longer than the six seconds before the reminders' send time"
    );

    // The untouched case's reminder goes out at the old send time; once it is sent and
    // nothing is due any more, the worker has looked at everything due then.
    eventually_within(
        "the untouched case's reminder to be sent",
        Duration::from_secs(20),
        async || {
            let r = case_reminders(&server, untouched).await;
            (r[0]["state"] == "sent").then_some(())
        },
    )
    .await;
    eventually_within(
        "the worker to finish every due reminder",
        Duration::from_secs(10),
        async || (worker.metric("reminders_due").await == 0.0).then_some(()),
    )
    .await;
    assert!(Utc::now() > old_send_at);
    let texts = server.twilio.texts();
    let to: Vec<&str> = texts.iter().map(|t| t.to.as_str()).collect();
    assert_eq!(to, ["+13125550144"], "only the untouched case's reminder");

    let reminder = |reminders: Vec<Value>| {
        assert_eq!(reminders.len(), 1, "{reminders:?}");
        reminders[0].clone()
    };
    let r = reminder(case_reminders(&server, stops).await);
    assert_eq!(
        (r["state"].as_str(), r["reason"].as_str()),
        (Some("cancelled"), Some("opted_out")),
        "{r}"
    );
    let r = reminder(case_reminders(&server, switched_off).await);
    assert_eq!(
        (r["state"].as_str(), r["reason"].as_str()),
        (Some("cancelled"), Some("reminders_off")),
        "{r}"
    );
    let moved_reminders = case_reminders(&server, moved).await;
    assert_eq!(moved_reminders.len(), 2, "{moved_reminders:?}");
    let at = |r: &Value| DateTime::parse_from_rfc3339(r["send_at"].as_str().unwrap()).unwrap();
    let old = moved_reminders
        .iter()
        .find(|r| at(r) == old_send_at)
        .expect("the old reminder is kept");
    assert_eq!(
        (old["state"].as_str(), old["reason"].as_str()),
        (Some("cancelled"), Some("event_moved")),
        "{old}"
    );
    let new = moved_reminders
        .iter()
        .find(|r| at(r) != old_send_at)
        .unwrap();
    assert_eq!(new["state"], "pending", "{new}");
    assert_eq!(at(new), new_start - Span::minutes(30), "{new}");

    let (status, stderr) = worker.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_workers() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    const RATE: f64 = 5.0;
    const COUNT: usize = 30;
    let reminders = seeded_reminders(&db, &pool, COUNT, Some(RATE)).await;
    assert!(
        reminders
            .iter()
            .all(|r| r.body.len() <= 160 && r.body.is_ascii()),
        "one segment each: {reminders:?}"
    );

    let twilio = FakeTwilio::start().await;
    let env = db.worker_env(
        &twilio,
        &[
            ("CASEWIRE_WORKER_RATE_LIMITS", "true"),
            ("CASEWIRE_WORKER_BATCH", "50"),
        ],
    );
    let workers = vec![Worker::start(&env).await, Worker::start(&env).await];
    let took = drained(&twilio, &pool, &reminders, &workers).await;
    eprintln!("2 rate-limited workers drained {COUNT} reminders in {took:?}");

    // Within any stretch of time, at most the rate's worth of sends plus the two
    // seconds' burst (and the first), with half a second's slack for the jitter
    // between booking a send and the fake receiving it.
    let burst = 2.0 * RATE;
    let slack = 0.5;
    let mut at: Vec<Instant> = twilio.texts().iter().map(|t| t.received_at).collect();
    at.sort();
    for i in 0..at.len() {
        for j in i..at.len() {
            let sends = (j - i + 1) as f64;
            let span = (at[j] - at[i]).as_secs_f64();
            assert!(
                sends <= 1.0 + burst + RATE * (span + slack),
                "{sends} sends within {span:.3} s at {RATE} a second"
            );
        }
    }
    let spread = (at[at.len() - 1] - at[0]).as_secs_f64();
    let least = (COUNT as f64 - 1.0 - burst) / RATE - slack;
    assert!(spread >= least, "{COUNT} sends within {spread:.3} s");
    let (duplicates, _) = duplicates_and_strangers(&twilio, &reminders);
    assert_eq!(duplicates, []);
    let mut held_back = 0.0;
    for worker in &workers {
        held_back += worker.metric("reminders_rate_limited_total").await;
    }
    assert!(held_back > 0.0, "no reminder was held back by the rate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_reports_metrics_and_health_and_stops_cleanly_on_sigterm() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let mut seeder = Seeder::new(&db, Some(10.0)).await;
    seeder.reminders_due_in(Span::seconds(1), 4).await;
    seeder.reminders_due_in(Span::hours(1), 2).await;
    let due: Vec<Stored> = stored(&pool).await.into_iter().take(4).collect();

    let twilio = FakeTwilio::start().await;
    let worker = Worker::start(&db.worker_env(&twilio, &[])).await;
    drained(&twilio, &pool, &due, std::slice::from_ref(&worker)).await;

    assert_eq!(worker.metric("reminders_sent_total").await, 4.0);
    assert_eq!(worker.metric("reminders_pending").await, 2.0);
    assert_eq!(worker.metric("reminders_oldest_due_lag_seconds").await, 0.0);
    let backlog = worker
        .metric(&format!(
            "number_backlog_seconds{{number=\"{FIRM_NUMBER}\"}}"
        ))
        .await;
    assert!((0.0..=2.0).contains(&backlog), "{backlog}");
    let healthz = worker.get("/healthz").await;
    assert_eq!(healthz.status, 200, "{}", healthz.body);
    let readyz = worker.get("/readyz").await;
    assert_eq!(readyz.status, 200, "{}", readyz.body);

    let (status, stderr) = worker.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );
    assert_eq!(count_in_state(&pool, "pending").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_drain_finishes_the_batch_in_hand_and_hands_back_the_rest() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let reminders = seeded_reminders(&db, &pool, 300, None).await;
    let twilio = FakeTwilio::start().await;
    twilio.set_delay(Duration::from_millis(4));
    let env = db.worker_env(
        &twilio,
        &[
            ("CASEWIRE_WORKER_RATE_LIMITS", "false"),
            ("CASEWIRE_WORKER_BATCH", "50"),
        ],
    );
    let worker = Worker::start(&env).await;
    eventually_within("the first sends", Duration::from_secs(20), async || {
        (twilio.count() >= 10).then_some(())
    })
    .await;
    let (status, stderr) = worker.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );

    // Whole batches were sent, the rest handed back: nothing is left claimed.
    let sent = count_in_state(&pool, "sent").await;
    assert_eq!(count_in_state(&pool, "claimed").await, 0);
    assert_eq!(
        sent as usize,
        twilio.count(),
        "the store agrees with Twilio"
    );
    assert!(sent > 0 && sent % 50 == 0 && sent < 300, "{sent} sent");

    // Another worker takes the handed-back reminders at once, not after their lease.
    let next = Worker::start(&env).await;
    drained(&twilio, &pool, &reminders, std::slice::from_ref(&next)).await;
    let (duplicates, stranger) = duplicates_and_strangers(&twilio, &reminders);
    assert_eq!(duplicates, []);
    assert_eq!(stranger, None);
}
