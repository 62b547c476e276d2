//! A fake of Twilio's create-message call on a local port: it records every text the
//! server sends and answers as Twilio does, with a `201` and a fresh `SM…` sid, or with
//! Twilio's `21610` refusal for numbers that opted out at the carrier. It can take a
//! little while over each text, as the real API does, so that a worker killed mid-batch
//! is likely to be killed with a call in flight.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

/// One create-message call as the fake received it.
#[derive(Debug, Clone)]
pub(crate) struct SentText {
    pub(crate) account_sid: String,
    pub(crate) to: String,
    pub(crate) from: String,
    pub(crate) body: String,
    pub(crate) status_callback: Option<String>,
    /// The `Authorization` header, verbatim.
    pub(crate) authorization: Option<String>,
    /// The sid the fake answered with; `None` when it refused the text.
    pub(crate) sid: Option<String>,
    /// When the fake received the call (before its delay).
    pub(crate) received_at: Instant,
}

#[derive(Default)]
struct Recorded {
    texts: Vec<SentText>,
    /// `To` numbers answered with this Twilio error code.
    refuse: HashMap<String, u32>,
    /// How long each call takes before it is answered.
    delay: Duration,
}

/// The running fake. It stops with the test's runtime.
pub(crate) struct FakeTwilio {
    addr: SocketAddr,
    state: Arc<Mutex<Recorded>>,
}

fn lock(state: &Mutex<Recorded>) -> MutexGuard<'_, Recorded> {
    // A panicking test thread must not hide the texts from the next assertion.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn create_message(
    State(state): State<Arc<Mutex<Recorded>>>,
    Path(account_sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let received_at = Instant::now();
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    // The lock is taken and released in this block, never held across the delay.
    let (sid, refusal, delay) = {
        let mut recorded = lock(&state);
        let to = field("To").unwrap_or_default();
        let refusal = recorded.refuse.get(&to).copied();
        let sid = refusal
            .is_none()
            // `f` first, so these never collide with the `SM…` sids of inbound texts.
            .then(|| format!("SMf{:031x}", recorded.texts.len() + 1));
        recorded.texts.push(SentText {
            account_sid,
            to,
            from: field("From").unwrap_or_default(),
            body: field("Body").unwrap_or_default(),
            status_callback: field("StatusCallback"),
            authorization: headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            sid: sid.clone(),
            received_at,
        });
        (sid, refusal, recorded.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match (sid, refusal) {
        (Some(sid), _) => (
            StatusCode::CREATED,
            Json(json!({ "sid": sid, "status": "queued" })),
        )
            .into_response(),
        (None, code) => (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "code": code,
                "message": "Attempt to send to unsubscribed recipient",
                "more_info": format!("https://www.twilio.com/docs/errors/{}", code.unwrap_or(0)),
                "status": 400,
            })),
        )
            .into_response(),
    }
}

impl FakeTwilio {
    /// Starts the fake on a free port of 127.0.0.1.
    pub(crate) async fn start() -> FakeTwilio {
        let state = Arc::new(Mutex::new(Recorded::default()));
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account_sid}/Messages.json",
                post(create_message),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the fake Twilio binds a port");
        let addr = listener
            .local_addr()
            .expect("the fake Twilio has an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeTwilio { addr, state }
    }

    /// What to give the server as `CASEWIRE_TWILIO_BASE_URL`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every text received so far, oldest first.
    pub(crate) fn texts(&self) -> Vec<SentText> {
        lock(&self.state).texts.clone()
    }

    /// How many texts were received so far.
    pub(crate) fn count(&self) -> usize {
        lock(&self.state).texts.len()
    }

    /// From now on, take `delay` over each call before answering.
    pub(crate) fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    /// From now on, refuse texts to `to` (E.164) with Twilio's `code`.
    pub(crate) fn refuse(&self, to: &str, code: u32) {
        lock(&self.state).refuse.insert(to.to_owned(), code);
    }
}
