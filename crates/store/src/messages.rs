//! The message thread: outbound texts (with their delivery status history), inbound
//! texts (de-duplicated on the provider's id) and the unmatched inbox.

use std::collections::HashMap;

use casewire_compliance::{Applied, ConsentChange, ConsentState};
use casewire_model::{CaseId, DebtorId, FirmId, MessageId, PhoneNumber, UserId};
use casewire_provider::{DeliveryStatus, ProviderMessageId};
use chrono::{DateTime, Utc};

use crate::{
    Backend, Result, Store, StoreError, consent::ledger_from, corrupt, from_ms, ms, on_pool,
    on_write_pool, padded, push_list,
};

/// Which way a text went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the firm.
    Inbound,
    /// From the firm to the client.
    Outbound,
}

impl Direction {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// Who sent an outbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentBy {
    /// A staff user, through the web dashboard.
    User(UserId),
    /// A program, through the API with the firm's key.
    Api,
    /// An automatic reminder.
    Reminder,
    /// Casewire itself (a keyword confirmation).
    System,
}

impl SentBy {
    pub(crate) fn encode(self) -> String {
        match self {
            SentBy::User(id) => format!("user:{id}"),
            SentBy::Api => "api".into(),
            SentBy::Reminder => "reminder".into(),
            SentBy::System => "system".into(),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        match s {
            "api" => Some(SentBy::Api),
            "reminder" => Some(SentBy::Reminder),
            "system" => Some(SentBy::System),
            _ => s
                .strip_prefix("user:")
                .and_then(|id| id.parse().ok())
                .map(|id| SentBy::User(UserId::new(id))),
        }
    }
}

/// The status of a message in the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// An inbound text, received.
    Received,
    /// Not sent: the send gate or the linter refused it (the reason is kept).
    Refused,
    /// Handed to (or refused by) the provider; moves forward only.
    Delivery(DeliveryStatus),
}

impl MessageStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Refused => "refused",
            MessageStatus::Delivery(d) => d.as_str(),
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "received" => Some(MessageStatus::Received),
            "refused" => Some(MessageStatus::Refused),
            _ => DeliveryStatus::parse(s).map(MessageStatus::Delivery),
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    /// Its id.
    pub id: MessageId,
    /// The case it belongs to; `None` in the unmatched inbox.
    pub case_id: Option<CaseId>,
    /// The debtor it was to or from, when known.
    pub debtor_id: Option<DebtorId>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Sender number.
    pub from: PhoneNumber,
    /// Recipient number.
    pub to: PhoneNumber,
    /// The text.
    pub body: String,
    /// Media attached to an inbound text, as JSON (`[{"url":..,"content_type":..}]`).
    pub media_json: Option<String>,
    /// Status.
    pub status: MessageStatus,
    /// The provider's id, once it has one.
    pub provider_id: Option<String>,
    /// The provider's error code, if it failed.
    pub error_code: Option<i64>,
    /// Why it was refused or failed, in words.
    pub refusal: Option<String>,
    /// Who sent it (outbound only).
    pub sent_by: Option<SentBy>,
    /// The reminder it carried, if it was one.
    pub reminder_key: Option<String>,
    /// A note for staff (an ambiguous case match, a possible opt-out to review).
    pub note: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    case_id: Option<i64>,
    debtor_id: Option<i64>,
    direction: String,
    from_number: String,
    to_number: String,
    body: String,
    media_json: Option<String>,
    status: String,
    provider_id: Option<String>,
    error_code: Option<i64>,
    refusal: Option<String>,
    sent_by: Option<String>,
    reminder_key: Option<String>,
    note: Option<String>,
    created_ms: i64,
    updated_ms: i64,
}

const MESSAGE_COLUMNS: &str = "id, case_id, debtor_id, direction, from_number, to_number, body, \
    media_json, status, provider_id, error_code, refusal, sent_by, reminder_key, note, created_ms, updated_ms";

