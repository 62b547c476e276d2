//! Casewire's Twilio adapter: [`TwilioProvider`] sends texts through Twilio's Messages
//! API, [`webhook`] reads Twilio's incoming-message and status webhooks, [`signature`]
//! checks that a webhook came from Twilio, and [`twiml_message`] answers one.
//!
//! This is the only crate that knows Twilio's JSON, form fields and error codes. It
//! implements [`casewire_provider::Provider`]; only the application and the binaries
//! name it. It does not decide what to do about a reply (that is the compliance
//! rules') and does not store anything.
//!
//! # What a failed send means
//!
//! Twilio's create-message call is **not idempotent**: sent again, the same request
//! texts the client twice. So every failure says whether Twilio may have accepted the
//! text ([`casewire_provider::SendError::action`] tells the worker what to do):
//!
//! | What happened | [`SendError`](casewire_provider::SendError) | May have been sent? |
//! | --- | --- | --- |
//! | 2xx with a `sid` | `Ok(SendReceipt)` (unknown `status` reads as `queued`) | yes, accepted |
//! | 2xx without a usable `sid` | `Uncertain` | **yes** |
//! | Connection refused, DNS failure, connect timeout | `Transient` | no: never sent |
//! | Timeout after connecting, connection lost mid-request | `Uncertain` | **yes** |
//! | HTTP 500, 502, 503, 504 (any 5xx, `Retry-After` or not) | `Uncertain` | **yes** |
//! | HTTP 429 | `RateLimited { retry_after }` from `Retry-After` (seconds) | no |
//! | Code 20429 with another HTTP status | `Transient { retry_after }` | no |
//! | Code 21610 (recipient replied STOP) | `RecipientOptedOut` | no |
//! | Codes 21211, 21214, 21217, 21401, 21407, 21408, 21421, 21612, 21614 | `InvalidRecipient` | no |
//! | Code 20003 or HTTP 401 | `Unauthorized` | no |
//! | Any other 4xx (21606 bad `From`, 30007, 20404, ...) | `Permanent` with code and message | no |
//!
//! `Uncertain` means: Twilio may have accepted the message. Retry only if a duplicate
//! text is acceptable; otherwise let a person check Twilio's message log.
//!
//! # Webhooks
//!
//! For each webhook request, in this order: check `X-Twilio-Signature` against the
//! configured *public* URL with [`signature::validate`], check the account with
//! [`webhook::verify_account`], parse with [`webhook::parse_inbound`] or
//! [`webhook::parse_status`], de-duplicate on the message sid (signatures carry no
//! timestamp, so requests can be replayed), and answer an inbound message with
//! [`twiml_message`].
//!
//! # Logging
//!
//! Only at debug level, and only the masked recipient number, the sid, the status and
//! error codes; never a body, a full number or a credential. `Debug` of the
//! configuration and the provider hides secrets.

mod answer;
mod config;
mod provider;
pub mod signature;
mod twiml;
pub mod webhook;

pub use config::{
    ConfigError, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, MAX_TIMEOUT, TwilioAuth, TwilioConfig,
    TwilioSender, TwilioSettings,
};
pub use provider::TwilioProvider;
pub use twiml::twiml_message;
pub use webhook::WebhookError;
