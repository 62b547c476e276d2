//! Delivering the notification-email outbox.

use casewire_notify::{Email, Mailer};
use casewire_store::EmailOutcome;

use crate::{App, Result};

/// What one step of email delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailRun {
    /// Emails claimed.
    pub claimed: u32,
    /// Accepted by the mail server.
    pub sent: u32,
    /// To be retried (server down, temporary refusal).
    pub retried: u32,
    /// Refused for good.
    pub failed: u32,
}

impl App {
    /// One step of email delivery: claims due emails, sends each through `mailer`,
    /// retries transient failures with backoff until the policy's last attempt.
    pub async fn deliver_emails_once(&self, mailer: &dyn Mailer) -> Result<EmailRun> {
        let owner = &self.config.worker_id;
        let claimed = self
            .store
            .claim_due_emails(owner, self.now(), self.config.reminders.lease, 50)
            .await?;
        let mut run = EmailRun {
            claimed: u32::try_from(claimed.len()).unwrap_or(u32::MAX),
            ..EmailRun::default()
        };
        for item in claimed {
            let outcome = match serde_json::from_str::<Email>(&item.email_json) {
                Err(e) => EmailOutcome::Failed {
                    error: format!("unreadable email in the outbox: {e}"),
                },
                Ok(email) => match mailer.send(&email).await {
                    Ok(()) => EmailOutcome::Sent,
                    Err(e)
                        if e.is_transient()
                            && item.attempts + 1 < self.config.email_retry.max_attempts =>
                    {
                        let wait = self.config.email_retry.delay(item.attempts, item.id);
                        EmailOutcome::Retry {
                            at: self.now()
                                + chrono::Duration::from_std(wait)
                                    .unwrap_or(chrono::Duration::hours(1)),
                            error: e.to_string(),
                        }
                    }
                    Err(e) => EmailOutcome::Failed {
                        error: e.to_string(),
                    },
                },
            };
            match &outcome {
                EmailOutcome::Sent => run.sent += 1,
                EmailOutcome::Retry { error, .. } => {
                    run.retried += 1;
                    tracing::warn!(
                        email = item.id,
                        attempts = item.attempts + 1,
                        error,
                        "notification email will be retried"
                    );
                }
                EmailOutcome::Failed { error } => {
                    run.failed += 1;
                    tracing::error!(email = item.id, error, "notification email failed for good");
                }
            }
            self.store
                .finish_email(item.id, owner, &outcome, self.now())
                .await?;
        }
        Ok(run)
    }
}