impl MessageRow {
    fn into_record(self) -> Result<MessageRecord> {
        let number = |column: &'static str, v: &str| {
            PhoneNumber::parse_e164(v).map_err(|e| corrupt("messages", column, e))
        };
        Ok(MessageRecord {
            id: MessageId::new(self.id),
            case_id: self.case_id.map(CaseId::new),
            debtor_id: self.debtor_id.map(DebtorId::new),
            direction: match self.direction.as_str() {
                "inbound" => Direction::Inbound,
                "outbound" => Direction::Outbound,
                other => return Err(corrupt("messages", "direction", other)),
            },
            from: number("from_number", &self.from_number)?,
            to: number("to_number", &self.to_number)?,
            body: self.body,
            media_json: self.media_json,
            status: MessageStatus::parse(&self.status)
                .ok_or_else(|| corrupt("messages", "status", &self.status))?,
            provider_id: self.provider_id,
            error_code: self.error_code,
            refusal: self.refusal,
            sent_by: self
                .sent_by
                .map(|s| SentBy::decode(&s).ok_or_else(|| corrupt("messages", "sent_by", s)))
                .transpose()?,
            reminder_key: self.reminder_key,
            note: self.note,
            created_at: from_ms("messages", "created_ms", self.created_ms)?,
            updated_at: from_ms("messages", "updated_ms", self.updated_ms)?,
        })
    }
}

/// An outbound text about to be handed to the provider, or refused before that.
#[derive(Debug, Clone)]
pub struct NewOutbound<'a> {
    /// The case it is sent from (`None` for a keyword reply to an unmatched number).
    pub case_id: Option<CaseId>,
    /// The debtor it goes to.
    pub debtor_id: Option<DebtorId>,
    /// The firm's number it leaves from.
    pub from: &'a PhoneNumber,
    /// The client's number.
    pub to: &'a PhoneNumber,
    /// The text.
    pub body: &'a str,
    /// Who sends it.
    pub sent_by: SentBy,
    /// The reminder it carries, if any.
    pub reminder_key: Option<&'a str>,
    /// `Some(reason)` records it as refused; `None` as queued for the provider.
    pub refusal: Option<&'a str>,
}

/// An inbound text to store, with what it changes.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    /// The provider's id: the de-duplication key.
    pub provider_id: &'a ProviderMessageId,
    /// The client's number.
    pub from: &'a PhoneNumber,
    /// The firm's number it was sent to.
    pub to: &'a PhoneNumber,
    /// The text.
    pub body: &'a str,
    /// Media, as JSON, if any.
    pub media_json: Option<&'a str>,
    /// The case it was matched to, if any.
    pub case_id: Option<CaseId>,
    /// The debtor whose number it came from, if matched.
    pub debtor_id: Option<DebtorId>,
    /// A note for staff.
    pub note: Option<&'a str>,
    /// The consent change the text makes (an opt-out or opt-in), if any.
    pub consent: Option<ConsentChange>,
    /// Whether to queue the firm's notification email of the text (rendered from the
    /// stored message when it is sent).
    pub notify: bool,
}

/// What storing an inbound text did.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundInsert {
    /// Stored, with its effects applied.
    Inserted {
        /// The new message.
        id: MessageId,
        /// What the consent change did, if one was asked for.
        consent: Option<Applied>,
        /// How many pending reminders to the number an opt-out cancelled.
        cancelled_reminders: u64,
    },
    /// A text with this provider id was stored before: nothing changed.
    Duplicate {
        /// The earlier message.
        id: MessageId,
    },
}

/// What a delivery-status update did.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusApplied {
    /// The status moved forward.
    Advanced {
        /// The message's firm.
        firm: FirmId,
        /// The message.
        id: MessageId,
        /// The client number it was sent to.
        to: PhoneNumber,
    },
    /// The update would have moved the status backwards or sideways: ignored.
    Ignored,
    /// No message carries this provider id.
    Unknown,
}

/// Marks cases active at `$now_ms` inside an open transaction: `$touched` is a
/// `Vec<(FirmId, i64)>` of (firm, case) pairs, in any order and with repeats. One
/// statement per firm (and per 256 cases), padded to a few shapes.
macro_rules! touch_cases_in {
    ($tx:expr, $touched:expr, $now_ms:expr) => {
        async {
            let mut touched: Vec<(FirmId, i64)> = $touched;
            touched.sort_unstable();
            touched.dedup();
            for (firm, cases) in $crate::messages::group_by_firm(&touched) {
                for chunk in cases.chunks(256) {
                    let mut q = sqlx::QueryBuilder::new("UPDATE cases SET last_activity_ms = ");
                    q.push_bind($now_ms)
                        .push(" WHERE +firm_id = ")
                        .push_bind(firm.get())
                        .push(" AND id IN ");
                    $crate::push_list(&mut q, chunk);
                    q.build().execute(&mut *$tx).await?;
                }
            }
            Ok::<(), $crate::StoreError>(())
        }
        .await
    };
}
pub(crate) use touch_cases_in;

