//! The consent ledger of one phone number with one firm: the state machine the store
//! persists, one transition per change of consent.

use std::fmt;

use casewire_model::{PhoneNumber, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Whether the firm may text a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// The number may be texted. A number with no history is subscribed: the firm got
    /// consent when the client gave it the number.
    #[default]
    Subscribed,
    /// The client revoked consent: nothing may be sent to the number, from any of the
    /// firm's texting numbers, manual or automatic.
    OptedOut,
}

impl ConsentState {
    /// Whether texts may be sent to a number in this state.
    pub fn allows_sending(self) -> bool {
        self == ConsentState::Subscribed
    }

    /// The name used in storage: `subscribed` or `opted_out`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Subscribed => "subscribed",
            ConsentState::OptedOut => "opted_out",
        }
    }

    /// Parses the name given by [`ConsentState::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [ConsentState::Subscribed, ConsentState::OptedOut]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsentState::Subscribed => "subscribed",
            ConsentState::OptedOut => "opted out",
        })
    }
}

/// How a change of consent came about. Stored as JSON with a `kind` tag:
/// `{"kind":"keyword","keyword":"STOP"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsentMethod {
    /// The client replied with a keyword (with or without courtesy words).
    Keyword {
        /// The firm keyword, as stored (`STOP`, `OPT OUT`, `BAJA`).
        keyword: String,
    },
    /// The client wrote a sentence that a phrase rule recognised.
    Phrase {
        /// The rule's stable name (`stop_texting`, `remove_me`, ...).
        rule: String,
    },
    /// A staff member recorded it, usually on the client's spoken or written request.
    Staff {
        /// Who.
        user: UserId,
        /// What the client said, or why.
        note: Option<String>,
    },
    /// Recorded through the firm's API (an API key acts for the firm, not for one staff
    /// member), usually by the firm's own software.
    Api {
        /// What the client said, or why.
        note: Option<String>,
    },
    /// The provider refused a send because the number opted out (Twilio error 21610).
    ProviderReport {
        /// The provider's error code.
        code: u32,
    },
    /// The provider handled a keyword itself and told us (Twilio's `OptOutType` field:
    /// `STOP`, `START`, `HELP`).
    ProviderKeyword {
        /// The provider's value, as sent.
        opt_out_type: String,
    },
}

impl ConsentMethod {
    /// A sentence for the case's history: "replied STOP".
    pub fn describe(&self) -> String {
        match self {
            ConsentMethod::Keyword { keyword } => format!("replied {keyword}"),
            ConsentMethod::Phrase { rule } => {
                format!("wrote a message that asks to stop texts (rule {rule})")
            }
            ConsentMethod::Staff { user, note: None } => format!("recorded by staff user {user}"),
            ConsentMethod::Staff {
                user,
                note: Some(note),
            } => format!("recorded by staff user {user}: {note}"),
            ConsentMethod::Api { note: None } => String::from("recorded through the firm's API"),
            ConsentMethod::Api { note: Some(note) } => {
                format!("recorded through the firm's API: {note}")
            }
            ConsentMethod::ProviderReport { code: 21610 } => {
                String::from("the provider reported the number as opted out (error 21610)")
            }
            ConsentMethod::ProviderReport { code } => {
                format!("the provider reported the number as opted out (error {code})")
            }
            ConsentMethod::ProviderKeyword { opt_out_type } => {
                format!("the provider handled the keyword {opt_out_type}")
            }
        }
    }
}

/// A change of consent that happened: what the store hands to [`Ledger::apply`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    /// The state asked for.
    pub to: ConsentState,
    /// When it happened (when the message was received, or staff recorded it).
    pub at: DateTime<Utc>,
    /// How.
    pub method: ConsentMethod,
    /// The client's message, when a message made the change.
    pub raw_text: Option<String>,
    /// The firm number that received the message. Informational only: an opt-out applies
    /// to all of the firm's numbers.
    pub via_number: Option<PhoneNumber>,
}

