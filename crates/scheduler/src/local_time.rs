//! Turning a wall-clock time in a zone into one instant, by the rules the crate documents.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset as _, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest stretch of local time a zone has ever skipped is a day (Samoa, 2011);
/// looking back this far always finds a wall-clock time before the gap.
const GAP_SEARCH_HOURS: i64 = 48;

/// The instant `local` names in `zone`.
///
/// - A time that happens once is that instant.
/// - A time that happens twice (clocks turned back) is the earlier instant.
/// - A time that never happens (clocks turned forward) is read with the UTC offset in
///   force before the gap, which lands it as far past the gap's end as it was past its
///   start: 02:30 on a spring-forward night becomes 03:30.
///
/// `None` only at the ends of chrono's representable range.
pub(crate) fn resolve(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Tz>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, b) => Some(a.min(b)),
        LocalResult::None => {
            let offset_before_gap = (1..=GAP_SEARCH_HOURS).find_map(|hours| {
                let probe = local.checked_sub_signed(TimeDelta::try_hours(hours)?)?;
                match zone.from_local_datetime(&probe) {
                    LocalResult::Single(t) => Some(t.offset().fix()),
                    LocalResult::Ambiguous(_, later) => Some(later.offset().fix()),
                    LocalResult::None => None,
                }
            })?;
            let shift = TimeDelta::try_seconds(offset_before_gap.local_minus_utc().into())?;
            let utc = local.checked_sub_signed(shift)?;
            Some(Utc.from_utc_datetime(&utc).with_timezone(&zone))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::America::{Chicago, New_York, Phoenix};
    use chrono_tz::Pacific::Apia;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_time_that_happens_once_is_that_instant() {
        let t = resolve(New_York, local(2026, 3, 7, 10, 0)).unwrap();
        assert_eq!(t.with_timezone(&Utc), utc("2026-03-07T15:00:00Z"));
    }

    #[test]
    fn a_time_skipped_by_spring_forward_moves_past_the_gap() {
        let t = resolve(New_York, local(2026, 3, 8, 2, 30)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-08T03:30:00-04:00");
        let t = resolve(Chicago, local(2026, 3, 8, 2, 0)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-08T03:00:00-05:00");
    }

    #[test]
    fn a_time_repeated_by_fall_back_is_the_earlier_instant() {
        let t = resolve(New_York, local(2026, 11, 1, 1, 30)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-01T01:30:00-04:00");
    }

    #[test]
    fn phoenix_never_changes_its_clocks() {
        let t = resolve(Phoenix, local(2026, 3, 8, 2, 30)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-08T02:30:00-07:00");
    }

    #[test]
    fn a_whole_skipped_day_moves_forward_a_whole_day() {
        // Samoa skipped 30 December 2011 when it crossed the date line.
        let t = resolve(Apia, local(2011, 12, 30, 9, 0)).unwrap();
        assert_eq!(t.to_rfc3339(), "2011-12-31T09:00:00+14:00");
    }
}
