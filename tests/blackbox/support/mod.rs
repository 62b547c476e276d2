//! The harness: a real `casewire-server` process on port 0, with its own SQLite file,
//! email folder and fake Twilio, a firm created through the CLI, an HTTP client holding
//! the firm's API key, Twilio-signed webhooks and the `.eml` files the worker writes.
//! `worker` adds `casewire-worker` processes and the server on a fresh PostgreSQL
//! database that several processes share.

mod fake_twilio;
mod worker;

use std::{
    path::{Path, PathBuf},
    process::{ExitStatus, Output, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use casewire_twilio::signature::signature;
use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;
use tokio::process::{Child, Command};

pub(crate) use fake_twilio::FakeTwilio;
pub(crate) use worker::{TestDatabase, Worker, eventually_within};

/// The Twilio account the server is configured with.
pub(crate) const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// Its auth token: the server's credentials for the fake and the key webhooks are
/// signed with.
pub(crate) const AUTH_TOKEN: &str = "blackbox-auth-token";
/// The number the test firm texts from.
pub(crate) const FIRM_NUMBER: &str = "+14155550100";
/// Where inbound texts arrive.
pub(crate) const MESSAGES_WEBHOOK: &str = "/webhooks/twilio/messages";
/// Where delivery-status callbacks arrive.
pub(crate) const STATUS_WEBHOOK: &str = "/webhooks/twilio/status";

/// How long a poll waits for the server's worker before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long the server may take to start or to stop.
const STARTUP: Duration = Duration::from_secs(15);

/// `casewire-server` as built next to this test binary.
pub(crate) fn server_binary() -> PathBuf {
    let name = format!("casewire-server{}", std::env::consts::EXE_SUFFIX);
    // This binary is `<target>/<profile>/deps/blackbox-<hash>`.
    let beside_deps = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join(&name)));
    let in_target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| PathBuf::from(dir).join("debug").join(&name));
    let candidates: Vec<PathBuf> = beside_deps.into_iter().chain(in_target_dir).collect();
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "casewire-server is not built (looked at {candidates:?}); \
                 build it with `cargo build -p casewire-server`"
            )
        })
}

