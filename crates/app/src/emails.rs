//! Delivering the notification-email outbox.

use casewire_model::{EmailAddress, FirmId, MessageId, PhoneNumber};
use casewire_notify::{Email, Mailer, ReplyNotice, reply_notification};
use casewire_store::{ClaimedEmail, EmailJob, EmailOutcome, FirmRecord, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, hash_map::Entry};

use crate::{App, AppError, Result};

/// The facts of a reply notification, rendered into an email. Read from the stored
/// message, its case and its firm when the email is sent; outbox rows queued by earlier
/// versions carry them as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReplyEmailJob {
    pub(crate) to: EmailAddress,
    pub(crate) message_id: String,
    pub(crate) firm_name: String,
    pub(crate) case_number: String,
    pub(crate) case_title: String,
    pub(crate) case_url: Option<String>,
    pub(crate) client_name: Option<String>,
    pub(crate) from_number: PhoneNumber,
    pub(crate) body: String,
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) time_zone: Tz,
    pub(crate) media_count: usize,
    pub(crate) note: Option<String>,
}

impl ReplyEmailJob {
    fn render(&self, from: EmailAddress) -> Email {
        reply_notification(
            &ReplyNotice {
                firm_name: &self.firm_name,
                case_number: &self.case_number,
                case_title: &self.case_title,
                case_url: self.case_url.as_deref(),
                client_name: self.client_name.as_deref(),
                from_number: &self.from_number,
                body: &self.body,
                received_at: self.received_at.with_timezone(&self.time_zone),
                media_count: self.media_count,
                note: self.note.as_deref(),
            },
            self.to.clone(),
            from,
            self.message_id.clone(),
        )
    }
}

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
        // A run's emails are mostly one firm's: each firm is read once.
        let mut firms: HashMap<FirmId, FirmRecord> = HashMap::new();
        for item in claimed {
            let job = match &item.job {
                EmailJob::InboundNotice(message) => {
                    let firm = match firms.entry(item.firm_id) {
                        Entry::Occupied(known) => Ok(known.into_mut()),
                        Entry::Vacant(slot) => {
                            self.firm(item.firm_id).await.map(|r| slot.insert(r))
                        }
                    };
                    match firm {
                        Ok(firm) => self.inbound_notice(firm, *message).await,
                        Err(e) => Err(e),
                    }
                }
                // serde's own message can quote the JSON (a client's text): only where.
                EmailJob::Json(json) => serde_json::from_str::<ReplyEmailJob>(json).map_err(|e| {
                    AppError::invalid(
                        "email",
                        format!(
                            "unreadable email in the outbox ({:?} error at line {}, column {})",
                            e.classify(),
                            e.line(),
                            e.column()
                        ),
                    )
                }),
            };
            let outcome = match job {
                Ok(job) => match mailer
                    .send(&job.render(self.config.email_from.clone()))
                    .await
                {
                    Ok(()) => EmailOutcome::Sent,
                    Err(e) => self.retry_or_fail(&item, e.is_transient(), e.to_string()),
                },
                // The message, its case or its firm is gone or unreadable: trying again
                // will not help.
                Err(
                    e @ (AppError::NotFound(_)
                    | AppError::Invalid { .. }
                    | AppError::Store(StoreError::Corrupt { .. })),
                ) => EmailOutcome::Failed {
                    error: e.to_string(),
                },
                // The database did not answer: like a mail server that did not.
                Err(e) => self.retry_or_fail(&item, true, e.to_string()),
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

    /// A failed attempt: retried with backoff while the failure is transient and
    /// attempts are left, failed for good otherwise.
    fn retry_or_fail(&self, item: &ClaimedEmail, transient: bool, error: String) -> EmailOutcome {
        if transient && item.attempts + 1 < self.config.email_retry.max_attempts {
            let wait = self.config.email_retry.delay(item.attempts, item.id);
            EmailOutcome::Retry {
                at: self.now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)),
                error,
            }
        } else {
            EmailOutcome::Failed { error }
        }
    }

    /// The notification of an inbound text, from the message as stored: the case it is
    /// on now (it may have been attached from the unmatched inbox since), that case's
    /// notification address or the firm's, and the firm's name and time zone.
    async fn inbound_notice(
        &self,
        record: &FirmRecord,
        message: MessageId,
    ) -> Result<ReplyEmailJob> {
        let firm = record.firm.id();
        let stored = self.store.message(firm, message).await?;
        let case = match stored.case_id {
            Some(id) => Some(self.store.case(firm, id).await?),
            None => None,
        };
        let debtor = case
            .as_ref()
            .zip(stored.debtor_id)
            .and_then(|(case, id)| case.debtors.get(id));
        let media_count = match &stored.media_json {
            Some(json) => serde_json::from_str::<Vec<serde_json::Value>>(json)
                .map_err(|e| AppError::invalid("media", e))?
                .len(),
            None => 0,
        };
        let case_url = self.config.public_url.as_ref().map(|base| {
            let base = base.trim_end_matches('/');
            match &case {
                Some(case) => format!("{base}/cases/{}", case.id),
                None => format!("{base}/inbox"),
            }
        });
        let sid = stored
            .provider_id
            .clone()
            .unwrap_or_else(|| stored.id.to_string());
        Ok(ReplyEmailJob {
            to: match &case {
                Some(case) => case.notification_address(&record.firm).clone(),
                None => record.firm.notification_email().clone(),
            },
            message_id: format!(
                "<casewire-inbound-{sid}@{}>",
                self.config.email_from.domain()
            ),
            firm_name: record.firm.name().to_owned(),
            case_number: case
                .as_ref()
                .map_or(String::new(), |c| c.number.as_str().to_owned()),
            case_title: case
                .as_ref()
                .map_or_else(|| "Unmatched inbox".to_owned(), |c| c.title.clone()),
            case_url,
            client_name: debtor.map(|d| d.name.full()),
            from_number: stored.from,
            body: stored.body,
            received_at: stored.created_at,
            time_zone: record.firm.time_zone(),
            media_count,
            note: stored.note,
        })
    }
}
