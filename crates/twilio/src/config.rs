//! How to reach Twilio: the account, its credentials, the sender and the HTTP limits,
//! read from the server's configuration file and checked once.

use std::{fmt, time::Duration};

use serde::Deserialize;
use thiserror::Error;
use url::Url;

/// Twilio's REST API, the default [`TwilioConfig::base_url`].
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The default [`TwilioConfig::timeout`]: ten seconds for the whole request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest timeout accepted. A send that waits longer than this holds a worker for
/// nothing: Twilio answers a create in well under a second.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything [`crate::TwilioProvider`] needs to send through one Twilio account.
///
/// Build it from the configuration file with [`TwilioConfig::from_settings`], or in code
/// with [`TwilioConfig::new`] and the public fields. [`crate::TwilioProvider::new`]
/// checks it again with [`TwilioConfig::validate`], so a hand-built value cannot skip
/// the checks. `Debug` never shows a secret.
///
/// ```
/// use std::time::Duration;
/// use casewire_twilio::{TwilioAuth, TwilioConfig, TwilioSender};
///
/// let mut config = TwilioConfig::new(
///     "AC0123456789abcdef0123456789abcdef",
///     TwilioAuth::AuthToken("your-auth-token".into()),
/// );
/// config.sender = TwilioSender::MessagingService("MG0123456789abcdef0123456789abcdef".into());
/// config.timeout = Duration::from_secs(5);
/// assert!(config.validate().is_ok());
/// assert!(!format!("{config:?}").contains("your-auth-token"));
/// ```
#[derive(Clone)]
pub struct TwilioConfig {
    /// The account texts are sent from (`AC` and 32 hex digits). It is part of the API
    /// path and is what inbound webhooks must name ([`crate::webhook::verify_account`]).
    pub account_sid: String,
    /// How requests to Twilio's API authenticate.
    pub auth: TwilioAuth,
    /// Who the texts come from: the message's own number or a Messaging Service.
    pub sender: TwilioSender,
    /// Where Twilio's API lives. [`DEFAULT_BASE_URL`] in production; tests point it at
    /// a local fake.
    pub base_url: Url,
    /// The limit for one whole API call, connecting included. [`DEFAULT_TIMEOUT`] unless
    /// configured.
    pub timeout: Duration,
    /// The auth token Twilio signs webhooks with, when [`TwilioConfig::auth`] is an API
    /// key (an API key cannot check `X-Twilio-Signature`: Twilio signs with the
    /// account's auth token). Leave `None` with [`TwilioAuth::AuthToken`]; see
    /// [`TwilioConfig::signing_token`].
    pub webhook_auth_token: Option<String>,
}

/// How requests to Twilio's API authenticate: HTTP basic auth with the account's auth
/// token, or with an API key. `Debug` shows neither secret.
#[derive(Clone, PartialEq, Eq)]
pub enum TwilioAuth {
    /// The account's auth token; the user name is the account SID.
    AuthToken(String),
    /// An API key (`SK…`) and its secret; Twilio's recommendation for production, as a
    /// key can be revoked without changing the auth token.
    ApiKey {
        /// The key's SID, `SK` and 32 hex digits: the user name.
        sid: String,
        /// The key's secret: the password.
        secret: String,
    },
}

/// Which Twilio sender a text goes out from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// The number in [`casewire_provider::OutboundMessage::from`], sent as `From`.
    From,
    /// A Messaging Service (`MG…`), sent as `MessagingServiceSid` instead of `From`:
    /// Twilio picks the number from the service's pool and applies its opt-out and
    /// compliance settings.
    MessagingService(String),
}

/// The `[twilio]` section of the server's configuration file, as written there. Turn
/// it into a [`TwilioConfig`] with [`TwilioConfig::from_settings`], which checks it.
///
/// ```toml
/// [twilio]
/// account_sid = "AC0123456789abcdef0123456789abcdef"
/// auth_token = "..."                  # or api_key_sid + api_key_secret
/// messaging_service_sid = "MG0123456789abcdef0123456789abcdef"  # optional
/// base_url = "https://api.twilio.com" # optional
/// timeout_secs = 10                   # optional
/// ```
///
/// Unknown keys are refused, so a misspelt `auth_tokn` is an error, not a silent
/// default. `Debug` never shows a secret.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// The account SID, `AC…`.
    pub account_sid: String,
    /// The account's auth token. Required unless an API key is given; with an API key
    /// it is still needed to check webhook signatures.
    pub auth_token: Option<String>,
    /// An API key's SID, `SK…`; give it with `api_key_secret`.
    pub api_key_sid: Option<String>,
    /// The API key's secret.
    pub api_key_secret: Option<String>,
    /// A Messaging Service to send from, `MG…`. Without it, texts go out from the
    /// message's own `from` number.
    pub messaging_service_sid: Option<String>,
    /// Twilio's API address; [`DEFAULT_BASE_URL`] when absent.
    pub base_url: Option<String>,
    /// The timeout for one API call in whole seconds; 10 when absent.
    pub timeout_secs: Option<u64>,
}

