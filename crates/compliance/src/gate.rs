//! The send gate: whether a text may go out now, later, or never, given consent, the
//! case's reminder setting and the recipient's local time.

use std::fmt;

use casewire_model::AutomaticReminders;
use chrono::{DateTime, Days, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ConsentState;

/// Who decided to send a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendKind {
    /// Staff pressed send: it goes now or not at all.
    Manual,
    /// A reminder planned by Casewire: it waits for the allowed hours.
    Automatic,
}

/// The local hours in which automatic texts may land: `[start, end)` at the recipient's
/// location, 08:00 to 21:00 by default (the federal rule for telephone solicitations). A
/// firm may choose stricter hours, never wider ones.
///
/// ```
/// use casewire_compliance::QuietHours;
/// use chrono::NaiveTime;
///
/// let hours = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
/// let florida = QuietHours::new(hours(8), hours(20))?;
/// assert!(florida.allows(hours(19)) && !florida.allows(hours(20)));
/// assert!(QuietHours::new(hours(21), hours(8)).is_err());
/// assert!(QuietHours::new(hours(7), hours(20)).is_err());
/// # Ok::<(), casewire_compliance::QuietHoursError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuietHoursRepr", into = "QuietHoursRepr")]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

#[derive(Serialize, Deserialize)]
struct QuietHoursRepr {
    start: NaiveTime,
    end: NaiveTime,
}

/// Why texting hours were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum QuietHoursError {
    /// The window does not run forward within one day.
    #[error(
        "texting hours must start before they end (they are the hours texts may land, not the quiet ones), got {} to {}",
        start.format("%H:%M"),
        end.format("%H:%M")
    )]
    Backwards {
        /// The start given.
        start: NaiveTime,
        /// The end given.
        end: NaiveTime,
    },
    /// The window starts before 08:00 or ends after 21:00.
    #[error(
        "texting hours may not be wider than 08:00 to 21:00 at the client's location (the federal limit), got {} to {}",
        start.format("%H:%M"),
        end.format("%H:%M")
    )]
    WiderThanAllowed {
        /// The start given.
        start: NaiveTime,
        /// The end given.
        end: NaiveTime,
    },
}

/// The earliest start and the latest end a window may have: 08:00 and 21:00.
fn widest() -> (NaiveTime, NaiveTime) {
    let QuietHours { start, end } = QuietHours::default();
    (start, end)
}

impl QuietHours {
    /// The allowed window `[start, end)`: `start` must come before `end` on the same day,
    /// and the window must lie within 08:00 to 21:00.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, QuietHoursError> {
        if start >= end {
            return Err(QuietHoursError::Backwards { start, end });
        }
        let (earliest, latest) = widest();
        if start < earliest || end > latest {
            return Err(QuietHoursError::WiderThanAllowed { start, end });
        }
        Ok(QuietHours { start, end })
    }

    /// The part of `[start, end)` that lies within 08:00 to 21:00: for windows kept
    /// before wider ones were refused, which are read as the hours they may actually
    /// use. Fails when nothing of the window is left.
    pub fn narrowed(start: NaiveTime, end: NaiveTime) -> Result<Self, QuietHoursError> {
        let (earliest, latest) = widest();
        QuietHours::new(start.max(earliest), end.min(latest))
    }

    /// The first allowed local time.
    pub fn start(&self) -> NaiveTime {
        self.start
    }

    /// The first local time no longer allowed.
    pub fn end(&self) -> NaiveTime {
        self.end
    }

    /// Whether a local time falls inside the window.
    pub fn allows(&self, local: NaiveTime) -> bool {
        self.start <= local && local < self.end
    }
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: NaiveTime::MIN + Duration::hours(8),
            end: NaiveTime::MIN + Duration::hours(21),
        }
    }
}

impl TryFrom<QuietHoursRepr> for QuietHours {
    type Error = QuietHoursError;

