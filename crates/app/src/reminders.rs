//! Sending due reminders: claim a batch, re-check each at send time, send, record.
//!
//! A reminder's state is written before the provider call (the claim) and after it
//! (sent, retried, failed). A crash between the two leaves the claim to expire and the
//! reminder to be sent again by another worker: so only reminders whose provider call
//! was in flight at the moment of a crash can go out twice. Each claim is renewed just
//! before its reminder is worked on, so a batch that outlasts its lease leaves alone
//! what another worker may have taken; one reminder's send must still finish within a
//! lease.

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use casewire_compliance::{Decision, GateRequest, SendKind, gate};
use casewire_model::{Case, CaseStatus, FirmId, Recipients};
use casewire_provider::{OutboundMessage, SendAction};
use casewire_store::{
    FirmRecord, NewOutbound, ReminderOutcome, ReminderRecord, SentBy, StoreError,
};

use crate::{App, Backoff, Result};

/// How reminders are claimed and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// How many reminders one step claims.
    pub batch: u32,
    /// How long a claim holds before another worker may take the reminder.
    pub lease: Duration,
    /// Retry schedule for transient provider errors.
    pub retry: Backoff,
    /// Retry when the provider may already have accepted the text (a timeout or a 5xx
    /// after the request was sent). Off by default: a duplicate court reminder confuses
    /// clients; a missing one is visible as failed in the case's reminders.
    pub retry_uncertain: bool,
    /// Hold each texting number to its configured segments per second, across every
    /// worker on the database. On by default; off only for benchmarks.
    pub rate_limits: bool,
    /// How much backlog a number may book ahead before sends are deferred.
    pub rate_burst: Duration,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            batch: 100,
            lease: Duration::from_secs(120),
            retry: Backoff {
                base: Duration::from_secs(30),
                max: Duration::from_secs(3600),
                max_attempts: 6,
            },
            retry_uncertain: false,
            rate_limits: true,
            rate_burst: Duration::from_secs(2),
        }
    }
}

/// What one step of the reminder worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderRun {
    /// Reminders claimed.
    pub claimed: u32,
    /// Handed to the provider.
    pub sent: u32,
    /// Put off to the end of quiet hours.
    pub deferred: u32,
    /// Refused by the gate (opted out, reminders off).
    pub skipped: u32,
    /// No longer valid (event moved or cancelled, number removed, case closed).
    pub cancelled: u32,
    /// To be retried after a transient error.
    pub retried: u32,
    /// Failed for good.
    pub failed: u32,
    /// Claims lost to another worker before they were finished.
    pub lost: u32,
    /// Of the deferred, those held back by their number's send rate.
    pub rate_limited: u32,
}

impl ReminderRun {
    fn count(&mut self, outcome: &ReminderOutcome) {
        match outcome {
            ReminderOutcome::Sent { .. } => self.sent += 1,
            ReminderOutcome::Defer { reason, .. } => {
                self.deferred += 1;
                if *reason == RATE_LIMITED {
                    self.rate_limited += 1;
                }
            }
            ReminderOutcome::Skipped { .. } => self.skipped += 1,
            ReminderOutcome::Cancelled { .. } => self.cancelled += 1,
            ReminderOutcome::Retry { .. } => self.retried += 1,
            ReminderOutcome::Failed { .. } => self.failed += 1,
        }
    }
}

#[derive(Default)]
struct BatchCache {
    firms: HashMap<FirmId, FirmRecord>,
    cases: HashMap<(FirmId, casewire_model::CaseId), Option<Case>>,
}

impl App {
    /// One step of the reminder worker: claims a batch of due reminders and finishes
    /// every one of them. Returns what happened, so tests and the loop can drive it.
    pub async fn run_due_reminders_once(&self) -> Result<ReminderRun> {
        let policy = self.config.reminders;
        let claimed = self
            .store
            .claim_due_reminders(
                &self.config.worker_id,
                self.now(),
                policy.lease,
                policy.batch,
            )
            .await?;
        let mut run = ReminderRun {
            claimed: u32::try_from(claimed.len()).unwrap_or(u32::MAX),
            ..ReminderRun::default()
        };
        let mut cache = BatchCache::default();
        for reminder in claimed {
            // A batch that outlasts its lease (a slow provider) may have lost its tail
            // to another worker, which sends it too: renew each claim before working
            // on it, and leave a reminder that is no longer safely ours to its new
            // holder (or to the next claim, its lease having run out).
            let ours = self
                .store
                .renew_claim(
                    reminder.id,
                    &self.config.worker_id,
                    self.now(),
                    policy.lease,
                )
                .await?;
            if !ours {
                run.lost += 1;
                tracing::warn!(
                    reminder = reminder.id,
                    "reminder claim expired before it was sent; left to another worker"
                );
                continue;
            }
            let outcome = self.reminder_outcome(&reminder, &mut cache).await?;
            run.count(&outcome);
            let kept = self
                .store
                .finish_reminder(reminder.id, &self.config.worker_id, &outcome, self.now())
                .await?;
            if !kept {
                run.lost += 1;
                tracing::warn!(
                    reminder = reminder.id,
                    "reminder claim expired before it was finished"
                );
            }
        }
        if run.rate_limited > 0 {
            let queue = self.store.reminder_queue(self.now()).await?;
            tracing::warn!(
                held_back = run.rate_limited,
                due = queue.due,
                oldest_due_lag_secs = queue.oldest_due_lag.as_secs(),
                "reminders are held back by their number's send rate; the due backlog will finish late"
            );
        }
        Ok(run)
    }

