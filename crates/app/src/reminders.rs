//! Sending due reminders: claim a batch, re-check each at send time, send, record.
//!
//! A worker claims a batch and works through it in waves of at most
//! `send_concurrency` reminders. Each wave is checked at send time (its cases, events
//! and consent read just before; its firms once per batch) and started in one transaction (the thread messages
//! recorded under the worker's claim, refused if the number opted out meanwhile) which
//! also records how the previous wave ended (the provider's answers, the final states);
//! then the wave's sends run at the same time. So the state of every reminder is written
//! before and after its provider call, and after a crash the only reminders that can go
//! out twice are those of the wave whose calls were in flight: at most
//! `send_concurrency`. A claim with less than half its lease left is renewed before its
//! send, so a batch that outlasts its lease leaves alone what another worker may have
//! taken; one wave's sends must finish within half a lease.

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use casewire_compliance::{ConsentState, Decision, GateRequest, SendKind, gate};
use casewire_model::{
    Case, CaseEvent, CaseId, CaseStatus, DebtorId, EventId, FirmId, PhoneNumber, Recipients,
};
use casewire_provider::{OutboundMessage, SendAction, SendError, SendReceipt};
use casewire_store::{
    FinishedReminder, FirmRecord, NewOutbound, ReminderOutcome, ReminderRecord, ReminderWave,
    SendAnswer, SentBy, Start, StartingReminder, StoreError,
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
    /// How many provider calls one worker makes at the same time: also the most
    /// reminders a crash of the worker can send twice (those whose calls were in flight).
    pub send_concurrency: u32,
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
            send_concurrency: 16,
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

/// The firms of a batch, read once for it (`None`: the firm is gone).
type Firms = HashMap<FirmId, Option<FirmRecord>>;

/// What a wave's checks read just before it goes: the cases and events its reminders
/// refer to, and the consent of their numbers.
#[derive(Default)]
struct WaveContext {
    cases: HashMap<(FirmId, CaseId), Case>,
    events: HashMap<(FirmId, EventId), CaseEvent>,
    consent: HashMap<(FirmId, PhoneNumber), ConsentState>,
}

/// What a wave needs read of one firm.
#[derive(Default)]
struct Wanted {
    cases: Vec<CaseId>,
    events: Vec<EventId>,
    numbers: Vec<PhoneNumber>,
}

/// What the checks at send time decided for a reminder.
enum Check {
    /// It ends here, without a send.
    Done(ReminderOutcome),
    /// It goes to the provider, from this number, as this debtor's text.
    Send {
        from: PhoneNumber,
        debtor_id: DebtorId,
    },
}

/// A reminder whose work is done, waiting for the next durable step.
struct Done {
    id: i64,
    outcome: ReminderOutcome,
    /// The provider's answer to its send, if it was sent.
    answer: Option<(
        FirmId,
        casewire_model::MessageId,
        std::result::Result<SendReceipt, SendError>,
    )>,
}

impl Done {
    fn finished(&self) -> FinishedReminder<'_> {
        FinishedReminder {
            id: self.id,
            outcome: &self.outcome,
            answer: self
                .answer
                .as_ref()
                .map(|(firm, message_id, result)| SendAnswer {
                    firm: *firm,
                    message_id: *message_id,
                    result: match result {
                        Ok(receipt) => Ok((&receipt.provider_id, receipt.status)),
                        Err(error) => Err((error.code().map(i64::from), error.reason_code())),
                    },
                }),
        }
    }
}

