//! Casewire's storage: every table the product keeps, on SQLite (the embedded default:
//! one file, WAL, `synchronous=FULL`) or PostgreSQL (several servers and workers on one
//! database), behind one [`Store`].
//!
//! Invariants:
//! - Every query that reads or changes a firm's rows takes the [`FirmId`] and filters on
//!   it, so an id of another firm behaves exactly like an id that does not exist
//!   ([`StoreError::NotFound`]).
//! - A query for a list of ids (`id IN (…)`) writes its firm filter as `+firm_id = $n`:
//!   the unary plus keeps the planner from scanning the firm's index and testing every row
//!   against the list (SQLite does so without statistics) rather than looking the ids up.
//! - SQL is written once for both backends (`$1` placeholders work on both); the
//!   [`on_pool!`] macro compiles each function body once per backend.
//! - Times are stored as UTC milliseconds since the epoch; the caller passes `now`.
//! - A function that writes several rows does it in one transaction: a failure leaves
//!   nothing half-written.
//!
//! [`FirmId`]: casewire_model::FirmId

mod cases;
mod consent;
mod events;
mod firms;
mod inbound_direct;
mod messages;
mod migrate;
mod outbox;
mod reminders;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;
mod users;

use std::{str::FromStr, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::{
    PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use thiserror::Error;

pub use cases::{CaseSummary, NewCase, NewDebtor, NewPhone, ReplyMatch};
pub use consent::ConsentRecord;
pub use firms::{ApiKeyHash, FirmRecord, NewFirm};
pub use inbound_direct::InboundConnection;
pub use messages::{
    Direction, InboundInsert, MessageRecord, MessageStatus, NewInbound, NewOutbound, SendAnswer,
    SentBy, StatusApplied,
};
pub use outbox::{ClaimedEmail, EmailJob, EmailOutcome, EmailState};
pub use reminders::{
    ClaimedReminder, FinishedReminder, QueueStats, ReminderOutcome, ReminderRecord, ReminderState,
    ReminderWave, Start, StartingReminder, SyncReport, WaveCommitted,
};
pub use settings::FirmSettings;
pub use users::{
    Credentials, NewSession, NewUser, PasswordHash, SessionHash, SessionRecord, UserRecord,
};

/// Runs `$body` with `$pool` bound to the typed pool of whichever backend the store
/// uses. The body is compiled once per backend, so the same SQL and the same row types
/// serve both.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}

/// [`on_pool!`] for the hot write paths: on SQLite, the hot writer's own connection
/// (see [`Store::write_turn`]).
macro_rules! on_write_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match (&$store.pool, &$store.writer) {
            (_, Some(writer)) => {
                let $pool = &writer.pool;
                $body
            }
            ($crate::Pool::Sqlite($pool), None) => $body,
            ($crate::Pool::Postgres($pool), _) => $body,
        }
    };
}
pub(crate) use on_write_pool;

/// `items` followed by copies of its last item up to the next power of two. Statements
/// built for a variable number of values (an `IN (…)` list, rows an `ON CONFLICT DO
/// NOTHING` skips when repeated) then take one of a few shapes, each prepared once per
/// connection and reused, instead of being parsed anew for every batch size.
pub(crate) fn padded<T: Clone>(items: &[T]) -> impl Iterator<Item = T> + '_ {
    let extra = items.len().next_power_of_two() - items.len();
    items.iter().cloned().chain(
        items
            .last()
            .into_iter()
            .flat_map(move |last| std::iter::repeat_n(last.clone(), extra)),
    )
}

/// Appends `(…)` binding `values` padded to a few shapes (see [`padded`]): the list of
/// an `IN`, which ignores the repeats.
pub(crate) fn push_list<'a, DB, T>(q: &mut sqlx::QueryBuilder<'a, DB>, values: &[T])
where
    DB: sqlx::Database,
    T: Clone + 'a + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push("(");
    let mut list = q.separated(", ");
    for value in padded(values) {
        list.push_bind(value);
    }
    list.push_unseparated(")");
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file: the embedded default, for a single server process.
    Sqlite,
    /// PostgreSQL: for several server and worker processes on one database.
    Postgres,
}

#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The storage of one Casewire installation. Cheap to clone: two reference counts.
#[derive(Clone, Debug)]
pub struct Store {
    #[doc(hidden)]
    pub pool: Pool,
    /// On SQLite, the hot write paths' own connection and the turn to use it, shared
    /// by the store's clones.
    writer: Option<Arc<Writer>>,
}

/// SQLite's hot writer. The hot write paths of one process (inbound batches, reminder
/// claims and waves) take turns here, so they queue for SQLite's single writer lock on
/// this lock instead of in SQLite's busy handler, which sleeps between tries (other
/// processes on the file still meet the busy handler). Those that go through sqlx
/// write through one connection of their own, so that SQLite, which drops a
/// connection's page cache whenever another connection has written since its last
/// transaction, keeps the pages they touch in memory between their writes. The inbound
/// pipeline's [`InboundConnection`] takes the same turn; under inbound load, its commits
/// drop this connection's cache, and the reverse.
#[derive(Debug)]
struct Writer {
    turn: Arc<tokio::sync::Mutex<()>>,
    pool: SqlitePool,
    /// The database file, for connections of its own ([`Store::inbound_connection`]);
    /// `None` for an in-memory database.
    file: Option<std::path::PathBuf>,
}