    async fn reminder_outcome(
        &self,
        reminder: &ReminderRecord,
        cache: &mut BatchCache,
    ) -> Result<ReminderOutcome> {
        let firm = reminder.firm_id;
        let record = match cache.firms.entry(firm) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(self.store.firm(firm).await?),
        };
        let case = match cache.cases.entry((firm, reminder.case_id)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(match self.store.case(firm, reminder.case_id).await {
                Ok(c) => Some(c),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            }),
        };
        let Some(case) = case.as_ref() else {
            return Ok(cancelled("case_deleted"));
        };

        // Is it still the reminder that was planned?
        if case.status == CaseStatus::Closed {
            return Ok(cancelled("case_closed"));
        }
        let event = match self.store.event(firm, case.id, reminder.event_id).await {
            Ok(e) => e,
            Err(StoreError::NotFound) => return Ok(cancelled("event_deleted")),
            Err(e) => return Err(e.into()),
        };
        if event.cancelled {
            return Ok(cancelled("event_cancelled"));
        }
        if event.starts_at != reminder.event_starts_at {
            return Ok(cancelled("event_moved"));
        }
        let recipients = Recipients::of(case);
        let Some(recipient) = recipients
            .recipients
            .iter()
            .find(|r| r.number == reminder.to)
        else {
            return Ok(cancelled("number_removed"));
        };

        // May it go out now?
        let now = self.now();
        let consent = self.store.consent_state(firm, &reminder.to).await?;
        let zone = case
            .debtors
            .get(recipient.debtor_id)
            .and_then(|d| d.time_zone)
            .unwrap_or_else(|| record.firm.time_zone());
        match gate(&GateRequest {
            kind: SendKind::Automatic,
            consent,
            automatic_reminders: case.texting.automatic_reminders,
            recipient_zone: zone,
            quiet_hours: &record.settings.quiet_hours,
            now,
        }) {
            Decision::Refuse { reason } => {
                return Ok(ReminderOutcome::Skipped {
                    reason: reason.as_str().to_owned(),
                });
            }
            Decision::Defer { until } => {
                return Ok(ReminderOutcome::Defer {
                    until,
                    reason: "quiet_hours",
                });
            }
            Decision::Allow => {}
        }

        // Within the number's send rate? Reserve the slot, or wait for it.
        let sender = record.firm.primary_number();
        let from = sender.number.clone();
        if self.config.reminders.rate_limits {
            let segments = casewire_lint::segments(&reminder.body).1.count.max(1);
            let cost = Duration::from_secs_f64(f64::from(segments) / sender.rate.per_second());
            if let Some(until) = self
                .store
                .reserve_send_slot(&from, cost, self.config.reminders.rate_burst, now)
                .await?
            {
                return Ok(ReminderOutcome::Defer {
                    until,
                    reason: RATE_LIMITED,
                });
            }
        }

        // Send and record.
        let message_id = self
            .store
            .insert_outbound(
                firm,
                &NewOutbound {
                    case_id: Some(case.id),
                    debtor_id: Some(recipient.debtor_id),
                    from: &from,
                    to: &reminder.to,
                    body: &reminder.body,
                    sent_by: SentBy::Reminder,
                    reminder_key: Some(reminder.key.as_str()),
                    refusal: None,
                },
                now,
            )
            .await?;
        let message = OutboundMessage {
            from: from.clone(),
            to: reminder.to.clone(),
            body: reminder.body.clone(),
            status_callback: self.config.status_callback_url.clone(),
            reminder_key: Some(reminder.key.as_str().to_owned()),
        };
        let result = self.send_recorded(firm, message_id, &message).await?;
        let now = self.now();
        match result {
            Ok(_) => Ok(ReminderOutcome::Sent { message_id }),
            Err(error) => {
                let policy = self.config.reminders;
                let retry_after = match error.action() {
                    SendAction::Retry { after } => Some(after),
                    SendAction::RetryOnlyIfDuplicatesAcceptable if policy.retry_uncertain => {
                        Some(None)
                    }
                    SendAction::MarkOptedOut => {
                        self.record_provider_opt_out(firm, &reminder.to, &error)
                            .await?;
                        return Ok(ReminderOutcome::Skipped {
                            reason: "opted_out".into(),
                        });
                    }
                    SendAction::RetryOnlyIfDuplicatesAcceptable | SendAction::Fail => None,
                };
                let attempt = reminder.attempts;
                match retry_after {
                    Some(after) if attempt + 1 < policy.retry.max_attempts => {
                        let backoff = policy.retry.delay(attempt, reminder.id);
                        let wait = after.map_or(backoff, |a| a.max(backoff));
                        let at = now
                            + chrono::Duration::from_std(wait)
                                .unwrap_or(chrono::Duration::hours(1));
                        tracing::info!(
                            reminder = reminder.id,
                            reason = error.reason_code(),
                            attempt,
                            "reminder will be retried"
                        );
                        Ok(ReminderOutcome::Retry {
                            at,
                            reason: error.reason_code().to_owned(),
                        })
                    }
                    _ => {
                        tracing::warn!(reminder = reminder.id, reason = error.reason_code(), code = ?error.code(), "reminder failed");
                        Ok(ReminderOutcome::Failed {
                            reason: match error.code() {
                                Some(code) => format!("{} ({code})", error.reason_code()),
                                None => error.reason_code().to_owned(),
                            },
                            message_id: Some(message_id),
                        })
                    }
                }
            }
        }
    }

    /// Hands back this process's claims (on shutdown) so others take them at once.
    pub async fn release_claims(&self) -> Result<u64> {
        Ok(self
            .store
            .release_reminders(&self.config.worker_id, self.now())
            .await?)
    }
}

/// The deferral reason of a reminder held back by its number's send rate.
const RATE_LIMITED: &str = "rate_limited";

fn cancelled(reason: &str) -> ReminderOutcome {
    ReminderOutcome::Cancelled {
        reason: reason.to_owned(),
    }
}