impl App {
    /// One step of the reminder worker: claims a batch of due reminders and finishes
    /// every one of them. Returns what happened, so tests and the loop can drive it.
    pub async fn run_due_reminders_once(&self) -> Result<ReminderRun> {
        let policy = self.config.reminders;
        let owner = self.config.worker_id.as_str();
        let claimed = self
            .store
            .claim_due_reminders(owner, self.now(), policy.lease, policy.batch)
            .await?;
        let mut run = ReminderRun {
            claimed: u32::try_from(claimed.len()).unwrap_or(u32::MAX),
            ..ReminderRun::default()
        };
        if claimed.is_empty() {
            return Ok(run);
        }
        let mut done: Vec<Done> = Vec::new();
        if let Err(error) = self.send_waves(&claimed, &mut done, &mut run).await {
            // Keep what was done (above all the provider's answers: those texts went
            // out) before giving up the rest of the batch to the leases.
            if let Err(also) = self.commit_step(&mut done, &[], &mut run).await {
                tracing::error!(error = %also, "recording the reminders already sent failed too");
            }
            return Err(error);
        }
        self.commit_step(&mut done, &[], &mut run).await?;
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

    /// Works through a claimed batch in waves of `send_concurrency`: each wave's
    /// reminders are checked at send time (with the case, event and consent read just
    /// before), started in one transaction with what the previous wave did, and sent at
    /// the same time. What is done waits in `done` for the next step.
    async fn send_waves(
        &self,
        claimed: &[ReminderRecord],
        done: &mut Vec<Done>,
        run: &mut ReminderRun,
    ) -> Result<()> {
        let wave_size = usize::try_from(self.config.reminders.send_concurrency.max(1)).unwrap_or(1);
        let mut firms = Firms::new();
        for wave in claimed.chunks(wave_size) {
            let context = self.wave_context(wave, &mut firms).await?;
            let mut sends: Vec<(&ReminderRecord, PhoneNumber, DebtorId)> = Vec::new();
            for reminder in wave {
                match self.check(reminder, &firms, &context).await? {
                    Check::Done(outcome) => done.push(Done {
                        id: reminder.id,
                        outcome,
                        answer: None,
                    }),
                    Check::Send { from, debtor_id } => sends.push((reminder, from, debtor_id)),
                }
            }
            let starting: Vec<StartingReminder<'_>> = sends
                .iter()
                .map(|(reminder, from, debtor_id)| StartingReminder {
                    id: reminder.id,
                    // Unknown (never for a claim): renew before sending.
                    lease_until: reminder.lease_until.unwrap_or(reminder.due_at),
                    key: reminder.key.as_str(),
                    firm: reminder.firm_id,
                    message: NewOutbound {
                        case_id: Some(reminder.case_id),
                        debtor_id: Some(*debtor_id),
                        from,
                        to: &reminder.to,
                        body: &reminder.body,
                        sent_by: SentBy::Reminder,
                        reminder_key: Some(reminder.key.as_str()),
                        refusal: None,
                    },
                })
                .collect();
            let started = self.commit_step(done, &starting, run).await?;
            drop(starting);

            // The wave's provider calls, all at once.
            let mut calls = Vec::new();
            for ((reminder, from, _), start) in sends.iter().zip(started) {
                let message_id = match start {
                    Start::Send(id) => id,
                    Start::OptedOut => {
                        done.push(Done {
                            id: reminder.id,
                            outcome: ReminderOutcome::Skipped {
                                reason: "opted_out".into(),
                            },
                            answer: None,
                        });
                        continue;
                    }
                    Start::NotOurs => {
                        run.lost += 1;
                        tracing::warn!(
                            reminder = reminder.id,
                            "reminder claim expired before it was sent; left to another worker"
                        );
                        continue;
                    }
                };
                let message = OutboundMessage {
                    from: from.clone(),
                    to: reminder.to.clone(),
                    body: reminder.body.clone(),
                    status_callback: self.config.status_callback_url.clone(),
                    reminder_key: Some(reminder.key.as_str().to_owned()),
                };
                calls.push(async move {
                    let result = self.provider.send(&message).await;
                    (*reminder, message_id, result)
                });
            }
            for (reminder, message_id, result) in futures_util::future::join_all(calls).await {
                let outcome = self.sent_outcome(reminder, message_id, &result).await;
                done.push(Done {
                    id: reminder.id,
                    outcome,
                    answer: Some((reminder.firm_id, message_id, result)),
                });
            }
        }
        Ok(())
    }

    /// One durable step: records (and counts) what is done, and starts `starting`.
    async fn commit_step(
        &self,
        done: &mut Vec<Done>,
        starting: &[StartingReminder<'_>],
        run: &mut ReminderRun,
    ) -> Result<Vec<Start>> {
        if done.is_empty() && starting.is_empty() {
            return Ok(Vec::new());
        }
        let finished: Vec<FinishedReminder<'_>> = done.iter().map(Done::finished).collect();
        let committed = self
            .store
            .commit_reminder_wave(
                &self.config.worker_id,
                &ReminderWave {
                    finished: &finished,
                    starting,
                },
                self.now(),
                self.config.reminders.lease,
            )
            .await?;
        for (d, kept) in done.iter().zip(&committed.finished) {
            run.count(&d.outcome);
            if !kept {
                run.lost += 1;
                tracing::warn!(
                    reminder = d.id,
                    "reminder claim expired before it was finished"
                );
            }
        }
        done.clear();
        Ok(committed.started)
    }

    /// Reads, in a few queries per firm, what a wave's checks need: its cases, events
    /// and the consent of its numbers, and its firms when the batch has not read them.
    async fn wave_context(
        &self,
        wave: &[ReminderRecord],
        firms: &mut Firms,
    ) -> Result<WaveContext> {
        let mut context = WaveContext::default();
        let mut by_firm: HashMap<FirmId, Wanted> = HashMap::new();
        for r in wave {
            let wanted = by_firm.entry(r.firm_id).or_default();
            wanted.cases.push(r.case_id);
            wanted.events.push(r.event_id);
            wanted.numbers.push(r.to.clone());
        }
        for (firm, wanted) in by_firm {
            let Wanted {
                mut cases,
                mut events,
                numbers,
            } = wanted;
            cases.sort_unstable();
            cases.dedup();
            events.sort_unstable();
            events.dedup();
            let record = match firms.entry(firm) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(match self.store.firm(firm).await {
                    Ok(record) => Some(record),
                    // Its reminders are cancelled by the checks.
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                }),
            };
            if record.is_none() {
                continue;
            }
            for case in self.store.cases_by_ids(firm, &cases).await? {
                context.cases.insert((firm, case.id), case);
            }
            for event in self.store.events_by_ids(firm, &events).await? {
                context.events.insert((firm, event.id), event);
            }
            for (number, state) in self.store.consent_states(firm, &numbers).await? {
                context.consent.insert((firm, number), state);
            }
        }
        Ok(context)
    }

    /// Is the reminder still the one that was planned, and may it go out now?
    async fn check(
        &self,
        reminder: &ReminderRecord,
        firms: &Firms,
        context: &WaveContext,
    ) -> Result<Check> {
        let firm = reminder.firm_id;
        let Some(record) = firms.get(&firm).and_then(Option::as_ref) else {
            return Ok(cancelled("firm_deleted"));
        };
        let Some(case) = context.cases.get(&(firm, reminder.case_id)) else {
            return Ok(cancelled("case_deleted"));
        };

        // Is it still the reminder that was planned?
        if case.status == CaseStatus::Closed {
            return Ok(cancelled("case_closed"));
        }
        let Some(event) = context
            .events
            .get(&(firm, reminder.event_id))
            .filter(|e| e.case_id == case.id)
        else {
            return Ok(cancelled("event_deleted"));
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
        let zone = case
            .debtors
            .get(recipient.debtor_id)
            .and_then(|d| d.time_zone)
            .unwrap_or_else(|| record.firm.time_zone());
        match gate(&GateRequest {
            kind: SendKind::Automatic,
            consent: context
                .consent
                .get(&(firm, reminder.to.clone()))
                .copied()
                .unwrap_or(ConsentState::Subscribed),
            automatic_reminders: case.texting.automatic_reminders,
            recipient_zone: zone,
            quiet_hours: &record.settings.quiet_hours,
            now,
        }) {
            Decision::Refuse { reason } => {
                return Ok(Check::Done(ReminderOutcome::Skipped {
                    reason: reason.as_str().to_owned(),
                }));
            }
            Decision::Defer { until } => {
                return Ok(Check::Done(ReminderOutcome::Defer {
                    until,
                    reason: "quiet_hours",
                }));
            }
            Decision::Allow => {}
        }

        // Within the number's send rate? Reserve the slot, or wait for it.
        let sender = record.firm.primary_number();
        if self.config.reminders.rate_limits {
            let segments = casewire_lint::segments(&reminder.body).1.count.max(1);
            let cost = Duration::from_secs_f64(f64::from(segments) / sender.rate.per_second());
            if let Some(until) = self
                .store
                .reserve_send_slot(&sender.number, cost, self.config.reminders.rate_burst, now)
                .await?
            {
                return Ok(Check::Done(ReminderOutcome::Defer {
                    until,
                    reason: RATE_LIMITED,
                }));
            }
        }
        Ok(Check::Send {
            from: sender.number.clone(),
            debtor_id: recipient.debtor_id,
        })
    }

    /// How a sent reminder ends, given the provider's answer.
    async fn sent_outcome(
        &self,
        reminder: &ReminderRecord,
        message_id: casewire_model::MessageId,
        result: &std::result::Result<SendReceipt, SendError>,
    ) -> ReminderOutcome {
        let error = match result {
            Ok(_) => return ReminderOutcome::Sent { message_id },
            Err(error) => error,
        };
        let policy = self.config.reminders;
        let retry_after = match error.action() {
            SendAction::Retry { after } => Some(after),
            SendAction::RetryOnlyIfDuplicatesAcceptable if policy.retry_uncertain => Some(None),
            SendAction::MarkOptedOut => {
                // The reminder is skipped either way; the opt-out is recorded again the
                // next time the provider reports it.
                if let Err(e) = self
                    .record_provider_opt_out(reminder.firm_id, &reminder.to, error)
                    .await
                {
                    tracing::error!(error = %e, reminder = reminder.id, "recording a provider-reported opt-out failed");
                }
                return ReminderOutcome::Skipped {
                    reason: "opted_out".into(),
                };
            }
            SendAction::RetryOnlyIfDuplicatesAcceptable | SendAction::Fail => None,
        };
        let attempt = reminder.attempts;
        match retry_after {
            Some(after) if attempt + 1 < policy.retry.max_attempts => {
                let backoff = policy.retry.delay(attempt, reminder.id);
                let wait = after.map_or(backoff, |a| a.max(backoff));
                let at = self.now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                tracing::info!(
                    reminder = reminder.id,
                    reason = error.reason_code(),
                    attempt,
                    "reminder will be retried"
                );
                ReminderOutcome::Retry {
                    at,
                    reason: error.reason_code().to_owned(),
                }
            }
            _ => {
                tracing::warn!(reminder = reminder.id, reason = error.reason_code(), code = ?error.code(), "reminder failed");
                ReminderOutcome::Failed {
                    reason: match error.code() {
                        Some(code) => format!("{} ({code})", error.reason_code()),
                        None => error.reason_code().to_owned(),
                    },
                    message_id: Some(message_id),
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

fn cancelled(reason: &str) -> Check {
    Check::Done(ReminderOutcome::Cancelled {
        reason: reason.to_owned(),
    })
}
