//! The worker side of the harness: a fresh PostgreSQL database per test (several
//! workers share one database, which is what these tests are about), `casewire-worker`
//! processes with their metrics on port 0, the server on that same database, and the
//! use-cases in-process to seed thousands of reminders faster than HTTP could.

use std::{
    io::Write as _,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use casewire_app::{App, AppConfig, Backoff, ManualClock, ReminderPolicy};
use casewire_model::EmailAddress;
use casewire_provider::InMemoryProvider;
use casewire_store::{Store, StoreOptions};
use reqwest::Method;
use sqlx::postgres::{PgPool, PgPoolOptions};
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, Command},
};

use super::{
    ACCOUNT_SID, AUTH_TOKEN, FIRM_NUMBER, FakeTwilio, Reply, STARTUP, Server, create_firm, reply,
};

/// The variable naming the PostgreSQL server the worker tests run against.
const DATABASE_VARIABLE: &str = "CASEWIRE_TEST_DATABASE_URL";

/// A database of its own on the PostgreSQL at `CASEWIRE_TEST_DATABASE_URL`, dropped
/// (with whatever is still connected to it) when this goes out of scope, even when the
/// test panics. Also holds a scratch folder for the processes' email files.
pub(crate) struct TestDatabase {
    /// `postgres://…/cw_bb_…`: what the processes get as `CASEWIRE_DATABASE_URL`.
    pub(crate) url: String,
    admin_url: String,
    name: String,
    dir: TempDir,
}

impl TestDatabase {
    /// A fresh, empty database. `None`, after a note on stderr, when
    /// `CASEWIRE_TEST_DATABASE_URL` is not set, so that `cargo test` passes on a machine
    /// without PostgreSQL; but under `CI=true` a missing database fails the test, so
    /// that CI cannot skip these tests silently.
    pub(crate) async fn create() -> Option<TestDatabase> {
        let Some(admin_url) = std::env::var(DATABASE_VARIABLE)
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{DATABASE_VARIABLE} is not set, and CI=true: the worker tests need a \
                 PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            // The test harness names each test's thread after the test.
            let current = std::thread::current();
            let test = current.name().unwrap_or("a test");
            // Written past the test harness's capture so that it is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "note: {DATABASE_VARIABLE} is not set: skipped {test}, which needs PostgreSQL"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "cw_bb_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("{DATABASE_VARIABLE} is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        let admin = admin_pool(&admin_url).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        // Durability across a crash of PostgreSQL itself is not under test; commits
        // that skip the WAL flush keep thousands of them quick on a small machine.
        sqlx::query(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("ALTER DATABASE {name}: {e}"));
        admin.close().await;
        Some(TestDatabase {
            url: url.to_string(),
            admin_url,
            name,
            dir: tempfile::tempdir().expect("a temporary directory"),
        })
    }

    /// A connection pool, for reading what the processes wrote.
    pub(crate) async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.name))
    }

    /// The use-cases on this database, migrated, with a clock that stays at `now` (so
    /// that everything seeded is planned from the same instant, however long seeding
    /// takes) and an in-memory provider (seeding texts nobody).
    pub(crate) async fn app(&self, clock: Arc<ManualClock>) -> App {
        let mut options = StoreOptions::new(self.url.clone());
        options.max_connections = 16;
        let store = Store::open(&options)
            .await
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.name));
        let config = AppConfig {
            public_url: None,
            status_callback_url: None,
            email_from: EmailAddress::parse("notifications@casewire.localhost")
                .expect("a valid address"),
            reminders: ReminderPolicy::default(),
            email_retry: Backoff {
                base: Duration::from_secs(30),
                max: Duration::from_secs(3600),
                max_attempts: 20,
            },
            worker_id: format!("seeder-{}", self.name),
        };
        App::new(store, Arc::new(InMemoryProvider::new()), clock, config)
    }

    /// The configuration of a worker on this database sending through `twilio`, plus
    /// `extra` (which wins).
    pub(crate) fn worker_env(
        &self,
        twilio: &FakeTwilio,
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("CASEWIRE_DATABASE_URL", self.url.clone()),
            // Each worker works one reminder at a time; a small pool is plenty, and
            // keeps several workers well under PostgreSQL's connection limit.
            ("CASEWIRE_DATABASE_MAX_CONNECTIONS", "4".to_owned()),
            ("CASEWIRE_PROVIDER", "twilio".to_owned()),
            ("CASEWIRE_TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_owned()),
            ("CASEWIRE_TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_owned()),
            ("CASEWIRE_TWILIO_BASE_URL", twilio.base_url()),
            (
                "CASEWIRE_EMAIL_DIR",
                self.dir.path().join("mail").display().to_string(),
            ),
            ("CASEWIRE_WORKER_IDLE_MS", "20".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (name, value) in extra {
            env.retain(|(k, _)| k != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        env
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: the DROP runs
        // on a thread with a runtime of its own.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                let done = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .map_err(|e| e.to_string());
                admin.close().await;
                done.map(drop)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

async fn admin_pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| {
            panic!("{DATABASE_VARIABLE} is set but PostgreSQL cannot be reached: {e}")
        })
}

/// A binary of this workspace as built next to this test binary, found the way
/// [`super::server_binary`] finds the server.
fn built_binary(name: &str) -> PathBuf {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    // This binary is `<target>/<profile>/deps/blackbox-<hash>`.
    let beside_deps = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join(&file)));
    let in_target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| PathBuf::from(dir).join("debug").join(&file));
    let candidates: Vec<PathBuf> = beside_deps.into_iter().chain(in_target_dir).collect();
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{name} is not built (looked at {candidates:?}); \
                 build it with `cargo build -p {name}`"
            )
        })
}

