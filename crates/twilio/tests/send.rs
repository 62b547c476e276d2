//! The real Twilio adapter against a local fake of Twilio's Messages API: what it
//! sends, and how it reads each kind of answer Twilio gives.
#![allow(clippy::unwrap_used)]

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use casewire_model::PhoneNumber;
use casewire_provider::{
    DeliveryStatus, OutboundMessage, Provider, SendAction, SendError, SendReceipt,
};
use casewire_twilio::{TwilioAuth, TwilioConfig, TwilioProvider, TwilioSender};
use url::Url;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "auth-token-for-tests";
const KEY: &str = "SK0123456789abcdef0123456789abcdef";
const KEY_SECRET: &str = "key-secret-for-tests";
const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";
const SID: &str = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

/// How the fake answers a request that authenticated.
#[derive(Clone)]
enum Answer {
    /// 201 with a message resource in this status.
    Created(&'static str),
    /// A Twilio error document.
    Error {
        status: u16,
        code: u32,
        message: &'static str,
        retry_after: Option<&'static str>,
    },
    /// Any status and body.
    Raw(u16, &'static str),
    /// Never answers.
    Hang,
}

/// One request the fake received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    content_type: Option<String>,
    form: Vec<(String, String)>,
    peer: SocketAddr,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct FakeTwilio {
    answer: Answer,
    /// The `Authorization` header Twilio would accept.
    expected_auth: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn twilio_error(status: u16, code: u32, message: &str) -> String {
    format!(
        r#"{{"code": {code}, "message": "{message}", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
    )
}

async fn handle(
    State(fake): State<FakeTwilio>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    fake.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form,
        peer,
    });
    let json = |status: u16, body: String| {
        (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if authorization != Some(fake.expected_auth.as_str()) {
        return json(401, twilio_error(401, 20003, "Authenticate"));
    }
    if uri.path() != MESSAGES_PATH {
        return json(
            404,
            twilio_error(404, 20404, "The requested resource was not found"),
        );
    }
    match fake.answer {
        Answer::Created(status) => json(
            201,
            format!(
                r#"{{"sid": "{SID}", "status": "{status}", "account_sid": "{ACCOUNT}", "error_code": null, "error_message": null, "num_segments": "1"}}"#
            ),
        ),
        Answer::Error {
            status,
            code,
            message,
            retry_after,
        } => {
            let mut response = json(status, twilio_error(status, code, message));
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(wait));
            }
            response
        }
        Answer::Raw(status, body) => json(status, body.to_owned()),
        Answer::Hang => std::future::pending().await,
    }
}

/// A fake Twilio on a free local port, answering every request with `answer`.
struct Fake {
    base_url: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    async fn start(answer: Answer, expected_auth: String) -> Fake {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = FakeTwilio {
            answer,
            expected_auth,
            seen: seen.clone(),
        };
        let app = Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Fake {
            base_url: Url::parse(&format!("http://{address}")).unwrap(),
            seen,
        }
    }

