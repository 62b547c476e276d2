//! New replies and status changes without a reload: a server-sent event stream per case
//! that polls the store about once a second for messages newer than the last one sent,
//! or changed since. Polling the database (rather than an in-process channel) works
//! across processes, with several servers on one PostgreSQL.

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    Extension,
    extract::{Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use casewire_app::AppError;
use casewire_model::{Case, CaseId};
use chrono::{DateTime, TimeZone, Utc};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use super::{
    Staff, WebError, WebPath,
    cases::{ThreadContext, message_item},
};
use crate::AppState;

/// How often a stream looks for new messages.
const POLL: Duration = Duration::from_secs(1);
/// How many of the newest messages each poll reads.
const WINDOW: u32 = 50;

/// Ends the dashboard's live streams when the server shuts down: an event stream never
/// ends by itself, and a graceful shutdown waits for every open answer.
#[derive(Debug, Clone)]
pub struct LiveStreams {
    stop: watch::Sender<bool>,
}

impl Default for LiveStreams {
    fn default() -> Self {
        LiveStreams {
            stop: watch::channel(false).0,
        }
    }
}

impl LiveStreams {
    /// Ends every open stream (browsers reconnect to whichever server is up).
    pub fn close(&self) {
        self.stop.send_replace(true);
    }
}

#[derive(Deserialize)]
pub(crate) struct LiveQuery {
    after: Option<i64>,
    since: Option<i64>,
}

struct Cursor {
    state: AppState,
    staff: Staff,
    case: Case,
    ctx: ThreadContext,
    after: i64,
    since: DateTime<Utc>,
    stop: watch::Receiver<bool>,
    pending: VecDeque<Event>,
    first: bool,
}

impl Cursor {
    /// Reads what is new; `Ok(false)` when the session has ended.
    async fn poll(&mut self) -> Result<bool, WebError> {
        let firm = self.staff.firm();
        if self
            .state
            .app
            .staff_session(&self.staff.token)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let mut messages = self
            .state
            .app
            .store()
            .thread(firm, self.case.id, None, WINDOW)
            .await
            .map_err(AppError::from)?;
        messages.retain(|m| m.id.get() > self.after || m.updated_at > self.since);
        if messages.is_empty() {
            return Ok(true);
        }
        messages.sort_by_key(|m| m.id);
        if !self.ctx.knows_senders(&messages) {
            self.ctx = ThreadContext::load(&self.state, firm, &self.case).await?;
        }
        for m in &messages {
            self.after = self.after.max(m.id.get());
            self.since = self.since.max(m.updated_at);
            let data =
                json!({ "id": m.id.get(), "html": message_item(m, &self.ctx).into_string() });
            self.pending.push_back(
                Event::default()
                    .id(self.after.to_string())
                    .data(data.to_string()),
            );
        }
        Ok(true)
    }
}

/// `GET /cases/{id}/live?after=&since=`: the case's thread as it changes. `after` is the
/// last message id the page shows (or the `Last-Event-ID` of a reconnecting browser),
/// `since` the page's time in milliseconds: messages changed after it are sent again.
pub(crate) async fn stream(
    State(state): State<AppState>,
    staff: Staff,
    WebPath(case_id): WebPath<i64>,
    Query(query): Query<LiveQuery>,
    Extension(live): Extension<LiveStreams>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, WebError> {
    let firm = staff.firm();
    let case = state.app.case(firm, CaseId::new(case_id)).await?;
    let ctx = ThreadContext::load(&state, firm, &case).await?;
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let after = query.after.unwrap_or(0).max(last_event.unwrap_or(0));
    let since = query
        .since
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(|| state.app.now());
    let stop = live.stop.subscribe();
    let cursor = Cursor {
        state,
        staff,
        case,
        ctx,
        after,
        since,
        stop,
        pending: VecDeque::new(),
        first: true,
    };
    let events = futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(event) = cursor.pending.pop_front() {
                return Some((Ok(event), cursor));
            }
            if *cursor.stop.borrow() {
                return None;
            }
            if !cursor.first {
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    changed = cursor.stop.changed() => {
                        if changed.is_err() || *cursor.stop.borrow() {
                            return None;
                        }
                    }
                }
            }
            cursor.first = false;
            // An ended session or a failed read (already logged) ends the stream; the
            // browser reconnects and is sent to sign in if need be.
            if !matches!(cursor.poll().await, Ok(true)) {
                return None;
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
