//! `drain`: how fast due reminders go out, end to end (claim, re-check, gate, render,
//! HTTP send to a fake Twilio on loopback, record), against the same claim-and-mark
//! queries with no send, measured in the same run.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use axum::{Router, routing::post};
use casewire_app::{
    App, AppConfig, Backoff, CaseInput, DebtorInput, EventInput, FirmInput, ManualClock,
    PhoneInput, ReminderPolicy, TextingNumberInput,
};
use casewire_model::{EmailAddress, NumberClass};
use casewire_store::{FinishedReminder, ReminderOutcome, ReminderWave, Store, StoreOptions};
use casewire_twilio::{TwilioAuth, TwilioConfig, TwilioProvider};
use chrono::{TimeZone, Utc};

const ACCOUNT: &str = "ACbe0c0ffee0c0ffee0c0ffee0c0ffee00";

/// A fake Twilio that accepts every message at once and counts them.
async fn fake_twilio() -> Result<(String, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    let app = Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        post(move || {
            let n = seen.fetch_add(1, Ordering::Relaxed);
            async move {
                (
                    axum::http::StatusCode::CREATED,
                    [("content-type", "application/json")],
                    format!("{{\"sid\":\"SM{n:032x}\",\"status\":\"queued\"}}"),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}"), count))
}

fn config(worker: usize, send_concurrency: u32) -> Result<AppConfig> {
    Ok(AppConfig {
        public_url: None,
        status_callback_url: None,
        email_from: EmailAddress::parse("bench@example.com")?,
        reminders: ReminderPolicy {
            batch: 100,
            send_concurrency,
            lease: Duration::from_secs(600),
            retry: Backoff {
                base: Duration::from_secs(30),
                max: Duration::from_secs(600),
                max_attempts: 3,
            },
            retry_uncertain: false,
            rate_limits: false,
            rate_burst: Duration::from_secs(2),
        },
        email_retry: Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(600),
            max_attempts: 3,
        },
        worker_id: format!("bench-{worker}"),
    })
}

async fn open_store(database: &str, dir: &std::path::Path) -> Result<Store> {
    let url = crate::prepare_database(database, dir, "drain").await?;
    let mut options = StoreOptions::new(url);
    options.max_connections = 16;
    Ok(Store::open(&options).await?)
}

/// Runs the benchmark.
pub(crate) async fn drain(
    database: &str,
    cases: usize,
    workers: usize,
    send_concurrency: u32,
) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("casewire-drain-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = open_store(database, &dir).await?;
    let (base_url, sent) = fake_twilio().await?;
    let mut twilio = TwilioConfig::new(ACCOUNT, TwilioAuth::AuthToken("token".into()));
    twilio.base_url = base_url.parse()?;
    let provider = Arc::new(TwilioProvider::new(twilio)?);
    // Monday 1 March 2027, 12:00 in Chicago: inside quiet hours' allowed window.
    let seed_time = Utc
        .with_ymd_and_hms(2027, 3, 1, 18, 0, 0)
        .single()
        .context("time")?;
    let clock = Arc::new(ManualClock::new(seed_time));
    let app = App::new(
        store.clone(),
        provider.clone(),
        clock.clone(),
        config(0, send_concurrency)?,
    );

    let (firm, _) = app
        .create_firm(&FirmInput {
            name: "Drain Law".into(),
            time_zone: "America/Chicago".into(),
            region: None,
            texting_numbers: vec![TextingNumberInput {
                number: "(312) 555-0100".into(),
                class: Some(NumberClass::ShortCode),
                rate: None,
            }],
            notification_email: "intake@example.com".into(),
        })
        .await?;
    let firm = firm.firm.id();
    let started = Instant::now();
    for i in 0..cases {
        let case = app
            .create_case(
                firm,
                &CaseInput {
                    number: format!("D-{i}"),
                    title: None,
                    debtors: vec![DebtorInput {
                        first_name: "Client".into(),
                        last_name: format!("{i}"),
                        email: None,
                        time_zone: None,
                        phones: vec![PhoneInput {
                            number: format!("+1312556{:04}", i % 10_000),
                            kind: "mobile".into(),
                        }],
                    }],
                    notification_email: None,
                    automatic_reminders: None,
                },
            )
            .await?;
        // Five reminders per event, all due by the time the drain starts.
        app.create_event(
            firm,
            case.id,
            &EventInput {
                title: "Meeting of creditors".into(),
                kind: "341 Meeting".into(),
                starts_at: "2027-03-03T13:00".into(),
                ends_at: None,
                time_zone: None,
                location: Some("Room 1".into()),
                reminders: ["1 day", "20 hours", "12 hours", "6 hours", "3 hours"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            },
        )
        .await?;
    }
    // A live PostgreSQL database has planner statistics (autovacuum keeps them); freshly
    // seeded tables have none until analyzed. SQLite keeps none unless asked, and the
    // product does not ask: its queries are written to plan well without them.
    if database != "sqlite" {
        store.analyze().await?;
    }
    let total = store.reminder_queue(seed_time).await?.pending;
    eprintln!(
        "seeded {total} reminders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // 3 March 2027, 12:00 in Chicago: every reminder is due, inside the allowed hours.
    let drain_time = Utc
        .with_ymd_and_hms(2027, 3, 3, 18, 0, 0)
        .single()
        .context("time")?;
    clock.set(drain_time);

    // Baseline: the same claim-and-mark queries, no send.
    let wave = usize::try_from(send_concurrency.max(1))?;
    let baseline = {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("baseline-{w}");
                let mut done = 0u64;
                loop {
                    let batch = store
                        .claim_due_reminders(&owner, drain_time, Duration::from_secs(600), 100)
                        .await?;
                    if batch.is_empty() {
                        break;
                    }
                    // Marked in the same steps as the drain's waves.
                    let outcome = ReminderOutcome::Skipped {
                        reason: "baseline".into(),
                    };
                    for wave in batch.chunks(wave) {
                        let finished: Vec<FinishedReminder<'_>> = wave
                            .iter()
                            .map(|r| FinishedReminder {
                                id: r.id,
                                outcome: &outcome,
                                answer: None,
                            })
                            .collect();
                        store
                            .commit_reminder_wave(
                                &owner,
                                &ReminderWave {
                                    finished: &finished,
                                    starting: &[],
                                },
                                drain_time,
                                Duration::from_secs(600),
                            )
                            .await?;
                        done += wave.len() as u64;
                    }
                }
                anyhow::Ok(done)
            }));
        }
        let mut done = 0;
        for t in tasks {
            done += t.await??;
        }
        (done, started.elapsed())
    };
    // Put every reminder back, then the real drain.
    store.reset_reminders_for_benchmark().await?;
    let measured = {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let app = App::new(
                store.clone(),
                provider.clone(),
                clock.clone(),
                config(w + 1, send_concurrency)?,
            );
            tasks.push(tokio::spawn(async move {
                let mut done = 0u64;
                loop {
                    let run = app.run_due_reminders_once().await?;
                    if run.claimed == 0 {
                        break;
                    }
                    done += u64::from(run.sent);
                }
                anyhow::Ok(done)
            }));
        }
        let mut done = 0;
        for t in tasks {
            done += t.await??;
        }
        (done, started.elapsed())
    };
    let label = if database == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let rate = |(n, d): (u64, Duration)| n as f64 / d.as_secs_f64();
    println!(
        "database: {label}; reminders: {total}; workers: {workers}; send concurrency: {send_concurrency}"
    );
    println!(
        "baseline (claim + mark, no send)   {:>8.0} reminders/s  ({} in {:.2} s)",
        rate(baseline),
        baseline.0,
        baseline.1.as_secs_f64()
    );
    println!(
        "drain (gate, render, send, record) {:>8.0} reminders/s  ({} in {:.2} s)",
        rate(measured),
        measured.0,
        measured.1.as_secs_f64()
    );
    println!(
        "ratio drain / baseline: {:.2}",
        rate(measured) / rate(baseline).max(1.0)
    );
    let delivered = sent.load(Ordering::Relaxed);
    println!("texts received by the fake Twilio: {delivered}");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if delivered != total || measured.0 != total {
        bail!("expected {total} sends, the fake Twilio saw {delivered}");
    }
    Ok(())
}
