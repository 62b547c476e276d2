//! Delivery statuses of outbound messages and the rule that they only move forwards.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an outbound message is on its way to the recipient: Twilio's set of outbound
/// statuses (`receiving`/`received` are inbound-only and not here).
///
/// Status callbacks arrive out of order and may be replayed, so a stored status must only
/// be replaced through [`DeliveryStatus::advance`], which never moves backwards.
///
/// # The order
///
/// ```text
/// accepted  ┐
///           ├─ queued ─ sending ─ sent ─ partially_delivered ─┬─ delivered ─ read
/// scheduled ┘                                                 ├─ undelivered
///                                                             └─ failed
///
/// accepted, scheduled or queued ─ canceled
/// ```
///
/// Ranks ([`DeliveryStatus::rank`]): accepted = scheduled (0) < queued (1) < sending (2) <
/// sent (3) < partially_delivered (4) < delivered = undelivered = failed = canceled (5) <
/// read (6). A later status may skip steps (callbacks get lost: `queued` straight to
/// `delivered` is fine, and so is `sent` to `read`, since a read message was delivered).
///
/// Final statuses ([`DeliveryStatus::is_final`]) are delivered, undelivered, failed,
/// canceled and read. A final status is never replaced, with one exception: delivered may
/// become read. In particular a failed or undelivered message never becomes delivered,
/// and delivered never becomes undelivered: the first final word wins.
///
/// `canceled` can only follow accepted, scheduled or queued: once the provider is sending,
/// a message can no longer be canceled. `failed` and `undelivered` can follow any
/// status that is not final (Twilio fails messages before and after handing them over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// The provider took the request and will pick a sender (Twilio with a Messaging
    /// Service).
    Accepted,
    /// The provider holds the message to send at a later time.
    Scheduled,
    /// Waiting in the provider's queue to be sent.
    Queued,
    /// Being handed to the carrier.
    Sending,
    /// The carrier took it.
    Sent,
    /// Some parts reached the handset, others not (yet).
    PartiallyDelivered,
    /// The carrier confirmed it reached the handset. Final, but may still become read.
    Delivered,
    /// The carrier could not deliver it. Final.
    Undelivered,
    /// The provider could not send it. Final.
    Failed,
    /// The recipient read it (channels with read receipts). Final.
    Read,
    /// Canceled before it was sent. Final.
    Canceled,
}

impl DeliveryStatus {
    /// Every status, in order of rank.
    pub const ALL: [DeliveryStatus; 11] = [
        DeliveryStatus::Accepted,
        DeliveryStatus::Scheduled,
        DeliveryStatus::Queued,
        DeliveryStatus::Sending,
        DeliveryStatus::Sent,
        DeliveryStatus::PartiallyDelivered,
        DeliveryStatus::Delivered,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Canceled,
        DeliveryStatus::Read,
    ];

    /// The snake_case name used by Twilio, in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::Scheduled => "scheduled",
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::PartiallyDelivered => "partially_delivered",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Canceled => "canceled",
        }
    }

    /// Parses a name given by [`DeliveryStatus::as_str`], ignoring ASCII case (Twilio's
    /// `MessageStatus` field, a stored value). Unknown names, including the inbound-only
    /// `received`, give `None`.
    pub fn parse(s: &str) -> Option<Self> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether no further change is expected: delivered, undelivered, failed, canceled
    /// or read. (Delivered may still become read; see [`DeliveryStatus::advance`].)
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Delivered
                | DeliveryStatus::Undelivered
                | DeliveryStatus::Failed
                | DeliveryStatus::Canceled
                | DeliveryStatus::Read
        )
    }

    /// Whether the message did not reach the recipient: undelivered or failed.
    pub fn is_failure(self) -> bool {
        matches!(self, DeliveryStatus::Undelivered | DeliveryStatus::Failed)
    }

    /// The position in the order documented on [`DeliveryStatus`]; statuses of equal
    /// rank are alternatives, not steps. Stable: it may be stored to compare in SQL.
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Accepted | DeliveryStatus::Scheduled => 0,
            DeliveryStatus::Queued => 1,
            DeliveryStatus::Sending => 2,
            DeliveryStatus::Sent => 3,
            DeliveryStatus::PartiallyDelivered => 4,
            DeliveryStatus::Delivered
            | DeliveryStatus::Undelivered
            | DeliveryStatus::Failed
            | DeliveryStatus::Canceled => 5,
            DeliveryStatus::Read => 6,
        }
    }

    /// The status to store when `next` is reported for a message that is at `self`:
    /// `Some(next)` if it is a forward move, `None` if it would move backwards, sideways
    /// or not at all (a replayed callback), in which case the stored status stays.
    ///
    /// ```
    /// use casewire_provider::DeliveryStatus::*;
    ///
    /// assert_eq!(Queued.advance(Delivered), Some(Delivered));
    /// assert_eq!(Delivered.advance(Sent), None); // a late callback
    /// assert_eq!(Failed.advance(Delivered), None); // the first final word wins
    /// assert_eq!(Delivered.advance(Read), Some(Read));
    /// assert_eq!(Sending.advance(Canceled), None); // too late to cancel
    /// ```
    pub fn advance(self, next: DeliveryStatus) -> Option<DeliveryStatus> {
        let current = self;
        let forward = if current.is_final() {
            current == DeliveryStatus::Delivered && next == DeliveryStatus::Read
        } else if next == DeliveryStatus::Canceled {
            current.rank() <= DeliveryStatus::Queued.rank()
        } else {
            next.rank() > current.rank()
        };
        forward.then_some(next)
    }
}

