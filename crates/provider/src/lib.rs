//! Casewire's messaging-provider seam: the [`Provider`] trait, the values that cross it
//! (outbound texts, receipts, delivery statuses, inbound replies) and two providers that
//! need no vendor: [`InMemoryProvider`] for tests and embedders, [`ConsoleProvider`] for
//! local development.
//!
//! No vendor lives here: Twilio is a sibling crate implementing [`Provider`], and it is
//! the only place that knows Twilio's JSON and error codes beyond the few this crate
//! names. This crate does not depend on an async runtime.
//!
//! Errors say what to do. The worker matches on [`SendError::action`], never on text:
//!
//! ```
//! use std::time::Duration;
//! use casewire_model::PhoneNumber;
//! use casewire_provider::{OutboundMessage, SendAction, SendError};
//!
//! let firm = PhoneNumber::parse_e164("+14155550100").unwrap();
//! let client = PhoneNumber::parse_e164("+13125550134").unwrap();
//! let mut message = OutboundMessage::new(firm, client, "Your 341 meeting is tomorrow at 9:00.");
//! message.reminder_key = Some("event-17/1d".into());
//!
//! let error = SendError::RateLimited { retry_after: Some(Duration::from_secs(5)) };
//! let next_step = match error.action() {
//!     SendAction::Retry { after } => format!("retry in {:?}", after.unwrap_or(Duration::from_secs(60))),
//!     SendAction::RetryOnlyIfDuplicatesAcceptable => "ask a person".to_owned(),
//!     SendAction::MarkOptedOut => "stop texting this number".to_owned(),
//!     SendAction::Fail => format!("failed: {}", error.reason_code()),
//! };
//! assert_eq!(next_step, "retry in 5s");
//! ```
//!
//! Statuses only move forwards ([`DeliveryStatus::advance`]), so out-of-order and
//! replayed status callbacks cannot undo a delivery.

pub mod console;
mod error;
mod id;
pub mod memory;
mod message;
mod provider;
mod status;

pub use console::ConsoleProvider;
pub use error::{SendAction, SendError};
pub use id::{ProviderMessageId, ProviderMessageIdError};
pub use memory::{InMemoryProvider, SentMessage};
pub use message::{InboundMessage, KeywordHint, Media, OutboundMessage, SendReceipt, StatusUpdate};
pub use provider::Provider;
pub use status::{DeliveryStatus, advance};
