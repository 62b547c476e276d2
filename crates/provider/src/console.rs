//! A provider that prints each text to a terminal instead of sending it: the default
//! when no vendor is configured, so a developer sees what clients would receive.

use std::{
    fmt,
    io::{self, Write},
    sync::{Mutex, PoisonError},
};

use async_trait::async_trait;
use casewire_model::PhoneNumber;

use crate::{DeliveryStatus, OutboundMessage, Provider, ProviderMessageId, SendError, SendReceipt};

/// A provider that writes each outbound text as one readable block:
///
/// ```text
/// → +1 (312) 555-0134 from +1 (415) 555-0100 · CONSOLE-5f0c2a9d1e7b4c36-00000001 · reminder event-17/1d
///   Your meeting of creditors is tomorrow at 9:00 am.
///   Reply STOP to opt out.
///
/// ```
///
/// Every text is "sent" at once: the receipt has status `sent` and an id `CONSOLE-`, a
/// tag of 16 hex digits drawn when the provider is created, and a counter. The tag keeps
/// ids unique across restarts and across processes sharing a database (the server and
/// `simulate-inbound`, say), as a real provider's are: stored messages are de-duplicated
/// by provider id. Writing to a terminal is this provider's product, not logging,
/// so the whole body is shown; control characters in it are escaped so a text cannot
/// move the cursor or recolour the terminal.
///
/// ```
/// use casewire_provider::{ConsoleProvider, Provider};
///
/// let for_tests = ConsoleProvider::new(Vec::<u8>::new()); // any `Write + Send`
/// let for_a_developer = ConsoleProvider::stdout();
/// assert_eq!(for_a_developer.name(), "console");
/// ```
pub struct ConsoleProvider {
    inner: Mutex<Console>,
}

struct Console {
    out: Box<dyn Write + Send>,
    /// What makes this provider's ids differ from every other's.
    run: String,
    /// Texts written so far.
    counter: u64,
}

impl ConsoleProvider {
    /// A console provider writing to `writer` (a buffer in tests, a file, ...).
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        ConsoleProvider {
            inner: Mutex::new(Console {
                out: Box::new(writer),
                run: run_tag(),
                counter: 0,
            }),
        }
    }

    /// A console provider writing to standard output.
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }

    fn write_block(&self, message: &OutboundMessage) -> io::Result<ProviderMessageId> {
        // Held only for this synchronous write; `send` has no `.await`.
        let mut console = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let id = ProviderMessageId::new(format!(
            "CONSOLE-{}-{:08}",
            console.run,
            console.counter + 1
        ))
        .map_err(io::Error::other)?;
        let block = render(message, &id);
        console.out.write_all(block.as_bytes())?;
        console.out.flush()?;
        console.counter += 1;
        Ok(id)
    }
}

/// 16 hex digits that differ between providers: the process id and the time, mixed by a
/// hasher std keys at random for each process.
fn run_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(since_epoch.as_nanos());
    format!("{:016x}", hasher.finish())
}

/// The block for one text: a header line, the body indented by two spaces, a blank line.
fn render(message: &OutboundMessage, id: &ProviderMessageId) -> String {
    let mut block = format!(
        "→ {} from {} · {id}",
        pretty(&message.to),
        pretty(&message.from)
    );
    if let Some(key) = &message.reminder_key {
        block.push_str(" · reminder ");
        block.push_str(&escape_controls(key));
    }
    block.push('\n');
    if message.body.is_empty() {
        block.push_str("  (empty)\n");
    }
    for line in message.body.lines() {
        block.push_str("  ");
        block.push_str(&escape_controls(line));
        block.push('\n');
    }
    block.push('\n');
    block
}

/// `+1 (312) 555-0134` for North American numbers, E.164 for the rest (a national
/// format without its country code would be ambiguous).
fn pretty(number: &PhoneNumber) -> String {
    let e164 = number.as_e164();
    if e164.len() == 12 && e164.starts_with("+1") {
        format!("+1 {}", number.national())
    } else {
        e164.to_owned()
    }
}

fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[async_trait]
impl Provider for ConsoleProvider {
    fn name(&self) -> &str {
        "console"
    }

    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        match self.write_block(message) {
            Ok(provider_id) => Ok(SendReceipt {
                provider_id,
                status: DeliveryStatus::Sent,
            }),
            // Nobody was texted, so trying again cannot send twice.
            Err(error) => Err(SendError::Transient {
                retry_after: None,
                code: None,
                message: format!("could not write the text to the console: {error}"),
            }),
        }
    }
}

