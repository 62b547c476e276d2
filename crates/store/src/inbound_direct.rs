//! The inbound pipeline's own connection to an SQLite file, driven directly by the
//! pipeline's thread.
//!
//! Through sqlx, every statement is a round trip to the connection's own thread, and
//! every row a statement returns crosses back on its own: for a batch of a few hundred
//! texts, hundreds of thread switches, most of them while the batch holds the write
//! lock. This connection is instead used by the thread that handles the batch, so
//! matching the senders and storing the texts is a run of cached prepared statements and
//! one commit, with no hand-off at all.
//!
//! It writes texts that change no consent: the rare ones that do go through
//! [`Store::record_inbound_batch`], which applies each in a savepoint with its ledger
//! entry and cancelled reminders.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use casewire_model::{CaseId, DebtorId, FirmId, MessageId, PhoneNumber};

use crate::{
    FirmRecord, InboundInsert, NewInbound, ReplyMatch, Result, SQLITE_BUSY_TIMEOUT, SQLITE_TUNING,
    Store, StoreError,
    firms::{FirmRow, NumberRow, build},
    ms,
};

/// A connection of its own to the store's SQLite file for matching and storing batches
/// of inbound texts ([`Store::inbound_connection`]). Its statements run on the calling
/// thread and block it, including [`InboundConnection::record_batch`]'s commit and its
/// disk flush: use it from a thread of its own, never from a shared runtime's workers.
pub struct InboundConnection {
    conn: Connection,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for InboundConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundConnection").finish_non_exhaustive()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            e => StoreError::Sqlite(e),
        }
    }
}

/// Where a store's SQLite database lives, when it is a file another connection can open.
pub(crate) fn sqlite_file(path: &Path, in_memory: bool) -> Option<PathBuf> {
    (!in_memory && !path.as_os_str().is_empty() && path != Path::new(":memory:"))
        .then(|| path.to_path_buf())
}

impl Store {
    /// A connection of its own for matching and storing batches of inbound texts, on
    /// SQLite with a database file; `None` on PostgreSQL or an in-memory SQLite database, where
    /// [`Store::record_inbound_batch`] is the way. It takes the same turn to write as
    /// this store's hot writer, so the two queue on that turn rather than in SQLite's
    /// busy handler; other writers (the rest of the pool, other processes) can still
    /// make it wait there, up to the same 10 s busy timeout.
    pub fn inbound_connection(&self) -> Result<Option<InboundConnection>> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        let Some(path) = &writer.file else {
            return Ok(None);
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The same settings as the store's own connections (see `Store::connect`).
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )?;
        for (name, value) in SQLITE_TUNING {
            conn.execute_batch(&format!("PRAGMA {name} = {value}"))?;
        }
        Ok(Some(InboundConnection {
            conn,
            turn: writer.turn.clone(),
        }))
    }
}

impl InboundConnection {
    /// The firm that texts from `number`, as [`Store::firm_by_number`] reads it.
    pub fn firm_by_number(&mut self, number: &PhoneNumber) -> Result<Option<FirmId>> {
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT firm_id FROM firm_numbers WHERE number = ?1")?
            .query_row([number.as_e164()], |row| row.get(0))
            .optional()?;
        Ok(id.map(FirmId::new))
    }

