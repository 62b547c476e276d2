//! Staff users of a firm and their web dashboard sessions. A password is stored only as
//! an argon2 hash (made by the caller), a session token only as its SHA-256 hash, so a
//! copy of the database signs nobody in.

use std::fmt;

use casewire_model::{EmailAddress, FirmId, UserId};
use chrono::{DateTime, Utc};

use crate::{Result, Store, StoreError, conflict_on_unique, corrupt, from_ms, ms, on_pool};

/// A staff user as stored, without the password hash.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// Its id (what `SentBy::User` and staff consent changes name).
    pub id: UserId,
    /// The firm the user works for: every page they see is scoped to it.
    pub firm_id: FirmId,
    /// The address they sign in with, lowercased.
    pub email: EmailAddress,
    /// Their name, shown on the texts they send.
    pub name: String,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

/// A password hash in PHC string format (`$argon2id$v=19$...`). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// The hex SHA-256 of a session token, as stored. `Debug` shows a prefix only.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionHash(pub String);

impl fmt::Debug for SessionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// The sign-in address, lowercased.
    pub email: &'a EmailAddress,
    /// The user's name.
    pub name: &'a str,
    /// The argon2 hash of their password.
    pub password_hash: &'a PasswordHash,
}

/// What signing in checks a password against.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: UserRecord,
    /// Their password's hash.
    pub password_hash: PasswordHash,
}

/// A session to store.
#[derive(Clone)]
pub struct NewSession<'a> {
    /// The hash of the session token (the cookie's value).
    pub token_hash: &'a SessionHash,
    /// Whose session it is.
    pub user: &'a UserRecord,
    /// The session's CSRF synchronizer token.
    pub csrf_token: &'a str,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewSession<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("token_hash", self.token_hash)
            .field("user", &self.user.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A live (unexpired) session and its user.
#[derive(Clone, PartialEq)]
pub struct SessionRecord {
    /// The session's row id.
    pub id: i64,
    /// The signed-in user.
    pub user: UserRecord,
    /// The CSRF token every state-changing request must carry.
    pub csrf_token: String,
    /// A one-time notice for the next page, if one is waiting.
    pub flash: Option<String>,
    /// When the session stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id)
            .field("user", &self.user.id)
            .field("firm", &self.user.firm_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

type UserRow = (i64, i64, String, String, i64);

const USER_COLUMNS: &str = "u.id, u.firm_id, u.email, u.name, u.created_ms";

fn user_from(row: UserRow) -> Result<UserRecord> {
    let (id, firm_id, email, name, created_ms) = row;
    Ok(UserRecord {
        id: UserId::new(id),
        firm_id: FirmId::new(firm_id),
        email: EmailAddress::parse(&email).map_err(|e| corrupt("users", "email", e))?,
        name,
        created_at: from_ms("users", "created_ms", created_ms)?,
    })
}

impl Store {
    /// Creates a staff user of the firm. An address already in use (by this firm or
    /// another) is a [`StoreError::Conflict`]; a firm that does not exist is
    /// [`StoreError::NotFound`].
    pub async fn create_user(
        &self,
        firm: FirmId,
        new: &NewUser<'_>,
        now: DateTime<Utc>,
    ) -> Result<UserRecord> {
        let row: UserRow = on_pool!(self, pool => {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM firms WHERE id = $1")
                .bind(firm.get())
                .fetch_optional(pool)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query_as(
                "INSERT INTO users (firm_id, email, name, password_hash, created_ms)
                 VALUES ($1, $2, $3, $4, $5)
                 RETURNING id, firm_id, email, name, created_ms",
            )
            .bind(firm.get())
            .bind(new.email.as_str())
            .bind(new.name)
            .bind(&new.password_hash.0)
            .bind(ms(now))
            .fetch_one(pool)
            .await
            .map_err(conflict_on_unique("a user with this email address already exists"))?
        });
        user_from(row)
    }

    /// The credentials of the active user with this (lowercased) address, if any.
    pub async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>> {
        let row: Option<(i64, i64, String, String, i64, String)> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS}, u.password_hash FROM users u
                 WHERE u.email = $1 AND u.disabled_ms IS NULL"
            ))
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(id, firm_id, email, name, created_ms, hash)| {
            Ok(Credentials {
                user: user_from((id, firm_id, email, name, created_ms))?,
                password_hash: PasswordHash(hash),
            })
        })
        .transpose()
    }

    /// The firm's staff users, by name.
    pub async fn users(&self, firm: FirmId) -> Result<Vec<UserRecord>> {
        let rows: Vec<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.firm_id = $1 ORDER BY u.name, u.id"
            ))
            .bind(firm.get())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(user_from).collect()
    }

    /// Stores a new session, and drops every expired one while at it.
    pub async fn create_session(&self, new: &NewSession<'_>, now: DateTime<Utc>) -> Result<i64> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sessions (token_hash, user_id, firm_id, csrf_token, created_ms, expires_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&new.token_hash.0)
            .bind(new.user.id.get())
            .bind(new.user.firm_id.get())
            .bind(new.csrf_token)
            .bind(ms(now))
            .bind(ms(new.expires_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_on_unique("session token reused"))?;
            tx.commit().await?;
            id
        }))
    }

    /// The unexpired session with this token hash, with its (still active) user.
    pub async fn session(
        &self,
        token_hash: &SessionHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            i64,
            i64,
            String,
            Option<String>,
            i64,
        );
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS}, s.id, s.csrf_token, s.flash, s.expires_ms
                 FROM sessions s JOIN users u ON u.id = s.user_id AND u.firm_id = s.firm_id
                 WHERE s.token_hash = $1 AND s.expires_ms > $2 AND u.disabled_ms IS NULL"
            ))
            .bind(&token_hash.0)
            .bind(ms(now))
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(uid, firm_id, email, name, created_ms, id, csrf_token, flash, expires_ms)| {
                Ok(SessionRecord {
                    id,
                    user: user_from((uid, firm_id, email, name, created_ms))?,
                    csrf_token,
                    flash,
                    expires_at: from_ms("sessions", "expires_ms", expires_ms)?,
                })
            },
        )
        .transpose()
    }

    /// Deletes the session with this token hash (signing out). Returns whether there was
    /// one.
    pub async fn delete_session(&self, token_hash: &SessionHash) -> Result<bool> {
        let done = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&token_hash.0)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Sets (or with `None` clears) the session's one-time notice.
    pub async fn set_session_flash(&self, session_id: i64, flash: Option<&str>) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET flash = $1 WHERE id = $2")
                .bind(flash)
                .bind(session_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
