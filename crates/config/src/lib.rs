//! Casewire's installation configuration, shared by the server and the worker: a TOML
//! file (optional) overlaid with `CASEWIRE_*` environment variables, and the wiring it
//! describes (which database, which provider, which mailer).
//!
//! With no file and no variables at all, the defaults describe the embedded set-up: a
//! SQLite file `casewire.db`, the console provider, notification emails written as
//! `.eml` files into `casewire-mail/`, the server on `127.0.0.1:8080` with the reminder
//! worker in-process.
//!
//! ```
//! let config = casewire_config::Config::load(None, std::iter::empty()).unwrap();
//! assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
//! assert_eq!(config.database.url, "sqlite://casewire.db");
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use casewire_app::{AppConfig, Backoff, ReminderPolicy};
use casewire_model::EmailAddress;
use casewire_notify::{FileMailer, Mailer, SmtpConfig, SmtpMailer};
use casewire_provider::{ConsoleProvider, Provider};
use casewire_store::{Store, StoreOptions};
use casewire_twilio::{TwilioConfig, TwilioProvider, TwilioSettings};
use serde::Deserialize;
use thiserror::Error;

/// Why the configuration cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file or a variable has a wrong value or an unknown key.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// An environment variable cannot be read as the type its key needs.
    #[error("{var} must be {kind}, got {value:?}")]
    BadVariable {
        /// The variable.
        var: &'static str,
        /// What it must be.
        kind: &'static str,
        /// What it was.
        value: String,
    },
    /// The store cannot be opened.
    #[error("cannot open the database: {0}")]
    Store(#[from] casewire_store::StoreError),
}

/// Which messaging provider sends texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Print texts to standard output (local development; the default).
    #[default]
    Console,
    /// Twilio's Messages API (set `[twilio]`).
    Twilio,
}

/// Where notification emails go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MailerKind {
    /// `.eml` files in `email.dir` (the default).
    #[default]
    File,
    /// An SMTP server (set `[email.smtp]`).
    Smtp,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://casewire.db` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://casewire.db".into(),
            max_connections: 10,
        }
    }
}

/// `[email]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// The sender address of notification emails.
    pub from: String,
    /// File or SMTP.
    pub mailer: MailerKind,
    /// The folder of the file mailer.
    pub dir: PathBuf,
    /// The SMTP server, for `mailer = "smtp"`.
    pub smtp: Option<SmtpConfig>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            from: "notifications@casewire.localhost".into(),
            mailer: MailerKind::File,
            dir: PathBuf::from("casewire-mail"),
            smtp: None,
        }
    }
}

/// `[worker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Run the reminder worker inside the server (`--no-worker` turns it off).
    pub enabled: bool,
    /// The worker binary's metrics listener.
    pub metrics_listen: SocketAddr,
    /// Reminders claimed per step.
    pub batch: u32,
    /// Provider calls one worker makes at the same time; also the most reminders a
    /// crash of that worker can send twice.
    pub send_concurrency: u32,
    /// Seconds a claim holds before another worker may take the reminder.
    pub lease_secs: u64,
    /// Milliseconds to wait when there is nothing to do.
    pub idle_ms: u64,
    /// Send attempts before a reminder fails.
    pub max_attempts: u32,
    /// First retry delay in seconds (doubling, with jitter, up to an hour).
    pub retry_base_secs: u64,
    /// Retry sends that may already have been accepted (risking a duplicate).
    pub retry_uncertain: bool,
    /// Hold each texting number to its send rate across all workers (off only for
    /// benchmarks).
    pub rate_limits: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let policy = ReminderPolicy::default();
        WorkerConfig {
            enabled: true,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9091)),
            batch: policy.batch,
            send_concurrency: policy.send_concurrency,
            lease_secs: policy.lease.as_secs(),
            idle_ms: 500,
            max_attempts: policy.retry.max_attempts,
            retry_base_secs: policy.retry.base.as_secs(),
            retry_uncertain: policy.retry_uncertain,
            rate_limits: policy.rate_limits,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the server listens.
    pub listen: SocketAddr,
    /// The public base URL (for links in emails, status callbacks and webhook
    /// signatures); `http://{listen}` when unset.
    pub public_url: Option<String>,
    /// The log filter (`info`, `casewire=debug`, ...).
    pub log: String,
    /// `[database]`.
    pub database: DatabaseConfig,
    /// The provider.
    pub provider: ProviderKind,
    /// `[twilio]`, for `provider = "twilio"`.
    pub twilio: Option<TwilioSettings>,
    /// `[email]`.
    pub email: EmailConfig,
    /// `[worker]`.
    pub worker: WorkerConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            log: "info".into(),
            database: DatabaseConfig::default(),
            provider: ProviderKind::default(),
            twilio: None,
            email: EmailConfig::default(),
            worker: WorkerConfig::default(),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
}