    fn try_from(r: QuietHoursRepr) -> Result<Self, Self::Error> {
        QuietHours::new(r.start, r.end)
    }
}

impl From<QuietHours> for QuietHoursRepr {
    fn from(q: QuietHours) -> Self {
        QuietHoursRepr {
            start: q.start,
            end: q.end,
        }
    }
}

/// Everything the gate needs to decide one send.
#[derive(Debug, Clone, Copy)]
pub struct GateRequest<'a> {
    /// Manual or automatic.
    pub kind: SendKind,
    /// The recipient number's consent with the firm.
    pub consent: ConsentState,
    /// The case's automatic reminder setting.
    pub automatic_reminders: AutomaticReminders,
    /// The recipient's time zone.
    pub recipient_zone: Tz,
    /// The firm's allowed hours.
    pub quiet_hours: &'a QuietHours,
    /// The current instant.
    pub now: DateTime<Utc>,
}

/// Why a text must not be sent at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefuseReason {
    /// The number opted out of texts from the firm.
    OptedOut,
    /// The case's automatic reminders are off.
    AutomaticRemindersOff,
}

impl RefuseReason {
    /// A short code for storage and the API: `opted_out`, `reminders_off`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefuseReason::OptedOut => "opted_out",
            RefuseReason::AutomaticRemindersOff => "reminders_off",
        }
    }
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefuseReason::OptedOut => "the number has opted out of texts from the firm",
            RefuseReason::AutomaticRemindersOff => "automatic reminders are off for this case",
        })
    }
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send now.
    Allow,
    /// Send at `until`, the next allowed minute in the recipient's zone.
    Defer {
        /// When the text may go.
        until: DateTime<Utc>,
    },
    /// Do not send.
    Refuse {
        /// Why.
        reason: RefuseReason,
    },
}

impl Decision {
    /// Whether the text may go now.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Decides one send.
///
/// - Anything to an opted-out number is refused, manual or automatic.
/// - Automatic texts are refused when the case's automatic reminders are off.
/// - Manual texts go now: staff chose the moment.
/// - Automatic texts outside the allowed hours at the recipient's location are deferred
///   to the start of the next window: today's if it is still ahead, tomorrow's
///   otherwise. If that local time does not exist (a spring-forward gap), the first
///   minute after the gap; if it happens twice (fall back), the earlier one that is
///   still ahead.
///
/// ```
/// use casewire_compliance::{gate, ConsentState, Decision, GateRequest, QuietHours, SendKind};
/// use casewire_model::AutomaticReminders;
///
/// let hours = QuietHours::default();
/// let request = GateRequest {
///     kind: SendKind::Automatic,
///     consent: ConsentState::Subscribed,
///     automatic_reminders: AutomaticReminders::On,
///     recipient_zone: chrono_tz::America::New_York,
///     quiet_hours: &hours,
///     now: "2025-06-02T02:30:00Z".parse()?, // 22:30 in New York
/// };
/// assert_eq!(
///     gate(&request),
///     Decision::Defer { until: "2025-06-02T12:00:00Z".parse()? }, // 08:00 in New York
/// );
/// assert_eq!(gate(&GateRequest { kind: SendKind::Manual, ..request }), Decision::Allow);
/// # Ok::<(), chrono::ParseError>(())
/// ```
pub fn gate(request: &GateRequest<'_>) -> Decision {
    if !request.consent.allows_sending() {
        return Decision::Refuse {
            reason: RefuseReason::OptedOut,
        };
    }
    match request.kind {
        SendKind::Manual => Decision::Allow,
        SendKind::Automatic if !request.automatic_reminders.is_on() => Decision::Refuse {
            reason: RefuseReason::AutomaticRemindersOff,
        },
        SendKind::Automatic => {
            let zone = request.recipient_zone;
            let local = request.now.with_timezone(&zone);
            if request.quiet_hours.allows(local.time()) {
                Decision::Allow
            } else {
                Decision::Defer {
                    until: next_window_start(zone, request.quiet_hours, request.now),
                }
            }
        }
    }
}

/// The first instant after `now` at which the window opens in `zone`.
fn next_window_start(zone: Tz, hours: &QuietHours, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&zone).date_naive();
    // Today's start if still ahead, else tomorrow's; a further day only when a window
    // lies wholly inside a DST gap.
    for days in 0..=7 {
        let Some(date) = today.checked_add_days(Days::new(days)) else {
            break;
        };
        let Some(at) = first_instant_after(zone, date.and_time(hours.start), now) else {
            continue;
        };
        if hours.allows(at.with_timezone(&zone).time()) {
            return at;
        }
    }
    // No real zone gets here (it would take a week without the window); a day later is
    // a safe answer that keeps the text deferred rather than dropped.
    now + Duration::days(1)
}

