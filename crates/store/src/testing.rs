//! Test databases (feature `testing`): a fresh SQLite file per test, and a fresh
//! PostgreSQL schema per test when `CASEWIRE_TEST_DATABASE_URL` is set. Used by this
//! crate's contract suite and by every crate whose tests run on both backends.

use std::{
    io::Write,
    path::PathBuf,
    str::FromStr,
    sync::{
        Once,
        atomic::{AtomicU32, Ordering},
    },
};

use crate::{Store, StoreOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a database of its own, removed by [`TestDb::finish`].
pub struct TestDb {
    /// The store.
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl TestDb {
    /// Closes the store and removes its database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { url, schema } => {
                if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            }
        }
    }
}

/// A store on a fresh SQLite file.
///
/// # Panics
/// When the file cannot be created: test set-up only.
#[allow(clippy::unwrap_used)]
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique("casewire_store"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("casewire.db").display());
    let store = Store::open(&StoreOptions::new(url)).await.unwrap();
    TestDb {
        store,
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// A store on a fresh schema of the PostgreSQL at `CASEWIRE_TEST_DATABASE_URL`;
/// `None` (and a note on stderr, once) when no PostgreSQL is configured.
///
/// # Panics
/// When the URL is set but the server cannot be used: test set-up only.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub async fn postgres() -> Option<TestDb> {
    let Ok(url) = std::env::var("CASEWIRE_TEST_DATABASE_URL") else {
        static NOTE: Once = Once::new();
        NOTE.call_once(|| {
            // Written past the test harness's capture so that it is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "note: CASEWIRE_TEST_DATABASE_URL is not set: the PostgreSQL store contract suite was skipped"
            );
        });
        return None;
    };
    let schema = unique("cw_test");
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("CASEWIRE_TEST_DATABASE_URL is set but PostgreSQL cannot be reached");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let connect = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let store = Store::open_postgres(connect, &StoreOptions::new(url.clone()))
        .await
        .unwrap();
    Some(TestDb {
        store,
        cleanup: Cleanup::Postgres { url, schema },
    })
}

/// Declares each listed `async fn name(store: &Store)` as two tests, `sqlite::name` and
/// `postgres::name`: the same contract on both backends.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::testing::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::testing::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}
