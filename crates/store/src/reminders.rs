//! Scheduled reminders: an outbox keyed by the planner's deterministic reminder key.
//!
//! States: `pending` → `claimed` (a worker holds a lease) → `sent` | `failed` |
//! `skipped` (the send gate said no at send time) | back to `pending` (retry, deferral,
//! released lease); `pending` → `cancelled` (re-planned away; a later plan with the same
//! key revives it). Sent, failed and skipped reminders are never sent again.
//!
//! Claiming is one statement: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so any
//! number of workers never claim one row twice; on SQLite the database's single writer
//! gives the same guarantee. A claim whose lease expired (its worker died) is claimable
//! again.

use std::{collections::HashMap, time::Duration};

use casewire_model::{CaseId, DebtorId, EventId, FirmId, MessageId, PhoneNumber};
use casewire_provider::DeliveryStatus;
use casewire_scheduler::{PlannedReminder, ReminderKey, ReminderSource};
use chrono::{DateTime, Utc};

use crate::{
    Backend, NewOutbound, Result, SendAnswer, Store, StoreError, corrupt, from_ms,
    messages::{record_answers_in, status_history_in, touch_cases_in},
    ms, on_pool, on_write_pool,
};

/// Where a reminder is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderState {
    /// Waiting for its time (or for a retry or the end of quiet hours).
    Pending,
    /// Held by a worker under a lease.
    Claimed,
    /// Handed to the provider.
    Sent,
    /// Gave up: a permanent provider error, or too many transient ones.
    Failed,
    /// Re-planned away (event moved or cancelled, reminders switched off, opt-out).
    Cancelled,
    /// The send gate refused it at send time.
    Skipped,
}

impl ReminderState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderState::Pending => "pending",
            ReminderState::Claimed => "claimed",
            ReminderState::Sent => "sent",
            ReminderState::Failed => "failed",
            ReminderState::Cancelled => "cancelled",
            ReminderState::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            ReminderState::Pending,
            ReminderState::Claimed,
            ReminderState::Sent,
            ReminderState::Failed,
            ReminderState::Cancelled,
            ReminderState::Skipped,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

/// A stored reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderRecord {
    /// Row id.
    pub id: i64,
    /// Its firm.
    pub firm_id: FirmId,
    /// Its case.
    pub case_id: CaseId,
    /// Its event.
    pub event_id: EventId,
    /// The planner's key.
    pub key: ReminderKey,
    /// Recipe or per-event offset.
    pub source: ReminderSource,
    /// The debtor it goes to.
    pub debtor_id: DebtorId,
    /// The number it goes to.
    pub to: PhoneNumber,
    /// The rendered text.
    pub body: String,
    /// When it was planned to go out.
    pub send_at: DateTime<Utc>,
    /// The event start it was planned for (a moved event no longer matches).
    pub event_starts_at: DateTime<Utc>,
    /// Its state.
    pub state: ReminderState,
    /// When it is next due (later than `send_at` after a deferral or retry).
    pub due_at: DateTime<Utc>,
    /// Send attempts made.
    pub attempts: u32,
    /// Why it was cancelled, skipped, failed or deferred.
    pub reason: Option<String>,
    /// The message it was sent as.
    pub message_id: Option<MessageId>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// While claimed, until when the claim holds.
    pub lease_until: Option<DateTime<Utc>>,
}

/// A reminder claimed by a worker.
pub type ClaimedReminder = ReminderRecord;

/// What re-planning a case changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// New reminders, and cancelled ones planned again.
    pub scheduled: u64,
    /// Pending reminders whose time or text changed.
    pub updated: u64,
    /// Pending reminders no longer in the plan.
    pub cancelled: u64,
}