/// Why a Twilio configuration was refused, or the HTTP client could not be built.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// Neither an auth token nor an API key was given.
    #[error("twilio: set auth_token, or api_key_sid and api_key_secret")]
    MissingCredentials,
    /// Only one half of an API key was given.
    #[error("twilio: api_key_sid and api_key_secret must be given together")]
    IncompleteApiKey,
    /// A SID does not look like a Twilio SID of its kind.
    #[error("twilio: {field} must be {prefix} followed by 32 hexadecimal digits")]
    InvalidSid {
        /// The setting that is wrong.
        field: &'static str,
        /// The two letters its SIDs start with.
        prefix: &'static str,
    },
    /// A secret was empty or only spaces.
    #[error("twilio: {field} must not be empty")]
    EmptySecret {
        /// The setting that is empty.
        field: &'static str,
    },
    /// The base URL did not parse.
    #[error("twilio: base_url is not a URL: {0}")]
    InvalidBaseUrl(#[from] url::ParseError),
    /// The base URL is not an `http` or `https` URL that paths can be added to.
    #[error("twilio: base_url must be an http or https URL, got {0:?}")]
    UnsupportedBaseUrl(String),
    /// The timeout was zero or longer than [`MAX_TIMEOUT`].
    #[error("twilio: the timeout must be between 1 and {} seconds", MAX_TIMEOUT.as_secs())]
    InvalidTimeout,
    /// The HTTP client could not be built (its TLS setup failed).
    #[error("twilio: could not build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

impl TwilioConfig {
    /// A configuration sending from each message's own number, to Twilio's real API,
    /// with the default timeout.
    pub fn new(account_sid: impl Into<String>, auth: TwilioAuth) -> Self {
        TwilioConfig {
            account_sid: account_sid.into(),
            auth,
            sender: TwilioSender::From,
            base_url: default_base_url(),
            timeout: DEFAULT_TIMEOUT,
            webhook_auth_token: None,
        }
    }

    /// Checks the configuration file's `[twilio]` section and builds the configuration.
    ///
    /// With both an API key and an auth token, the key authenticates API calls and the
    /// token checks webhook signatures.
    ///
    /// ```
    /// use casewire_twilio::{ConfigError, TwilioConfig, TwilioSettings};
    ///
    /// let settings = TwilioSettings {
    ///     account_sid: "AC0123456789abcdef0123456789abcdef".into(),
    ///     ..TwilioSettings::default()
    /// };
    /// assert!(matches!(
    ///     TwilioConfig::from_settings(settings),
    ///     Err(ConfigError::MissingCredentials)
    /// ));
    /// ```
    pub fn from_settings(settings: TwilioSettings) -> Result<Self, ConfigError> {
        let TwilioSettings {
            account_sid,
            auth_token,
            api_key_sid,
            api_key_secret,
            messaging_service_sid,
            base_url,
            timeout_secs,
        } = settings;
        let (auth, webhook_auth_token) = match (api_key_sid, api_key_secret, auth_token) {
            (Some(sid), Some(secret), token) => (TwilioAuth::ApiKey { sid, secret }, token),
            (None, None, Some(token)) => (TwilioAuth::AuthToken(token), None),
            (None, None, None) => return Err(ConfigError::MissingCredentials),
            (Some(_), None, _) | (None, Some(_), _) => return Err(ConfigError::IncompleteApiKey),
        };
        let base_url = match base_url {
            Some(text) => Url::parse(text.trim())?,
            None => default_base_url(),
        };
        let timeout = match timeout_secs {
            Some(secs) => Duration::from_secs(secs),
            None => DEFAULT_TIMEOUT,
        };
        let config = TwilioConfig {
            account_sid: account_sid.trim().to_owned(),
            auth,
            sender: match messaging_service_sid {
                Some(sid) => TwilioSender::MessagingService(sid.trim().to_owned()),
                None => TwilioSender::From,
            },
            base_url,
            timeout,
            webhook_auth_token,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the SIDs' shapes, that secrets are not empty, the base URL's scheme and
    /// the timeout's range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_sid("account_sid", "AC", &self.account_sid)?;
        match &self.auth {
            TwilioAuth::AuthToken(token) => check_secret("auth_token", token)?,
            TwilioAuth::ApiKey { sid, secret } => {
                check_sid("api_key_sid", "SK", sid)?;
                check_secret("api_key_secret", secret)?;
            }
        }
        if let Some(token) = &self.webhook_auth_token {
            check_secret("auth_token", token)?;
        }
        if let TwilioSender::MessagingService(sid) = &self.sender {
            check_sid("messaging_service_sid", "MG", sid)?;
        }
        if !matches!(self.base_url.scheme(), "http" | "https") || self.base_url.cannot_be_a_base() {
            return Err(ConfigError::UnsupportedBaseUrl(self.base_url.to_string()));
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(ConfigError::InvalidTimeout);
        }
        Ok(())
    }

    /// The token that checks `X-Twilio-Signature` on webhooks: the auth token, whether
    /// it authenticates API calls too or was given beside an API key. `None` when only
    /// an API key is configured, in which case webhooks cannot be verified.
    pub fn signing_token(&self) -> Option<&str> {
        match (&self.webhook_auth_token, &self.auth) {
            (Some(token), _) => Some(token),
            (None, TwilioAuth::AuthToken(token)) => Some(token),
            (None, TwilioAuth::ApiKey { .. }) => None,
        }
    }
}

impl TwilioAuth {
    /// The basic-auth user name and password.
    pub(crate) fn credentials<'a>(&'a self, account_sid: &'a str) -> (&'a str, &'a str) {
        match self {
            TwilioAuth::AuthToken(token) => (account_sid, token),
            TwilioAuth::ApiKey { sid, secret } => (sid, secret),
        }
    }
}

fn default_base_url() -> Url {
    // A literal that parses; the fallback is unreachable but keeps `unwrap` out.
    Url::parse(DEFAULT_BASE_URL).unwrap_or_else(|_| unreachable!("DEFAULT_BASE_URL parses"))
}

fn check_sid(field: &'static str, prefix: &'static str, sid: &str) -> Result<(), ConfigError> {
    let ok = sid.len() == 34
        && sid.starts_with(prefix)
        && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(ConfigError::InvalidSid { field, prefix })
    }
}