    /// A fake accepting the account's auth token.
    async fn answering(answer: Answer) -> Fake {
        Fake::start(answer, basic(ACCOUNT, TOKEN)).await
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn config(&self) -> TwilioConfig {
        config_for(self.base_url.clone())
    }

    fn provider(&self) -> TwilioProvider {
        TwilioProvider::new(self.config()).unwrap()
    }
}

fn config_for(base_url: Url) -> TwilioConfig {
    let mut config = TwilioConfig::new(ACCOUNT, TwilioAuth::AuthToken(TOKEN.into()));
    config.base_url = base_url;
    config
}

fn text(body: &str) -> OutboundMessage {
    OutboundMessage::new(
        PhoneNumber::parse_e164("+14155550100").unwrap(),
        PhoneNumber::parse_e164("+13125550134").unwrap(),
        body,
    )
}

async fn send_answered_by(answer: Answer) -> Result<SendReceipt, SendError> {
    let fake = Fake::answering(answer).await;
    fake.provider().send(&text("Hello")).await
}

fn twilio(status: u16, code: u32, message: &'static str) -> Answer {
    Answer::Error {
        status,
        code,
        message,
        retry_after: None,
    }
}

#[tokio::test]
async fn a_text_is_posted_to_the_accounts_messages_with_basic_auth() {
    let fake = Fake::answering(Answer::Created("queued")).await;
    let receipt = fake
        .provider()
        .send(&text("Your 341 meeting is Friday at 9:00 & bring ID = ✓"))
        .await
        .unwrap();

    assert_eq!(receipt.provider_id.as_str(), SID);
    assert_eq!(receipt.status, DeliveryStatus::Queued);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, MESSAGES_PATH);
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.form,
        [
            ("To".to_owned(), "+13125550134".to_owned()),
            ("From".to_owned(), "+14155550100".to_owned()),
            (
                "Body".to_owned(),
                "Your 341 meeting is Friday at 9:00 & bring ID = ✓".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_messaging_service_sends_instead_of_the_from_number_and_status_comes_back() {
    let fake = Fake::answering(Answer::Created("accepted")).await;
    let mut config = fake.config();
    config.sender = TwilioSender::MessagingService(SERVICE.into());
    let provider = TwilioProvider::new(config).unwrap();
    let mut message = text("Hello");
    message.status_callback = Some("https://casewire.smithlaw.com/webhooks/twilio/status".into());

    let receipt = provider.send(&message).await.unwrap();

    assert_eq!(receipt.status, DeliveryStatus::Accepted);
    let request = &fake.seen()[0];
    assert_eq!(request.field("MessagingServiceSid"), Some(SERVICE));
    assert_eq!(request.field("From"), None);
    assert_eq!(
        request.field("StatusCallback"),
        Some("https://casewire.smithlaw.com/webhooks/twilio/status")
    );
}

#[tokio::test]
async fn an_api_key_authenticates_for_the_account() {
    let fake = Fake::start(Answer::Created("queued"), basic(KEY, KEY_SECRET)).await;
    let mut config = fake.config();
    config.auth = TwilioAuth::ApiKey {
        sid: KEY.into(),
        secret: KEY_SECRET.into(),
    };
    let receipt = TwilioProvider::new(config)
        .unwrap()
        .send(&text("Hello"))
        .await
        .unwrap();
    assert_eq!(receipt.provider_id.as_str(), SID);
    assert_eq!(fake.seen()[0].path, MESSAGES_PATH);
}

#[tokio::test]
async fn a_wrong_auth_token_is_unauthorized() {
    let fake = Fake::start(Answer::Created("queued"), basic(ACCOUNT, "the real token")).await;
    let error = fake.provider().send(&text("Hello")).await.unwrap_err();
    assert_eq!(
        error,
        SendError::Unauthorized {
            message: "Authenticate (https://www.twilio.com/docs/errors/20003)".into()
        }
    );
    assert_eq!(error.action(), SendAction::Fail);
}

#[tokio::test]
async fn a_status_twilio_adds_later_reads_as_queued() {
    let receipt = send_answered_by(Answer::Created("some_new_status"))
        .await
        .unwrap();
    assert_eq!(receipt.status, DeliveryStatus::Queued);
}

#[tokio::test]
async fn an_opted_out_client_is_marked_opted_out() {
    let error = send_answered_by(twilio(
        400,
        21610,
        "Attempt to send to unsubscribed recipient",
    ))
    .await
    .unwrap_err();
    assert_eq!(error, SendError::RecipientOptedOut { code: Some(21610) });
    assert_eq!(error.action(), SendAction::MarkOptedOut);
}

#[tokio::test]
async fn an_invalid_or_unreachable_number_is_an_invalid_recipient() {
    for (code, words) in [
        (21211, "Invalid 'To' Phone Number"),
        (21214, "'To' phone number cannot be reached"),
        (21217, "Phone number does not appear to be valid"),
        (
            21408,
            "Permission to send an SMS has not been enabled for the region",
        ),
        (
            21612,
            "The 'To' phone number is not currently reachable via SMS",
        ),
        (21614, "'To' number is not a valid mobile number"),
    ] {
        let error = send_answered_by(twilio(400, code, words))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            SendError::InvalidRecipient {
                code: Some(code),
                message: format!("{words} (https://www.twilio.com/docs/errors/{code})"),
            }
        );
    }
}

#[tokio::test]
async fn any_other_refusal_is_permanent_with_twilios_code_and_words() {
    let error = send_answered_by(twilio(
        400,
        21606,
        "The From phone number is not a valid, SMS-capable inbound phone number",
    ))
    .await
    .unwrap_err();
    assert_eq!(error.reason_code(), "permanent");
    assert_eq!(error.code(), Some(21606));
    assert!(error.to_string().contains("SMS-capable"), "{error}");
    assert_eq!(error.action(), SendAction::Fail);
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_twilio_asks() {
    let error = send_answered_by(Answer::Error {
        status: 429,
        code: 20429,
        message: "Too Many Requests",
        retry_after: Some("7"),
    })
    .await
    .unwrap_err();
    assert_eq!(
        error,
        SendError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(
        error.action(),
        SendAction::Retry {
            after: Some(Duration::from_secs(7))
        }
    );
}

#[tokio::test]
async fn a_server_error_may_have_sent_the_text() {
    for answer in [
        twilio(500, 20500, "Internal Server Error"),
        Answer::Raw(502, "<html>Bad Gateway</html>"),
        Answer::Error {
            status: 503,
            code: 20503,
            message: "Service Unavailable",
            retry_after: Some("5"),
        },
        Answer::Raw(504, ""),
    ] {
        let error = send_answered_by(answer).await.unwrap_err();
        assert_eq!(error.reason_code(), "uncertain", "{error}");
        assert_eq!(error.action(), SendAction::RetryOnlyIfDuplicatesAcceptable);
        assert!(error.to_string().contains("may have accepted"), "{error}");
    }
}

#[tokio::test]
async fn a_success_without_a_sid_may_have_sent_the_text() {
    let error = send_answered_by(Answer::Raw(201, "not json"))
        .await
        .unwrap_err();
    assert_eq!(error.action(), SendAction::RetryOnlyIfDuplicatesAcceptable);
}

#[tokio::test]
async fn no_answer_within_the_timeout_may_have_sent_the_text() {
    let fake = Fake::answering(Answer::Hang).await;
    let mut config = fake.config();
    config.timeout = Duration::from_millis(300);
    let error = TwilioProvider::new(config)
        .unwrap()
        .send(&text("Hello"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        SendError::Uncertain {
            message: "no answer from Twilio within 300ms; Twilio may have accepted the message"
                .into()
        }
    );
    // The request did reach the fake: this is the case where a retry could send twice.
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_closed_port_means_nothing_was_sent() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let provider = TwilioProvider::new(config_for(
        Url::parse(&format!("http://{address}")).unwrap(),
    ))
    .unwrap();
    let error = provider.send(&text("Hello")).await.unwrap_err();
    assert_eq!(error.reason_code(), "transient", "{error}");
    assert_eq!(error.action(), SendAction::Retry { after: None });
    assert!(error.to_string().contains("could not connect"), "{error}");
}

#[tokio::test]
async fn sends_share_one_connection() {
    let fake = Fake::answering(Answer::Created("queued")).await;
    let provider = fake.provider();
    for body in ["one", "two", "three"] {
        provider.send(&text(body)).await.unwrap();
    }
    let peers: Vec<SocketAddr> = fake.seen().iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 3);
    assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
}

#[tokio::test]
async fn the_provider_is_named_twilio_and_works_behind_an_arc() {
    let fake = Fake::answering(Answer::Created("queued")).await;
    let provider: Arc<dyn Provider> = Arc::new(fake.provider());
    assert_eq!(provider.name(), "twilio");
    assert!(provider.send(&text("Hello")).await.is_ok());
}
