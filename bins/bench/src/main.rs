//! `casewire-bench`: load benchmarks of the real `casewire-server` binary.
//!
//! `ingest` starts the server (release build, next to this binary) on a fresh database,
//! creates a firm and cases, then drives it with signed Twilio inbound webhooks from
//! many concurrent connections, and in the same run drives a bare route (`/healthz`)
//! with the same client, so the ratio shows what storing a text durably costs on this
//! machine, whatever its speed. Prints requests per second, p50 and p99 for both. The
//! client (module `http1`) writes pre-built requests on keep-alive connections, as `wrk`
//! does, so that it takes as little of the machine's CPU from the server as it can.

// Standard output is this program's report.
#![allow(clippy::print_stdout)]

mod drain;
mod http1;

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
#[command(name = "casewire-bench", about = "Load benchmarks of casewire-server.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Due reminders sent per second, against the claim-and-mark queries alone.
    Drain {
        /// `sqlite` (a fresh file) or a PostgreSQL admin URL (a fresh database
        /// `casewire_drain` is created in it).
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Cases to seed; each gets five due reminders.
        #[arg(long, default_value_t = 1000)]
        cases: usize,
        /// Concurrent workers (each its own claims).
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Provider calls each worker makes at the same time (the product's default
        /// when not given).
        #[arg(long)]
        send_concurrency: Option<u32>,
    },
    /// Signed inbound webhooks per second, against a bare route in the same run.
    Ingest {
        /// `sqlite` (a fresh file) or a PostgreSQL admin URL
        /// (`postgres://postgres@127.0.0.1:5432/postgres`; a fresh database
        /// `casewire_bench` is created in it).
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Seconds of load for each of the two measurements.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Distinct client numbers texting in (each on its own case).
        #[arg(long, default_value_t = 200)]
        clients: usize,
        /// The number the texts are sent to. By default the firm's. With a number no
        /// firm texts from, the server checks each webhook's signature, parses it,
        /// finds no firm for the number and answers `200` through the pipeline,
        /// storing nothing: what a webhook costs before matching, classifying and
        /// storing.
        #[arg(long)]
        to: Option<String>,
    },
}

const ACCOUNT: &str = "ACbe0c0ffee0c0ffee0c0ffee0c0ffee00";
const TOKEN: &str = "bench-auth-token";
const FIRM_NUMBER: &str = "+13125550100";

