//! A mailer that keeps emails in memory, for tests and embedders.

use std::{collections::VecDeque, sync::Mutex};

use async_trait::async_trait;

use crate::{Email, MailError, Mailer};

/// Keeps every email it is given, and can be told to fail the next sends.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use casewire_notify::{MailError, Mailer, MemoryMailer};
/// # let email = casewire_notify::Email {
/// #     to: "intake@smithlaw.com".parse().unwrap(),
/// #     from: "notify@smithlaw.com".parse().unwrap(),
/// #     subject: "s".into(), text: "t".into(), html: "h".into(),
/// #     message_id: "<casewire-1@smithlaw.com>".into(),
/// # };
/// let mailer = MemoryMailer::new();
/// mailer.fail_next(MailError::Transient { message: "server down".into() });
/// assert!(mailer.send(&email).await.unwrap_err().is_transient());
/// mailer.send(&email).await.unwrap();
/// assert_eq!(mailer.sent(), vec![email]);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryMailer {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<Email>,
    failures: VecDeque<MailError>,
}

impl MemoryMailer {
    /// An empty mailer that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next send fail with `error` (queued after any failures already set).
    pub fn fail_next(&self, error: MailError) {
        self.lock().failures.push_back(error);
    }

    /// Every email accepted so far, oldest first.
    pub fn sent(&self) -> Vec<Email> {
        self.lock().sent.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let mut state = self.lock();
        match state.failures.pop_front() {
            Some(error) => Err(error),
            None => {
                state.sent.push(email.clone());
                Ok(())
            }
        }
    }

    fn describe(&self) -> String {
        "memory (emails are kept in memory, not sent)".to_owned()
    }
}