/// How a claimed reminder ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ReminderOutcome {
    /// Handed to the provider as this message.
    Sent {
        /// The thread message.
        message_id: MessageId,
    },
    /// Try again at `at` (a transient provider error).
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What went wrong.
        reason: String,
    },
    /// Not before `until` (quiet hours, the number's send rate), without counting an
    /// attempt.
    Defer {
        /// When.
        until: DateTime<Utc>,
        /// Why (`quiet_hours`, `rate_limited`).
        reason: &'static str,
    },
    /// The gate refused it at send time.
    Skipped {
        /// Why (a stable code such as `opted_out`).
        reason: String,
    },
    /// It is no longer valid (event moved or cancelled).
    Cancelled {
        /// Why.
        reason: String,
    },
    /// It failed for good.
    Failed {
        /// Why.
        reason: String,
        /// The thread message recording the failure, if one was made.
        message_id: Option<MessageId>,
    },
}

/// A claimed reminder whose work is done: how it ended and, when it was sent, the
/// provider's answer for its thread message.
#[derive(Debug, Clone)]
pub struct FinishedReminder<'a> {
    /// The reminder.
    pub id: i64,
    /// How it ended.
    pub outcome: &'a ReminderOutcome,
    /// The provider's answer, when it was handed to the provider.
    pub answer: Option<SendAnswer<'a>>,
}

/// A claimed reminder about to be handed to the provider, with its thread message.
#[derive(Debug, Clone)]
pub struct StartingReminder<'a> {
    /// The reminder.
    pub id: i64,
    /// Until when the worker's claim holds, as it last knew (from the claim): a claim
    /// with less than half a lease left is renewed before the send.
    pub lease_until: DateTime<Utc>,
    /// Its key (the message carries it).
    pub key: &'a str,
    /// Its firm.
    pub firm: FirmId,
    /// The thread message to record; `refusal` and `reminder_key` are ignored.
    pub message: NewOutbound<'a>,
}

/// One durable step of a worker: see [`Store::commit_reminder_wave`].
#[derive(Debug, Clone, Copy)]
pub struct ReminderWave<'a> {
    /// Reminders finished since the previous step.
    pub finished: &'a [FinishedReminder<'a>],
    /// Reminders to be sent next.
    pub starting: &'a [StartingReminder<'a>],
}

/// What a [`ReminderWave`] step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveCommitted {
    /// For each finished reminder, whether the worker still held it (`false`: its
    /// lease ran out and another worker took it; nothing was written for it).
    pub finished: Vec<bool>,
    /// For each starting reminder, whether it may be sent now.
    pub started: Vec<Start>,
}

/// Whether a starting reminder may be sent, as its step's transaction found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Yes: its thread message is recorded.
    Send(MessageId),
    /// No: the number opted out since the worker's checks (the reminder is still
    /// claimed; the worker finishes it as skipped).
    OptedOut,
    /// No: the claim is no longer the worker's (another worker took it, or may).
    NotOurs,
}

/// How a [`ReminderOutcome`] is stored.
struct OutcomeColumns<'a> {
    state: &'static str,
    due: Option<i64>,
    attempt: i64,
    reason: Option<&'a str>,
    message_id: Option<i64>,
}

