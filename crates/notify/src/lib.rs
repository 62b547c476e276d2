//! Casewire's email notifications: the email that tells the firm a client replied by
//! text, and the mailers that deliver it.
//!
//! [`reply_notification`] turns a [`ReplyNotice`] into an [`Email`] (plain text and an
//! escaped HTML alternative). An [`Email`] is a plain value that serialises to JSON, so
//! the store can keep it in an outbox; a worker hands it to a [`Mailer`] and retries
//! while the error [`is_transient`](MailError::is_transient). Three mailers ship here:
//!
//! - [`FileMailer`], the embedded default: one `.eml` file per email in a folder.
//! - [`SmtpMailer`]: any SMTP server, with implicit TLS, STARTTLS or (for a local relay)
//!   no TLS, configured by [`SmtpConfig`].
//! - [`MemoryMailer`]: keeps emails in memory, for tests and embedders.
//!
//! Every email carries the caller's stable `Message-ID` ([`Email::message_id_for`]), so
//! a retried send overwrites its `.eml` file and mail clients can recognise a duplicate.
//!
//! ```
//! use casewire_model::{EmailAddress, PhoneNumber};
//! use casewire_notify::{Email, ReplyNotice, reply_notification};
//! use chrono::TimeZone;
//!
//! let number = PhoneNumber::parse_e164("+14155550134").unwrap();
//! let notice = ReplyNotice {
//!     firm_name: "Smith Law",
//!     case_number: "24-10345",
//!     case_title: "Maria Rivera",
//!     case_url: Some("https://casewire.smithlaw.com/cases/17"),
//!     client_name: Some("Maria Rivera"),
//!     from_number: &number,
//!     body: "Can I bring my pay stubs on Friday?",
//!     received_at: chrono_tz::America::Chicago
//!         .with_ymd_and_hms(2026, 3, 10, 9, 31, 0)
//!         .unwrap(),
//!     media_count: 0,
//!     note: None,
//! };
//! let from = EmailAddress::parse("notify@smithlaw.com").unwrap();
//! let to = EmailAddress::parse("intake@smithlaw.com").unwrap();
//! let message_id = Email::message_id_for(42, &from);
//! let email = reply_notification(&notice, to, from, message_id);
//!
//! assert_eq!(email.subject, "Text from Maria Rivera — case 24-10345");
//! assert_eq!(email.message_id, "<casewire-42@smithlaw.com>");
//! assert!(email.text.contains("Tue, Mar 10, 2026 at 9:31 AM CDT"));
//! assert!(email.text.contains("(415) 555-0134"));
//! ```
//!
//! This crate does not touch the database and does not retry: the outbox and its
//! backoff live with the store and the worker.

mod email;
mod file;
mod mailer;
mod memory;
mod render;
mod smtp;

pub use email::Email;
pub use file::FileMailer;
pub use mailer::{MailError, Mailer};
pub use memory::MemoryMailer;
pub use render::{ReplyNotice, html_escape, reply_notification};
pub use smtp::{SmtpConfig, SmtpConfigError, SmtpMailer, SmtpSecurity};