/// Appends a status to a message's history inside an open transaction.
macro_rules! status_history_in {
    ($tx:expr, $message_id:expr, $status:expr, $error_code:expr, $at_ms:expr) => {
        sqlx::query(
            "INSERT INTO message_status_history (message_id, status, error_code, at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind($message_id)
        .bind($status)
        .bind($error_code)
        .bind($at_ms)
        .execute(&mut *$tx)
        .await
    };
}
pub(crate) use status_history_in;

/// The provider's answer to one send, for the text's thread message.
#[derive(Debug, Clone, Copy)]
pub struct SendAnswer<'a> {
    /// The firm the text belongs to.
    pub firm: FirmId,
    /// The thread message of the text.
    pub message_id: MessageId,
    /// The provider's id and first status, or the failure's code and reason.
    pub result:
        std::result::Result<(&'a ProviderMessageId, DeliveryStatus), (Option<i64>, &'a str)>,
}

impl<'a> SendAnswer<'a> {
    /// (provider id, status, error code, refusal reason) as stored.
    pub(crate) fn columns(
        &self,
    ) -> (
        Option<&'a str>,
        DeliveryStatus,
        Option<i64>,
        Option<&'a str>,
    ) {
        match self.result {
            Ok((pid, status)) => (Some(pid.as_str()), status, None, None),
            Err((code, reason)) => (None, DeliveryStatus::Failed, code, Some(reason)),
        }
    }
}

/// Records providers' answers to sends inside an open transaction, with a few
/// multi-row statements for all of them: each message gets its provider id and first
/// status (or its failure) and its status history entry, and any status callbacks that
/// arrived before the answer are applied in order. The history entries of `queued`
/// (ids of messages just recorded as queued) are written in the same statement. Fails
/// with `NotFound` when a message does not exist for its firm.
macro_rules! record_answers_in {
    ($tx:expr, $answers:expr, $queued:expr, $now:expr) => {
        async {
            let answers: &[SendAnswer<'_>] = $answers;
            let queued: &[i64] = $queued;
            let now_ms = ms($now);
            let mut early_ids: Vec<i64> = Vec::new();
            for chunk in answers.chunks(200) {
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (firm_id, id, provider_id, status, error_code, refusal) AS (",
                );
                q.push_values(chunk, |mut row, a| {
                    let (pid, status, code, reason) = a.columns();
                    row.push_bind(a.firm.get())
                        .push_bind(a.message_id.get())
                        .push_bind(pid)
                        .push_bind(status.as_str())
                        .push_bind(code)
                        .push_bind(reason);
                });
                q.push(
                    ") UPDATE messages SET provider_id = v.provider_id, status = v.status,
                            error_code = v.error_code, refusal = v.refusal, updated_ms = ",
                )
                .push_bind(now_ms)
                .push(
                    " FROM v WHERE messages.firm_id = v.firm_id AND messages.id = v.id
                     RETURNING messages.id, EXISTS (SELECT 1 FROM early_statuses e
                                                    WHERE e.provider_id = messages.provider_id)",
                );
                let rows: Vec<(i64, bool)> = q.build_query_as().fetch_all(&mut *$tx).await?;
                if rows.len() != chunk.len() {
                    return Err(StoreError::NotFound);
                }
                early_ids.extend(rows.into_iter().filter(|(_, early)| *early).map(|(id, _)| id));
            }
            // Status history: the answers' entries and the queued ones, together.
            let entries: Vec<(i64, &str, Option<i64>)> = answers
                .iter()
                .map(|a| {
                    let (_, status, code, _) = a.columns();
                    (a.message_id.get(), status.as_str(), code)
                })
                .chain(queued.iter().map(|id| (*id, "queued", None)))
                .collect();
            for chunk in entries.chunks(200) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO message_status_history (message_id, status, error_code, at_ms) ",
                );
                q.push_values(chunk, |mut row, (id, status, code)| {
                    row.push_bind(*id)
                        .push_bind(*status)
                        .push_bind(*code)
                        .push_bind(now_ms);
                });
                q.build().execute(&mut *$tx).await?;
            }

            // Status callbacks that arrived before their answer (rare).
            let accepted: Vec<(&str, MessageId, DeliveryStatus)> = answers
                .iter()
                .filter(|a| early_ids.contains(&a.message_id.get()))
                .filter_map(|a| a.result.ok().map(|(pid, status)| (pid.as_str(), a.message_id, status)))
                .collect();
            if !accepted.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT provider_id, status, error_code, at_ms FROM early_statuses WHERE provider_id IN (",
                );
                let mut list = q.separated(", ");
                for (pid, _, _) in &accepted {
                    list.push_bind(*pid);
                }
                q.push(") ORDER BY at_ms, id");
                let early: Vec<(String, String, Option<i64>, i64)> =
                    q.build_query_as().fetch_all(&mut *$tx).await?;
                for (pid, id, first) in &accepted {
                    let mut current = *first;
                    for (_, next, code, at) in early.iter().filter(|e| e.0 == *pid) {
                        let Some(next) = DeliveryStatus::parse(next) else { continue };
                        let Some(advanced) = casewire_provider::advance(current, next) else { continue };
                        current = advanced;
                        sqlx::query(
                            "UPDATE messages SET status = $1, error_code = COALESCE($2, error_code), updated_ms = $3 WHERE id = $4",
                        )
                        .bind(current.as_str())
                        .bind(*code)
                        .bind(*at)
                        .bind(id.get())
                        .execute(&mut *$tx)
                        .await?;
                        status_history_in!($tx, id.get(), current.as_str(), *code, *at)?;
                    }
                }
                let mut q = sqlx::QueryBuilder::new("DELETE FROM early_statuses WHERE provider_id IN (");
                let mut list = q.separated(", ");
                for (pid, _, _) in &accepted {
                    list.push_bind(*pid);
                }
                q.push(")");
                q.build().execute(&mut *$tx).await?;
            }
            Ok::<(), StoreError>(())
        }
        .await
    };
}
pub(crate) use record_answers_in;