/// [`DeliveryStatus::advance`] as a free function: the status to store when `next` is
/// reported for a message at `current`, or `None` to keep `current`.
pub fn advance(current: DeliveryStatus, next: DeliveryStatus) -> Option<DeliveryStatus> {
    current.advance(next)
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_usual_journey_moves_forward_step_by_step() {
        let mut status = Accepted;
        for next in [Queued, Sending, Sent, Delivered, Read] {
            status = advance(status, next).unwrap_or_else(|| panic!("{status} -> {next}"));
        }
        assert_eq!(status, Read);
    }

    #[test]
    fn status_never_moves_backwards() {
        assert_eq!(advance(Sent, Queued), None);
        assert_eq!(advance(Sent, Sending), None);
        assert_eq!(advance(Delivered, Sent), None);
        assert_eq!(advance(Read, Delivered), None);
        assert_eq!(advance(PartiallyDelivered, Sent), None);
    }

    #[test]
    fn a_replayed_callback_changes_nothing() {
        for status in DeliveryStatus::ALL {
            assert_eq!(advance(status, status), None, "{status}");
        }
    }

    #[test]
    fn lost_callbacks_may_be_skipped() {
        assert_eq!(advance(Queued, Delivered), Some(Delivered));
        assert_eq!(advance(Accepted, Failed), Some(Failed));
        assert_eq!(advance(Sent, Read), Some(Read));
        assert_eq!(advance(Sent, PartiallyDelivered), Some(PartiallyDelivered));
        assert_eq!(advance(PartiallyDelivered, Delivered), Some(Delivered));
        assert_eq!(advance(PartiallyDelivered, Undelivered), Some(Undelivered));
    }

    #[test]
    fn the_first_final_word_wins() {
        for (current, next) in [
            (Failed, Delivered),
            (Failed, Sent),
            (Failed, Undelivered),
            (Undelivered, Delivered),
            (Undelivered, Read),
            (Undelivered, Failed),
            (Delivered, Undelivered),
            (Delivered, Failed),
            (Canceled, Queued),
            (Canceled, Read),
            (Read, Failed),
        ] {
            assert_eq!(advance(current, next), None, "{current} -> {next}");
        }
        assert_eq!(advance(Delivered, Read), Some(Read));
    }

    #[test]
    fn only_messages_not_yet_sending_can_be_canceled() {
        for status in DeliveryStatus::ALL {
            let can = matches!(status, Accepted | Scheduled | Queued);
            assert_eq!(advance(status, Canceled).is_some(), can, "{status}");
        }
    }

    #[test]
    fn accepted_and_scheduled_are_alternatives_not_steps() {
        assert_eq!(advance(Accepted, Scheduled), None);
        assert_eq!(advance(Scheduled, Accepted), None);
        assert_eq!(advance(Scheduled, Queued), Some(Queued));
    }

    #[test]
    fn names_are_twilios() {
        let names: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "accepted",
                "scheduled",
                "queued",
                "sending",
                "sent",
                "partially_delivered",
                "delivered",
                "undelivered",
                "failed",
                "canceled",
                "read"
            ]
        );
        assert_eq!(DeliveryStatus::parse("DELIVERED"), Some(Delivered));
        assert_eq!(
            DeliveryStatus::parse("Partially_Delivered"),
            Some(PartiallyDelivered)
        );
        assert_eq!(DeliveryStatus::parse("received"), None);
        assert_eq!(DeliveryStatus::parse("cancelled"), None);
        assert_eq!(DeliveryStatus::parse(""), None);
    }

    #[test]
    fn all_is_in_rank_order_and_complete() {
        let ranks: Vec<u8> = DeliveryStatus::ALL.iter().map(|s| s.rank()).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        let unique: std::collections::HashSet<_> = DeliveryStatus::ALL.into_iter().collect();
        assert_eq!(unique.len(), 11);
    }

    fn any_status() -> impl Strategy<Value = DeliveryStatus> {
        proptest::sample::select(DeliveryStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(input in "\\PC{0,24}") {
            if let Some(status) = DeliveryStatus::parse(&input) {
                prop_assert!(status.as_str().eq_ignore_ascii_case(&input));
            }
        }

        #[test]
        fn every_name_parses_back_in_any_case(status in any_status(), upper in any::<bool>()) {
            let name = if upper { status.as_str().to_ascii_uppercase() } else { status.as_str().to_owned() };
            prop_assert_eq!(DeliveryStatus::parse(&name), Some(status));
        }

        #[test]
        fn any_sequence_of_updates_only_moves_forward(
            start in any_status(),
            updates in proptest::collection::vec(any_status(), 0..20),
        ) {
            let mut current = start;
            for next in updates {
                if let Some(moved) = advance(current, next) {
                    prop_assert_eq!(moved, next);
                    prop_assert!(moved.rank() > current.rank(), "{} -> {}", current, moved);
                    if current.is_final() {
                        prop_assert_eq!((current, moved), (Delivered, Read));
                    }
                    current = moved;
                }
            }
        }

        #[test]
        fn advance_is_a_strict_order(a in any_status(), b in any_status()) {
            // Never both ways: no cycles, so replays in any order settle.
            prop_assert!(!(advance(a, b).is_some() && advance(b, a).is_some()));
        }
    }
}