fn server_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no parent directory")?;
    let server = dir.join("casewire-server");
    if !server.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p casewire-server -p casewire-bench`",
            server.display()
        );
    }
    Ok(server)
}

struct Server {
    child: tokio::process::Child,
    base: String,
}

/// The URL of a fresh database for a benchmark: a SQLite file `{name}.db` in `dir`, or
/// the PostgreSQL database `casewire_{name}`, dropped and created again on the server
/// whose admin URL `database` is.
pub(crate) async fn prepare_database(
    database: &str,
    dir: &std::path::Path,
    name: &str,
) -> Result<String> {
    if database == "sqlite" {
        return Ok(format!(
            "sqlite://{}",
            dir.join(format!("{name}.db")).display()
        ));
    }
    let admin = sqlx::PgPool::connect(database)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS casewire_{name} WITH (FORCE)"
    ))
    .execute(&admin)
    .await?;
    sqlx::query(&format!("CREATE DATABASE casewire_{name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let (base, _) = database
        .rsplit_once('/')
        .context("a PostgreSQL URL ends with /database")?;
    Ok(format!("{base}/casewire_{name}"))
}

/// Starts the server beside this binary on `database_url`, logging at `log`.
async fn start_server(
    database_url: &str,
    dir: &std::path::Path,
    log: &str,
) -> Result<(Server, String)> {
    let binary = server_binary()?;
    let env = [
        ("CASEWIRE_DATABASE_URL", database_url.to_owned()),
        ("CASEWIRE_PROVIDER", "twilio".to_owned()),
        ("CASEWIRE_TWILIO_ACCOUNT_SID", ACCOUNT.to_owned()),
        ("CASEWIRE_TWILIO_AUTH_TOKEN", TOKEN.to_owned()),
        // Nothing is sent during the benchmark; the address only has to be valid.
        ("CASEWIRE_TWILIO_BASE_URL", "http://127.0.0.1:9".to_owned()),
        ("CASEWIRE_EMAIL_DIR", dir.join("mail").display().to_string()),
        ("CASEWIRE_WORKER_ENABLED", "false".to_owned()),
        ("CASEWIRE_LOG", log.to_owned()),
    ];
    let out = tokio::process::Command::new(&binary)
        .args([
            "firm",
            "create",
            "--name",
            "Bench Law",
            "--time-zone",
            "America/Chicago",
            "--texting-number",
            FIRM_NUMBER,
            "--notification-email",
            "intake@example.com",
        ])
        .envs(env.iter().cloned())
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "firm create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8(out.stdout)?;
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("api_key="))
        .context("no api_key printed")?
        .to_owned();
    let mut child = tokio::process::Command::new(&binary)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .context("the server did not start in 30 s")??
        .context("the server exited")?;
    let base = line
        .rsplit_once(' ')
        .map(|(_, url)| url.to_owned())
        .context("unexpected first line")?;
    Ok((Server { child, base }, key))
}

struct Run {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time the server used during the run (user and system), when known.
    server_cpu: Option<Duration>,
    /// CPU time this load generator used during the run, when known.
    client_cpu: Option<Duration>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU time per answered request, in microseconds.
    fn per_request(&self, cpu: Option<Duration>) -> String {
        match cpu {
            Some(cpu) if self.requests > 0 => {
                format!("{:.0} us", cpu.as_secs_f64() * 1e6 / self.requests as f64)
            }
            _ => "n/a".to_owned(),
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }
}

/// The CPU time (user and system) process `pid` has used so far, from Linux's
/// `/proc/<pid>/stat`; `None` elsewhere.
fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // The fields after the parenthesised command name; utime and stime are the 14th and
    // 15th fields of the whole line, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Runs `connections` loops for `seconds`, each on its own keep-alive connection to
/// `addr` sending what `request` gives for the next request number, and notes the CPU
/// time process `server` used meanwhile.
async fn load<F>(
    addr: SocketAddr,
    server: Option<u32>,
    connections: usize,
    seconds: u64,
    request: F,
) -> Run
where
    F: Fn(u64) -> Arc<[u8]> + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cpu_before = cpu_time(server);
    let own_before = cpu_time(Some(std::process::id()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        let counter = counter.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = http1::Connection::new(addr);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let bytes = request(n);
                let sent = Instant::now();
                match connection.send(&bytes).await {
                    Ok(status) if (200..300).contains(&status) => {
                        latencies.push(sent.elapsed());
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await {
            latencies.extend(l);
        }
    }
    let elapsed = start.elapsed();
    let server_cpu = cpu_time(server)
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let client_cpu = cpu_time(Some(std::process::id()))
        .zip(own_before)
        .map(|(after, before)| after.saturating_sub(before));
    latencies.sort_unstable();
    Run {
        requests: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies,
        server_cpu,
        client_cpu,
    }
}

/// A `MessageSid` as Twilio hands them out: `SM` and 32 hex digits that look random,
/// so that the unique index on provider ids is written all over rather than appended
/// to. Distinct for every `(run, n)`.
fn message_sid(run: u32, n: u64) -> String {
    // splitmix64's finalizer: a bijection of u64, so distinct inputs give distinct ids.
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    format!("SM{:016x}{:016x}", mix(n), mix(u64::from(run) ^ mix(n)))
}

fn client_number(i: usize) -> String {
    format!("+1312555{:04}", 1000 + i)
}

async fn ingest(
    database: &str,
    seconds: u64,
    connections: usize,
    clients: usize,
    to: Option<String>,
) -> Result<()> {
    let to = to.unwrap_or_else(|| FIRM_NUMBER.to_owned());
    let stores = to == FIRM_NUMBER;
    let dir = std::env::temp_dir().join(format!("casewire-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = prepare_database(database, &dir, "bench").await?;
    // A text to a number no firm texts from is logged as a warning; one line per
    // request would measure the log.
    let log = if stores { "warn" } else { "error" };
    let (mut server, key) = start_server(&database_url, &dir, log).await?;
    let client = reqwest::Client::new();

    // One case per client number, so every text is matched and emailed.
    for i in 0..clients {
        let body = serde_json::json!({
            "number": format!("B-{i}"),
            "debtors": [{ "first_name": "Client", "last_name": format!("{i}"),
                          "phones": [{ "number": client_number(i), "type": "mobile" }] }],
        });
        let r = client
            .post(format!("{}/v1/cases", server.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("creating case {i} failed: {}", r.text().await?);
        }
    }

    // A live PostgreSQL database has planner statistics (autovacuum keeps them); freshly
    // seeded tables have none until analyzed. SQLite keeps none unless asked, and the
    // product does not ask: its queries are written to plan well without them.
    if database != "sqlite" {
        casewire_store::Store::connect(&casewire_store::StoreOptions::new(database_url.clone()))
            .await?
            .analyze()
            .await?;
    }

    let url = format!("{}/webhooks/twilio/messages", server.base);
    let addr: SocketAddr = server
        .base
        .strip_prefix("http://")
        .and_then(|host| host.parse().ok())
        .context("the server's address")?;
    let host = addr.to_string();
    let health: Arc<[u8]> = http1::request("GET", &host, "/healthz", &[], b"").into();
    let run_id = std::process::id();
    // Each request, signed and serialized, built before the run as a replayed capture
    // would be, so that what is measured is the server's work rather than the load
    // generator's (the server still checks every signature). Enough for 100,000
    // requests a second, up to two million; past that, requests are built as they are
    // sent.
    let signed = {
        let url = url.clone();
        let to = to.clone();
        move |n: u64| -> Arc<[u8]> {
            let from = client_number(n as usize % clients);
            let params = vec![
                ("AccountSid".to_owned(), ACCOUNT.to_owned()),
                (
                    "Body".to_owned(),
                    format!("Thanks, see you on Tuesday ({n})"),
                ),
                ("From".to_owned(), from),
                ("MessageSid".to_owned(), message_sid(run_id, n)),
                ("NumMedia".to_owned(), "0".to_owned()),
                ("To".to_owned(), to.clone()),
            ];
            let signature = casewire_twilio::signature::signature(TOKEN, &url, &params);
            http1::request(
                "POST",
                &host,
                "/webhooks/twilio/messages",
                &[
                    ("X-Twilio-Signature", &signature),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&params)
                    .finish()
                    .as_bytes(),
            )
            .into()
        }
    };
    let prepared: Vec<Arc<[u8]>> = (0..(seconds * 100_000).min(2_000_000))
        .map(&signed)
        .collect();
    let webhook = move |n: u64| match prepared.get(n as usize) {
        Some(request) => request.clone(),
        None => signed(n),
    };
    let bare = move |_n: u64| health.clone();

    // Warm up on the bare route, then measure it and the webhook in the same run.
    let pid = server.child.id();
    load(addr, pid, connections, 1, bare.clone()).await;
    let baseline = load(addr, pid, connections, seconds, bare).await;
    let measured = load(addr, pid, connections, seconds, webhook).await;

    let label = if database == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!("database: {label}; connections: {connections}; clients: {clients}; {seconds} s each");
    for (name, run) in [
        ("bare route GET /healthz", &baseline),
        ("signed inbound webhook", &measured),
    ] {
        println!(
            "{name:<26} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   CPU/req server {:>6}, load generator {:>6}   ({} ok, {} errors)",
            run.per_second(),
            run.percentile(0.50).as_secs_f64() * 1e3,
            run.percentile(0.99).as_secs_f64() * 1e3,
            run.per_request(run.server_cpu),
            run.per_request(run.client_cpu),
            run.requests,
            run.errors,
        );
    }
    println!(
        "ratio webhook / bare route: {:.2}",
        measured.per_second() / baseline.per_second().max(1.0)
    );

    // Every acknowledged text must be stored.
    let metrics = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await?
        .text()
        .await?;
    let counter = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let stored = counter("casewire_inbound_received_total ");
    let batches = counter("casewire_inbound_batches_total ");
    if batches > 0 {
        println!(
            "mean batch: {:.0} texts ({batches} batches)",
            counter("casewire_inbound_batched_total ") as f64 / batches as f64
        );
    }
    println!(
        "texts stored (server counter): {stored}; acknowledged: {}",
        measured.requests
    );
    let _ = server.child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    if !stores {
        println!("texts sent to {to}, which no firm texts from: nothing is stored");
    } else if stored < measured.requests {
        bail!("the server acknowledged more texts than it stored");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Ingest {
            database,
            seconds,
            connections,
            clients,
            to,
        } => ingest(&database, seconds, connections, clients, to).await,
        Command::Drain {
            database,
            cases,
            workers,
            send_concurrency,
        } => {
            let concurrency = send_concurrency
                .unwrap_or(casewire_app::ReminderPolicy::default().send_concurrency);
            drain::drain(&database, cases, workers, concurrency).await
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn message_sids_look_like_twilios_and_never_repeat() {
        let sids: HashSet<String> = (0..100_000).map(|n| message_sid(7, n)).collect();
        assert_eq!(sids.len(), 100_000);
        for sid in sids.iter().take(100) {
            assert_eq!(sid.len(), 34);
            assert!(sid.starts_with("SM"));
            assert!(sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(message_sid(7, 1), message_sid(8, 1));
    }
}