/// Splits sorted (firm, id) pairs into one list of ids per firm.
pub(crate) fn group_by_firm(pairs: &[(FirmId, i64)]) -> Vec<(FirmId, Vec<i64>)> {
    let mut out: Vec<(FirmId, Vec<i64>)> = Vec::new();
    for (firm, id) in pairs {
        match out.last_mut() {
            Some((f, ids)) if f == firm => ids.push(*id),
            _ => out.push((*firm, vec![*id])),
        }
    }
    out
}

/// Stores one inbound text and its effects inside an open transaction (see
/// [`Store::record_inbound`]). Evaluates to the [`InboundInsert`].
macro_rules! record_inbound_in {
    ($tx:expr, $firm:expr, $new:expr, $now:expr) => {
        async {
            let firm: FirmId = $firm;
            let new: &NewInbound<'_> = $new;
            let now: DateTime<Utc> = $now;
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO messages (firm_id, case_id, debtor_id, direction, from_number, to_number,
                                       body, media_json, status, provider_id, note, created_ms, updated_ms)
                 VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, 'received', $8, $9, $10, $10)
                 ON CONFLICT (provider_id) DO NOTHING RETURNING id",
            )
            .bind(firm.get())
            .bind(new.case_id.map(CaseId::get))
            .bind(new.debtor_id.map(DebtorId::get))
            .bind(new.from.as_e164())
            .bind(new.to.as_e164())
            .bind(new.body)
            .bind(new.media_json)
            .bind(new.provider_id.as_str())
            .bind(new.note)
            .bind(ms(now))
            .fetch_optional(&mut *$tx)
            .await?;
            let Some(id) = inserted else {
                let id: i64 = sqlx::query_scalar("SELECT id FROM messages WHERE provider_id = $1")
                    .bind(new.provider_id.as_str())
                    .fetch_one(&mut *$tx)
                    .await?;
                return Ok(InboundInsert::Duplicate { id: MessageId::new(id) });
            };
            if let Some(case_id) = new.case_id {
                sqlx::query("UPDATE cases SET last_activity_ms = $1 WHERE firm_id = $2 AND id = $3")
                    .bind(ms(now))
                    .bind(firm.get())
                    .bind(case_id.get())
                    .execute(&mut *$tx)
                    .await?;
            }
            let mut cancelled_reminders = 0;
            let consent = match &new.consent {
                None => None,
                Some(change) => {
                    let applied = crate::consent::apply_consent_in!($tx, firm, new.from, change.clone())?;
                    if matches!(&applied, Applied::Changed(t) if t.to == ConsentState::OptedOut) {
                        cancelled_reminders = crate::reminders::cancel_for_number_in!(
                            $tx, firm, new.from, "opted_out", now
                        )?;
                    }
                    Some(applied)
                }
            };
            if new.notify {
                crate::outbox::enqueue_inbound_notices_in!($tx, &[id], ms(now))?;
            }
            Ok::<InboundInsert, StoreError>(InboundInsert::Inserted {
                id: MessageId::new(id),
                consent,
                cancelled_reminders,
            })
        }
        .await
    };
}