fn check_secret(field: &'static str, secret: &str) -> Result<(), ConfigError> {
    if secret.trim().is_empty() {
        Err(ConfigError::EmptySecret { field })
    } else {
        Ok(())
    }
}

const REDACTED: &str = "<redacted>";

impl fmt::Debug for TwilioAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwilioAuth::AuthToken(_) => f.debug_tuple("AuthToken").field(&REDACTED).finish(),
            TwilioAuth::ApiKey { sid, .. } => f
                .debug_struct("ApiKey")
                .field("sid", sid)
                .field("secret", &REDACTED)
                .finish(),
        }
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth", &self.auth)
            .field("sender", &self.sender)
            .field("base_url", &self.base_url.as_str())
            .field("timeout", &self.timeout)
            .field(
                "webhook_auth_token",
                &self.webhook_auth_token.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |secret: &Option<String>| secret.as_ref().map(|_| REDACTED);
        f.debug_struct("TwilioSettings")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &hide(&self.auth_token))
            .field("api_key_sid", &self.api_key_sid)
            .field("api_key_secret", &hide(&self.api_key_secret))
            .field("messaging_service_sid", &self.messaging_service_sid)
            .field("base_url", &self.base_url)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const KEY: &str = "SK0123456789abcdef0123456789abcdef";
    const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

    fn settings(json: &str) -> Result<TwilioSettings, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn an_account_and_auth_token_is_enough() {
        let config = TwilioConfig::from_settings(
            settings(&format!(
                r#"{{"account_sid": "{ACCOUNT}", "auth_token": "tok"}}"#
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(config.account_sid, ACCOUNT);
        assert_eq!(config.auth, TwilioAuth::AuthToken("tok".into()));
        assert_eq!(config.sender, TwilioSender::From);
        assert_eq!(config.base_url.as_str(), "https://api.twilio.com/");
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.signing_token(), Some("tok"));
    }

    #[test]
    fn an_api_key_sends_and_the_auth_token_checks_webhooks() {
        let config = TwilioConfig::from_settings(
            settings(&format!(
                r#"{{"account_sid": "{ACCOUNT}", "api_key_sid": "{KEY}", "api_key_secret": "shh",
                    "auth_token": "tok", "messaging_service_sid": "{SERVICE}",
                    "base_url": "http://127.0.0.1:9999", "timeout_secs": 3}}"#
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            config.auth,
            TwilioAuth::ApiKey {
                sid: KEY.into(),
                secret: "shh".into()
            }
        );
        assert_eq!(config.signing_token(), Some("tok"));
        assert_eq!(
            config.sender,
            TwilioSender::MessagingService(SERVICE.into())
        );
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:9999/");
        assert_eq!(config.timeout, Duration::from_secs(3));
    }

    #[test]
    fn an_api_key_alone_cannot_check_webhooks() {
        let mut config = TwilioConfig::new(
            ACCOUNT,
            TwilioAuth::ApiKey {
                sid: KEY.into(),
                secret: "shh".into(),
            },
        );
        assert_eq!(config.signing_token(), None);
        config.webhook_auth_token = Some("tok".into());
        assert_eq!(config.signing_token(), Some("tok"));
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        let cases: &[(String, &str)] = &[
            (
                format!(r#"{{"account_sid": "{ACCOUNT}"}}"#),
                "MissingCredentials",
            ),
            (
                format!(r#"{{"account_sid": "{ACCOUNT}", "api_key_sid": "{KEY}"}}"#),
                "IncompleteApiKey",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "api_key_secret": "s", "auth_token": "t"}}"#
                ),
                "IncompleteApiKey",
            ),
            (
                r#"{"account_sid": "AC123", "auth_token": "t"}"#.into(),
                "InvalidSid { field: \"account_sid\", prefix: \"AC\" }",
            ),
            (
                format!(r#"{{"account_sid": "{KEY}", "auth_token": "t"}}"#),
                "InvalidSid { field: \"account_sid\", prefix: \"AC\" }",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "api_key_sid": "{ACCOUNT}", "api_key_secret": "s"}}"#
                ),
                "InvalidSid { field: \"api_key_sid\", prefix: \"SK\" }",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "auth_token": "t", "messaging_service_sid": "MG1"}}"#
                ),
                "InvalidSid { field: \"messaging_service_sid\", prefix: \"MG\" }",
            ),
            (
                format!(r#"{{"account_sid": "{ACCOUNT}", "auth_token": "  "}}"#),
                "EmptySecret { field: \"auth_token\" }",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "auth_token": "t", "base_url": "not a url"}}"#
                ),
                "InvalidBaseUrl",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "auth_token": "t", "base_url": "ftp://x"}}"#
                ),
                "UnsupportedBaseUrl",
            ),
            (
                format!(r#"{{"account_sid": "{ACCOUNT}", "auth_token": "t", "timeout_secs": 0}}"#),
                "InvalidTimeout",
            ),
            (
                format!(
                    r#"{{"account_sid": "{ACCOUNT}", "auth_token": "t", "timeout_secs": 121}}"#
                ),
                "InvalidTimeout",
            ),
        ];
        for (json, want) in cases {
            let error = TwilioConfig::from_settings(settings(json).unwrap()).unwrap_err();
            assert!(format!("{error:?}").starts_with(want), "{json}: {error:?}");
            assert!(error.to_string().starts_with("twilio: "), "{error}");
        }
    }

    #[test]
    fn a_misspelt_key_is_an_error() {
        let error = settings(&format!(
            r#"{{"account_sid": "{ACCOUNT}", "auth_tokn": "t"}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("auth_tokn"), "{error}");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let settings = settings(&format!(
            r#"{{"account_sid": "{ACCOUNT}", "api_key_sid": "{KEY}", "api_key_secret": "key-secret",
                "auth_token": "the-token"}}"#
        ))
        .unwrap();
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("key-secret") && !shown.contains("the-token"),
            "{shown}"
        );
        let config = TwilioConfig::from_settings(settings).unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("key-secret") && !shown.contains("the-token"),
            "{shown}"
        );
        assert!(shown.contains(KEY) && shown.contains(ACCOUNT), "{shown}");
        let token = TwilioAuth::AuthToken("the-token".into());
        assert_eq!(format!("{token:?}"), "AuthToken(\"<redacted>\")");
    }

    #[test]
    fn credentials_are_the_account_or_the_key() {
        let token = TwilioAuth::AuthToken("t".into());
        assert_eq!(token.credentials(ACCOUNT), (ACCOUNT, "t"));
        let key = TwilioAuth::ApiKey {
            sid: KEY.into(),
            secret: "s".into(),
        };
        assert_eq!(key.credentials(ACCOUNT), (KEY, "s"));
    }
}