    /// A firm with its texting numbers and settings, as [`Store::firm`] reads it.
    pub fn firm(&mut self, firm: FirmId) -> Result<FirmRecord> {
        let tx = self.conn.transaction()?;
        let row = tx
            .prepare_cached(
                "SELECT id, name, time_zone, region, notification_email, settings_json
                 FROM firms WHERE id = ?1",
            )?
            .query_row([firm.get()], |row| {
                Ok(FirmRow {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    time_zone: row.get(2)?,
                    region: row.get(3)?,
                    notification_email: row.get(4)?,
                    settings_json: row.get(5)?,
                })
            })?;
        let numbers = tx
            .prepare_cached(
                "SELECT number, class, rate FROM firm_numbers WHERE firm_id = ?1 ORDER BY position",
            )?
            .query_map([firm.get()], |row| {
                Ok(NumberRow {
                    number: row.get(0)?,
                    class: row.get(1)?,
                    rate: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        build(row, numbers)
    }

    /// The firm's open cases on which each of `numbers` is a debtor's mobile number,
    /// most recently active first, as [`Store::reply_matches_many`] reads them.
    pub fn reply_matches(
        &mut self,
        firm: FirmId,
        numbers: &[PhoneNumber],
    ) -> Result<HashMap<PhoneNumber, Vec<ReplyMatch>>> {
        // One read transaction for the whole batch, not one per number: each costs a
        // round of locks on the shared WAL index.
        let tx = self.conn.transaction()?;
        // Ordered here rather than by SQLite, which would set up a sorter for the one
        // or two rows a number has.
        let mut query = tx.prepare_cached(
            "SELECT c.id, p.debtor_id, c.last_activity_ms, d.position
             FROM phones p
             JOIN cases c ON c.id = p.case_id
             JOIN debtors d ON d.id = p.debtor_id
             WHERE p.kind = 'mobile' AND c.status = 'open' AND p.firm_id = ?1 AND p.number = ?2",
        )?;
        let mut out: HashMap<PhoneNumber, Vec<ReplyMatch>> = HashMap::with_capacity(numbers.len());
        let mut rows_of_number: Vec<(i64, i64, i64, i64)> = Vec::new();
        for number in numbers {
            if out.contains_key(number) {
                continue;
            }
            rows_of_number.clear();
            let mut rows = query.query(params![firm.get(), number.as_e164()])?;
            while let Some(row) = rows.next()? {
                rows_of_number.push((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?));
            }
            // Most recently active case first, then the later case, then the debtors
            // in their order.
            rows_of_number.sort_unstable_by_key(|&(case, _, active, position)| {
                (std::cmp::Reverse(active), std::cmp::Reverse(case), position)
            });
            let mut found: Vec<ReplyMatch> = Vec::new();
            for &(case, debtor, _, _) in &rows_of_number {
                let case_id = CaseId::new(case);
                if found.iter().all(|m| m.case_id != case_id) {
                    found.push(ReplyMatch {
                        case_id,
                        debtor_id: DebtorId::new(debtor),
                    });
                }
            }
            if !found.is_empty() {
                out.insert(number.clone(), found);
            }
        }
        drop(query);
        tx.commit()?;
        Ok(out)
    }

    /// Stores texts that change no consent in one transaction, as
    /// [`Store::record_inbound_batch`] does: the first text of the batch with a provider
    /// id is stored, any other with the same id, and any whose id was stored before, is
    /// a duplicate of that message. Each stored text touches its case and queues its
    /// notification when asked.
    ///
    /// Waits for this process's turn to write, then runs the transaction on the calling
    /// thread, blocking it until the commit is durable.
    ///
    /// A text that changes consent is refused with [`StoreError::Conflict`] and nothing
    /// of the batch is written: those belong to [`Store::record_inbound_batch`].
    pub async fn record_batch(
        &mut self,
        items: &[(FirmId, NewInbound<'_>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<InboundInsert>> {
        if items.iter().any(|(_, new)| new.consent.is_some()) {
            return Err(StoreError::Conflict(
                "a text that changes consent is written through Store::record_inbound_batch",
            ));
        }
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let now = ms(now);
        let _turn = self.turn.clone().lock_owned().await;
        self.write(items, now)
    }

    fn write(
        &mut self,
        items: &[(FirmId, NewInbound<'_>)],
        now: i64,
    ) -> Result<Vec<InboundInsert>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(items.len());
        let mut touched: Vec<(FirmId, CaseId)> = Vec::new();
        {
            let mut existing =
                tx.prepare_cached("SELECT id FROM messages WHERE provider_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (firm_id, case_id, debtor_id, direction, from_number,
                     to_number, body, media_json, status, provider_id, note, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, 'inbound', ?4, ?5, ?6, ?7, 'received', ?8, ?9, ?10, ?10)",
            )?;
            let mut notify = tx.prepare_cached(
                "INSERT INTO email_outbox (firm_id, message_id, state, attempts, due_ms, created_ms)
                 VALUES (?1, ?2, 'pending', 0, ?3, ?3)",
            )?;
            // Provider ids seen so far: stored by this batch, or found stored before.
            let mut seen: HashMap<&str, i64> = HashMap::with_capacity(items.len());
            for (firm, new) in items {
                let provider_id = new.provider_id.as_str();
                // Looked up first rather than skipped by a conflict clause, which would
                // use up an id on SQLite.
                let earlier = match seen.get(provider_id) {
                    Some(&id) => Some(id),
                    None => existing
                        .query_row([provider_id], |row| row.get(0))
                        .optional()?,
                };
                if let Some(id) = earlier {
                    seen.insert(provider_id, id);
                    out.push(InboundInsert::Duplicate {
                        id: MessageId::new(id),
                    });
                    continue;
                }
                insert.execute(params![
                    firm.get(),
                    new.case_id.map(CaseId::get),
                    new.debtor_id.map(DebtorId::get),
                    new.from.as_e164(),
                    new.to.as_e164(),
                    new.body,
                    new.media_json,
                    provider_id,
                    new.note,
                    now,
                ])?;
                let id = tx.last_insert_rowid();
                seen.insert(provider_id, id);
                if new.notify {
                    notify.execute(params![firm.get(), id, now])?;
                }
                if let Some(case_id) = new.case_id {
                    touched.push((*firm, case_id));
                }
                out.push(InboundInsert::Inserted {
                    id: MessageId::new(id),
                    consent: None,
                    cancelled_reminders: 0,
                });
            }
        }
        touched.sort_unstable_by_key(|(firm, case)| (firm.get(), case.get()));
        touched.dedup();
        {
            let mut touch = tx.prepare_cached(
                "UPDATE cases SET last_activity_ms = ?1 WHERE +firm_id = ?2 AND id = ?3",
            )?;
            for (firm, case_id) in &touched {
                touch.execute(params![now, firm.get(), case_id.get()])?;
            }
        }
        tx.commit()?;
        Ok(out)
    }
}