impl Store {
    /// Records an outbound text before it goes to the provider (status `queued`), or as
    /// refused. The case's last activity moves to `now`.
    pub async fn insert_outbound(
        &self,
        firm: FirmId,
        new: &NewOutbound<'_>,
        now: DateTime<Utc>,
    ) -> Result<MessageId> {
        let status = match new.refusal {
            Some(_) => MessageStatus::Refused,
            None => MessageStatus::Delivery(DeliveryStatus::Queued),
        };
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(case_id) = new.case_id {
                let touched = sqlx::query(
                    "UPDATE cases SET last_activity_ms = $1 WHERE firm_id = $2 AND id = $3",
                )
                .bind(ms(now))
                .bind(firm.get())
                .bind(case_id.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if touched == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (firm_id, case_id, debtor_id, direction, from_number, to_number,
                                       body, status, refusal, sent_by, reminder_key, created_ms, updated_ms)
                 VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(firm.get())
            .bind(new.case_id.map(CaseId::get))
            .bind(new.debtor_id.map(DebtorId::get))
            .bind(new.from.as_e164())
            .bind(new.to.as_e164())
            .bind(new.body)
            .bind(status.as_str())
            .bind(new.refusal)
            .bind(new.sent_by.encode())
            .bind(new.reminder_key)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?;
            status_history_in!(tx, id, status.as_str(), None::<i64>, ms(now))?;
            tx.commit().await?;
            id
        });
        Ok(MessageId::new(id))
    }