/// The earliest instant after `now` that reads `local` in `zone`; for a local time in a
/// gap, the first whole minute after the gap.
fn first_instant_after(
    zone: Tz,
    local: NaiveDateTime,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let ahead = |t: DateTime<Tz>| Some(t.with_timezone(&Utc)).filter(|t| *t > now);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => ahead(t),
        LocalResult::Ambiguous(earlier, later) => ahead(earlier).or_else(|| ahead(later)),
        LocalResult::None => {
            // Gaps last an hour or less in practice; allow up to two days.
            let mut probe = local;
            for _ in 0..(48 * 60) {
                probe += Duration::minutes(1);
                match zone.from_local_datetime(&probe) {
                    LocalResult::Single(t) => return ahead(t),
                    LocalResult::Ambiguous(earlier, later) => {
                        return ahead(earlier).or_else(|| ahead(later));
                    }
                    LocalResult::None => {}
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use chrono_tz::{America, Pacific};
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn automatic(zone: Tz, hours: &QuietHours, now: &str) -> Decision {
        gate(&GateRequest {
            kind: SendKind::Automatic,
            consent: ConsentState::Subscribed,
            automatic_reminders: AutomaticReminders::On,
            recipient_zone: zone,
            quiet_hours: hours,
            now: utc(now),
        })
    }

    fn deferred_to(until: &str) -> Decision {
        Decision::Defer { until: utc(until) }
    }

    #[test]
    fn nothing_goes_to_an_opted_out_number() {
        let hours = QuietHours::default();
        for kind in [SendKind::Manual, SendKind::Automatic] {
            for reminders in [AutomaticReminders::On, AutomaticReminders::Off] {
                let d = gate(&GateRequest {
                    kind,
                    consent: ConsentState::OptedOut,
                    automatic_reminders: reminders,
                    recipient_zone: America::New_York,
                    quiet_hours: &hours,
                    now: utc("2025-06-02T16:00:00Z"),
                });
                assert_eq!(
                    d,
                    Decision::Refuse {
                        reason: RefuseReason::OptedOut
                    }
                );
            }
        }
    }

    #[test]
    fn reminders_off_stops_automatic_texts_but_not_staff() {
        let hours = QuietHours::default();
        let request = GateRequest {
            kind: SendKind::Automatic,
            consent: ConsentState::Subscribed,
            automatic_reminders: AutomaticReminders::Off,
            recipient_zone: America::New_York,
            quiet_hours: &hours,
            now: utc("2025-06-02T16:00:00Z"),
        };
        assert_eq!(
            gate(&request),
            Decision::Refuse {
                reason: RefuseReason::AutomaticRemindersOff
            }
        );
        assert_eq!(
            gate(&GateRequest {
                kind: SendKind::Manual,
                ..request
            }),
            Decision::Allow
        );
    }

    #[test]
    fn staff_texts_are_never_deferred() {
        let hours = QuietHours::default();
        let d = gate(&GateRequest {
            kind: SendKind::Manual,
            consent: ConsentState::Subscribed,
            automatic_reminders: AutomaticReminders::On,
            recipient_zone: America::New_York,
            quiet_hours: &hours,
            now: utc("2025-06-02T06:00:00Z"), // 02:00 in New York
        });
        assert_eq!(d, Decision::Allow);
    }

    #[test]
    fn refuse_reasons_have_codes_and_sentences() {
        assert_eq!(RefuseReason::OptedOut.as_str(), "opted_out");
        assert_eq!(
            RefuseReason::AutomaticRemindersOff.as_str(),
            "reminders_off"
        );
        assert_eq!(
            RefuseReason::AutomaticRemindersOff.to_string(),
            "automatic reminders are off for this case"
        );
    }

    #[test]
    fn automatic_texts_wait_for_the_recipients_morning_in_new_york() {
        let hours = QuietHours::default();
        let ny = America::New_York;
        // (now, expected): New York is UTC-4 in June, UTC-5 in January.
        let cases = [
            ("2025-06-02T12:00:00Z", Decision::Allow), // 08:00 exactly
            ("2025-06-03T00:59:00Z", Decision::Allow), // 20:59
            ("2025-06-03T01:00:00Z", deferred_to("2025-06-03T12:00:00Z")), // 21:00
            ("2025-06-02T10:15:00Z", deferred_to("2025-06-02T12:00:00Z")), // 06:15
            ("2025-06-02T04:00:00Z", deferred_to("2025-06-02T12:00:00Z")), // 00:00
            ("2025-01-15T02:30:00Z", deferred_to("2025-01-15T13:00:00Z")), // 21:30 EST
        ];
        for (now, want) in cases {
            assert_eq!(automatic(ny, &hours, now), want, "{now}");
        }
    }

    #[test]
    fn deferral_crosses_the_spring_forward_night_correctly() {
        // 2025-03-09: New York jumps from 02:00 EST to 03:00 EDT.
        let hours = QuietHours::default();
        assert_eq!(
            automatic(America::New_York, &hours, "2025-03-09T02:30:00Z"), // 21:30 EST on the 8th
            deferred_to("2025-03-09T12:00:00Z"),                          // 08:00 EDT
        );
    }

    #[test]
    fn deferral_crosses_the_fall_back_night_correctly() {
        // 2025-11-02: New York falls back from 02:00 EDT to 01:00 EST.
        let hours = QuietHours::default();
        assert_eq!(
            automatic(America::New_York, &hours, "2025-11-02T01:30:00Z"), // 21:30 EDT on the 1st
            deferred_to("2025-11-02T13:00:00Z"),                          // 08:00 EST
        );
    }

    /// Any forward window, wider than allowed too: the night-time DST transitions of
    /// most zones never fall inside a window `QuietHours::new` accepts, but the
    /// deferral handles them all the same.
    fn window(start: NaiveTime, end: NaiveTime) -> QuietHours {
        assert!(start < end);
        QuietHours { start, end }
    }

    #[test]
    fn a_window_opening_inside_the_spring_gap_opens_when_the_gap_ends() {
        let hours = window(t(2, 30), t(21, 0));
        // 01:00 EST on 2025-03-09; 02:30 does not exist that night.
        assert_eq!(
            automatic(America::New_York, &hours, "2025-03-09T06:00:00Z"),
            deferred_to("2025-03-09T07:00:00Z"), // 03:00 EDT
        );
    }

    #[test]
    fn a_window_opening_in_the_repeated_hour_opens_the_first_time() {
        let hours = window(t(1, 30), t(21, 0));
        // 00:45 EDT on 2025-11-02; 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
        assert_eq!(
            automatic(America::New_York, &hours, "2025-11-02T04:45:00Z"),
            deferred_to("2025-11-02T05:30:00Z"),
        );
        // 01:10 EST, after the first 01:30 has passed: wait for the second.
        assert_eq!(
            automatic(America::New_York, &hours, "2025-11-02T06:10:00Z"),
            deferred_to("2025-11-02T06:30:00Z"),
        );
    }

    #[test]
    fn a_window_lying_inside_the_gap_waits_a_day() {
        let hours = window(t(2, 15), t(2, 45));
        assert_eq!(
            automatic(America::New_York, &hours, "2025-03-09T06:00:00Z"), // 01:00 EST
            deferred_to("2025-03-10T06:15:00Z"),                          // 02:15 EDT next day
        );
    }

    #[test]
    fn phoenix_keeps_mountain_standard_time_all_year() {
        let hours = QuietHours::default();
        for (now, want) in [
            ("2025-07-01T04:30:00Z", deferred_to("2025-07-01T15:00:00Z")), // 21:30 MST
            ("2025-01-01T04:30:00Z", deferred_to("2025-01-01T15:00:00Z")),
            ("2025-03-09T15:00:00Z", Decision::Allow), // 08:00 on New York's DST day
        ] {
            assert_eq!(automatic(America::Phoenix, &hours, now), want, "{now}");
        }
    }

    #[test]
    fn honolulu_is_judged_in_honolulu_time_not_the_firms() {
        let hours = QuietHours::default();
        // 14:00 in New York is 08:00 in Honolulu in summer: just allowed.
        assert_eq!(
            automatic(Pacific::Honolulu, &hours, "2025-06-02T18:00:00Z"),
            Decision::Allow
        );
        // 13:00 in New York is 07:00 in Honolulu: wait an hour.
        assert_eq!(
            automatic(Pacific::Honolulu, &hours, "2025-06-02T17:00:00Z"),
            deferred_to("2025-06-02T18:00:00Z")
        );
    }

    #[test]
    fn stricter_state_hours_are_honoured() {
        // Florida: 8 am to 8 pm.
        let florida = QuietHours::new(t(8, 0), t(20, 0)).unwrap();
        assert_eq!(
            automatic(America::New_York, &florida, "2025-06-03T00:30:00Z"), // 20:30 EDT
            deferred_to("2025-06-03T12:00:00Z"),
        );
    }

    #[test]
    fn quiet_hours_must_run_forward_and_round_trip_through_json() {
        assert_eq!(
            QuietHours::new(t(21, 0), t(8, 0)),
            Err(QuietHoursError::Backwards {
                start: t(21, 0),
                end: t(8, 0)
            })
        );
        assert!(QuietHours::new(t(8, 0), t(8, 0)).is_err());
        let q = QuietHours::default();
        assert_eq!((q.start(), q.end()), (t(8, 0), t(21, 0)));
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(json, r#"{"start":"08:00:00","end":"21:00:00"}"#);
        assert_eq!(serde_json::from_str::<QuietHours>(&json).unwrap(), q);
        assert!(
            serde_json::from_str::<QuietHours>(r#"{"start":"21:00:00","end":"08:00:00"}"#).is_err()
        );
    }

    #[test]
    fn hours_wider_than_the_federal_limit_are_refused() {
        for (start, end) in [
            (t(7, 0), t(22, 0)),
            (t(7, 59), t(20, 0)),
            (t(9, 0), t(21, 1)),
        ] {
            assert_eq!(
                QuietHours::new(start, end),
                Err(QuietHoursError::WiderThanAllowed { start, end }),
            );
        }
        assert!(QuietHours::new(t(8, 0), t(21, 0)).is_ok());
        assert!(QuietHours::new(t(9, 0), t(20, 0)).is_ok());
        assert_eq!(
            QuietHours::new(t(7, 0), t(22, 0)).unwrap_err().to_string(),
            "texting hours may not be wider than 08:00 to 21:00 at the client's location \
             (the federal limit), got 07:00 to 22:00"
        );
        assert!(
            serde_json::from_str::<QuietHours>(r#"{"start":"07:00:00","end":"22:00:00"}"#).is_err()
        );
    }

    #[test]
    fn kept_wider_hours_are_narrowed_to_the_federal_limit() {
        assert_eq!(
            QuietHours::narrowed(t(7, 0), t(22, 0)),
            Ok(QuietHours::default())
        );
        assert_eq!(
            QuietHours::narrowed(t(9, 0), t(22, 0)).map(|q| (q.start(), q.end())),
            Ok((t(9, 0), t(21, 0)))
        );
        assert!(QuietHours::narrowed(t(21, 30), t(23, 0)).is_err());
    }

    const ZONES: [Tz; 12] = [
        America::New_York,
        America::Chicago,
        America::Denver,
        America::Phoenix,
        America::Los_Angeles,
        America::Anchorage,
        Pacific::Honolulu,
        America::Puerto_Rico,
        America::Havana,
        America::Santiago,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Europe::London,
    ];

    fn arb_now() -> impl Strategy<Value = DateTime<Utc>> {
        // 2000-01-01 to 2040-01-01.
        (946_684_800i64..2_208_988_800)
            .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default())
    }

    fn arb_hours() -> impl Strategy<Value = QuietHours> {
        (0u32..12 * 60, 60u32..12 * 60).prop_map(|(start, len)| {
            let start_t = NaiveTime::MIN + Duration::minutes(start.into());
            let end_min = (start + len).min(24 * 60 - 1);
            let end_t = NaiveTime::MIN + Duration::minutes(end_min.into());
            window(start_t, end_t)
        })
    }

    proptest! {
        #[test]
        fn a_deferral_lands_ahead_inside_the_window_within_a_day(
            zone in proptest::sample::select(ZONES.to_vec()),
            hours in arb_hours(),
            now in arb_now(),
        ) {
            let d = gate(&GateRequest {
                kind: SendKind::Automatic,
                consent: ConsentState::Subscribed,
                automatic_reminders: AutomaticReminders::On,
                recipient_zone: zone,
                quiet_hours: &hours,
                now,
            });
            let local = now.with_timezone(&zone).time();
            match d {
                Decision::Allow => prop_assert!(hours.allows(local)),
                Decision::Defer { until } => {
                    prop_assert!(!hours.allows(local));
                    prop_assert!(until > now);
                    let at = until.with_timezone(&zone).time();
                    prop_assert!(hours.allows(at), "{} lands at {} local", until, at);
                    prop_assert!(until - now <= Duration::hours(25), "{} to {}", now, until);
                    prop_assert_eq!(at.second(), 0);
                }
                Decision::Refuse { .. } => prop_assert!(false, "subscribed with reminders on"),
            }
        }

        #[test]
        fn the_default_window_defers_to_eight_am_local(
            zone in proptest::sample::select(ZONES.to_vec()),
            now in arb_now(),
        ) {
            let hours = QuietHours::default();
            if let Decision::Defer { until } = automatic_at(zone, &hours, now) {
                prop_assert_eq!(until.with_timezone(&zone).time(), t(8, 0));
            }
        }

        #[test]
        fn an_opted_out_number_is_never_texted(
            zone in proptest::sample::select(ZONES.to_vec()),
            now in arb_now(),
            manual in any::<bool>(),
            reminders_on in any::<bool>(),
        ) {
            let hours = QuietHours::default();
            let d = gate(&GateRequest {
                kind: if manual { SendKind::Manual } else { SendKind::Automatic },
                consent: ConsentState::OptedOut,
                automatic_reminders: if reminders_on { AutomaticReminders::On } else { AutomaticReminders::Off },
                recipient_zone: zone,
                quiet_hours: &hours,
                now,
            });
            prop_assert_eq!(d, Decision::Refuse { reason: RefuseReason::OptedOut });
        }
    }

    fn automatic_at(zone: Tz, hours: &QuietHours, now: DateTime<Utc>) -> Decision {
        gate(&GateRequest {
            kind: SendKind::Automatic,
            consent: ConsentState::Subscribed,
            automatic_reminders: AutomaticReminders::On,
            recipient_zone: zone,
            quiet_hours: hours,
            now,
        })
    }
}