impl<'a> OutcomeColumns<'a> {
    fn of(outcome: &'a ReminderOutcome) -> Self {
        let (state, due, attempt, reason, message_id) = match outcome {
            ReminderOutcome::Sent { message_id } => ("sent", None, 1, None, Some(message_id.get())),
            ReminderOutcome::Retry { at, reason } => {
                ("pending", Some(ms(*at)), 1, Some(reason.as_str()), None)
            }
            ReminderOutcome::Defer { until, reason } => {
                ("pending", Some(ms(*until)), 0, Some(*reason), None)
            }
            ReminderOutcome::Skipped { reason } => {
                ("skipped", None, 0, Some(reason.as_str()), None)
            }
            ReminderOutcome::Cancelled { reason } => {
                ("cancelled", None, 0, Some(reason.as_str()), None)
            }
            ReminderOutcome::Failed { reason, message_id } => (
                "failed",
                None,
                1,
                Some(reason.as_str()),
                message_id.map(MessageId::get),
            ),
        };
        OutcomeColumns {
            state,
            due,
            attempt,
            reason,
            message_id,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReminderRow {
    id: i64,
    firm_id: i64,
    case_id: i64,
    event_id: i64,
    reminder_key: String,
    source_json: String,
    debtor_id: i64,
    to_number: String,
    body: String,
    send_at_ms: i64,
    event_starts_ms: i64,
    state: String,
    due_ms: i64,
    attempts: i64,
    reason: Option<String>,
    message_id: Option<i64>,
    updated_ms: i64,
    lease_until_ms: Option<i64>,
}

const REMINDER_COLUMNS: &str = "id, firm_id, case_id, event_id, reminder_key, source_json, debtor_id, \
    to_number, body, send_at_ms, event_starts_ms, state, due_ms, attempts, reason, message_id, updated_ms, \
    lease_until_ms";

impl ReminderRow {
    fn into_record(self) -> Result<ReminderRecord> {
        Ok(ReminderRecord {
            id: self.id,
            firm_id: FirmId::new(self.firm_id),
            case_id: CaseId::new(self.case_id),
            event_id: EventId::new(self.event_id),
            key: ReminderKey::parse(&self.reminder_key)
                .map_err(|e| corrupt("reminders", "reminder_key", e))?,
            source: serde_json::from_str(&self.source_json)
                .map_err(|e| corrupt("reminders", "source_json", e))?,
            debtor_id: DebtorId::new(self.debtor_id),
            to: PhoneNumber::parse_e164(&self.to_number)
                .map_err(|e| corrupt("reminders", "to_number", e))?,
            body: self.body,
            send_at: from_ms("reminders", "send_at_ms", self.send_at_ms)?,
            event_starts_at: from_ms("reminders", "event_starts_ms", self.event_starts_ms)?,
            state: ReminderState::parse(&self.state)
                .ok_or_else(|| corrupt("reminders", "state", &self.state))?,
            due_at: from_ms("reminders", "due_ms", self.due_ms)?,
            attempts: u32::try_from(self.attempts)
                .map_err(|e| corrupt("reminders", "attempts", e))?,
            reason: self.reason,
            message_id: self.message_id.map(MessageId::new),
            updated_at: from_ms("reminders", "updated_ms", self.updated_ms)?,
            lease_until: self
                .lease_until_ms
                .map(|v| from_ms("reminders", "lease_until_ms", v))
                .transpose()?,
        })
    }
}

/// Cancels, inside an open transaction, every pending reminder of the firm to a
/// number (after an opt-out). Evaluates to the count.
macro_rules! cancel_for_number_in {
    ($tx:expr, $firm:expr, $number:expr, $reason:expr, $now:expr) => {
        async {
            let done = sqlx::query(
                "UPDATE reminders SET state = 'cancelled', reason = $1, updated_ms = $2
                 WHERE firm_id = $3 AND to_number = $4 AND state = 'pending'",
            )
            .bind($reason)
            .bind($crate::ms($now))
            .bind($firm.get())
            .bind($number.as_e164())
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            Ok::<u64, $crate::StoreError>(done)
        }
        .await
    };
}
pub(crate) use cancel_for_number_in;

impl Store {
    /// Brings a case's stored reminders in line with a fresh plan of the whole case, in
    /// one transaction:
    /// - a planned reminder with a new key is scheduled; one whose key was cancelled
    ///   earlier is scheduled again; a pending one whose time or text changed is
    ///   updated; sent, failed and skipped reminders are never touched;
    /// - a pending reminder missing from the plan is cancelled with the reason
    ///   `cancel_reason` gives for it, or kept when that gives `None` (an overdue
    ///   reminder that is still valid waits for a worker; plans only hold future ones).
    pub async fn sync_case_reminders(
        &self,
        firm: FirmId,
        case_id: CaseId,
        planned: &[PlannedReminder],
        cancel_reason: impl Fn(&ReminderRecord) -> Option<&'static str> + Send,
        now: DateTime<Utc>,
    ) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE firm_id = $1 AND id = $2")
                .bind(firm.get())
                .bind(case_id.get())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            for p in planned {
                let source = serde_json::to_string(&p.source)
                    .map_err(|e| corrupt("reminders", "source_json", e))?;
                let previous: Option<(String, i64, String)> = sqlx::query_as(
                    "SELECT state, send_at_ms, body FROM reminders WHERE reminder_key = $1",
                )
                .bind(p.key.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                match previous {
                    None => {
                        sqlx::query(
                            "INSERT INTO reminders (firm_id, case_id, event_id, reminder_key, source_json,
                                 debtor_id, to_number, body, send_at_ms, event_starts_ms, state, due_ms,
                                 attempts, updated_ms)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $9, 0, $11)",
                        )
                        .bind(firm.get())
                        .bind(case_id.get())
                        .bind(p.event_id.get())
                        .bind(p.key.as_str())
                        .bind(&source)
                        .bind(p.debtor_id.get())
                        .bind(p.to.as_e164())
                        .bind(&p.body)
                        .bind(ms(p.send_at))
                        .bind(ms(p.event_starts_at))
                        .bind(ms(now))
                        .execute(&mut *tx)
                        .await?;
                        report.scheduled += 1;
                    }
                    Some((state, send_at_ms, body)) => {
                        let revive = state == "cancelled";
                        let changed = send_at_ms != ms(p.send_at) || body != p.body;
                        if (state == "pending" && changed) || revive {
                            sqlx::query(
                                "UPDATE reminders SET state = 'pending', body = $1, send_at_ms = $2,
                                        due_ms = $2, reason = NULL, updated_ms = $3
                                 WHERE reminder_key = $4 AND firm_id = $5 AND state IN ('pending', 'cancelled')",
                            )
                            .bind(&p.body)
                            .bind(ms(p.send_at))
                            .bind(ms(now))
                            .bind(p.key.as_str())
                            .bind(firm.get())
                            .execute(&mut *tx)
                            .await?;
                            if revive {
                                report.scheduled += 1;
                            } else {
                                report.updated += 1;
                            }
                        }
                    }
                }
            }
            let pending: Vec<ReminderRow> = sqlx::query_as(&format!(
                "SELECT {REMINDER_COLUMNS} FROM reminders
                 WHERE firm_id = $1 AND case_id = $2 AND state = 'pending'"
            ))
            .bind(firm.get())
            .bind(case_id.get())
            .fetch_all(&mut *tx)
            .await?;
            for row in pending {
                let record = row.into_record()?;
                if planned.iter().any(|p| p.key == record.key) {
                    continue;
                }
                if let Some(reason) = cancel_reason(&record) {
                    sqlx::query(
                        "UPDATE reminders SET state = 'cancelled', reason = $1, updated_ms = $2
                         WHERE id = $3 AND state = 'pending'",
                    )
                    .bind(reason)
                    .bind(ms(now))
                    .bind(record.id)
                    .execute(&mut *tx)
                    .await?;
                    report.cancelled += 1;
                }
            }
            tx.commit().await?;
        });
        Ok(report)
    }

    /// Every reminder of a case, by due time: what is scheduled and what became of the
    /// others.
    pub async fn case_reminders(
        &self,
        firm: FirmId,
        case_id: CaseId,
    ) -> Result<Vec<ReminderRecord>> {
        let rows: Vec<ReminderRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {REMINDER_COLUMNS} FROM reminders WHERE firm_id = $1 AND case_id = $2
                 ORDER BY send_at_ms, id"
            ))
            .bind(firm.get())
            .bind(case_id.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ReminderRow::into_record).collect()
    }

    /// Claims up to `limit` reminders that are due at `now` (or whose lease expired)
    /// for `owner`, holding them for `lease`.
    pub async fn claim_due_reminders(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedReminder>> {
        let lease_until = ms(now) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let _turn = self.write_turn().await;
        let rows: Vec<ReminderRow> = on_write_pool!(self, pool => {
            sqlx::query_as(&format!(
                // Two index scans in due order that stop after `limit` rows each,
                // rather than one that reads every due reminder to sort them.
                "WITH expired AS (
                     SELECT id, due_ms FROM reminders
                     WHERE state = 'claimed' AND lease_until_ms < $3
                     ORDER BY due_ms LIMIT $4 {lock}),
                 due AS (
                     SELECT id, due_ms FROM reminders
                     WHERE state = 'pending' AND due_ms <= $3
                     ORDER BY due_ms LIMIT $4 {lock})
                 UPDATE reminders SET state = 'claimed', lease_owner = $1, lease_until_ms = $2, updated_ms = $3
                 WHERE id IN (
                     SELECT id FROM (SELECT id, due_ms FROM expired UNION ALL SELECT id, due_ms FROM due) AS c
                     ORDER BY due_ms LIMIT $4)
                 RETURNING {REMINDER_COLUMNS}"
            ))
            .bind(owner)
            .bind(lease_until)
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut claimed = rows
            .into_iter()
            .map(ReminderRow::into_record)
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|r| (r.due_at, r.id));
        Ok(claimed)
    }

    /// Records how a claimed reminder ended. Does nothing (and says so with `false`)
    /// when `owner` no longer holds it: its lease expired and another worker took it.
    pub async fn finish_reminder(
        &self,
        id: i64,
        owner: &str,
        outcome: &ReminderOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let wave = ReminderWave {
            finished: &[FinishedReminder {
                id,
                outcome,
                answer: None,
            }],
            starting: &[],
        };
        let committed = self
            .commit_reminder_wave(owner, &wave, now, Duration::ZERO)
            .await?;
        Ok(committed.finished == [true])
    }

    /// One durable step of a worker's batch, in one transaction: records how the
    /// reminders of the previous wave ended (with the provider's answers on their thread
    /// messages), then renews `owner`'s claims on the reminders about to be sent for
    /// another `lease` and records their thread messages. What this returns says, for
    /// each finished reminder, whether `owner` still held it, and for each starting one,
    /// its message or `None` when the claim is no longer safely `owner`'s (another worker
    /// has taken it, or may at any moment): that one must not be sent.
    ///
    /// Written before and after each provider call, these steps are what keeps a crash
    /// from repeating more than the sends that were in flight: a reminder whose answer
    /// is committed is never sent again, and one whose send had not started has no
    /// message yet.
    pub async fn commit_reminder_wave(
        &self,
        owner: &str,
        wave: &ReminderWave<'_>,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<WaveCommitted> {
        const CHUNK: usize = 200;
        let now_ms = ms(now);
        let lease_until = now_ms + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let answers: Vec<SendAnswer<'_>> = wave.finished.iter().filter_map(|f| f.answer).collect();
        let mut kept: Vec<i64> = Vec::new();
        let mut messages: HashMap<String, i64> = HashMap::new();
        let mut opted_out: Vec<i64> = Vec::new();
        on_write_pool!(self, pool => {
            let _turn = self.write_turn().await;
            let mut tx = pool.begin().await?;
            // The next wave: claims with less than half a lease left are renewed, then
            // the thread messages are recorded for the reminders that are still ours
            // (claimed by `owner`, lease not run out).
            let mut queued: Vec<i64> = Vec::new();
            let renew_before = now + chrono::Duration::from_std(lease / 2).unwrap_or(chrono::Duration::zero());
            for chunk in wave.starting.chunks(CHUNK) {
                let stale: Vec<i64> = chunk
                    .iter()
                    .filter(|s| s.lease_until < renew_before)
                    .map(|s| s.id)
                    .collect();
                if !stale.is_empty() {
                    let mut q = sqlx::QueryBuilder::new("UPDATE reminders SET lease_until_ms = ");
                    q.push_bind(lease_until)
                        .push(" WHERE state = 'claimed' AND lease_owner = ")
                        .push_bind(owner)
                        .push(" AND lease_until_ms >= ")
                        .push_bind(now_ms)
                        .push(" AND id IN (");
                    let mut list = q.separated(", ");
                    for id in &stale {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut *tx).await?;
                }
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (id, firm_id, case_id, debtor_id, from_number, to_number, body, sent_by, reminder_key) AS (",
                );
                q.push_values(chunk, |mut row, s| {
                    let m = &s.message;
                    row.push_bind(s.id)
                        .push_bind(s.firm.get())
                        .push_bind(m.case_id.map(CaseId::get))
                        .push_bind(m.debtor_id.map(DebtorId::get))
                        .push_bind(m.from.as_e164())
                        .push_bind(m.to.as_e164())
                        .push_bind(m.body)
                        .push_bind(m.sent_by.encode())
                        .push_bind(s.key);
                });
                q.push(
                    ") INSERT INTO messages (firm_id, case_id, debtor_id, direction, from_number, to_number,
                                            body, status, sent_by, reminder_key, created_ms, updated_ms)
                     SELECT v.firm_id, v.case_id, v.debtor_id, 'outbound', v.from_number, v.to_number,
                            v.body, 'queued', v.sent_by, v.reminder_key, ",
                )
                .push_bind(now_ms)
                .push(", ")
                .push_bind(now_ms)
                .push(
                    " FROM v WHERE EXISTS (
                         SELECT 1 FROM reminders r
                         WHERE r.id = v.id AND r.state = 'claimed' AND r.lease_owner = ",
                )
                .push_bind(owner)
                .push(" AND r.lease_until_ms >= ")
                .push_bind(now_ms)
                // Consent as of this transaction: an opt-out that committed after the
                // worker's checks still stops the send.
                .push(
                    ") AND NOT EXISTS (
                         SELECT 1 FROM consent c
                         WHERE c.firm_id = v.firm_id AND c.number = v.to_number AND c.state = 'opted_out')
                     RETURNING id, reminder_key",
                );
                let rows: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                queued.extend(rows.iter().map(|(id, _)| *id));
                messages.extend(rows.into_iter().map(|(id, key)| (key, id)));
                // Of those not started, which were stopped by an opt-out (rare)?
                let refused: Vec<&StartingReminder<'_>> =
                    chunk.iter().filter(|s| !messages.contains_key(s.key)).collect();
                if !refused.is_empty() {
                    let mut q = sqlx::QueryBuilder::new(
                        "SELECT r.id FROM reminders r JOIN consent c
                           ON c.firm_id = r.firm_id AND c.number = r.to_number AND c.state = 'opted_out'
                         WHERE r.id IN (",
                    );
                    let mut list = q.separated(", ");
                    for s in &refused {
                        list.push_bind(s.id);
                    }
                    q.push(")");
                    let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
                    opted_out.extend(ids);
                }
                if messages.is_empty() {
                    continue;
                }
                let touched: Vec<(FirmId, i64)> = chunk
                    .iter()
                    .filter(|s| messages.contains_key(s.key))
                    .filter_map(|s| s.message.case_id.map(|c| (s.firm, c.get())))
                    .collect();
                touch_cases_in!(tx, touched, now_ms)?;
            }
            // The previous wave: the provider's answers (and every status history entry
            // of this step), then the reminders' final states.
            record_answers_in!(tx, &answers, &queued, now)?;
            for chunk in wave.finished.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (id, state, due_ms, attempts, reason, message_id) AS (",
                );
                q.push_values(chunk, |mut row, f| {
                    let c = OutcomeColumns::of(f.outcome);
                    row.push_bind(f.id)
                        .push_bind(c.state)
                        .push_bind(c.due)
                        .push_bind(c.attempt)
                        .push_bind(c.reason)
                        .push_bind(c.message_id);
                });
                q.push(
                    ") UPDATE reminders SET state = v.state, due_ms = COALESCE(v.due_ms, reminders.due_ms),
                            attempts = reminders.attempts + v.attempts, reason = v.reason,
                            message_id = COALESCE(v.message_id, reminders.message_id),
                            lease_owner = NULL, lease_until_ms = NULL, updated_ms = ",
                )
                .push_bind(now_ms)
                .push(" FROM v WHERE reminders.id = v.id AND reminders.state = 'claimed' AND reminders.lease_owner = ")
                .push_bind(owner)
                .push(" RETURNING reminders.id");
                let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
                kept.extend(ids);
            }
            tx.commit().await?;
        });
        Ok(WaveCommitted {
            finished: wave.finished.iter().map(|f| kept.contains(&f.id)).collect(),
            started: wave
                .starting
                .iter()
                .map(|s| match messages.get(s.key) {
                    Some(id) => Start::Send(MessageId::new(*id)),
                    None if opted_out.contains(&s.id) => Start::OptedOut,
                    None => Start::NotOurs,
                })
                .collect(),
        })
    }

    /// Hands back every reminder `owner` holds (on shutdown), so others can take them at
    /// once instead of after the lease.
    pub async fn release_reminders(&self, owner: &str, now: DateTime<Utc>) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE reminders SET state = 'pending', lease_owner = NULL, lease_until_ms = NULL, updated_ms = $1
                 WHERE state = 'claimed' AND lease_owner = $2",
            )
            .bind(ms(now))
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Cancels every pending reminder of a case (automatic reminders switched off).
    pub async fn cancel_case_reminders(
        &self,
        firm: FirmId,
        case_id: CaseId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE reminders SET state = 'cancelled', reason = $1, updated_ms = $2
                 WHERE firm_id = $3 AND case_id = $4 AND state = 'pending'",
            )
            .bind(reason)
            .bind(ms(now))
            .bind(firm.get())
            .bind(case_id.get())
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Queue depth and lag: pending reminders, how many are due, and how long the
    /// oldest due one has waited.
    pub async fn reminder_queue(&self, now: DateTime<Utc>) -> Result<QueueStats> {
        let (pending, due, oldest): (i64, i64, Option<i64>) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*),
                        COALESCE(SUM(CASE WHEN due_ms <= $1 THEN 1 ELSE 0 END), 0),
                        MIN(CASE WHEN due_ms <= $1 THEN due_ms END)
                 FROM reminders WHERE state IN ('pending', 'claimed')",
            )
            .bind(ms(now))
            .fetch_one(pool)
            .await?
        });
        Ok(QueueStats {
            pending: u64::try_from(pending).unwrap_or(0),
            due: u64::try_from(due).unwrap_or(0),
            oldest_due_lag: oldest
                .map(|o| Duration::from_millis(u64::try_from(ms(now) - o).unwrap_or(0)))
                .unwrap_or_default(),
        })
    }
}

impl Store {
    /// How far ahead each texting number's sends are booked (its backlog at its rate),
    /// for the per-number rate metric.
    pub async fn number_backlogs(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(PhoneNumber, Duration)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT number, next_free_ms FROM number_rates ORDER BY number")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(number, next)| {
                let number = PhoneNumber::parse_e164(&number)
                    .map_err(|e| corrupt("number_rates", "number", e))?;
                let ahead = u64::try_from(next - ms(now)).unwrap_or(0);
                Ok((number, Duration::from_millis(ahead)))
            })
            .collect()
    }
}

impl Store {
    /// Puts every reminder back to pending, as planned: for benchmarks, which measure
    /// the same queue twice. Never called by the product.
    #[doc(hidden)]
    pub async fn reset_reminders_for_benchmark(&self) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE reminders SET state = 'pending', due_ms = send_at_ms, attempts = 0, reason = NULL,
                        message_id = NULL, lease_owner = NULL, lease_until_ms = NULL",
            )
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}

/// The reminder queue at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Pending or claimed reminders.
    pub pending: u64,
    /// Of those, how many are due.
    pub due: u64,
    /// How long the oldest due one has waited.
    pub oldest_due_lag: Duration,
}