    /// Records the provider's answer to a send: its id and first status, or the
    /// failure with its code and reason.
    pub async fn record_send_result(
        &self,
        firm: FirmId,
        id: MessageId,
        result: std::result::Result<(&ProviderMessageId, DeliveryStatus), (Option<i64>, &str)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let answer = SendAnswer {
            firm,
            message_id: id,
            result,
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            record_answers_in!(tx, std::slice::from_ref(&answer), &[], now)?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Reserves the send of `cost` worth of segments from `number` under its rate:
    /// `None` when the send may go now (the slot is taken), `Some(t)` when the number is
    /// busy until `t` (nothing is reserved). Up to `burst` of backlog is allowed before
    /// sends are held back. Atomic across every process on the database.
    pub async fn reserve_send_slot(
        &self,
        number: &PhoneNumber,
        cost: std::time::Duration,
        burst: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let cost = i64::try_from(cost.as_millis()).unwrap_or(i64::MAX / 4);
        let burst = i64::try_from(burst.as_millis()).unwrap_or(0);
        on_pool!(self, pool => {
            let reserved: Option<i64> = sqlx::query_scalar(
                "INSERT INTO number_rates (number, next_free_ms) VALUES ($1, $2 + $3)
                 ON CONFLICT (number) DO UPDATE SET next_free_ms =
                     (CASE WHEN number_rates.next_free_ms > $2 THEN number_rates.next_free_ms ELSE $2 END) + $3
                 WHERE number_rates.next_free_ms <= $2 + $4
                 RETURNING next_free_ms",
            )
            .bind(number.as_e164())
            .bind(ms(now))
            .bind(cost)
            .bind(burst)
            .fetch_optional(pool)
            .await?;
            if reserved.is_some() {
                return Ok(None);
            }
            let busy_until: i64 = sqlx::query_scalar("SELECT next_free_ms FROM number_rates WHERE number = $1")
                .bind(number.as_e164())
                .fetch_one(pool)
                .await?;
            Ok(Some(from_ms("number_rates", "next_free_ms", busy_until - burst)?))
        })
    }

    /// Marks an outbound text handed over without a provider id: a keyword reply
    /// carried in the webhook's answer (TwiML), which the provider sends on its own.
    pub async fn mark_sent_in_response(
        &self,
        firm: FirmId,
        id: MessageId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE messages SET status = 'sent', updated_ms = $1 WHERE firm_id = $2 AND id = $3 AND status = 'queued'",
            )
            .bind(ms(now))
            .bind(firm.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            status_history_in!(tx, id.get(), "sent", None::<i64>, ms(now))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Applies a delivery-status update from the provider. The status only moves
    /// forward; an update that would move it back is ignored (and changes nothing).
    pub async fn apply_status(
        &self,
        provider_id: &ProviderMessageId,
        status: DeliveryStatus,
        error_code: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StatusApplied> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(i64, i64, String, String)> = sqlx::query_as(
                "SELECT id, firm_id, status, to_number FROM messages WHERE provider_id = $1",
            )
            .bind(provider_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, firm, current, to)) = row else {
                // The callback may have overtaken the provider's answer to the send:
                // keep it, to apply when that answer records the id.
                sqlx::query(
                    "INSERT INTO early_statuses (provider_id, status, error_code, at_ms) VALUES ($1, $2, $3, $4)",
                )
                .bind(provider_id.as_str())
                .bind(status.as_str())
                .bind(error_code)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(StatusApplied::Unknown);
            };
            let current = DeliveryStatus::parse(&current)
                .ok_or_else(|| corrupt("messages", "status", &current))?;
            let Some(next) = casewire_provider::advance(current, status) else {
                return Ok(StatusApplied::Ignored);
            };
            // Compare-and-set on the status read above, so two concurrent callbacks
            // cannot move it backwards between the read and the write.
            let done = sqlx::query(
                "UPDATE messages SET status = $1, error_code = COALESCE($2, error_code), updated_ms = $3
                 WHERE id = $4 AND status = $5",
            )
            .bind(next.as_str())
            .bind(error_code)
            .bind(ms(now))
            .bind(id)
            .bind(current.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                return Ok(StatusApplied::Ignored);
            }
            status_history_in!(tx, id, next.as_str(), error_code, ms(now))?;
            tx.commit().await?;
            Ok(StatusApplied::Advanced {
                firm: FirmId::new(firm),
                id: MessageId::new(id),
                to: PhoneNumber::parse_e164(&to).map_err(|e| corrupt("messages", "to_number", e))?,
            })
        })
    }