/// One recorded change of consent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state before.
    pub from: ConsentState,
    /// The state after; never equal to `from`.
    pub to: ConsentState,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// How.
    pub method: ConsentMethod,
    /// The client's message, when a message made the change.
    pub raw_text: Option<String>,
    /// The firm number that received the message.
    pub via_number: Option<PhoneNumber>,
}

/// Message bodies stay out of logs: `Debug` shows only the length of `raw_text`.
struct Redacted<'a>(&'a Option<String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(text) => write!(f, "Some(<{} chars>)", text.chars().count()),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for ConsentChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsentChange")
            .field("to", &self.to)
            .field("at", &self.at)
            .field("method", &self.method)
            .field("raw_text", &Redacted(&self.raw_text))
            .field("via_number", &self.via_number)
            .finish()
    }
}

impl fmt::Debug for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transition")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("at", &self.at)
            .field("method", &self.method)
            .field("raw_text", &Redacted(&self.raw_text))
            .field("via_number", &self.via_number)
            .finish()
    }
}

/// What applying a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The state changed; the store appends this transition.
    Changed(Transition),
    /// The number was already in the state asked for (a second STOP): nothing to record.
    Unchanged,
}

impl Applied {
    /// Whether the state changed.
    pub fn is_changed(&self) -> bool {
        matches!(self, Applied::Changed(_))
    }
}

/// A history that is not a valid chain, or a change that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// A transition does not start where the previous one ended (the first must start
    /// from subscribed).
    #[error("transition {index} starts from {found} but the number was {expected}")]
    BrokenChain {
        /// The transition's position in the history.
        index: usize,
        /// The state the previous transition left.
        expected: ConsentState,
        /// The state the transition claims to start from.
        found: ConsentState,
    },
    /// A stored transition that changes nothing.
    #[error("transition {index} goes from {state} to {state}")]
    NoChange {
        /// The transition's position in the history.
        index: usize,
        /// Its state.
        state: ConsentState,
    },
    /// A stored transition dated before the one before it.
    #[error("transition {index} at {at} is dated before the previous one at {previous}")]
    Unordered {
        /// The transition's position in the history.
        index: usize,
        /// The previous transition's time.
        previous: DateTime<Utc>,
        /// This transition's time.
        at: DateTime<Utc>,
    },
    /// A change dated before the number's last transition: applying it would rewrite
    /// history, so it is refused and the later decision stands.
    #[error("the change at {at} is dated before the number's last transition at {last}")]
    OutOfOrder {
        /// The last transition's time.
        last: DateTime<Utc>,
        /// The refused change's time.
        at: DateTime<Utc>,
    },
}

/// The consent history of one number with one firm, oldest first.
///
/// The ledger holds only real changes: each transition starts where the previous one
/// ended, the first starts from [`ConsentState::Subscribed`], and times never go
/// backwards. [`Ledger::state`] is the `to` of the last transition, or subscribed.
///
/// ```
/// use casewire_compliance::{Applied, ConsentChange, ConsentMethod, ConsentState, Ledger};
///
/// let mut ledger = Ledger::new();
/// let stop = ConsentChange {
///     to: ConsentState::OptedOut,
///     at: "2025-05-01T14:00:00Z".parse()?,
///     method: ConsentMethod::Keyword { keyword: "STOP".into() },
///     raw_text: Some("STOP".into()),
///     via_number: None,
/// };
/// assert!(ledger.apply(stop.clone())?.is_changed());
/// assert_eq!(ledger.apply(stop)?, Applied::Unchanged);
/// assert_eq!(ledger.state(), ConsentState::OptedOut);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    history: Vec<Transition>,
}