/// Every environment variable and the key it sets. Documented in the README.
const VARIABLES: &[(&str, &[&str], Kind)] = &[
    ("CASEWIRE_LISTEN", &["listen"], Kind::Str),
    ("CASEWIRE_PUBLIC_URL", &["public_url"], Kind::Str),
    ("CASEWIRE_LOG", &["log"], Kind::Str),
    ("CASEWIRE_DATABASE_URL", &["database", "url"], Kind::Str),
    (
        "CASEWIRE_DATABASE_MAX_CONNECTIONS",
        &["database", "max_connections"],
        Kind::Int,
    ),
    ("CASEWIRE_PROVIDER", &["provider"], Kind::Str),
    (
        "CASEWIRE_TWILIO_ACCOUNT_SID",
        &["twilio", "account_sid"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_AUTH_TOKEN",
        &["twilio", "auth_token"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_API_KEY_SID",
        &["twilio", "api_key_sid"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_API_KEY_SECRET",
        &["twilio", "api_key_secret"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_MESSAGING_SERVICE_SID",
        &["twilio", "messaging_service_sid"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_BASE_URL",
        &["twilio", "base_url"],
        Kind::Str,
    ),
    (
        "CASEWIRE_TWILIO_TIMEOUT_SECS",
        &["twilio", "timeout_secs"],
        Kind::Int,
    ),
    ("CASEWIRE_EMAIL_FROM", &["email", "from"], Kind::Str),
    ("CASEWIRE_EMAIL_MAILER", &["email", "mailer"], Kind::Str),
    ("CASEWIRE_EMAIL_DIR", &["email", "dir"], Kind::Str),
    ("CASEWIRE_SMTP_HOST", &["email", "smtp", "host"], Kind::Str),
    ("CASEWIRE_SMTP_PORT", &["email", "smtp", "port"], Kind::Int),
    (
        "CASEWIRE_SMTP_SECURITY",
        &["email", "smtp", "security"],
        Kind::Str,
    ),
    (
        "CASEWIRE_SMTP_USERNAME",
        &["email", "smtp", "username"],
        Kind::Str,
    ),
    (
        "CASEWIRE_SMTP_PASSWORD",
        &["email", "smtp", "password"],
        Kind::Str,
    ),
    (
        "CASEWIRE_WORKER_ENABLED",
        &["worker", "enabled"],
        Kind::Bool,
    ),
    (
        "CASEWIRE_WORKER_METRICS_LISTEN",
        &["worker", "metrics_listen"],
        Kind::Str,
    ),
    ("CASEWIRE_WORKER_BATCH", &["worker", "batch"], Kind::Int),
    (
        "CASEWIRE_WORKER_SEND_CONCURRENCY",
        &["worker", "send_concurrency"],
        Kind::Int,
    ),
    (
        "CASEWIRE_WORKER_LEASE_SECS",
        &["worker", "lease_secs"],
        Kind::Int,
    ),
    ("CASEWIRE_WORKER_IDLE_MS", &["worker", "idle_ms"], Kind::Int),
    (
        "CASEWIRE_WORKER_MAX_ATTEMPTS",
        &["worker", "max_attempts"],
        Kind::Int,
    ),
    (
        "CASEWIRE_WORKER_RETRY_BASE_SECS",
        &["worker", "retry_base_secs"],
        Kind::Int,
    ),
    (
        "CASEWIRE_WORKER_RETRY_UNCERTAIN",
        &["worker", "retry_uncertain"],
        Kind::Bool,
    ),
    (
        "CASEWIRE_WORKER_RATE_LIMITS",
        &["worker", "rate_limits"],
        Kind::Bool,
    ),
];

/// The names of every environment variable the configuration reads.
pub fn variables() -> impl Iterator<Item = &'static str> {
    VARIABLES.iter().map(|(name, _, _)| *name)
}

fn set(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry((*first).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = entry {
                set(inner, rest, value);
            }
        }
    }
}

impl Config {
    /// Reads the file at `path` (if any), overlays the `CASEWIRE_*` variables found in
    /// `env`, and checks the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match path {
            None => toml::Table::new(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?
            }
        };
        for (name, value) in env {
            let Some((var, key, kind)) = VARIABLES.iter().find(|(n, _, _)| *n == name) else {
                continue;
            };
            let value = match kind {
                Kind::Str => toml::Value::String(value),
                Kind::Int => value
                    .trim()
                    .parse::<i64>()
                    .map(toml::Value::Integer)
                    .map_err(|_| ConfigError::BadVariable {
                        var,
                        kind: "a whole number",
                        value: value.clone(),
                    })?,
                Kind::Bool => match value.trim() {
                    "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                    "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
                    _ => {
                        return Err(ConfigError::BadVariable {
                            var,
                            kind: "true or false",
                            value,
                        });
                    }
                },
            };
            set(&mut table, key, value);
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.email_from()?;
        if self.provider == ProviderKind::Twilio && self.twilio.is_none() {
            return Err(ConfigError::Invalid(
                "provider = \"twilio\" needs a [twilio] section (account_sid, auth_token)".into(),
            ));
        }
        if self.email.mailer == MailerKind::Smtp && self.email.smtp.is_none() {
            return Err(ConfigError::Invalid(
                "email.mailer = \"smtp\" needs an [email.smtp] section (host, ...)".into(),
            ));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "public_url must start with http:// or https://, got {url:?}"
                )));
            }
        }
        if self.worker.batch == 0
            || self.worker.send_concurrency == 0
            || self.worker.max_attempts == 0
            || self.worker.lease_secs == 0
        {
            return Err(ConfigError::Invalid(
                "worker.batch, worker.send_concurrency, worker.max_attempts and worker.lease_secs \
                 must be at least 1"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    fn email_from(&self) -> Result<EmailAddress, ConfigError> {
        EmailAddress::parse(&self.email.from)
            .map_err(|e| ConfigError::Invalid(format!("email.from: {e}")))
    }

    /// Opens the database (creating a SQLite file if needed) and migrates it.
    pub async fn open_store(&self) -> Result<Store, ConfigError> {
        let mut options = StoreOptions::new(self.database.url.clone());
        options.max_connections = self.database.max_connections;
        Ok(Store::open(&options).await?)
    }

    fn twilio_config(&self) -> Result<Option<TwilioConfig>, ConfigError> {
        match (&self.provider, &self.twilio) {
            (ProviderKind::Twilio, Some(settings)) => TwilioConfig::from_settings(settings.clone())
                .map(Some)
                .map_err(|e| ConfigError::Invalid(format!("[twilio]: {e}"))),
            _ => Ok(None),
        }
    }

    /// The messaging provider.
    pub fn provider(&self) -> Result<Arc<dyn Provider>, ConfigError> {
        match self.twilio_config()? {
            Some(config) => {
                Ok(Arc::new(TwilioProvider::new(config).map_err(|e| {
                    ConfigError::Invalid(format!("[twilio]: {e}"))
                })?))
            }
            None => Ok(Arc::new(ConsoleProvider::stdout())),
        }
    }

    /// What validating Twilio webhooks needs: (auth token, account SID), when the
    /// provider is Twilio.
    pub fn twilio_webhook_keys(&self) -> Result<Option<(String, String)>, ConfigError> {
        let Some(config) = self.twilio_config()? else {
            return Ok(None);
        };
        let token = config.signing_token().map(str::to_owned).ok_or_else(|| {
            ConfigError::Invalid(
                "[twilio] needs auth_token to verify webhook signatures, even when sending with an API key".into(),
            )
        })?;
        Ok(Some((token, config.account_sid.clone())))
    }

    /// The mailer.
    pub fn mailer(&self) -> Result<Arc<dyn Mailer>, ConfigError> {
        match (&self.email.mailer, &self.email.smtp) {
            (MailerKind::Smtp, Some(smtp)) => {
                Ok(Arc::new(SmtpMailer::new(smtp.clone()).map_err(|e| {
                    ConfigError::Invalid(format!("[email.smtp]: {e}"))
                })?))
            }
            _ => Ok(Arc::new(FileMailer::new(self.email.dir.clone()))),
        }
    }

    /// The use-cases' settings, for a process named `worker_id`.
    pub fn app_config(&self, worker_id: String) -> Result<AppConfig, ConfigError> {
        let public = self.public_url();
        Ok(AppConfig {
            public_url: Some(public.clone()),
            status_callback_url: (self.provider == ProviderKind::Twilio)
                .then(|| format!("{public}/webhooks/twilio/status")),
            email_from: self.email_from()?,
            reminders: ReminderPolicy {
                batch: self.worker.batch,
                send_concurrency: self.worker.send_concurrency,
                lease: Duration::from_secs(self.worker.lease_secs),
                retry: Backoff {
                    base: Duration::from_secs(self.worker.retry_base_secs.max(1)),
                    max: Duration::from_secs(3600),
                    max_attempts: self.worker.max_attempts,
                },
                retry_uncertain: self.worker.retry_uncertain,
                rate_limits: self.worker.rate_limits,
                rate_burst: ReminderPolicy::default().rate_burst,
            },
            email_retry: Backoff {
                base: Duration::from_secs(30),
                max: Duration::from_secs(3600),
                max_attempts: 20,
            },
            worker_id,
        })
    }

    /// How long the worker waits when idle.
    pub fn idle(&self) -> Duration {
        Duration::from_millis(self.worker.idle_ms.max(1))
    }
}

/// A name for this process in claims and leases: `{kind}-{pid}-{random}`, unique per
/// process start.
pub fn instance_id(kind: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{kind}-{}-{nanos:08x}", std::process::id())
}

/// Resolves on SIGTERM or ctrl-c: when a binary should start shutting down.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn no_configuration_at_all_is_the_embedded_default() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.provider, ProviderKind::Console);
        assert_eq!(c.email.mailer, MailerKind::File);
        assert!(c.worker.enabled);
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn variables_override_the_file() {
        let dir = std::env::temp_dir().join(format!("casewire-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("casewire.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\n[database]\nurl = \"sqlite://file.db\"\n[worker]\nenabled = true\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("CASEWIRE_DATABASE_URL", "postgres://db/casewire"),
                ("CASEWIRE_WORKER_ENABLED", "false"),
                ("CASEWIRE_SMTP_PORT", "2525"),
                ("CASEWIRE_SMTP_HOST", "mail.example.com"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.database.url, "postgres://db/casewire");
        assert!(!c.worker.enabled);
        assert_eq!(c.email.smtp.as_ref().unwrap().port, 2525);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn every_worker_setting_has_a_variable() {
        let c = Config::load(
            None,
            env(&[
                ("CASEWIRE_WORKER_MAX_ATTEMPTS", "3"),
                ("CASEWIRE_WORKER_RETRY_BASE_SECS", "7"),
                ("CASEWIRE_WORKER_RETRY_UNCERTAIN", "true"),
                ("CASEWIRE_WORKER_METRICS_LISTEN", "127.0.0.1:9092"),
            ]),
        )
        .unwrap();
        assert_eq!(c.worker.max_attempts, 3);
        assert_eq!(c.worker.retry_base_secs, 7);
        assert!(c.worker.retry_uncertain);
        assert_eq!(c.worker.metrics_listen.port(), 9092);
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::load(None, env(&[("CASEWIRE_WORKER_ENABLED", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("CASEWIRE_WORKER_ENABLED"), "{err}");
        let err = Config::load(None, env(&[("CASEWIRE_PROVIDER", "carrier-pigeon")])).unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
        let err = Config::load(None, env(&[("CASEWIRE_PROVIDER", "twilio")])).unwrap_err();
        assert!(err.to_string().contains("[twilio]"), "{err}");
        let err = Config::load(None, env(&[("CASEWIRE_EMAIL_FROM", "nobody")])).unwrap_err();
        assert!(err.to_string().contains("email.from"), "{err}");
        let err = Config::load(None, env(&[("CASEWIRE_LISTEN", "not an address")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = std::env::temp_dir().join(format!("casewire-config-u-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("casewire.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