    /// Stores an inbound text and everything it changes, in one transaction: the
    /// message (unless its provider id was seen before, in which case nothing at all
    /// changes), the case's last activity, the consent transition, the cancellation of
    /// the number's pending reminders on opt-out, and the notification email.
    pub async fn record_inbound(
        &self,
        firm: FirmId,
        new: &NewInbound<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundInsert> {
        let mut results = self
            .record_inbound_batch(&[(firm, new.clone())], now)
            .await?;
        results.pop().unwrap_or(Err(StoreError::NotFound))
    }

    /// Stores many inbound texts in one transaction (group commit: one durable write
    /// for the whole batch), each applied as [`Store::record_inbound`] would. Texts
    /// without a consent change are written with a few multi-row statements for the
    /// whole batch; the rare ones that change consent are applied one by one, each in its
    /// own savepoint, so that one refused change leaves the others stored. The outer
    /// result fails only when the transaction itself fails, and then none is stored.
    ///
    /// Of the texts that change no consent, the first of the batch with a provider id is
    /// stored; any other with the same id, and any whose id was stored before, is a
    /// duplicate of that message. Texts that change consent are applied after them.
    pub async fn record_inbound_batch(
        &self,
        items: &[(FirmId, NewInbound<'_>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<InboundInsert>>> {
        const CHUNK: usize = 256;
        let mut out: Vec<Option<Result<InboundInsert>>> = items.iter().map(|_| None).collect();
        let simple: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].1.consent.is_none())
            .collect();
        // The first text of the batch with each provider id.
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(simple.len());
        for &i in &simple {
            first.entry(items[i].1.provider_id.as_str()).or_insert(i);
        }
        let sqlite = self.backend() == Backend::Sqlite;
        let _turn = self.write_turn().await;
        on_write_pool!(self, pool => {
            // SQLite: the write lock is taken first, so that the ids read below are still
            // the next free ones when the rows go in.
            let mut tx = if sqlite {
                pool.begin_with("BEGIN IMMEDIATE").await?
            } else {
                pool.begin().await?
            };
            // SQLite: provider ids stored before (a retried webhook; usually none), so
            // that the INSERT below writes every row it is given. PostgreSQL skips them
            // with its conflict clause and finds them afterwards.
            let distinct: Vec<&str> = if sqlite {
                first.keys().copied().collect()
            } else {
                Vec::new()
            };
            let mut stored: HashMap<String, i64> = HashMap::new();
            for chunk in distinct.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT provider_id, id FROM messages WHERE provider_id IN ",
                );
                push_list(&mut q, chunk);
                let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
                stored.extend(rows);
            }
            let fresh: Vec<usize> = simple
                .iter()
                .copied()
                .filter(|&i| {
                    let provider_id = items[i].1.provider_id.as_str();
                    first.get(provider_id) == Some(&i) && !stored.contains_key(provider_id)
                })
                .collect();

            // The new texts: one INSERT per chunk. On SQLite, which hands each row a
            // statement returns across its driver's thread one at a time, the ids are
            // assigned here under the write lock, so the statement returns none.
            let mut next_id = if sqlite && !fresh.is_empty() {
                let last: i64 = sqlx::query_scalar(
                    "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),
                                COALESCE((SELECT max(id) FROM messages), 0))",
                )
                .fetch_one(&mut *tx)
                .await?;
                Some(last + 1)
            } else {
                None
            };
            let mut inserted: HashMap<&str, i64> = HashMap::with_capacity(fresh.len());
            for chunk in fresh.chunks(CHUNK) {
                let ids: Option<Vec<i64>> = next_id.map(|from| {
                    (from..).take(chunk.len()).collect()
                });
                let mut q = sqlx::QueryBuilder::new(if ids.is_some() {
                    "INSERT INTO messages (id, "
                } else {
                    "INSERT INTO messages ("
                });
                q.push(
                    "firm_id, case_id, debtor_id, direction, from_number, to_number,
                     body, media_json, status, provider_id, note, created_ms, updated_ms) ",
                );
                let rows: Vec<(usize, Option<i64>)> = chunk
                    .iter()
                    .enumerate()
                    .map(|(n, &i)| (i, ids.as_ref().map(|ids| ids[n])))
                    .collect();
                // Padded with repeats of the last text, which the conflict clause skips.
                q.push_values(padded(&rows), |mut row, (i, id)| {
                    let (firm, new) = &items[i];
                    if let Some(id) = id {
                        row.push_bind(id);
                    }
                    row.push_bind(firm.get())
                        .push_bind(new.case_id.map(CaseId::get))
                        .push_bind(new.debtor_id.map(DebtorId::get))
                        .push_bind("inbound")
                        .push_bind(new.from.as_e164())
                        .push_bind(new.to.as_e164())
                        .push_bind(new.body)
                        .push_bind(new.media_json)
                        .push_bind("received")
                        .push_bind(new.provider_id.as_str())
                        .push_bind(new.note)
                        .push_bind(ms(now))
                        .push_bind(ms(now));
                });
                match &ids {
                    Some(ids) => {
                        q.push(" ON CONFLICT DO NOTHING");
                        let written = q.build().execute(&mut *tx).await?.rows_affected();
                        // Under the write lock nothing else can have taken these ids or
                        // provider ids; if something did, nothing of the batch is kept.
                        if written != chunk.len() as u64 {
                            return Err(StoreError::Conflict(
                                "messages were written while a batch held the write lock",
                            ));
                        }
                        for (&i, &id) in chunk.iter().zip(ids) {
                            inserted.insert(items[i].1.provider_id.as_str(), id);
                        }
                        next_id = ids.last().map(|last| last + 1);
                    }
                    None => {
                        q.push(" ON CONFLICT (provider_id) DO NOTHING RETURNING id, provider_id");
                        let rows: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                        for (id, provider_id) in rows {
                            if let Some(&i) = first.get(provider_id.as_str()) {
                                inserted.insert(items[i].1.provider_id.as_str(), id);
                            }
                        }
                    }
                }
            }
            let mut touched: Vec<(FirmId, i64)> = Vec::new();
            let mut notify: Vec<i64> = Vec::new();
            for &i in &simple {
                let (firm, new) = &items[i];
                let provider_id = new.provider_id.as_str();
                let result = match inserted.get(provider_id) {
                    Some(&id) if first.get(provider_id) == Some(&i) => {
                        if let Some(case_id) = new.case_id {
                            touched.push((*firm, case_id.get()));
                        }
                        if new.notify {
                            notify.push(id);
                        }
                        InboundInsert::Inserted {
                            id: MessageId::new(id),
                            consent: None,
                            cancelled_reminders: 0,
                        }
                    }
                    Some(&id) => InboundInsert::Duplicate { id: MessageId::new(id) },
                    None => match stored.get(provider_id) {
                        Some(&id) => InboundInsert::Duplicate { id: MessageId::new(id) },
                        // Skipped by PostgreSQL's conflict clause: stored before.
                        None => {
                            let id: i64 = sqlx::query_scalar("SELECT id FROM messages WHERE provider_id = $1")
                                .bind(provider_id)
                                .fetch_one(&mut *tx)
                                .await?;
                            InboundInsert::Duplicate { id: MessageId::new(id) }
                        }
                    },
                };
                out[i] = Some(Ok(result));
            }
            touch_cases_in!(tx, touched, ms(now))?;
            crate::outbox::enqueue_inbound_notices_in!(tx, &notify, ms(now))?;