impl Ledger {
    /// An empty ledger: the number is subscribed.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Rebuilds a ledger from stored transitions, oldest first, checking that they form
    /// a valid chain.
    pub fn from_history(history: Vec<Transition>) -> Result<Ledger, LedgerError> {
        let mut state = ConsentState::Subscribed;
        let mut previous: Option<DateTime<Utc>> = None;
        for (index, t) in history.iter().enumerate() {
            if t.from != state {
                return Err(LedgerError::BrokenChain {
                    index,
                    expected: state,
                    found: t.from,
                });
            }
            if t.to == t.from {
                return Err(LedgerError::NoChange { index, state: t.to });
            }
            if let Some(previous) = previous.filter(|p| t.at < *p) {
                return Err(LedgerError::Unordered {
                    index,
                    previous,
                    at: t.at,
                });
            }
            state = t.to;
            previous = Some(t.at);
        }
        Ok(Ledger { history })
    }

    /// The current state.
    pub fn state(&self) -> ConsentState {
        self.last().map_or(ConsentState::Subscribed, |t| t.to)
    }

    /// Every transition, oldest first.
    pub fn history(&self) -> &[Transition] {
        &self.history
    }

    /// The most recent transition.
    pub fn last(&self) -> Option<&Transition> {
        self.history.last()
    }

    /// The transitions, for storing.
    pub fn into_history(self) -> Vec<Transition> {
        self.history
    }

    /// Applies a change.
    ///
    /// A change to the state the number is already in is [`Applied::Unchanged`], whatever
    /// its date (a repeated STOP, a provider's late 21610 report). A real change dated
    /// before the last transition is refused with [`LedgerError::OutOfOrder`]: the later
    /// decision stands, and the caller logs the refused one. A change dated at the same
    /// instant as the last transition is applied after it.
    pub fn apply(&mut self, change: ConsentChange) -> Result<Applied, LedgerError> {
        let from = self.state();
        if change.to == from {
            return Ok(Applied::Unchanged);
        }
        if let Some(last) = self.last().map(|t| t.at).filter(|last| change.at < *last) {
            return Err(LedgerError::OutOfOrder {
                last,
                at: change.at,
            });
        }
        let transition = Transition {
            from,
            to: change.to,
            at: change.at,
            method: change.method,
            raw_text: change.raw_text,
            via_number: change.via_number,
        };
        self.history.push(transition.clone());
        Ok(Applied::Changed(transition))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, GateRequest, QuietHours, RefuseReason, SendKind, gate};
    use casewire_model::AutomaticReminders;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn change(to: ConsentState, minute: i64) -> ConsentChange {
        ConsentChange {
            to,
            at: at(minute),
            method: ConsentMethod::Keyword {
                keyword: match to {
                    ConsentState::OptedOut => "STOP".into(),
                    ConsentState::Subscribed => "START".into(),
                },
            },
            raw_text: None,
            via_number: None,
        }
    }

    #[test]
    fn a_number_with_no_history_may_be_texted() {
        let ledger = Ledger::new();
        assert_eq!(ledger.state(), ConsentState::Subscribed);
        assert!(ledger.state().allows_sending());
        assert!(ledger.last().is_none());
    }

    #[test]
    fn stop_opts_out_and_start_opts_back_in() {
        let mut ledger = Ledger::new();
        let applied = ledger.apply(change(ConsentState::OptedOut, 0)).unwrap();
        let Applied::Changed(t) = applied else {
            panic!("STOP should change the state")
        };
        assert_eq!(
            (t.from, t.to),
            (ConsentState::Subscribed, ConsentState::OptedOut)
        );
        assert!(!ledger.state().allows_sending());

        ledger.apply(change(ConsentState::Subscribed, 5)).unwrap();
        assert_eq!(ledger.state(), ConsentState::Subscribed);
        assert_eq!(ledger.history().len(), 2);
    }

