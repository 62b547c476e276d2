//! Counters for `/metrics`, in the Prometheus text format. Plain atomics: cheap enough
//! for the webhook hot path.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
};

use casewire_app::{EmailRun, ReminderRun};

macro_rules! counters {
    ($($name:ident: $help:literal),* $(,)?) => {
        /// The process's counters.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $(#[doc = $help] pub $name: AtomicU64,)*
        }

        impl Metrics {
            fn write_counters(&self, out: &mut String) {
                $(
                    write_counter(out, stringify!($name), $help, self.$name.load(Ordering::Relaxed));
                )*
            }
        }
    };
}

counters! {
    inbound_received_total: "Inbound texts stored.",
    inbound_duplicates_total: "Inbound webhooks that repeated a stored text.",
    webhook_rejected_total: "Webhooks refused for a missing or forged signature or another account.",
    webhook_malformed_total: "Webhooks refused as malformed.",
    status_updates_total: "Delivery-status updates received.",
    messages_sent_total: "Texts handed to the provider from the API.",
    messages_refused_total: "Texts the send gate refused (opted out).",
    reminders_sent_total: "Reminders handed to the provider.",
    reminders_failed_total: "Reminders that failed for good.",
    reminders_deferred_total: "Reminders put off to the end of quiet hours.",
    reminders_skipped_total: "Reminders the gate refused at send time.",
    reminders_cancelled_total: "Reminders found no longer valid at send time.",
    reminders_retried_total: "Reminder sends to be retried after a transient error.",
    reminders_rate_limited_total: "Reminders held back by their texting number's send rate.",
    emails_sent_total: "Notification emails accepted by the mail server.",
    emails_failed_total: "Notification emails that failed for good.",
}

fn write_counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP casewire_{name} {help}");
    let _ = writeln!(out, "# TYPE casewire_{name} counter");
    let _ = writeln!(out, "casewire_{name} {value}");
}

impl Metrics {
    /// Adds a worker step's results.
    pub fn record_worker_step(&self, r: &ReminderRun, e: &EmailRun) {
        let add = |c: &AtomicU64, n: u32| {
            c.fetch_add(u64::from(n), Ordering::Relaxed);
        };
        add(&self.reminders_sent_total, r.sent);
        add(&self.reminders_failed_total, r.failed);
        add(&self.reminders_deferred_total, r.deferred);
        add(&self.reminders_skipped_total, r.skipped);
        add(&self.reminders_cancelled_total, r.cancelled);
        add(&self.reminders_retried_total, r.retried);
        add(&self.reminders_rate_limited_total, r.rate_limited);
        add(&self.emails_sent_total, e.sent);
        add(&self.emails_failed_total, e.failed);
    }

    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, with the counters kept elsewhere (name, help, value) and
    /// the queue gauges given.
    pub fn render(&self, counters: &[(&str, &str, u64)], gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        self.write_counters(&mut out);
        for (name, help, value) in counters {
            write_counter(&mut out, name, help, *value);
        }
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP casewire_{name} {help}");
            let _ = writeln!(out, "# TYPE casewire_{name} gauge");
            let _ = writeln!(out, "casewire_{name} {value}");
        }
        out
    }
}