/// `casewire-worker` as built next to this test binary.
pub(crate) fn worker_binary() -> PathBuf {
    built_binary("casewire-worker")
}

/// A started process whose first line of standard output said where it listens.
pub(crate) struct Started {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) stderr: Arc<Mutex<String>>,
}

/// Starts `command`, collects its stderr, and waits for a first stdout line starting
/// with `prefix`; what follows the prefix is the address it serves on.
pub(crate) async fn start_listening(mut command: Command, prefix: &str) -> Started {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stderr = Arc::new(Mutex::new(String::new()));
    if let Some(mut pipe) = child.stderr.take() {
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk).await {
                if let Ok(mut text) = sink.lock() {
                    text.push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(STARTUP, lines.next_line()).await;
    let base = match &first {
        Ok(Ok(Some(line))) => line.strip_prefix(prefix).map(str::to_owned),
        _ => None,
    };
    let Some(base) = base else {
        // Give the stderr reader a moment to collect why the process stopped.
        let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
        panic!(
            "the process did not print {prefix:?} first: {first:?}\nstderr:\n{}",
            stderr.lock().map(|s| s.clone()).unwrap_or_default()
        );
    };
    // Keep reading stdout so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Started {
        child,
        base,
        stderr,
    }
}

/// A command for `binary` with exactly the given configuration: `CASEWIRE_*` variables
/// of the environment running the tests are removed so they cannot leak in.
fn configured(binary: PathBuf, env: &[(String, String)]) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars() {
        if name.starts_with("CASEWIRE_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

/// One running `casewire-worker`. The process is killed on drop.
pub(crate) struct Worker {
    /// `http://127.0.0.1:<port>`: its metrics listener.
    pub(crate) metrics_base: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Worker {
    /// Starts a worker with exactly the configuration `env`, its metrics on port 0.
    pub(crate) async fn start(env: &[(String, String)]) -> Worker {
        let mut command = configured(worker_binary(), env);
        command.args(["--metrics-listen", "127.0.0.1:0"]);
        let started = start_listening(command, "casewire-worker metrics on ").await;
        Worker {
            metrics_base: started.base,
            child: started.child,
            stderr: started.stderr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// What the worker wrote on stderr so far (warnings and errors).
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("the worker is still running");
        let kill = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("`kill` runs");
        assert!(kill.success(), "kill {signal} {pid} failed");
    }

    /// SIGKILL: the process dies at once, whatever it holds, and is reaped.
    pub(crate) async fn kill(&mut self) {
        self.signal("-KILL");
        match tokio::time::timeout(STARTUP, self.child.wait()).await {
            Ok(status) => {
                status.expect("the worker's exit status");
            }
            Err(_) => panic!("casewire-worker survived SIGKILL for {STARTUP:?}"),
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns how it exited and what
    /// it wrote on stderr.
    pub(crate) async fn terminate(mut self) -> (ExitStatus, String) {
        self.signal("-TERM");
        match tokio::time::timeout(STARTUP, self.child.wait()).await {
            Ok(status) => (status.expect("the worker's exit status"), self.stderr()),
            Err(_) => panic!(
                "casewire-worker ignored SIGTERM for {STARTUP:?}\nstderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// `GET` of one of its paths (`/metrics`, `/healthz`, `/readyz`).
    pub(crate) async fn get(&self, path: &str) -> Reply {
        let response = self
            .http
            .request(Method::GET, format!("{}{path}", self.metrics_base))
            .send()
            .await
            .expect("the worker answers");
        reply(response).await
    }

    /// The Prometheus value of a sample, `casewire_<name>` plus its labels if any.
    pub(crate) async fn metric(&self, sample: &str) -> f64 {
        let page = self.get("/metrics").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let prefix = format!("casewire_{sample} ");
        page.body
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no sample casewire_{sample} in:\n{}", page.body))
    }
}

impl Server {
    /// A server on `db` (instead of a SQLite file of its own) with one firm, "Rivera
    /// Law", texting from [`FIRM_NUMBER`]; `extra` configures it further, e.g.
    /// `CASEWIRE_WORKER_ENABLED=false` to leave reminders to `casewire-worker`s.
    pub(crate) async fn start_on(db: &TestDatabase, extra: &[(&str, &str)]) -> Server {
        let twilio = FakeTwilio::start().await;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mail = dir.path().join("mail").display().to_string();
        let mut settings = vec![("CASEWIRE_EMAIL_DIR", mail.as_str())];
        settings.extend_from_slice(extra);
        let env = db.worker_env(&twilio, &settings);
        let firm = create_firm(&env, "Rivera Law", FIRM_NUMBER, "intake@riveralaw.example").await;
        let mut command = configured(super::server_binary(), &env);
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        let started = start_listening(command, "casewire-server listening on ").await;
        Server {
            base: started.base,
            twilio,
            firm,
            child: started.child,
            env,
            dir,
            stderr: started.stderr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
            inbound_sids: AtomicU32::new(0),
        }
    }

    /// The configuration of a `casewire-worker` beside this server: the same database
    /// and fake Twilio, the server's URL for status callbacks, plus `extra`.
    pub(crate) fn worker_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "CASEWIRE_WORKER_ENABLED");
        env.push(("CASEWIRE_PUBLIC_URL".to_owned(), self.base.clone()));
        for (name, value) in extra {
            env.retain(|(k, _)| k != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        env
    }
}

/// Polls `probe` every 20 ms until it finds something, failing the test after
/// `patience`: for what workers do in the background, at their pace.
pub(crate) async fn eventually_within<T>(
    what: &str,
    patience: Duration,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waited {patience:?} for {what} in vain"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
