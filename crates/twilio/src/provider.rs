//! [`TwilioProvider`]: sends one text with Twilio's create-message call and turns every
//! way that call can end into a receipt or a [`SendError`] that says what to do.

use std::{fmt, time::Duration};

use async_trait::async_trait;
use casewire_provider::{OutboundMessage, Provider, SendError, SendReceipt};
use reqwest::{Client, header::RETRY_AFTER, redirect};
use url::Url;

use crate::{
    TwilioAuth, TwilioConfig, TwilioSender,
    answer::{receipt, refusal, retry_after},
    config::ConfigError,
};

/// Sends texts through Twilio's Messages API.
///
/// One HTTP client (and so one connection pool) serves every send; share the provider
/// as `Arc<dyn Provider>` rather than building one per message. Every call is bounded
/// by [`TwilioConfig::timeout`]. Redirects are not followed: a create must not be
/// replayed somewhere else.
///
/// See the crate documentation for how Twilio's answers map to [`SendError`]s, and which
/// of them mean the text may have been sent.
///
/// ```no_run
/// use std::sync::Arc;
/// use casewire_provider::{OutboundMessage, Provider};
/// use casewire_model::PhoneNumber;
/// use casewire_twilio::{TwilioAuth, TwilioConfig, TwilioProvider};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = TwilioConfig::new(
///     "AC0123456789abcdef0123456789abcdef",
///     TwilioAuth::AuthToken("your-auth-token".into()),
/// );
/// let provider: Arc<dyn Provider> = Arc::new(TwilioProvider::new(config)?);
/// let text = OutboundMessage::new(
///     PhoneNumber::parse_e164("+14155550100")?,
///     PhoneNumber::parse_e164("+13125550134")?,
///     "Your meeting of creditors is tomorrow at 9:00 am.",
/// );
/// let receipt = provider.send(&text).await?;
/// println!("Twilio calls it {}", receipt.provider_id);
/// # Ok(())
/// # }
/// ```
pub struct TwilioProvider {
    client: Client,
    /// `{base}/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    endpoint: Url,
    account_sid: String,
    auth: TwilioAuth,
    sender: TwilioSender,
    timeout: Duration,
}

impl TwilioProvider {
    /// Checks `config` ([`TwilioConfig::validate`]) and builds the HTTP client.
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let TwilioConfig {
            account_sid,
            auth,
            sender,
            base_url,
            timeout,
            webhook_auth_token: _,
        } = config;
        let mut endpoint = base_url.clone();
        endpoint
            .path_segments_mut()
            .map_err(|()| ConfigError::UnsupportedBaseUrl(base_url.to_string()))?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &account_sid, "Messages.json"]);
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirect::Policy::none())
            .user_agent(concat!("casewire-twilio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::HttpClient)?;
        Ok(TwilioProvider {
            client,
            endpoint,
            account_sid,
            auth,
            sender,
            timeout,
        })
    }

    /// The URL texts are posted to.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    fn form<'a>(&'a self, message: &'a OutboundMessage) -> Vec<(&'static str, &'a str)> {
        let mut form = vec![("To", message.to.as_e164())];
        match &self.sender {
            TwilioSender::From => form.push(("From", message.from.as_e164())),
            TwilioSender::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
        }
        form.push(("Body", &message.body));
        if let Some(callback) = &message.status_callback {
            form.push(("StatusCallback", callback));
        }
        form
    }

    /// The error for a request that got no HTTP answer.
    fn unanswered(&self, error: &reqwest::Error) -> SendError {
        // `is_connect` covers refused connections, DNS failures and connect timeouts:
        // the request was never written, so nothing can have been sent.
        if error.is_connect() {
            return SendError::Transient {
                retry_after: None,
                code: None,
                message: format!("could not connect to Twilio: {}", chain(error)),
            };
        }
        if error.is_builder() {
            return SendError::Permanent {
                code: None,
                message: format!("could not build the request to Twilio: {}", chain(error)),
            };
        }
        if error.is_timeout() {
            return SendError::Uncertain {
                message: format!(
                    "no answer from Twilio within {:?}; Twilio may have accepted the message",
                    self.timeout
                ),
            };
        }
        // The connection broke after the request went out, or the answer was cut off.
        SendError::Uncertain {
            message: format!(
                "the request to Twilio failed after it was sent ({}); Twilio may have \
                 accepted the message",
                chain(error)
            ),
        }
    }
}

