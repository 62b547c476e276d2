//! Staff users of a firm and their dashboard sessions: passwords hashed with argon2id
//! (default parameters), session tokens of 32 random bytes stored only as SHA-256
//! hashes, and one CSRF synchronizer token per session.

use std::{fmt, sync::OnceLock};

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash as Phc},
};
use casewire_model::{EmailAddress, FirmId};
use casewire_store::{
    NewSession, NewUser, PasswordHash, SessionHash, SessionRecord, StoreError, UserRecord,
};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Result};

/// How long a dashboard session lasts after signing in.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);
/// The shortest password a staff user may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_BYTES: usize = 1024;

/// A staff user as an admin creates one.
#[derive(Clone)]
pub struct UserInput {
    /// The sign-in address.
    pub email: String,
    /// The user's name, shown on the texts they send.
    pub name: String,
    /// The password, at least [`MIN_PASSWORD_CHARS`] characters.
    pub password: String,
}

impl fmt::Debug for UserInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserInput").finish_non_exhaustive()
    }
}

/// A new session's secret token: the cookie's value. Shown to the browser once, stored
/// only as a hash. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// The token, for the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// What a sign-in attempt came to.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The password was right: a new session.
    SignedIn {
        /// The cookie's value.
        token: SessionToken,
        /// The session.
        session: Box<SessionRecord>,
    },
    /// Unknown address, wrong password or disabled user: the caller must not say which.
    Refused,
}

/// Hex of `n` random bytes from the operating system.
fn random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Unavailable(format!("no system randomness: {e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_token(token: &str) -> SessionHash {
    SessionHash(hex(&Sha256::digest(token.as_bytes())))
}

fn normalise_email(email: &str) -> std::result::Result<EmailAddress, String> {
    EmailAddress::parse(&email.trim().to_lowercase()).map_err(|e| e.to_string())
}

/// Hashes off the async threads: argon2 takes tens of milliseconds of CPU on purpose.
async fn hash_password(password: String) -> Result<PasswordHash> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| PasswordHash(h.to_string()))
            .map_err(|e| AppError::Unavailable(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("password hashing stopped: {e}")))?
}

/// Whether `password` matches `hash`; a stored hash that does not parse is corrupt data.
async fn verify_password(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = Phc::new(&hash).map_err(|e| {
            AppError::Store(StoreError::Corrupt {
                table: "users",
                column: "password_hash",
                detail: e.to_string(),
            })
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("password check stopped: {e}")))?
}

/// A hash no password matches, checked when the address is unknown so that a refusal
/// takes as long either way and does not tell which addresses exist.
async fn decoy_hash() -> Result<String> {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(random_hex(32)?).await?.0;
    Ok(DECOY.get_or_init(|| hash).clone())
}

impl App {
    /// Creates a staff user of the firm (the admin CLI's `user create`).
    pub async fn create_user(&self, firm: FirmId, input: &UserInput) -> Result<UserRecord> {
        self.firm(firm).await?;
        let email = normalise_email(&input.email).map_err(|e| AppError::invalid("email", e))?;
        let name = casewire_model::bounded_text(&input.name, 100)
            .map_err(|e| AppError::invalid("name", e))?;
        if input.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("use at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if input.password.len() > MAX_PASSWORD_BYTES {
            return Err(AppError::invalid(
                "password",
                format!("use at most {MAX_PASSWORD_BYTES} bytes"),
            ));
        }
        let password_hash = hash_password(input.password.clone()).await?;
        let user = self
            .store
            .create_user(
                firm,
                &NewUser {
                    email: &email,
                    name: &name,
                    password_hash: &password_hash,
                },
                self.now(),
            )
            .await
            .map_err(crate::error::not_found("firm"))?;
        tracing::info!(firm = %firm, user = %user.id, "staff user created");
        Ok(user)
    }

    /// The firm's staff users, by name.
    pub async fn users(&self, firm: FirmId) -> Result<Vec<UserRecord>> {
        Ok(self.store.users(firm).await?)
    }

    /// Checks an address and password and, when they match an active user, opens a
    /// session of [`SESSION_LIFETIME`].
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignIn> {
        let credentials = match normalise_email(email) {
            Ok(email) if password.len() <= MAX_PASSWORD_BYTES => {
                self.store.credentials(&email).await?
            }
            _ => None,
        };
        let Some(credentials) = credentials else {
            verify_password(password.to_owned(), decoy_hash().await?).await?;
            tracing::info!("sign-in refused");
            return Ok(SignIn::Refused);
        };
        if !verify_password(password.to_owned(), credentials.password_hash.0.clone()).await? {
            tracing::info!(user = %credentials.user.id, "sign-in refused");
            return Ok(SignIn::Refused);
        }
        let token = SessionToken(random_hex(32)?);
        let csrf_token = random_hex(32)?;
        let now = self.now();
        let expires_at = now + SESSION_LIFETIME;
        let token_hash = hash_token(token.as_str());
        let id = self
            .store
            .create_session(
                &NewSession {
                    token_hash: &token_hash,
                    user: &credentials.user,
                    csrf_token: &csrf_token,
                    expires_at,
                },
                now,
            )
            .await?;
        tracing::info!(firm = %credentials.user.firm_id, user = %credentials.user.id, "signed in");
        Ok(SignIn::SignedIn {
            token,
            session: Box::new(SessionRecord {
                id,
                user: credentials.user,
                csrf_token,
                flash: None,
                expires_at,
            }),
        })
    }

    /// The live session a cookie's token stands for, if any.
    pub async fn staff_session(&self, token: &str) -> Result<Option<SessionRecord>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self.store.session(&hash_token(token), self.now()).await?)
    }

    /// Ends the session a token stands for; the token stops working at once.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        if self.store.delete_session(&hash_token(token)).await? {
            tracing::info!("signed out");
        }
        Ok(())
    }

    /// Leaves a one-time notice for the session's next page (`None` clears it).
    pub async fn set_flash(&self, session_id: i64, flash: Option<&str>) -> Result<()> {
        Ok(self.store.set_session_flash(session_id, flash).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_stored_as_sha256() {
        let a = random_hex(32).unwrap();
        let b = random_hex(32).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        let hash = hash_token(&a);
        assert_eq!(hash.0.len(), 64);
        assert_ne!(hash.0, a);
        assert_eq!(hash, hash_token(&a));
        assert!(!format!("{:?}", SessionToken(a.clone())).contains(&a));
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_argon2id_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$"), "{}", hash.0);
        assert!(
            verify_password("correct horse battery".into(), hash.0.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_password("correct horse battery!".into(), hash.0.clone())
                .await
                .unwrap()
        );
        assert!(!format!("{hash:?}").contains("argon2"));
    }

    #[test]
    fn sign_in_addresses_are_lowercased() {
        assert_eq!(
            normalise_email(" Jane.Doe@RiveraLaw.example ")
                .unwrap()
                .as_str(),
            "jane.doe@riveralaw.example"
        );
        assert!(normalise_email("nobody").is_err());
    }
}
