//! The worker loop: runs the reminder step and the email step until told to stop.

use std::{sync::Arc, time::Duration};

use casewire_notify::Mailer;
use tokio::sync::watch;

use crate::{App, EmailRun, ReminderRun};

/// How the worker loop paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerPacing {
    /// How long to wait after a step that found nothing to do.
    pub idle: Duration,
    /// How long to wait after a step that failed (the database is down, say).
    pub after_error: Duration,
}

impl Default for WorkerPacing {
    fn default() -> Self {
        WorkerPacing {
            idle: Duration::from_millis(500),
            after_error: Duration::from_secs(5),
        }
    }
}

/// What the loop did in total, reported when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerTotals {
    /// Reminder steps.
    pub reminders: ReminderRun,
    /// Email steps.
    pub emails: EmailRun,
    /// Steps that failed.
    pub errors: u64,
}

/// One line for a log: `reminders 12 sent, 3 deferred (1 rate-limited), 0 skipped, …;
/// emails 4 sent, …; 0 failed steps`.
impl std::fmt::Display for WorkerTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.reminders;
        let e = &self.emails;
        write!(
            f,
            "reminders {} sent, {} deferred ({} rate-limited), {} skipped, {} cancelled, \
             {} to retry, {} failed, {} lost to other workers; \
             emails {} sent, {} to retry, {} failed; {} failed steps",
            r.sent,
            r.deferred,
            r.rate_limited,
            r.skipped,
            r.cancelled,
            r.retried,
            r.failed,
            r.lost,
            e.sent,
            e.retried,
            e.failed,
            self.errors
        )
    }
}

impl WorkerTotals {
    fn add(&mut self, r: &ReminderRun, e: &EmailRun) {
        let t = &mut self.reminders;
        t.claimed += r.claimed;
        t.sent += r.sent;
        t.deferred += r.deferred;
        t.skipped += r.skipped;
        t.cancelled += r.cancelled;
        t.retried += r.retried;
        t.failed += r.failed;
        t.lost += r.lost;
        t.rate_limited += r.rate_limited;
        let m = &mut self.emails;
        m.claimed += e.claimed;
        m.sent += e.sent;
        m.retried += e.retried;
        m.failed += e.failed;
    }
}

impl App {
    /// Sends due reminders and queued emails until `stop` turns true. A batch in hand
    /// is finished before the loop looks at `stop` again; on the way out, claims this
    /// process still holds are released so other workers take them at once.
    pub async fn run_worker(
        &self,
        mailer: Arc<dyn Mailer>,
        pacing: WorkerPacing,
        mut stop: watch::Receiver<bool>,
        mut on_step: impl FnMut(&ReminderRun, &EmailRun) + Send,
    ) -> WorkerTotals {
        let mut totals = WorkerTotals::default();
        while !*stop.borrow() {
            let step = async {
                let reminders = self.run_due_reminders_once().await?;
                let emails = self.deliver_emails_once(mailer.as_ref()).await?;
                Ok::<_, crate::AppError>((reminders, emails))
            };
            let wait = match step.await {
                Ok((reminders, emails)) => {
                    totals.add(&reminders, &emails);
                    on_step(&reminders, &emails);
                    if reminders.claimed == 0 && emails.claimed == 0 {
                        pacing.idle
                    } else {
                        Duration::ZERO
                    }
                }
                Err(error) => {
                    totals.errors += 1;
                    tracing::error!(%error, "worker step failed; retrying");
                    pacing.after_error
                }
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        match self.release_claims().await {
            Ok(released) => tracing::info!(released, "worker stopped"),
            Err(error) => {
                tracing::warn!(%error, "worker stopped; claims will be released when their leases expire")
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_as_one_line() {
        let mut totals = WorkerTotals::default();
        totals.reminders.sent = 12;
        totals.reminders.deferred = 3;
        totals.reminders.rate_limited = 1;
        totals.emails.sent = 4;
        totals.errors = 2;
        assert_eq!(
            totals.to_string(),
            "reminders 12 sent, 3 deferred (1 rate-limited), 0 skipped, 0 cancelled, \
             0 to retry, 0 failed, 0 lost to other workers; \
             emails 4 sent, 0 to retry, 0 failed; 2 failed steps"
        );
    }
}
