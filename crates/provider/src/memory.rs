//! An in-memory provider that records what it sends and can be scripted to fail, for
//! tests and for embedders that want no real texts.
//!
//! ```
//! use casewire_model::PhoneNumber;
//! use casewire_provider::{InMemoryProvider, SendError};
//!
//! let provider = InMemoryProvider::new();
//! let handle = provider.clone(); // the test keeps one, the app owns the other
//! handle.opt_out(PhoneNumber::parse_e164("+13125550134").unwrap());
//! handle.fail_next(SendError::Uncertain { message: "timed out".into() });
//! assert!(handle.sent().is_empty());
//! ```

use std::{
    collections::{HashMap, HashSet, VecDeque},
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use casewire_model::PhoneNumber;

use crate::{DeliveryStatus, OutboundMessage, Provider, ProviderMessageId, SendError, SendReceipt};

/// Twilio's error for a recipient who replied STOP, which [`InMemoryProvider::opt_out`]
/// imitates.
const TWILIO_OPTED_OUT: u32 = 21610;

/// A provider that keeps every accepted text in memory instead of sending it.
///
/// Accepted texts get ids `MM00000001`, `MM00000002`, ... (Twilio-like) and the status
/// `queued`, as Twilio gives a message created without a Messaging Service. Failures can
/// be scripted; when several apply to one send, the first of these wins:
///
/// 1. [`fail_next`](Self::fail_next): the queue of one-shot failures, oldest first; each
///    is used by exactly one send, whoever it is to;
/// 2. [`fail_to`](Self::fail_to): every send to that number, until
///    [`clear_failures`](Self::clear_failures);
/// 3. [`opt_out`](Self::opt_out): every send to that number fails like Twilio 21610,
///    until [`opt_in`](Self::opt_in).
///
/// Clones share one state, so a test can keep a handle while the app owns another.
#[derive(Clone, Default)]
pub struct InMemoryProvider {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Numbers handed out so far; never reset, so ids stay unique like real ones.
    counter: u64,
    attempts: usize,
    sent: Vec<SentMessage>,
    fail_next: VecDeque<SendError>,
    fail_to: HashMap<PhoneNumber, SendError>,
    opted_out: HashSet<PhoneNumber>,
}

/// A text the [`InMemoryProvider`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// 1 for the first text accepted by this provider, 2 for the next, ... Not reset by
    /// [`InMemoryProvider::clear`].
    pub seq: u64,
    /// The id returned in the receipt.
    pub provider_id: ProviderMessageId,
    /// The text as it was handed to the provider.
    pub message: OutboundMessage,
}

impl InMemoryProvider {
    /// A provider that has sent nothing and will not fail.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every text accepted so far (since the last [`clear`](Self::clear)), oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.state().sent.clone()
    }

    /// The accepted texts to `number`, oldest first.
    pub fn sent_to(&self, number: &PhoneNumber) -> Vec<SentMessage> {
        self.state()
            .sent
            .iter()
            .filter(|sent| &sent.message.to == number)
            .cloned()
            .collect()
    }

    /// How many times `send` was called since the last [`clear`](Self::clear), failed
    /// calls included: a test of "no retry after an uncertain failure" counts these.
    pub fn attempts(&self) -> usize {
        self.state().attempts
    }

    /// Forgets the recorded texts and attempts. Scripted failures and opt-outs stay, and
    /// ids keep counting up.
    pub fn clear(&self) {
        let mut state = self.state();
        state.sent.clear();
        state.attempts = 0;
    }

    /// Makes one future send fail with `error`. Calls queue up: the next send gets the
    /// first, the one after it the second.
    pub fn fail_next(&self, error: SendError) {
        self.state().fail_next.push_back(error);
    }

    /// Makes every send to `number` fail with a clone of `error`, until
    /// [`clear_failures`](Self::clear_failures). A later call for the same number
    /// replaces the error.
    pub fn fail_to(&self, number: PhoneNumber, error: SendError) {
        self.state().fail_to.insert(number, error);
    }

    /// Drops the failures scripted with [`fail_next`](Self::fail_next) and
    /// [`fail_to`](Self::fail_to). Opt-outs stay: they are the recipient's choice, not a
    /// script.
    pub fn clear_failures(&self) {
        let mut state = self.state();
        state.fail_next.clear();
        state.fail_to.clear();
    }

    /// Records that `number` replied STOP: sends to it fail with
    /// [`SendError::RecipientOptedOut`] and code 21610, as at Twilio.
    pub fn opt_out(&self, number: PhoneNumber) {
        self.state().opted_out.insert(number);
    }

    /// Records that `number` replied START: sends to it work again.
    pub fn opt_in(&self, number: &PhoneNumber) {
        self.state().opted_out.remove(number);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide what was sent from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn try_send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        let mut state = self.state();
        state.attempts += 1;
        if let Some(error) = state.fail_next.pop_front() {
            return Err(error);
        }
        if let Some(error) = state.fail_to.get(&message.to) {
            return Err(error.clone());
        }
        if state.opted_out.contains(&message.to) {
            return Err(SendError::RecipientOptedOut {
                code: Some(TWILIO_OPTED_OUT),
            });
        }
        state.counter += 1;
        let seq = state.counter;
        let provider_id = ProviderMessageId::numbered("MM", seq);
        state.sent.push(SentMessage {
            seq,
            provider_id: provider_id.clone(),
            message: message.clone(),
        });
        Ok(SendReceipt {
            provider_id,
            status: DeliveryStatus::Queued,
        })
    }
}