/// What went wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another firm.
    #[error("not found")]
    NotFound,
    /// The write would break a uniqueness rule (a case number used twice, a texting
    /// number another firm has).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A stored value could not be read back as a domain value.
    #[error("stored data is corrupt ({table}.{column}): {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A database URL that names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database failed, on a connection driven directly ([`InboundConnection`]).
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            _ => StoreError::Database(e),
        }
    }
}

/// How long an SQLite connection waits for another's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The settings every SQLite connection of a store takes besides WAL, `synchronous=FULL`
/// and foreign keys (the sqlx pools' and [`InboundConnection`]'s alike).
const SQLITE_TUNING: [(&str, &str); 4] = [
    // 64 MiB of page cache per connection: the hot tables stay in memory.
    ("cache_size", "-65536"),
    // Checkpoint every ~16 MiB of WAL rather than every 4 MiB: pages written again and
    // again under load are copied back to the database once.
    ("wal_autocheckpoint", "4000"),
    ("temp_store", "memory"),
    // No memory mapping: a connection that finds the database changed by another drops
    // its mapping with its cache, and unmapping a large mapping on every read after every
    // commit cost more than copying the few pages a read needs.
    ("mmap_size", "0"),
];

/// Result of a store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// The most connections the pool opens (PostgreSQL; SQLite uses what it needs).
    pub max_connections: u32,
    /// How long to wait for a connection from the pool.
    pub acquire_timeout: Duration,
}

impl StoreOptions {
    /// Options for `url` with defaults for the rest.
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl Store {
    /// Opens (and for SQLite, creates) the database and brings its schema up to date.
    pub async fn open(options: &StoreOptions) -> Result<Store> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the database without touching its schema.
    pub async fn connect(options: &StoreOptions) -> Result<Store> {
        let url = options.url.as_str();
        let pool = if url.starts_with("sqlite:") {
            let connect = SQLITE_TUNING.iter().fold(
                SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // A 200 to a webhook means the text survives power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT),
                |connect, (name, value)| connect.pragma(*name, *value),
            );
            let pool = |connections: u32| {
                SqlitePoolOptions::new()
                    .max_connections(connections)
                    // A connection to a local file does not go stale: the ping before
                    // each use would be one more round trip to its thread.
                    .test_before_acquire(false)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect.clone())
            };
            let writer = Writer {
                turn: Arc::new(tokio::sync::Mutex::new(())),
                pool: pool(1).await?,
                file: inbound_direct::sqlite_file(
                    connect.get_filename(),
                    url.contains(":memory:") || url.contains("mode=memory"),
                ),
            };
            return Ok(Store {
                pool: Pool::Sqlite(pool(options.max_connections.max(1)).await?),
                writer: Some(Arc::new(writer)),
            });
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)?;
            Pool::Postgres(Self::pg_pool(connect, options).await?)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(Store { pool, writer: None })
    }

    /// Opens PostgreSQL with explicit connect options (a test schema's search path,
    /// say).
    pub async fn open_postgres(connect: PgConnectOptions, options: &StoreOptions) -> Result<Store> {
        let store = Store {
            pool: Pool::Postgres(Self::pg_pool(connect, options).await?),
            writer: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn pg_pool(connect: PgConnectOptions, options: &StoreOptions) -> Result<PgPool> {
        Ok(PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?)
    }

    /// Waits for this process's turn to write (SQLite only; see [`Writer`]). Hold the
    /// guard for the whole write transaction, and write through [`on_write_pool!`].
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writer {
            Some(writer) => Some(writer.turn.lock().await),
            None => None,
        }
    }

    /// Refreshes the query planner's statistics of every table (`ANALYZE`), as
    /// PostgreSQL's autovacuum does on its own: for a database just filled in bulk.
    pub async fn analyze(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("ANALYZE").execute(pool).await?;
        });
        Ok(())
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers (for readiness checks).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        if let Some(writer) = &self.writer {
            writer.pool.close().await;
        }
    }
}

/// Milliseconds since the epoch, as stored.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Reads back a stored millisecond timestamp.
pub(crate) fn from_ms(
    table: &'static str,
    column: &'static str,
    value: i64,
) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(value)
        .single()
        .ok_or_else(|| corrupt(table, column, format!("timestamp {value} out of range")))
}

pub(crate) fn corrupt(
    table: &'static str,
    column: &'static str,
    detail: impl ToString,
) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        detail: detail.to_string(),
    }
}

/// `Ok` when an update or delete touched a row, [`StoreError::NotFound`] when it touched
/// none (the id does not exist, or belongs to another firm).
pub(crate) fn found(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Turns a unique-constraint violation into [`StoreError::Conflict`].
pub(crate) fn conflict_on_unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::from(e),
    }
}

#[cfg(test)]
mod shape_tests {
    use super::padded;

    #[test]
    fn padding_repeats_the_last_item_up_to_a_power_of_two() {
        assert_eq!(padded(&[1, 2, 3]).collect::<Vec<_>>(), [1, 2, 3, 3]);
        assert_eq!(padded(&[7]).collect::<Vec<_>>(), [7]);
        assert_eq!(padded(&[1, 2, 3, 4]).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(padded::<u8>(&[]).count(), 0);
        assert_eq!(padded(&[0; 65]).count(), 128);
    }
}