    #[test]
    fn a_second_stop_changes_nothing() {
        let mut ledger = Ledger::new();
        ledger.apply(change(ConsentState::OptedOut, 0)).unwrap();
        assert_eq!(
            ledger.apply(change(ConsentState::OptedOut, 1)),
            Ok(Applied::Unchanged)
        );
        // Even a late, older duplicate is harmless.
        assert_eq!(
            ledger.apply(change(ConsentState::OptedOut, -10)),
            Ok(Applied::Unchanged)
        );
        assert_eq!(ledger.history().len(), 1);
    }

    #[test]
    fn start_on_a_subscribed_number_changes_nothing() {
        let mut ledger = Ledger::new();
        assert_eq!(
            ledger.apply(change(ConsentState::Subscribed, 0)),
            Ok(Applied::Unchanged)
        );
        assert!(ledger.history().is_empty());
    }

    #[test]
    fn a_change_dated_before_the_last_transition_is_refused() {
        let mut ledger = Ledger::new();
        ledger.apply(change(ConsentState::OptedOut, 10)).unwrap();
        assert_eq!(
            ledger.apply(change(ConsentState::Subscribed, 5)),
            Err(LedgerError::OutOfOrder {
                last: at(10),
                at: at(5)
            })
        );
        assert_eq!(ledger.state(), ConsentState::OptedOut);
        // The same instant is not out of order.
        assert!(ledger.apply(change(ConsentState::Subscribed, 10)).is_ok());
    }

    #[test]
    fn stored_history_must_be_a_valid_chain() {
        let mut ledger = Ledger::new();
        ledger.apply(change(ConsentState::OptedOut, 0)).unwrap();
        ledger.apply(change(ConsentState::Subscribed, 5)).unwrap();
        let good = ledger.clone().into_history();
        assert_eq!(Ledger::from_history(good.clone()), Ok(ledger));

        let mut starts_opted_out = good.clone();
        starts_opted_out.remove(0);
        assert_eq!(
            Ledger::from_history(starts_opted_out),
            Err(LedgerError::BrokenChain {
                index: 0,
                expected: ConsentState::Subscribed,
                found: ConsentState::OptedOut
            })
        );

        let mut no_change = good.clone();
        no_change[1].to = ConsentState::OptedOut;
        assert!(matches!(
            Ledger::from_history(no_change),
            Err(LedgerError::NoChange { index: 1, .. })
        ));

        let mut unordered = good;
        unordered[1].at = at(-1);
        assert!(matches!(
            Ledger::from_history(unordered),
            Err(LedgerError::Unordered { index: 1, .. })
        ));
    }