/// An error and its causes on one line, for people reading a failed message.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl Provider for TwilioProvider {
    fn name(&self) -> &str {
        "twilio"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        let (user, password) = self.auth.credentials(&self.account_sid);
        let answer = self
            .client
            .post(self.endpoint.clone())
            .basic_auth(user, Some(password))
            .form(&self.form(message))
            .send()
            .await
            .map_err(|error| self.unanswered(&error))?;

        let status = answer.status().as_u16();
        let wait = retry_after(
            answer
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok()),
        );
        let body = answer.bytes().await;
        let result = if (200..300).contains(&status) {
            // A cut-off success is still a success at Twilio.
            let body = body.map_err(|error| self.unanswered(&error))?;
            receipt(status, &body)
        } else {
            Err(refusal(status, wait, body.as_deref().unwrap_or_default()))
        };
        match &result {
            Ok(receipt) => tracing::debug!(
                to = %message.to.masked(),
                sid = %receipt.provider_id,
                status = %receipt.status,
                "twilio accepted a text"
            ),
            Err(error) => tracing::debug!(
                to = %message.to.masked(),
                http_status = status,
                reason = error.reason_code(),
                code = ?error.code(),
                "twilio did not accept a text"
            ),
        }
        result
    }
}

impl fmt::Debug for TwilioProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioProvider")
            .field("endpoint", &self.endpoint.as_str())
            .field("auth", &self.auth)
            .field("sender", &self.sender)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use casewire_model::PhoneNumber;

    use super::*;

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

    fn provider(base: &str, sender: TwilioSender) -> TwilioProvider {
        let mut config = TwilioConfig::new(ACCOUNT, TwilioAuth::AuthToken("secret".into()));
        config.base_url = Url::parse(base).unwrap();
        config.sender = sender;
        TwilioProvider::new(config).unwrap()
    }

    fn text() -> OutboundMessage {
        OutboundMessage::new(
            PhoneNumber::parse_e164("+14155550100").unwrap(),
            PhoneNumber::parse_e164("+13125550134").unwrap(),
            "Hello",
        )
    }

    #[test]
    fn the_endpoint_is_the_accounts_messages_resource() {
        let twilio = provider("https://api.twilio.com", TwilioSender::From);
        assert_eq!(
            twilio.endpoint().as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
        let behind_a_prefix = provider("http://127.0.0.1:8080/fake/", TwilioSender::From);
        assert_eq!(
            behind_a_prefix.endpoint().as_str(),
            "http://127.0.0.1:8080/fake/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
    }

    #[test]
    fn the_form_names_the_sender_twilio_should_use() {
        let mut message = text();
        let twilio = provider("https://api.twilio.com", TwilioSender::From);
        assert_eq!(
            twilio.form(&message),
            [
                ("To", "+13125550134"),
                ("From", "+14155550100"),
                ("Body", "Hello")
            ]
        );
        let service = "MG0123456789abcdef0123456789abcdef";
        let twilio = provider(
            "https://api.twilio.com",
            TwilioSender::MessagingService(service.into()),
        );
        message.status_callback = Some("https://firm.example/webhooks/twilio/status".into());
        assert_eq!(
            twilio.form(&message),
            [
                ("To", "+13125550134"),
                ("MessagingServiceSid", service),
                ("Body", "Hello"),
                (
                    "StatusCallback",
                    "https://firm.example/webhooks/twilio/status"
                )
            ]
        );
    }

    #[test]
    fn a_bad_configuration_builds_no_provider() {
        let mut config = TwilioConfig::new("AC1", TwilioAuth::AuthToken("secret".into()));
        assert!(matches!(
            TwilioProvider::new(config.clone()),
            Err(ConfigError::InvalidSid { .. })
        ));
        config.account_sid = ACCOUNT.into();
        config.timeout = Duration::ZERO;
        assert!(matches!(
            TwilioProvider::new(config),
            Err(ConfigError::InvalidTimeout)
        ));
    }

    #[test]
    fn debug_shows_no_secret() {
        let twilio = provider("https://api.twilio.com", TwilioSender::From);
        let shown = format!("{twilio:?}");
        assert!(!shown.contains("\"secret\""), "{shown}");
        assert!(shown.contains("Messages.json"), "{shown}");
    }
}
