//! Casewire's opt-out engine: classifying inbound texts (keywords and clear revocations
//! in words), the consent ledger of each number, the replies to STOP, START and HELP,
//! and the gate every outbound text passes.
//!
//! Everything here is a pure function of its inputs: no IO, no clock, no randomness.
//! The store persists ledgers and settings; the app feeds inbound texts to the
//! [`Classifier`] and asks [`gate`] before every send. `docs/COMPLIANCE.md` describes
//! the behaviour for firm staff. None of this is legal advice.
//!
//! ```
//! use casewire_compliance::{
//!     gate, Applied, Classifier, ConsentState, Decision, GateRequest, Intent, KeywordReplies,
//!     Keywords, Ledger, QuietHours, RefuseReason, SendKind,
//! };
//! use casewire_model::{AutomaticReminders, PhoneNumber};
//!
//! let classifier = Classifier::new(Keywords::default());
//! let firm_number = PhoneNumber::parse_e164("+14155550134")?;
//! let now = "2025-05-01T14:00:00Z".parse()?;
//!
//! // An inbound text: classify it, record the change, answer it.
//! let text = "Please stop texting me.";
//! let classification = classifier.classify(text);
//! assert_eq!(classification.intent(), Some(Intent::OptOut));
//!
//! let mut ledger = Ledger::new();
//! if let Some(change) = classification.consent_change(now, text, Some(firm_number.clone())) {
//!     assert!(matches!(ledger.apply(change)?, Applied::Changed(_)));
//! }
//! let confirmation = KeywordReplies::default().reply_for(Intent::OptOut, "Lee Law", &firm_number);
//! assert!(confirmation.is_some_and(|r| r.contains("Reply START")));
//!
//! // Every outbound text asks the gate first.
//! let decision = gate(&GateRequest {
//!     kind: SendKind::Manual,
//!     consent: ledger.state(),
//!     automatic_reminders: AutomaticReminders::On,
//!     recipient_zone: chrono_tz::America::New_York,
//!     quiet_hours: &QuietHours::default(),
//!     now,
//! });
//! assert_eq!(decision, Decision::Refuse { reason: RefuseReason::OptedOut });
//! assert_eq!(ledger.state(), ConsentState::OptedOut);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classify;
mod gate;
mod keywords;
mod ledger;
mod replies;

pub use classify::{Classification, Classifier, Detection, ReviewReason};
pub use gate::{Decision, GateRequest, QuietHours, QuietHoursError, RefuseReason, SendKind, gate};
pub use keywords::{
    Intent, Keyword, KeywordError, Keywords, MANDATORY_KEYWORDS, MAX_KEYWORD_LEN,
    MAX_KEYWORDS_PER_INTENT,
};
pub use ledger::{
    Applied, ConsentChange, ConsentMethod, ConsentState, Ledger, LedgerError, Transition,
};
pub use replies::{
    DEFAULT_HELP_REPLY, DEFAULT_OPT_IN_REPLY, DEFAULT_OPT_OUT_REPLY, KeywordReplies,
    MAX_TEMPLATE_LEN, PLACEHOLDERS, ReplyMode, ReplyTemplate, ReplyTemplateError,
};