#[async_trait]
impl Provider for InMemoryProvider {
    fn name(&self) -> &str {
        "memory"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        // The lock is taken and released inside `try_send`; nothing here awaits.
        let result = self.try_send(message);
        match &result {
            Ok(receipt) => tracing::debug!(
                to = %message.to.masked(),
                provider_id = %receipt.provider_id,
                reminder_key = message.reminder_key.as_deref(),
                "in-memory provider accepted a text"
            ),
            Err(error) => tracing::debug!(
                to = %message.to.masked(),
                reason = error.reason_code(),
                "in-memory provider failed a text as scripted"
            ),
        }
        result
    }
}

impl fmt::Debug for InMemoryProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("InMemoryProvider")
            .field("sent", &state.sent.len())
            .field("attempts", &state.attempts)
            .field("scripted_failures", &state.fail_next.len())
            .field("failing_numbers", &state.fail_to.len())
            .field("opted_out", &state.opted_out.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    fn number(e164: &str) -> PhoneNumber {
        PhoneNumber::parse_e164(e164).unwrap()
    }

    fn text_to(to: &str, body: &str) -> OutboundMessage {
        OutboundMessage::new(number("+14155550100"), number(to), body)
    }

    const MARIA: &str = "+13125550134";
    const JOSE: &str = "+13125550199";

    fn transient() -> SendError {
        SendError::Transient {
            retry_after: Some(Duration::from_secs(1)),
            code: Some(20429),
            message: "Too Many Requests".into(),
        }
    }

    #[tokio::test]
    async fn records_every_accepted_text_with_twilio_like_ids() {
        let provider = InMemoryProvider::new();
        let first = provider.send(&text_to(MARIA, "one")).await.unwrap();
        let second = provider.send(&text_to(JOSE, "two")).await.unwrap();

        assert_eq!(first.provider_id.as_str(), "MM00000001");
        assert_eq!(second.provider_id.as_str(), "MM00000002");
        assert_eq!(first.status, DeliveryStatus::Queued);
        let sent = provider.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!((sent[0].seq, sent[1].seq), (1, 2));
        assert_eq!(sent[0].provider_id, first.provider_id);
        assert_eq!(sent[1].message.body, "two");
        assert_eq!(provider.name(), "memory");
    }

    #[tokio::test]
    async fn sent_to_picks_one_recipient() {
        let provider = InMemoryProvider::new();
        for (to, body) in [(MARIA, "a"), (JOSE, "b"), (MARIA, "c")] {
            provider.send(&text_to(to, body)).await.unwrap();
        }
        let bodies: Vec<String> = provider
            .sent_to(&number(MARIA))
            .into_iter()
            .map(|s| s.message.body)
            .collect();
        assert_eq!(bodies, ["a", "c"]);
    }

    #[tokio::test]
    async fn a_scripted_failure_happens_once() {
        let provider = InMemoryProvider::new();
        provider.fail_next(transient());

        assert_eq!(provider.send(&text_to(MARIA, "hi")).await, Err(transient()));
        assert!(provider.send(&text_to(MARIA, "hi")).await.is_ok());
        assert_eq!(provider.sent().len(), 1);
        assert_eq!(provider.attempts(), 2);
    }

    #[tokio::test]
    async fn scripted_failures_come_out_in_the_order_they_were_queued() {
        let provider = InMemoryProvider::new();
        provider.fail_next(transient());
        provider.fail_next(SendError::Uncertain {
            message: "timed out".into(),
        });

        let first = provider.send(&text_to(MARIA, "a")).await.unwrap_err();
        let second = provider.send(&text_to(JOSE, "b")).await.unwrap_err();
        assert_eq!(first.reason_code(), "transient");
        assert_eq!(second.reason_code(), "uncertain");
        assert!(provider.send(&text_to(MARIA, "c")).await.is_ok());
    }

    #[tokio::test]
    async fn a_failing_number_fails_every_time_until_cleared() {
        let provider = InMemoryProvider::new();
        let invalid = SendError::InvalidRecipient {
            code: Some(21614),
            message: "not a mobile number".into(),
        };
        provider.fail_to(number(MARIA), invalid.clone());

        for _ in 0..3 {
            assert_eq!(
                provider.send(&text_to(MARIA, "hi")).await,
                Err(invalid.clone())
            );
        }
        assert!(provider.send(&text_to(JOSE, "hi")).await.is_ok());

        provider.clear_failures();
        assert!(provider.send(&text_to(MARIA, "hi")).await.is_ok());
        assert_eq!(provider.sent_to(&number(MARIA)).len(), 1);
    }

    #[tokio::test]
    async fn an_opted_out_number_fails_like_twilio_21610() {
        let provider = InMemoryProvider::new();
        provider.opt_out(number(MARIA));

        let error = provider.send(&text_to(MARIA, "hi")).await.unwrap_err();
        assert_eq!(error, SendError::RecipientOptedOut { code: Some(21610) });
        assert_eq!(error.action(), crate::SendAction::MarkOptedOut);
        assert!(provider.sent().is_empty());

        provider.clear_failures();
        assert!(
            provider.send(&text_to(MARIA, "hi")).await.is_err(),
            "clearing scripted failures does not undo a STOP"
        );
        provider.opt_in(&number(MARIA));
        assert!(provider.send(&text_to(MARIA, "hi")).await.is_ok());
    }

    #[tokio::test]
    async fn a_one_shot_failure_is_used_before_a_standing_one() {
        let provider = InMemoryProvider::new();
        provider.opt_out(number(MARIA));
        provider.fail_next(transient());

        assert_eq!(provider.send(&text_to(MARIA, "a")).await, Err(transient()));
        assert_eq!(
            provider
                .send(&text_to(MARIA, "a"))
                .await
                .unwrap_err()
                .reason_code(),
            "opted_out"
        );
    }

    #[tokio::test]
    async fn clear_forgets_sends_but_ids_stay_unique() {
        let provider = InMemoryProvider::new();
        provider.send(&text_to(MARIA, "a")).await.unwrap();
        provider.clear();
        assert!(provider.sent().is_empty());
        assert_eq!(provider.attempts(), 0);

        let receipt = provider.send(&text_to(MARIA, "b")).await.unwrap();
        assert_eq!(receipt.provider_id.as_str(), "MM00000002");
        assert_eq!(provider.sent()[0].seq, 2);
    }

    #[tokio::test]
    async fn a_kept_handle_sees_what_the_app_sent() {
        let test_handle = InMemoryProvider::new();
        let app: Arc<dyn Provider> = Arc::new(test_handle.clone());
        let mut reminder = text_to(MARIA, "Your hearing is tomorrow");
        reminder.reminder_key = Some("event-17/1d".into());

        app.send(&reminder).await.unwrap();
        assert_eq!(app.name(), "memory");
        let sent = test_handle.sent();
        assert_eq!(sent[0].message.reminder_key.as_deref(), Some("event-17/1d"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_sends_get_distinct_ids() {
        let provider = InMemoryProvider::new();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let provider = provider.clone();
            tasks.push(tokio::spawn(async move {
                provider.send(&text_to(MARIA, &i.to_string())).await
            }));
        }
        let mut ids = HashSet::new();
        for task in tasks {
            ids.insert(task.await.unwrap().unwrap().provider_id);
        }
        assert_eq!(ids.len(), 50);
        assert_eq!(provider.sent().len(), 50);
    }

    #[test]
    fn debug_shows_counts_not_contents() {
        let provider = InMemoryProvider::new();
        provider.opt_out(number(MARIA));
        let shown = format!("{provider:?}");
        assert!(shown.contains("opted_out: 1"), "{shown}");
        assert!(!shown.contains("0134"), "{shown}");
    }
}