            // Texts that change consent: one by one, each in a savepoint.
            for (i, (firm, new)) in items.iter().enumerate().filter(|(_, (_, n))| n.consent.is_some()) {
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                let result = record_inbound_in!(savepoint, *firm, new, now);
                match &result {
                    Ok(_) => savepoint.commit().await?,
                    Err(_) => savepoint.rollback().await?,
                }
                out[i] = Some(result);
            }
            tx.commit().await?;
            Ok(out
                .into_iter()
                .map(|r| r.unwrap_or(Err(StoreError::NotFound)))
                .collect())
        })
    }

    /// One message of the firm.
    pub async fn message(&self, firm: FirmId, id: MessageId) -> Result<MessageRecord> {
        let row: Option<MessageRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE firm_id = $1 AND id = $2"
            ))
            .bind(firm.get())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// A page of a case's thread, newest first: messages older than `before` (all when
    /// `None`), at most `limit`.
    pub async fn thread(
        &self,
        firm: FirmId,
        case_id: CaseId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>> {
        let rows: Vec<MessageRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE firm_id = $1 AND case_id = $2 AND ($3 IS NULL OR id < $3)
                 ORDER BY id DESC LIMIT $4"
            ))
            .bind(firm.get())
            .bind(case_id.get())
            .bind(before.map(MessageId::get))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(MessageRow::into_record).collect()
    }

    /// The firm's unmatched inbox (inbound texts on no case), newest first.
    pub async fn unmatched(
        &self,
        firm: FirmId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>> {
        let rows: Vec<MessageRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE firm_id = $1 AND case_id IS NULL AND direction = 'inbound'
                   AND ($2 IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(firm.get())
            .bind(before.map(MessageId::get))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(MessageRow::into_record).collect()
    }

    /// Moves an unmatched inbound text into a case's thread.
    pub async fn attach_to_case(
        &self,
        firm: FirmId,
        message: MessageId,
        case_id: CaseId,
        debtor_id: Option<DebtorId>,
    ) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE messages SET case_id = $1, debtor_id = $2
                 WHERE firm_id = $3 AND id = $4 AND case_id IS NULL
                   AND EXISTS (SELECT 1 FROM cases WHERE firm_id = $3 AND id = $1)",
            )
            .bind(case_id.get())
            .bind(debtor_id.map(DebtorId::get))
            .bind(firm.get())
            .bind(message.get())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The bodies of the case's most recent outbound texts, newest first (for the
    /// linter's repeated-link check).
    pub async fn recent_outbound_bodies(
        &self,
        firm: FirmId,
        case_id: CaseId,
        limit: u32,
    ) -> Result<Vec<String>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT body FROM messages WHERE firm_id = $1 AND case_id = $2 AND direction = 'outbound'
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(firm.get())
            .bind(case_id.get())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        }))
    }
}
