//! The email-notification outbox: emails are written in the same transaction as the
//! text that caused them, then sent by a worker that retries with backoff until the
//! mail server accepts them. An inbound text's notification is queued as a reference to
//! its message and rendered when it is sent, so receiving a text writes a few numbers
//! rather than a copy of its facts.

use std::time::Duration;

use casewire_model::{FirmId, MessageId};
use chrono::{DateTime, Utc};

use crate::{Backend, Result, Store, corrupt, from_ms, ms, on_pool};

/// Where an email is in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailState {
    /// Waiting to be sent (or retried).
    Pending,
    /// Held by a sender under a lease.
    Claimed,
    /// Accepted by the mail server.
    Sent,
    /// Refused for good by the mail server.
    Failed,
}

impl EmailState {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(EmailState::Pending),
            "claimed" => Some(EmailState::Claimed),
            "sent" => Some(EmailState::Sent),
            "failed" => Some(EmailState::Failed),
            _ => None,
        }
    }
}

/// What a queued email is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailJob {
    /// The notification of an inbound text, rendered from the message (and its case and
    /// firm) when it is sent.
    InboundNotice(MessageId),
    /// An email described by the JSON it was queued with.
    Json(String),
}

/// An email taken from the outbox for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEmail {
    /// Outbox row id (stable: use it in the Message-ID so a resend is recognisable).
    pub id: i64,
    /// The firm.
    pub firm_id: FirmId,
    /// What to send.
    pub job: EmailJob,
    /// Attempts made before this one.
    pub attempts: u32,
    /// State when read.
    pub state: EmailState,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    id: i64,
    firm_id: i64,
    email_json: Option<String>,
    message_id: Option<i64>,
    attempts: i64,
    state: String,
    created_ms: i64,
}

impl EmailRow {
    fn into_claimed(self) -> Result<ClaimedEmail> {
        Ok(ClaimedEmail {
            id: self.id,
            firm_id: FirmId::new(self.firm_id),
            job: match (self.message_id, self.email_json) {
                (Some(id), _) => EmailJob::InboundNotice(MessageId::new(id)),
                (None, Some(json)) => EmailJob::Json(json),
                (None, None) => return Err(corrupt("email_outbox", "email_json", "empty")),
            },
            attempts: u32::try_from(self.attempts)
                .map_err(|e| corrupt("email_outbox", "attempts", e))?,
            state: EmailState::parse(&self.state)
                .ok_or_else(|| corrupt("email_outbox", "state", &self.state))?,
            created_at: from_ms("email_outbox", "created_ms", self.created_ms)?,
        })
    }
}

/// Queues the notification of each inbound text whose message id is in `$ids` (a slice
/// of ids inserted in this open transaction): one outbox row per message, referring to
/// it, in one statement per 256.
macro_rules! enqueue_inbound_notices_in {
    ($tx:expr, $ids:expr, $now_ms:expr) => {
        async {
            let ids: &[i64] = $ids;
            for chunk in ids.chunks(256) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO email_outbox (firm_id, message_id, state, attempts, due_ms, created_ms)
                     SELECT firm_id, id, 'pending', 0, ",
                );
                q.push_bind($now_ms)
                    .push(", ")
                    .push_bind($now_ms)
                    .push(" FROM messages WHERE id IN ");
                $crate::push_list(&mut q, chunk);
                q.build().execute(&mut *$tx).await?;
            }
            Ok::<(), $crate::StoreError>(())
        }
        .await
    };
}
pub(crate) use enqueue_inbound_notices_in;

/// How a claimed email ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailOutcome {
    /// Accepted by the server.
    Sent,
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What went wrong.
        error: String,
    },
    /// Refused for good.
    Failed {
        /// Why.
        error: String,
    },
}

impl Store {
    /// Queues an email described by JSON on its own (outside an inbound text's
    /// transaction). Returns the outbox id.
    pub async fn enqueue_email(
        &self,
        firm: FirmId,
        email_json: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "INSERT INTO email_outbox (firm_id, email_json, state, attempts, due_ms, created_ms)
                 VALUES ($1, $2, 'pending', 0, $3, $3) RETURNING id",
            )
            .bind(firm.get())
            .bind(email_json)
            .bind(ms(now))
            .fetch_one(pool)
            .await?)
        })
    }

    /// Claims up to `limit` due emails (or ones whose lease expired) for `owner`.
    pub async fn claim_due_emails(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedEmail>> {
        let lease_until = ms(now) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let rows: Vec<EmailRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE email_outbox SET state = 'claimed', lease_owner = $1, lease_until_ms = $2
                 WHERE id IN (
                     SELECT id FROM email_outbox
                     WHERE (state = 'pending' AND due_ms <= $3)
                        OR (state = 'claimed' AND lease_until_ms < $3)
                     ORDER BY due_ms LIMIT $4 {lock})
                 RETURNING id, firm_id, email_json, message_id, attempts, state, created_ms"
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
            .map(EmailRow::into_claimed)
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|e| e.id);
        Ok(claimed)
    }

    /// Records how a claimed email ended; `false` when `owner` no longer held it.
    pub async fn finish_email(
        &self,
        id: i64,
        owner: &str,
        outcome: &EmailOutcome,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (state, due, error, sent) = match outcome {
            EmailOutcome::Sent => ("sent", None, None, Some(ms(now))),
            EmailOutcome::Retry { at, error } => {
                ("pending", Some(ms(*at)), Some(error.as_str()), None)
            }
            EmailOutcome::Failed { error } => ("failed", None, Some(error.as_str()), None),
        };
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE email_outbox SET state = $1, due_ms = COALESCE($2, due_ms), attempts = attempts + 1,
                        last_error = $3, sent_ms = $4, lease_owner = NULL, lease_until_ms = NULL
                 WHERE id = $5 AND state = 'claimed' AND lease_owner = $6",
            )
            .bind(state)
            .bind(due)
            .bind(error)
            .bind(sent)
            .bind(id)
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Counts of the outbox by state, for metrics: (pending, failed).
    pub async fn email_queue(&self) -> Result<(u64, u64)> {
        let (pending, failed): (i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state IN ('pending', 'claimed') THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0)
                 FROM email_outbox",
            )
            .fetch_one(pool)
            .await?
        });
        Ok((
            u64::try_from(pending).unwrap_or(0),
            u64::try_from(failed).unwrap_or(0),
        ))
    }
}
