//! Sending through an SMTP server: its configuration and the mapping of its replies to
//! "retry" or "give up".

use std::{fmt, time::Duration};

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    transport::smtp::authentication::Credentials,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Email, MailError, Mailer};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// TLS from the first byte ("implicit TLS", SMTPS), usually port 465.
    Tls,
    /// A plain connection upgraded with `STARTTLS` before anything else is sent; the
    /// send fails if the server does not offer it. Usually port 587.
    StartTls,
    /// No TLS at all, for a relay on the same machine or private network (port 25).
    /// Credentials, if any, cross the network unencrypted.
    Plain,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection: 465, 587 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Plain => 25,
        }
    }

    fn label(self) -> &'static str {
        match self {
            SmtpSecurity::Tls => "TLS",
            SmtpSecurity::StartTls => "STARTTLS",
            SmtpSecurity::Plain => "no TLS",
        }
    }
}

/// Where and how to reach the SMTP server.
///
/// Deserialises from configuration such as this TOML (only `host` is required; `port`
/// defaults to the usual one for `security`, `security` to `starttls`, `timeout_secs`
/// to 30):
///
/// ```toml
/// host = "smtp.example.com"
/// security = "starttls"    # or "tls", "plain"
/// username = "notify@smithlaw.com"
/// password = "..."
/// timeout_secs = 30
/// ```
///
/// `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SmtpConfigFile")]
pub struct SmtpConfig {
    /// The server's host name (checked against its TLS certificate).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The user to log in as, if the server wants a login.
    pub username: Option<String>,
    /// The password for `username`.
    pub password: Option<String>,
    /// The longest one send may take, from connecting to the server's last reply.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// How long a send may take unless configured otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// A server at `host` on the usual port for `security`, without a login, with the
    /// default timeout.
    pub fn new(host: impl Into<String>, security: SmtpSecurity) -> Self {
        SmtpConfig {
            host: host.into(),
            port: security.default_port(),
            security,
            username: None,
            password: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Checks what a struct literal could get wrong.
    fn validate(&self) -> Result<(), SmtpConfigError> {
        if self.host.trim().is_empty() {
            return Err(SmtpConfigError::NoHost);
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(SmtpConfigError::HalfALogin);
        }
        if self.timeout.is_zero() {
            return Err(SmtpConfigError::ZeroTimeout);
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The configuration as written in a file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpConfigFile {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_security")]
    security: SmtpSecurity,
    username: Option<String>,
    password: Option<String>,
    timeout_secs: Option<u64>,
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::StartTls
}

impl TryFrom<SmtpConfigFile> for SmtpConfig {
    type Error = SmtpConfigError;

    fn try_from(file: SmtpConfigFile) -> Result<Self, Self::Error> {
        let config = SmtpConfig {
            host: file.host.trim().to_owned(),
            port: file.port.unwrap_or(file.security.default_port()),
            security: file.security,
            username: file.username,
            password: file.password,
            timeout: file
                .timeout_secs
                .map_or(SmtpConfig::DEFAULT_TIMEOUT, Duration::from_secs),
        };
        config.validate()?;
        Ok(config)
    }
}

/// Why an SMTP configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SmtpConfigError {
    /// `host` is empty.
    #[error("the SMTP host is empty")]
    NoHost,
    /// Only one of `username` and `password` is set.
    #[error("set both the SMTP username and password, or neither")]
    HalfALogin,
    /// A zero timeout would fail every send.
    #[error("the SMTP timeout must be at least one second")]
    ZeroTimeout,
    /// The TLS settings for the host could not be built.
    #[error("cannot set up TLS for {host}: {message}")]
    Tls {
        /// The configured host.
        host: String,
        /// What went wrong.
        message: String,
    },
}

/// Sends through an SMTP server, one connection per email.
///
/// A send that has not finished within the configured timeout is abandoned and reported
/// as [`MailError::Transient`]. Replies map to errors as RFC 5321 intends: 4xx, a
/// refused or dropped connection, a TLS failure are transient; 5xx is permanent, except
/// a refused login (530, 534, 535, 538), which is the firm's configuration and not the
/// email's fault, so it stays transient until someone fixes the password.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    description: String,
    timeout: Duration,
}

impl SmtpMailer {
    /// A mailer for the server `config` describes. Nothing is sent or connected yet.
    pub fn new(config: SmtpConfig) -> Result<Self, SmtpConfigError> {
        config.validate()?;
        let host = config.host.trim();
        let tls_error = |e: lettre::transport::smtp::Error| SmtpConfigError::Tls {
            host: host.to_owned(),
            message: e.to_string(),
        };
        let builder = match config.security {
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?
            }
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?
            }
            SmtpSecurity::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let (Some(user), Some(password)) = (config.username, config.password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            description: format!(
                "SMTP server {host}:{} with {}",
                config.port,
                config.security.label()
            ),
            timeout: config.timeout,
        })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.description)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = email.to_message()?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_elapsed) => Err(MailError::transient(format!(
                "{} did not finish within {}s",
                self.description,
                self.timeout.as_secs_f32()
            ))),
            Ok(Err(error)) => Err(classify(&error, &self.description)),
            Ok(Ok(_response)) => {
                tracing::info!(message_id = %email.message_id, "notification email sent");
                Ok(())
            }
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// Retry or give up, from what lettre reports.
fn classify(error: &lettre::transport::smtp::Error, server: &str) -> MailError {
    let message = format!("{server}: {error}");
    let code = error.status().map(u16::from);
    let refused_login = matches!(code, Some(530 | 534 | 535 | 538));
    if error.is_permanent() && !refused_login {
        MailError::permanent(message)
    } else {
        MailError::transient(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::tests::sample;
    use mail_parser::MessageParser;
    use std::{
        net::SocketAddr,
        sync::{Arc, Mutex},
    };
    use tokio::{
        io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
        net::{TcpListener, TcpStream},
    };

    /// What the fake server does.
    #[derive(Clone, Copy)]
    enum Script {
        /// Accepts every email.
        Accept,
        /// Answers a login with this reply.
        Login(&'static str),
        /// Answers `RCPT TO` with this reply.
        Rcpt(&'static str),
        /// Answers the end of `DATA` with this reply.
        Data(&'static str),
        /// Accepts the connection and never says a word.
        Silent,
    }

    /// One email as the server received it.
    #[derive(Debug, Default, Clone)]
    struct Received {
        mail_from: String,
        rcpt_to: Vec<String>,
        data: String,
    }

    /// A tiny SMTP server on a free local port that records what it accepts.
    struct Sink {
        addr: SocketAddr,
        received: Arc<Mutex<Vec<Received>>>,
    }

    impl Sink {
        async fn start(script: Script) -> Sink {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let received = Arc::new(Mutex::new(Vec::new()));
            let store = Arc::clone(&received);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        // The client hanging up mid-session is not the server's problem.
                        let _ = session(stream, script, store).await;
                    });
                }
            });
            Sink { addr, received }
        }

        fn mailer(&self) -> SmtpMailer {
            let mut config = SmtpConfig::new("127.0.0.1", SmtpSecurity::Plain);
            config.port = self.addr.port();
            config.timeout = Duration::from_secs(10);
            SmtpMailer::new(config).unwrap()
        }

        fn received(&self) -> Vec<Received> {
            self.received.lock().unwrap().clone()
        }
    }

    async fn session(
        stream: TcpStream,
        script: Script,
        store: Arc<Mutex<Vec<Received>>>,
    ) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        if let Script::Silent = script {
            let mut sink = Vec::new();
            reader.read_to_end(&mut sink).await?;
            return Ok(());
        }
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut current = Received::default();
        let mut lines = reader.lines();
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-sink.test\r\n250 AUTH PLAIN LOGIN"
            } else if upper.starts_with("AUTH") {
                match script {
                    Script::Login(reply) => reply,
                    _ => "235 2.7.0 Authentication successful",
                }
            } else if upper.starts_with("MAIL FROM:") {
                current = Received {
                    mail_from: line[10..].trim().to_owned(),
                    ..Received::default()
                };
                "250 OK"
            } else if upper.starts_with("RCPT TO:") {
                match script {
                    Script::Rcpt(reply) => reply,
                    _ => {
                        current.rcpt_to.push(line[8..].trim().to_owned());
                        "250 OK"
                    }
                }
            } else if upper == "DATA" {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    // Undo dot-stuffing.
                    data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
                }
                match script {
                    Script::Data(reply) => reply,
                    _ => {
                        current.data = data.join("\r\n");
                        store.lock().unwrap().push(std::mem::take(&mut current));
                        "250 OK queued"
                    }
                }
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                "250 OK"
            };
            write.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
        Ok(())
    }

    #[tokio::test]
    async fn an_accepted_email_reaches_the_server_intact() {
        let sink = Sink::start(Script::Accept).await;
        let email = sample("<casewire-42@smithlaw.com>");
        sink.mailer().send(&email).await.unwrap();

        let received = sink.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].mail_from, "<notify@smithlaw.com>");
        assert_eq!(received[0].rcpt_to, ["<intake@smithlaw.com>"]);
        let parsed = MessageParser::default()
            .parse(received[0].data.as_bytes())
            .unwrap();
        assert_eq!(
            parsed.subject(),
            Some("Text from Maria Rivera — case 24-10345")
        );
        assert_eq!(parsed.message_id(), Some("casewire-42@smithlaw.com"));
        assert!(
            parsed
                .body_text(0)
                .unwrap()
                .contains("> Can I bring my pay stubs on Friday?")
        );
        assert!(parsed.body_html(0).is_some());
    }

    #[tokio::test]
    async fn server_replies_decide_whether_to_retry() {
        let cases = [
            (Script::Rcpt("451 4.3.0 try again later"), true, "451"),
            (Script::Rcpt("550 5.1.1 no such user"), false, "550"),
            (Script::Data("452 4.3.1 out of storage"), true, "452"),
            (Script::Data("554 5.7.1 message refused"), false, "554"),
            (Script::Login("535 5.7.8 bad credentials"), true, "535"),
            (Script::Login("454 4.7.0 try later"), true, "454"),
        ];
        for (script, transient, code) in cases {
            let sink = Sink::start(script).await;
            let mut config = SmtpConfig::new("127.0.0.1", SmtpSecurity::Plain);
            config.port = sink.addr.port();
            config.username = Some("notify@smithlaw.com".to_owned());
            config.password = Some("secret".to_owned());
            let mailer = SmtpMailer::new(config).unwrap();
            let err = mailer
                .send(&sample("<casewire-1@smithlaw.com>"))
                .await
                .unwrap_err();
            assert_eq!(err.is_transient(), transient, "{code}: {err}");
            assert!(err.to_string().contains(code), "{err}");
            assert!(sink.received().is_empty());
        }
    }

    #[tokio::test]
    async fn a_server_that_is_not_running_is_worth_retrying() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut config = SmtpConfig::new("127.0.0.1", SmtpSecurity::Plain);
        config.port = port;
        let err = SmtpMailer::new(config)
            .unwrap()
            .send(&sample("<casewire-1@smithlaw.com>"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out_and_is_worth_retrying() {
        let sink = Sink::start(Script::Silent).await;
        let mut config = SmtpConfig::new("127.0.0.1", SmtpSecurity::Plain);
        config.port = sink.addr.port();
        config.timeout = Duration::from_millis(200);
        let err = SmtpMailer::new(config)
            .unwrap()
            .send(&sample("<casewire-1@smithlaw.com>"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
    }

    #[tokio::test]
    async fn starttls_is_required_when_configured() {
        // The fake server does not offer STARTTLS, so nothing may be sent in the clear.
        let sink = Sink::start(Script::Accept).await;
        let mut config = SmtpConfig::new("127.0.0.1", SmtpSecurity::StartTls);
        config.port = sink.addr.port();
        let err = SmtpMailer::new(config)
            .unwrap()
            .send(&sample("<casewire-1@smithlaw.com>"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(sink.received().is_empty());
    }

    #[test]
    fn configuration_fills_in_the_usual_port_and_timeout() {
        let config: SmtpConfig = serde_json::from_str(r#"{"host": "smtp.example.com"}"#).unwrap();
        assert_eq!(
            config,
            SmtpConfig::new("smtp.example.com", SmtpSecurity::StartTls)
        );
        assert_eq!(config.port, 587);
        assert_eq!(config.timeout, Duration::from_secs(30));

        let config: SmtpConfig = serde_json::from_str(
            r#"{"host": "smtp.example.com", "security": "tls", "username": "u",
                "password": "p", "timeout_secs": 5}"#,
        )
        .unwrap();
        assert_eq!(config.port, 465);
        assert_eq!(config.security, SmtpSecurity::Tls);
        assert_eq!(config.timeout, Duration::from_secs(5));

        let config: SmtpConfig =
            serde_json::from_str(r#"{"host": "localhost", "security": "plain", "port": 2525}"#)
                .unwrap();
        assert_eq!((config.port, config.security), (2525, SmtpSecurity::Plain));
    }

    #[test]
    fn configuration_mistakes_are_refused() {
        let cases = [
            r#"{"host": " "}"#,
            r#"{"host": "smtp.example.com", "username": "u"}"#,
            r#"{"host": "smtp.example.com", "timeout_secs": 0}"#,
            r#"{"host": "smtp.example.com", "security": "ssl"}"#,
            r#"{"host": "smtp.example.com", "pasword": "typo"}"#,
        ];
        for json in cases {
            assert!(serde_json::from_str::<SmtpConfig>(json).is_err(), "{json}");
        }
        let mut config = SmtpConfig::new("smtp.example.com", SmtpSecurity::Tls);
        config.password = Some("p".to_owned());
        assert_eq!(
            SmtpMailer::new(config).unwrap_err(),
            SmtpConfigError::HalfALogin
        );
    }

    #[test]
    fn the_password_never_shows() {
        let mut config = SmtpConfig::new("smtp.example.com", SmtpSecurity::StartTls);
        config.username = Some("notify@smithlaw.com".to_owned());
        config.password = Some("hunter2".to_owned());
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<hidden>"), "{shown}");
        let mailer = SmtpMailer::new(config).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
        assert_eq!(
            mailer.describe(),
            "SMTP server smtp.example.com:587 with STARTTLS"
        );
    }
}