impl fmt::Debug for ConsoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let console = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ConsoleProvider")
            .field("written", &console.counter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A writer whose contents the test can read after the provider took ownership.
    #[derive(Clone, Default)]
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Screen {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct BrokenPipe;

    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn number(e164: &str) -> PhoneNumber {
        PhoneNumber::parse_e164(e164).unwrap()
    }

    fn text(body: &str) -> OutboundMessage {
        OutboundMessage::new(number("+14155550100"), number("+13125550134"), body)
    }

    /// The id's tag and counter, checking its shape.
    fn parts(id: &ProviderMessageId) -> (&str, &str) {
        let rest = id
            .as_str()
            .strip_prefix("CONSOLE-")
            .expect("CONSOLE- prefix");
        let (tag, counter) = rest.split_once('-').expect("tag and counter");
        assert_eq!(tag.len(), 16, "{id:?}");
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()), "{id:?}");
        (tag, counter)
    }

    #[tokio::test]
    async fn a_text_is_printed_as_one_readable_block() {
        let screen = Screen::default();
        let provider = ConsoleProvider::new(screen.clone());
        let mut reminder =
            text("Your meeting of creditors is tomorrow at 9:00 am.\nReply STOP to opt out.");
        reminder.reminder_key = Some("event-17/1d".into());

        let receipt = provider.send(&reminder).await.unwrap();

        let (_, counter) = parts(&receipt.provider_id);
        assert_eq!(counter, "00000001");
        assert_eq!(
            screen.text(),
            format!(
                "→ +1 (312) 555-0134 from +1 (415) 555-0100 · {} · reminder event-17/1d\n\
                 \x20 Your meeting of creditors is tomorrow at 9:00 am.\n\
                 \x20 Reply STOP to opt out.\n\
                 \n",
                receipt.provider_id
            )
        );
        assert_eq!(receipt.status, DeliveryStatus::Sent);
    }

    #[tokio::test]
    async fn each_text_gets_the_next_id() {
        let screen = Screen::default();
        let provider = ConsoleProvider::new(screen.clone());
        let first = provider.send(&text("one")).await.unwrap();
        let second = provider.send(&text("two")).await.unwrap();
        let (first_tag, first_counter) = parts(&first.provider_id);
        let (second_tag, second_counter) = parts(&second.provider_id);
        assert_eq!(first_tag, second_tag);
        assert_eq!((first_counter, second_counter), ("00000001", "00000002"));
        assert!(
            screen
                .text()
                .contains(&format!("{}\n  two\n\n", second.provider_id))
        );
        assert_eq!(provider.name(), "console");
    }

    #[tokio::test]
    async fn ids_differ_between_providers() {
        // A restarted server, or `simulate-inbound` beside it, must not reuse the ids
        // already stored.
        let one = ConsoleProvider::new(Screen::default());
        let other = ConsoleProvider::new(Screen::default());
        let a = one.send(&text("hi")).await.unwrap();
        let b = other.send(&text("hi")).await.unwrap();
        assert_ne!(a.provider_id, b.provider_id);
        assert_ne!(parts(&a.provider_id).0, parts(&b.provider_id).0);
    }

    #[tokio::test]
    async fn international_numbers_are_shown_in_e164() {
        let screen = Screen::default();
        let provider = ConsoleProvider::new(screen.clone());
        let message =
            OutboundMessage::new(number("+14155550100"), number("+447911123456"), "Hello");
        provider.send(&message).await.unwrap();
        assert!(
            screen
                .text()
                .starts_with("→ +447911123456 from +1 (415) 555-0100 · "),
            "{}",
            screen.text()
        );
    }

    #[tokio::test]
    async fn a_text_cannot_take_over_the_terminal() {
        let screen = Screen::default();
        let provider = ConsoleProvider::new(screen.clone());
        provider
            .send(&text("red \u{1b}[31malert\rdone\ttab"))
            .await
            .unwrap();
        let shown = screen.text();
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\r'),
            "{shown:?}"
        );
        assert!(
            shown.contains("  red \\u{1b}[31malert\\rdone\ttab\n"),
            "{shown:?}"
        );
    }

    #[tokio::test]
    async fn an_empty_body_is_visible() {
        let screen = Screen::default();
        let provider = ConsoleProvider::new(screen.clone());
        provider.send(&text("")).await.unwrap();
        assert!(screen.text().ends_with("\n  (empty)\n\n"));
    }

    #[tokio::test]
    async fn a_broken_console_is_a_transient_failure() {
        let provider: Arc<dyn Provider> = Arc::new(ConsoleProvider::new(BrokenPipe));
        let error = provider.send(&text("hi")).await.unwrap_err();
        assert_eq!(error.reason_code(), "transient");
        assert!(matches!(error.action(), crate::SendAction::Retry { .. }));
    }

    #[tokio::test]
    async fn a_failed_write_does_not_use_up_an_id() {
        /// Fails its first write, then writes to the screen.
        struct FailsOnce(bool, Screen);

        impl Write for FailsOnce {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, false) {
                    return Err(io::Error::other("disk full"));
                }
                self.1.write(buf)
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        let screen = Screen::default();
        let provider = ConsoleProvider::new(FailsOnce(true, screen.clone()));
        let error = provider.send(&text("first")).await.unwrap_err();
        assert!(error.to_string().contains("disk full"), "{error}");
        let receipt = provider.send(&text("second")).await.unwrap();
        assert_eq!(parts(&receipt.provider_id).1, "00000001");
        assert!(screen.text().contains("  second\n"));
    }
}
