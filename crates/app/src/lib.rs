//! Casewire's use-cases: everything a firm does with texting, over a [`Store`], a
//! messaging [`Provider`] and a [`Mailer`]. The server and the worker binaries only
//! parse configuration and call into this crate.
//!
//! Each use-case reads `now` from the [`Clock`] it was given, so tests drive time by
//! hand. Every write a use-case makes goes through one store transaction per step, and
//! any invalid input is refused before anything is written.
//!
//! [`Store`]: casewire_store::Store
//! [`Provider`]: casewire_provider::Provider
//! [`Mailer`]: casewire_notify::Mailer

mod cases;
mod clock;
mod emails;
mod error;
mod firms;
mod inbound;
mod ingest;
mod planning;
mod reminders;
mod send;
mod users;
mod worker;

use std::{sync::Arc, time::Duration};

use casewire_model::EmailAddress;
use casewire_provider::Provider;
use casewire_store::Store;

pub use cases::{CaseInput, DebtorInput, PhoneInput};
pub use clock::{Clock, ManualClock, SystemClock};
pub use emails::EmailRun;
pub use error::{AppError, Result};
pub use firms::{ApiKey, FirmInput, FirmPatch, TextingNumberInput};
pub use inbound::{InboundOutcome, ReplyDelivery};
pub use ingest::{Ingest, IngestCounts, IngestStopped};
pub use planning::{EventInput, EventPatch, RecipeInput};
pub use reminders::{ReminderPolicy, ReminderRun};
pub use send::{RecipientOutcome, RecipientResult, SendOutcome, SendRequest, Sender};
pub use users::{MIN_PASSWORD_CHARS, SESSION_LIFETIME, SessionToken, SignIn, UserInput};
pub use worker::{WorkerPacing, WorkerTotals};

/// Settings of the use-cases that come from the installation's configuration.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The public base URL of the web UI (`https://texts.example-law.com`), for links
    /// to cases in notification emails.
    pub public_url: Option<String>,
    /// The absolute URL the provider posts delivery-status updates to, if any.
    pub status_callback_url: Option<String>,
    /// The sender address of notification emails.
    pub email_from: EmailAddress,
    /// Retry and lease policy of automatic reminders.
    pub reminders: ReminderPolicy,
    /// How notification emails are retried.
    pub email_retry: Backoff,
    /// This process's name in claims and leases (unique per process).
    pub worker_id: String,
}

/// Exponential backoff: `base × 2^attempt`, capped, with up to 20 % jitter, for at most
/// `max_attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Backoff {
    /// The delay after attempt number `attempt` (0-based). The jitter is derived from
    /// `seed` (a row id), so that rows retried together spread out, and a test can
    /// predict it.
    pub fn delay(&self, attempt: u32, seed: i64) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(20)))
            .min(self.max);
        let spread = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let jitter_permille = spread % 200;
        exp + exp * u32::try_from(jitter_permille).unwrap_or(0) / 1000
    }
}

/// The use-cases, wired to their collaborators. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    provider: Arc<dyn Provider>,
    clock: Arc<dyn Clock>,
    config: Arc<AppConfig>,
}

impl App {
    /// Wires the use-cases together.
    pub fn new(
        store: Store,
        provider: Arc<dyn Provider>,
        clock: Arc<dyn Clock>,
        config: AppConfig,
    ) -> Self {
        App {
            store,
            provider,
            clock,
            config: Arc::new(config),
        }
    }

    /// The store, for read-only views the use-cases do not wrap.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// The current time, by the app's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters_up_to_a_fifth() {
        let b = Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            max_attempts: 5,
        };
        for seed in [1, 2, 99, -5] {
            let d0 = b.delay(0, seed);
            assert!(
                d0 >= Duration::from_secs(30) && d0 < Duration::from_secs(36),
                "{d0:?}"
            );
            let d3 = b.delay(3, seed);
            assert!(d3 >= Duration::from_secs(240) && d3 < Duration::from_secs(288));
            let d30 = b.delay(30, seed);
            assert!(d30 >= Duration::from_secs(3600) && d30 < Duration::from_secs(4320));
        }
        assert_ne!(b.delay(2, 1), b.delay(2, 2), "rows spread out");
    }
}