    #[test]
    fn consent_states_are_stored_by_name() {
        for state in [ConsentState::Subscribed, ConsentState::OptedOut] {
            assert_eq!(ConsentState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ConsentState::parse("unsubscribed"), None);
        assert_eq!(ConsentState::default(), ConsentState::Subscribed);
    }

    #[test]
    fn methods_are_stored_as_tagged_json() {
        let methods = [
            (
                ConsentMethod::Keyword {
                    keyword: "STOP".into(),
                },
                r#"{"kind":"keyword","keyword":"STOP"}"#,
            ),
            (
                ConsentMethod::Phrase {
                    rule: "stop_texting".into(),
                },
                r#"{"kind":"phrase","rule":"stop_texting"}"#,
            ),
            (
                ConsentMethod::Staff {
                    user: UserId::new(7),
                    note: Some("asked by phone".into()),
                },
                r#"{"kind":"staff","user":7,"note":"asked by phone"}"#,
            ),
            (
                ConsentMethod::ProviderReport { code: 21610 },
                r#"{"kind":"provider_report","code":21610}"#,
            ),
            (
                ConsentMethod::ProviderKeyword {
                    opt_out_type: "STOP".into(),
                },
                r#"{"kind":"provider_keyword","opt_out_type":"STOP"}"#,
            ),
            (
                ConsentMethod::Api {
                    note: Some("letter".into()),
                },
                r#"{"kind":"api","note":"letter"}"#,
            ),
        ];
        for (method, json) in methods {
            assert_eq!(serde_json::to_string(&method).unwrap(), json);
            assert_eq!(serde_json::from_str::<ConsentMethod>(json).unwrap(), method);
        }
    }

    #[test]
    fn methods_describe_themselves_for_staff() {
        let cases = [
            (
                ConsentMethod::Keyword {
                    keyword: "STOP".into(),
                },
                "replied STOP",
            ),
            (
                ConsentMethod::ProviderReport { code: 21610 },
                "the provider reported the number as opted out (error 21610)",
            ),
            (
                ConsentMethod::Staff {
                    user: UserId::new(3),
                    note: Some("client called".into()),
                },
                "recorded by staff user 3: client called",
            ),
            (
                ConsentMethod::Api {
                    note: Some("client called".into()),
                },
                "recorded through the firm's API: client called",
            ),
            (
                ConsentMethod::Api { note: None },
                "recorded through the firm's API",
            ),
        ];
        for (method, want) in cases {
            assert_eq!(method.describe(), want);
        }
    }

    #[test]
    fn transitions_round_trip_through_json_and_keep_bodies_out_of_debug() {
        let mut ledger = Ledger::new();
        let mut stop = change(ConsentState::OptedOut, 0);
        stop.raw_text = Some("please stop texting me".into());
        stop.via_number = Some(PhoneNumber::parse_e164("+14155550134").unwrap());
        assert!(!format!("{stop:?}").contains("texting"));
        let Ok(Applied::Changed(t)) = ledger.apply(stop) else {
            panic!("should change")
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transition>(&json).unwrap(), t);
        let debug = format!("{t:?}");
        assert!(
            !debug.contains("texting") && !debug.contains("415"),
            "{debug}"
        );
        assert!(debug.contains("<22 chars>"), "{debug}");
    }

    fn arb_change() -> impl Strategy<Value = ConsentChange> {
        (any::<bool>(), -30i64..600).prop_map(|(out, minute)| {
            change(
                if out {
                    ConsentState::OptedOut
                } else {
                    ConsentState::Subscribed
                },
                minute,
            )
        })
    }

    proptest! {
        #[test]
        fn the_state_is_always_where_the_history_ends(
            changes in proptest::collection::vec(arb_change(), 0..40)
        ) {
            let mut ledger = Ledger::new();
            for c in changes {
                let wanted = c.to;
                match ledger.apply(c) {
                    Ok(Applied::Changed(t)) => prop_assert_eq!(t.to, wanted),
                    Ok(Applied::Unchanged) | Err(LedgerError::OutOfOrder { .. }) => {}
                    Err(other) => prop_assert!(false, "unexpected {other}"),
                }
                let expected = ledger.last().map_or(ConsentState::Subscribed, |t| t.to);
                prop_assert_eq!(ledger.state(), expected);
            }
            // The history is a valid chain: it rebuilds into the same ledger.
            prop_assert_eq!(Ledger::from_history(ledger.history().to_vec()), Ok(ledger));
        }

        #[test]
        fn the_gate_never_lets_a_text_through_after_an_opt_out(
            changes in proptest::collection::vec(arb_change(), 1..40),
            manual in any::<bool>(),
            hour in 0i64..48,
        ) {
            let mut ledger = Ledger::new();
            for c in changes {
                let _ = ledger.apply(c);
            }
            let hours = QuietHours::default();
            let decision = gate(&GateRequest {
                kind: if manual { SendKind::Manual } else { SendKind::Automatic },
                consent: ledger.state(),
                automatic_reminders: AutomaticReminders::On,
                recipient_zone: chrono_tz::America::Chicago,
                quiet_hours: &hours,
                now: at(hour * 60),
            });
            if ledger.last().is_some_and(|t| t.to == ConsentState::OptedOut) {
                prop_assert_eq!(decision, Decision::Refuse { reason: RefuseReason::OptedOut });
            } else {
                let refused = matches!(decision, Decision::Refuse { .. });
                prop_assert!(!refused);
            }
        }
    }
}