/// The server binary with exactly the given configuration: `CASEWIRE_*` variables of
/// the environment running the tests are removed so they cannot leak in.
pub(crate) fn casewire(env: &[(String, String)]) -> Command {
    let mut command = Command::new(server_binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("CASEWIRE_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command.stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// Starts `casewire-server serve` on port 0 with exactly `env`: the process and its base
/// URL.
pub(crate) async fn serve(env: &[(String, String)]) -> (Child, String) {
    let mut command = casewire(env);
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    let worker::Started { child, base, .. } =
        worker::start_listening(command, "casewire-server listening on ").await;
    (child, base)
}

/// Sends SIGTERM to a running process.
fn sigterm(child: &Child) {
    let pid = child.id().expect("the process is still running");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("`kill` runs");
    assert!(kill.success(), "kill -TERM {pid} failed");
}

/// Stops a server with SIGTERM and waits for it to exit; panics unless it exits cleanly.
pub(crate) async fn stop(mut child: Child) {
    sigterm(&child);
    let status = tokio::time::timeout(STARTUP, child.wait())
        .await
        .expect("casewire-server stops on SIGTERM")
        .expect("the server's exit status");
    assert!(status.success(), "{status}");
}

/// A firm created with `casewire-server firm create`.
#[derive(Debug, Clone)]
pub(crate) struct FirmKey {
    pub(crate) id: i64,
    pub(crate) api_key: String,
}

/// An HTTP answer: the status and the body as text.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The body as JSON, after checking the status.
    pub(crate) fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self.json()
    }
}

/// A notification email the worker wrote.
#[derive(Debug)]
pub(crate) struct Email {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
}

/// One running server and everything around it. The process is killed on drop.
pub(crate) struct Server {
    /// `http://127.0.0.1:<port>`: where the server listens, and the public URL that
    /// Twilio signs webhooks for.
    pub(crate) base: String,
    pub(crate) twilio: FakeTwilio,
    pub(crate) firm: FirmKey,
    // Declared before `dir`: fields drop in order, so the process is killed before its
    // database and mail folder are removed.
    child: Child,
    env: Vec<(String, String)>,
    dir: TempDir,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
    inbound_sids: AtomicU32,
}

impl Server {
    /// A fresh server with one firm, "Rivera Law", texting from [`FIRM_NUMBER`].
    pub(crate) async fn start() -> Server {
        let twilio = FakeTwilio::start().await;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let env = vec![
            (
                "CASEWIRE_DATABASE_URL".to_owned(),
                format!("sqlite://{}", dir.path().join("casewire.db").display()),
            ),
            ("CASEWIRE_PROVIDER".to_owned(), "twilio".to_owned()),
            (
                "CASEWIRE_TWILIO_ACCOUNT_SID".to_owned(),
                ACCOUNT_SID.to_owned(),
            ),
            (
                "CASEWIRE_TWILIO_AUTH_TOKEN".to_owned(),
                AUTH_TOKEN.to_owned(),
            ),
            ("CASEWIRE_TWILIO_BASE_URL".to_owned(), twilio.base_url()),
            (
                "CASEWIRE_EMAIL_DIR".to_owned(),
                dir.path().join("mail").display().to_string(),
            ),
            ("CASEWIRE_WORKER_IDLE_MS".to_owned(), "20".to_owned()),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ];
        let firm = create_firm(&env, "Rivera Law", FIRM_NUMBER, "intake@riveralaw.example").await;

        let mut command = casewire(&env);
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        let worker::Started {
            child,
            base,
            stderr,
        } = worker::start_listening(command, "casewire-server listening on ").await;

        Server {
            base,
            twilio,
            firm,
            child,
            env,
            dir,
            stderr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
            inbound_sids: AtomicU32::new(0),
        }
    }

    /// Creates another firm in the same database, through the CLI.
    pub(crate) async fn create_firm(&self, name: &str, number: &str, email: &str) -> FirmKey {
        create_firm(&self.env, name, number, email).await
    }

    /// Creates a staff user of `firm` with `casewire-server user create`, the password
    /// on standard input; returns the user's id.
    pub(crate) async fn create_user(
        &self,
        firm: i64,
        email: &str,
        name: &str,
        password: &str,
    ) -> i64 {
        use tokio::io::AsyncWriteExt as _;
        let mut child = casewire(&self.env)
            .args([
                "user",
                "create",
                "--firm",
                &firm.to_string(),
                "--email",
                email,
                "--name",
                name,
            ])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("casewire-server user create runs");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .await
            .expect("the password is written");
        drop(stdin);
        let output = child
            .wait_with_output()
            .await
            .expect("user create finishes");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "user create failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .find_map(|line| line.strip_prefix("user_id="))
            .and_then(|id| id.trim().parse().ok())
            .unwrap_or_else(|| panic!("user create printed no user_id: {stdout}"))
    }

    /// What the server wrote on stderr so far (warnings and errors).
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Any request. `key` is sent as the bearer token; `body` as its content type and
    /// text.
    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("the server answers");
        reply(response).await
    }

    /// `GET` as the test firm.
    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, Some(&self.firm.api_key), None)
            .await
    }

    /// `POST` of JSON as the test firm.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send_json(Method::POST, path, body).await
    }

    /// `PATCH` of JSON as the test firm.
    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send_json(Method::PATCH, path, body).await
    }

    async fn send_json(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.request(
            method,
            path,
            Some(&self.firm.api_key),
            Some(("application/json", body.to_string())),
        )
        .await
    }

    /// Creates a case whose debtors are `(first name, last name, mobile number)`; returns
    /// the case as the API shows it.
    pub(crate) async fn create_case(&self, number: &str, debtors: &[(&str, &str, &str)]) -> Value {
        let debtors: Vec<Value> = debtors
            .iter()
            .map(|(first, last, mobile)| {
                serde_json::json!({
                    "first_name": first,
                    "last_name": last,
                    "phones": [{ "number": mobile, "type": "mobile" }],
                })
            })
            .collect();
        self.post(
            "/v1/cases",
            &serde_json::json!({ "number": number, "debtors": debtors }),
        )
        .await
        .expect(201)
    }

    /// Texts a case through the API; returns the per-recipient results.
    pub(crate) async fn text_case(&self, case_id: i64, body: &str) -> Vec<Value> {
        let outcome = self
            .post(
                &format!("/v1/cases/{case_id}/messages"),
                &serde_json::json!({ "body": body }),
            )
            .await
            .expect(201);
        outcome["results"]
            .as_array()
            .expect("the send outcome lists its recipients")
            .clone()
    }

    /// The case's thread, newest first.
    pub(crate) async fn thread(&self, case_id: i64) -> Vec<Value> {
        let thread = self
            .get(&format!("/v1/cases/{case_id}/messages"))
            .await
            .expect(200);
        thread["messages"]
            .as_array()
            .expect("a thread has messages")
            .clone()
    }

    /// The unmatched inbox, newest first.
    pub(crate) async fn unmatched(&self) -> Vec<Value> {
        let inbox = self.get("/v1/inbox/unmatched").await.expect(200);
        inbox["messages"]
            .as_array()
            .expect("the inbox has messages")
            .clone()
    }

    /// The Prometheus value of `casewire_<name>`.
    pub(crate) async fn metric(&self, name: &str) -> f64 {
        let page = self.request(Method::GET, "/metrics", None, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let prefix = format!("casewire_{name} ");
        page.body
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric casewire_{name} in:\n{}", page.body))
    }

    /// The fields Twilio posts for a text from `from` to the firm's number, with a fresh
    /// `MessageSid`.
    pub(crate) fn inbound_form(&self, from: &str, body: &str) -> Vec<(String, String)> {
        let n = self.inbound_sids.fetch_add(1, Ordering::Relaxed) + 1;
        form(&[
            ("MessageSid", &format!("SMe{n:031x}")),
            ("AccountSid", ACCOUNT_SID),
            ("From", from),
            ("To", FIRM_NUMBER),
            ("Body", body),
            ("NumMedia", "0"),
        ])
    }

    /// `X-Twilio-Signature` for a POST of `params` to `path`, as Twilio computes it for
    /// the server's public URL.
    pub(crate) fn sign(&self, path: &str, params: &[(String, String)]) -> String {
        signature(AUTH_TOKEN, &format!("{}{path}", self.base), params)
    }

    /// Posts a webhook form with the given `X-Twilio-Signature` (none when `None`).
    pub(crate) async fn webhook(
        &self,
        path: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> Reply {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(params);
        if let Some(signature) = signature {
            request = request.header("x-twilio-signature", signature);
        }
        reply(request.send().await.expect("the server answers")).await
    }

    /// Posts a webhook signed as Twilio signs it.
    pub(crate) async fn signed_webhook(&self, path: &str, params: &[(String, String)]) -> Reply {
        let signature = self.sign(path, params);
        self.webhook(path, params, Some(&signature)).await
    }

    /// A client texts the firm: a signed inbound webhook. Returns the TwiML answer.
    pub(crate) async fn text_in(&self, from: &str, body: &str) -> Reply {
        let params = self.inbound_form(from, body);
        let reply = self.signed_webhook(MESSAGES_WEBHOOK, &params).await;
        assert_eq!(reply.status, 200, "inbound webhook: {}", reply.body);
        assert!(
            reply.content_type.starts_with("text/xml"),
            "TwiML is XML, got {:?}",
            reply.content_type
        );
        reply
    }

    /// The notification emails written so far.
    pub(crate) fn emails(&self) -> Vec<Email> {
        read_emails(&self.dir.path().join("mail"))
    }

    /// Waits (a bounded time) for a notification email whose text contains `needle`.
    pub(crate) async fn email_containing(&self, needle: &str) -> Email {
        eventually(&format!("an email containing {needle:?}"), async || {
            self.emails().into_iter().find(|e| e.text.contains(needle))
        })
        .await
    }

    /// Sends SIGTERM and waits for the process to exit; returns how it exited and what
    /// it wrote on stderr.
    pub(crate) async fn terminate(mut self) -> (ExitStatus, String) {
        sigterm(&self.child);
        match tokio::time::timeout(STARTUP, self.child.wait()).await {
            Ok(status) => (status.expect("the server's exit status"), self.stderr()),
            Err(_) => panic!(
                "casewire-server ignored SIGTERM for {STARTUP:?}\nstderr:\n{}",
                self.stderr()
            ),
        }
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.text().await.expect("the answer has a body");
    Reply {
        status,
        content_type,
        body,
    }
}

/// Runs `casewire-server firm create` and reads the firm id and key it prints.
pub(crate) async fn create_firm(
    env: &[(String, String)],
    name: &str,
    number: &str,
    email: &str,
) -> FirmKey {
    let output: Output = casewire(env)
        .args([
            "firm",
            "create",
            "--name",
            name,
            "--time-zone",
            "America/Chicago",
            "--texting-number",
            number,
            "--notification-email",
            email,
        ])
        .output()
        .await
        .expect("casewire-server firm create runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "firm create failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .unwrap_or_else(|| panic!("firm create printed no {key}: {stdout}"))
            .to_owned()
    };
    FirmKey {
        id: value("firm_id=").parse().expect("firm_id is a number"),
        api_key: value("api_key="),
    }
}

/// Form fields from string pairs.
pub(crate) fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// The `Authorization` header of HTTP basic auth.
pub(crate) fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn read_emails(dir: &Path) -> Vec<Email> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| {
            let raw = std::fs::read(path).ok()?;
            let parsed = mail_parser::MessageParser::default().parse(&raw)?;
            Some(Email {
                to: parsed
                    .to()
                    .and_then(|to| to.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned(),
                subject: parsed.subject().unwrap_or_default().to_owned(),
                text: parsed
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Polls `probe` every 20 ms until it finds something, failing the test after a few
/// seconds: for what the server's worker does in the background.
pub(crate) async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for {what} in vain"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
