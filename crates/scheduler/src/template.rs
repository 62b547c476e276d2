//! Reminder texts with placeholders, checked when a recipe is saved and filled in when a
//! reminder is planned.

use std::fmt;

use casewire_model::{CaseEvent, Firm, PhoneNumber};
use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::local_time;

/// One thing a template can fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{event_title}`: the event's title, "Meeting of creditors".
    EventTitle,
    /// `{event_date}`: the event's date in its zone, "Tuesday, March 10, 2026".
    EventDate,
    /// `{event_time}`: the event's time in its zone with the zone's abbreviation at that
    /// instant, "9:30 AM EDT".
    EventTime,
    /// `{event_location}`: the location, or "location to be confirmed".
    EventLocation,
    /// `{event_location_phrase}`: `" at <location>"`, or nothing when the location is
    /// missing, so "on Tuesday at 9:30 AM EDT{event_location_phrase}." reads well
    /// either way.
    EventLocationPhrase,
    /// `{client_first_name}`: the first name of the debtor the text goes to.
    ClientFirstName,
    /// `{firm_name}`: the firm's name.
    FirmName,
    /// `{firm_phone}`: the firm's primary texting number, national format
    /// "(312) 555-0100".
    FirmPhone,
}

const NAMES: [&str; 8] = [
    "event_title",
    "event_date",
    "event_time",
    "event_location",
    "event_location_phrase",
    "client_first_name",
    "firm_name",
    "firm_phone",
];

/// What `{event_location}` says when the event has no location.
pub const LOCATION_TO_BE_CONFIRMED: &str = "location to be confirmed";

impl Placeholder {
    /// Every placeholder, in the order help texts list them.
    pub const ALL: [Placeholder; 8] = [
        Placeholder::EventTitle,
        Placeholder::EventDate,
        Placeholder::EventTime,
        Placeholder::EventLocation,
        Placeholder::EventLocationPhrase,
        Placeholder::ClientFirstName,
        Placeholder::FirmName,
        Placeholder::FirmPhone,
    ];

    /// The name written between the braces, `event_title`.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// A one-line explanation for staff writing a template.
    pub fn description(self) -> &'static str {
        match self {
            Placeholder::EventTitle => "the event's title, e.g. Meeting of creditors",
            Placeholder::EventDate => "the event's date, e.g. Tuesday, March 10, 2026",
            Placeholder::EventTime => "the event's time with its time zone, e.g. 9:30 AM EDT",
            Placeholder::EventLocation => {
                "where the event happens, or \"location to be confirmed\" if not known"
            }
            Placeholder::EventLocationPhrase => {
                "\" at <location>\" when the location is known, nothing otherwise"
            }
            Placeholder::ClientFirstName => "the first name of the client receiving the text",
            Placeholder::FirmName => "your firm's name",
            Placeholder::FirmPhone => "your firm's texting number, e.g. (312) 555-0100",
        }
    }

    /// The placeholder with this exact name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// Why a template was refused. Offsets count characters from the start of the text, 0
/// being the first, so an editor can point at the spot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// Nothing but whitespace.
    #[error("a reminder text cannot be empty")]
    Empty,
    /// Longer than a text message can be.
    #[error("a reminder text is at most {max} characters, this one has {len}")]
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// A `{` with no `}` before the end of the line.
    #[error("the {{ at character {offset} is not closed; write {{{{ for a literal brace")]
    Unclosed {
        /// Where the `{` is.
        offset: usize,
    },
    /// A `}` that closes nothing.
    #[error("the }} at character {offset} closes nothing; write }}}} for a literal brace")]
    UnmatchedClose {
        /// Where the `}` is.
        offset: usize,
    },
    /// A placeholder this crate does not know.
    #[error(
        "unknown placeholder {{{name}}} at character {offset}; use one of {{event_title}}, \
         {{event_date}}, {{event_time}}, {{event_location}}, {{event_location_phrase}}, \
         {{client_first_name}}, {{firm_name}}, {{firm_phone}}"
    )]
    UnknownPlaceholder {
        /// The text between the braces.
        name: String,
        /// Where the `{` is.
        offset: usize,
    },
}

#[derive(Clone)]
enum Part {
    Literal(String),
    Placeholder(Placeholder),
}

/// A reminder text with placeholders, parsed once so that sending cannot fail.
///
/// ```
/// use casewire_scheduler::{Template, TemplateError};
///
/// let t = Template::parse("Hi {client_first_name}, see you {event_date}.")?;
/// assert_eq!(t.as_str(), "Hi {client_first_name}, see you {event_date}.");
/// assert_eq!(
///     Template::parse("Hi {client_name}"),
///     Err(TemplateError::UnknownPlaceholder { name: "client_name".into(), offset: 3 }),
/// );
/// # Ok::<(), TemplateError>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Template {
    source: String,
    #[serde(skip)]
    parts: Vec<Part>,
}

/// Everything a template can show about one event and one recipient, to render a reminder.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The event reminded of.
    pub event: &'a CaseEvent,
    /// The first name of the debtor the text goes to.
    pub client_first_name: &'a str,
    /// The firm's name.
    pub firm_name: &'a str,
    /// The number clients can call or text back.
    pub firm_phone: &'a PhoneNumber,
}

/// A template filled in for a made-up event, for a live preview while staff edit a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The text for a sample event with a known location.
    pub with_location: String,
    /// The same text when the event's location is not known yet.
    pub without_location: String,
}

/// The values a template reads, whether from a real event or the preview's sample.
struct Values<'a> {
    title: &'a str,
    start: DateTime<Tz>,
    location: Option<&'a str>,
    client_first_name: &'a str,
    firm_name: &'a str,
    firm_phone: &'a PhoneNumber,
}

/// The sample event of [`Template::preview`].
const SAMPLE_TITLE: &str = "Meeting of creditors";
const SAMPLE_LOCATION: &str = "U.S. Bankruptcy Court, Room 2100";
const SAMPLE_FIRST_NAME: &str = "Maria";
const SAMPLE_DAYS_AHEAD: u64 = 14;

impl Template {
    /// The longest template, in characters: the longest text a provider accepts.
    pub const MAX_CHARS: usize = 1_600;

    const DEFAULT_REMINDER: &'static str = "{firm_name}: Hi {client_first_name}, reminder of \
        your {event_title} on {event_date} at {event_time}{event_location_phrase}. \
        Questions? Call {firm_phone}. Reply STOP to opt out.";

    /// Parses a template: text with `{placeholder}`s (see [`Placeholder`]), `{{` and `}}`
    /// for literal braces. An unknown placeholder is refused here, when the recipe is
    /// saved, never when a reminder is sent.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        if source.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let len = source.chars().count();
        if len > Self::MAX_CHARS {
            return Err(TemplateError::TooLong {
                max: Self::MAX_CHARS,
                len,
            });
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.chars().enumerate().peekable();
        while let Some((offset, c)) = chars.next() {
            match c {
                '{' if chars.next_if(|&(_, c)| c == '{').is_some() => literal.push('{'),
                '}' if chars.next_if(|&(_, c)| c == '}').is_some() => literal.push('}'),
                '}' => return Err(TemplateError::UnmatchedClose { offset }),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            // A placeholder never spans lines or holds another brace: the
                            // first brace was left open.
                            Some((_, '{' | '\n' | '\r')) | None => {
                                return Err(TemplateError::Unclosed { offset });
                            }
                            Some((_, c)) => name.push(c),
                        }
                    }
                    let placeholder = Placeholder::from_name(&name)
                        .ok_or(TemplateError::UnknownPlaceholder { name, offset })?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(placeholder));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    }

    /// The default reminder: who is texting, which event, when (with the zone), where,
    /// whom to call and how to opt out. Plain GSM-7 text, so it costs as few segments as
    /// its content allows.
    pub fn default_reminder() -> Self {
        let parts = vec![
            Part::Placeholder(Placeholder::FirmName),
            Part::Literal(": Hi ".into()),
            Part::Placeholder(Placeholder::ClientFirstName),
            Part::Literal(", reminder of your ".into()),
            Part::Placeholder(Placeholder::EventTitle),
            Part::Literal(" on ".into()),
            Part::Placeholder(Placeholder::EventDate),
            Part::Literal(" at ".into()),
            Part::Placeholder(Placeholder::EventTime),
            Part::Placeholder(Placeholder::EventLocationPhrase),
            Part::Literal(". Questions? Call ".into()),
            Part::Placeholder(Placeholder::FirmPhone),
            Part::Literal(". Reply STOP to opt out.".into()),
        ];
        // Built by hand rather than parsed so that no fallible call sits here; a test
        // checks it equals what `parse` makes of the same text.
        Template {
            source: Self::DEFAULT_REMINDER.to_owned(),
            parts,
        }
    }

    /// The names of every placeholder, without braces, for help texts.
    pub fn placeholders() -> &'static [&'static str] {
        &NAMES
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The placeholders this template uses, in order of appearance.
    pub fn used_placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p) => Some(*p),
            Part::Literal(_) => None,
        })
    }

    /// Fills the template in for one event and one recipient. Dates and times are shown
    /// in the event's zone. Never fails: the template was checked when it was parsed.
    pub fn render(&self, ctx: &RenderContext<'_>) -> String {
        self.render_values(&Values {
            title: &ctx.event.title,
            start: ctx.event.start(),
            location: ctx.event.location.as_deref(),
            client_first_name: ctx.client_first_name,
            firm_name: ctx.firm_name,
            firm_phone: ctx.firm_phone,
        })
    }

    /// Fills the template in for a sample event, so staff see what clients will get
    /// while they edit a recipe: a "Meeting of creditors" at 9:30 AM in the firm's
    /// zone, 14 days after `now`'s date there, for a client named Maria, signed with the
    /// firm's name and primary texting number; once with a location and once without.
    pub fn preview(&self, firm: &Firm, now: DateTime<Utc>) -> Preview {
        let zone = firm.time_zone();
        let local_now = now.with_timezone(&zone);
        let start = local_now
            .date_naive()
            .checked_add_days(Days::new(SAMPLE_DAYS_AHEAD))
            .and_then(|date| NaiveTime::from_hms_opt(9, 30, 0).map(|t| date.and_time(t)))
            .and_then(|local| local_time::resolve(zone, local))
            .unwrap_or(local_now);
        let mut values = Values {
            title: SAMPLE_TITLE,
            start,
            location: Some(SAMPLE_LOCATION),
            client_first_name: SAMPLE_FIRST_NAME,
            firm_name: firm.name(),
            firm_phone: &firm.primary_number().number,
        };
        let with_location = self.render_values(&values);
        values.location = None;
        Preview {
            with_location,
            without_location: self.render_values(&values),
        }
    }

    fn render_values(&self, v: &Values<'_>) -> String {
        let location = v.location.map(str::trim).filter(|l| !l.is_empty());
        let mut out = String::with_capacity(self.source.len() + 64);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(p) => match p {
                    Placeholder::EventTitle => out.push_str(v.title),
                    Placeholder::EventDate => {
                        out.push_str(&v.start.format("%A, %B %-d, %Y").to_string());
                    }
                    Placeholder::EventTime => {
                        out.push_str(&v.start.format("%-I:%M %p %Z").to_string());
                    }
                    Placeholder::EventLocation => {
                        out.push_str(location.unwrap_or(LOCATION_TO_BE_CONFIRMED));
                    }
                    Placeholder::EventLocationPhrase => {
                        if let Some(location) = location {
                            out.push_str(" at ");
                            out.push_str(location);
                        }
                    }
                    Placeholder::ClientFirstName => out.push_str(v.client_first_name),
                    Placeholder::FirmName => out.push_str(v.firm_name),
                    Placeholder::FirmPhone => out.push_str(&v.firm_phone.national()),
                },
            }
        }
        out
    }
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Template {}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Template").field(&self.source).finish()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl TryFrom<String> for Template {
    type Error = TemplateError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Template::parse(&value)
    }
}

impl From<Template> for String {
    fn from(value: Template) -> Self {
        value.source
    }
}

impl std::str::FromStr for Template {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casewire_model::{
        CaseId, EmailAddress, EventId, EventKind, FirmId, NumberClass, Region, TextingNumber,
    };
    use chrono_tz::America::{Chicago, New_York, Phoenix};
    use chrono_tz::Pacific::Honolulu;
    use proptest::prelude::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("312-555-0100", Region::US).unwrap()
    }

    fn event(starts_at: &str, zone: Tz, location: Option<&str>) -> CaseEvent {
        CaseEvent {
            id: EventId::new(1),
            case_id: CaseId::new(1),
            title: "Meeting of creditors".into(),
            kind: EventKind::parse("341 Meeting").unwrap(),
            starts_at: starts_at.parse().unwrap(),
            ends_at: None,
            time_zone: zone,
            location: location.map(str::to_owned),
            reminders: vec![],
            cancelled: false,
        }
    }

    fn render(template: &Template, event: &CaseEvent) -> String {
        template.render(&RenderContext {
            event,
            client_first_name: "Maria",
            firm_name: "Smith Law",
            firm_phone: &phone(),
        })
    }

    fn firm(zone: Tz) -> Firm {
        Firm::new(
            FirmId::new(1),
            "Smith Law",
            zone,
            Region::US,
            vec![TextingNumber::new(phone(), NumberClass::LongCode)],
            EmailAddress::parse("intake@smithlaw.com").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn placeholders_fill_in_the_event_the_client_and_the_firm() {
        let t = Template::parse(
            "{firm_name} ({firm_phone}): {client_first_name}, {event_title} is \
             {event_date}, {event_time}, {event_location}.",
        )
        .unwrap();
        let e = event("2026-03-10T13:30:00Z", New_York, Some("Room 2100"));
        assert_eq!(
            render(&t, &e),
            "Smith Law ((312) 555-0100): Maria, Meeting of creditors is \
             Tuesday, March 10, 2026, 9:30 AM EDT, Room 2100."
        );
    }

    #[test]
    fn the_default_reminder_says_who_what_when_where_and_how_to_opt_out() {
        let e = event("2026-03-10T13:30:00Z", New_York, Some("Room 2100"));
        assert_eq!(
            render(&Template::default_reminder(), &e),
            "Smith Law: Hi Maria, reminder of your Meeting of creditors on Tuesday, \
             March 10, 2026 at 9:30 AM EDT at Room 2100. Questions? Call (312) 555-0100. \
             Reply STOP to opt out."
        );
    }

    #[test]
    fn the_default_reminder_is_what_parsing_its_text_gives() {
        let default = Template::default_reminder();
        let parsed = Template::parse(default.as_str()).unwrap();
        assert_eq!(default, parsed);
        let e = event("2026-03-10T13:30:00Z", New_York, None);
        assert_eq!(render(&default, &e), render(&parsed, &e));
        assert_eq!(
            default.used_placeholders().collect::<Vec<_>>(),
            parsed.used_placeholders().collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_default_reminder_is_plain_gsm7_text() {
        // The GSM 03.38 basic character set, without its extension table.
        const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                            ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        let e = event("2026-03-10T13:30:00Z", New_York, Some("Room 2100"));
        let text = render(&Template::default_reminder(), &e);
        let outside: Vec<char> = text.chars().filter(|c| !GSM7.contains(*c)).collect();
        assert!(outside.is_empty(), "not GSM-7: {outside:?}");
        assert!(text.chars().count() <= 320, "{} characters", text.len());
    }

    #[test]
    fn a_missing_location_reads_naturally() {
        let t = Template::parse(
            "See you {event_date}{event_location_phrase}. Where: {event_location}.",
        )
        .unwrap();
        let known = event("2026-03-10T13:30:00Z", New_York, Some("Room 2100"));
        let unknown = event("2026-03-10T13:30:00Z", New_York, None);
        let blank = event("2026-03-10T13:30:00Z", New_York, Some("  "));
        assert_eq!(
            render(&t, &known),
            "See you Tuesday, March 10, 2026 at Room 2100. Where: Room 2100."
        );
        let expected = "See you Tuesday, March 10, 2026. Where: location to be confirmed.";
        assert_eq!(render(&t, &unknown), expected);
        assert_eq!(render(&t, &blank), expected);
    }

    #[test]
    fn the_time_shows_the_zone_abbreviation_in_force_that_day() {
        let t = Template::parse("{event_date} {event_time}").unwrap();
        let cases = [
            (
                "2026-03-06T14:30:00Z",
                New_York,
                "Friday, March 6, 2026 9:30 AM EST",
            ),
            (
                "2026-03-10T13:30:00Z",
                New_York,
                "Tuesday, March 10, 2026 9:30 AM EDT",
            ),
            (
                "2026-11-02T15:00:00Z",
                Chicago,
                "Monday, November 2, 2026 9:00 AM CST",
            ),
            (
                "2026-10-30T14:00:00Z",
                Chicago,
                "Friday, October 30, 2026 9:00 AM CDT",
            ),
            (
                "2026-07-01T20:15:00Z",
                Phoenix,
                "Wednesday, July 1, 2026 1:15 PM MST",
            ),
            (
                "2026-11-02T18:30:00Z",
                Honolulu,
                "Monday, November 2, 2026 8:30 AM HST",
            ),
            (
                "2026-01-05T05:00:00Z",
                New_York,
                "Monday, January 5, 2026 12:00 AM EST",
            ),
            (
                "2026-01-05T17:05:00Z",
                New_York,
                "Monday, January 5, 2026 12:05 PM EST",
            ),
        ];
        for (start, zone, want) in cases {
            assert_eq!(
                render(&t, &event(start, zone, None)),
                want,
                "{start} {zone}"
            );
        }
    }

    #[test]
    fn double_braces_are_literal_braces() {
        let t = Template::parse("{{case}} {{{firm_name}}}").unwrap();
        let e = event("2026-03-10T13:30:00Z", New_York, None);
        assert_eq!(render(&t, &e), "{case} {Smith Law}");
        assert_eq!(
            t.used_placeholders().collect::<Vec<_>>(),
            [Placeholder::FirmName]
        );
    }

    #[test]
    fn bad_templates_are_refused_when_the_recipe_is_saved() {
        let cases: &[(&str, TemplateError)] = &[
            ("", TemplateError::Empty),
            (" \n ", TemplateError::Empty),
            (
                "Hi {client_name}!",
                TemplateError::UnknownPlaceholder {
                    name: "client_name".into(),
                    offset: 3,
                },
            ),
            (
                "Día {Event_Title}",
                TemplateError::UnknownPlaceholder {
                    name: "Event_Title".into(),
                    offset: 4,
                },
            ),
            (
                "{}",
                TemplateError::UnknownPlaceholder {
                    name: String::new(),
                    offset: 0,
                },
            ),
            (
                "Hi {client_first_name",
                TemplateError::Unclosed { offset: 3 },
            ),
            ("a { b {firm_name}", TemplateError::Unclosed { offset: 2 }),
            ("a {\n}", TemplateError::Unclosed { offset: 2 }),
            (
                "Hi client_first_name}",
                TemplateError::UnmatchedClose { offset: 20 },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Template::parse(input).as_ref(), Err(want), "{input:?}");
        }
        let long = "a".repeat(Template::MAX_CHARS + 1);
        assert_eq!(
            Template::parse(&long),
            Err(TemplateError::TooLong {
                max: 1_600,
                len: 1_601
            })
        );
        assert!(Template::parse(&"é".repeat(Template::MAX_CHARS)).is_ok());
    }

    #[test]
    fn an_unknown_placeholder_error_tells_staff_what_to_use() {
        let err = Template::parse("{date}").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown placeholder {date} at character 0"),
            "{err}"
        );
        for name in Template::placeholders() {
            assert!(err.contains(&format!("{{{name}}}")), "{err} lacks {name}");
        }
    }

    #[test]
    fn the_placeholder_list_is_what_parse_accepts() {
        assert_eq!(Template::placeholders().len(), Placeholder::ALL.len());
        for (name, p) in Template::placeholders().iter().zip(Placeholder::ALL) {
            assert_eq!(p.name(), *name);
            assert_eq!(Placeholder::from_name(name), Some(p));
            let t = Template::parse(&format!("{{{name}}}")).unwrap();
            assert_eq!(t.used_placeholders().collect::<Vec<_>>(), [p]);
            assert!(!p.description().is_empty());
        }
    }

    #[test]
    fn templates_serialize_as_their_text_and_validate_when_read() {
        let t = Template::parse("Hi {client_first_name}").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#""Hi {client_first_name}""#);
        let back: Template = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let e = event("2026-03-10T13:30:00Z", New_York, None);
        assert_eq!(render(&back, &e), "Hi Maria");
        assert!(serde_json::from_str::<Template>(r#""Hi {nope}""#).is_err());
    }

    #[test]
    fn a_preview_shows_a_sample_event_in_the_firms_zone() {
        let now: DateTime<Utc> = "2026-02-24T20:00:00Z".parse().unwrap();
        let preview = Template::default_reminder().preview(&firm(New_York), now);
        assert_eq!(
            preview.with_location,
            "Smith Law: Hi Maria, reminder of your Meeting of creditors on Tuesday, \
             March 10, 2026 at 9:30 AM EDT at U.S. Bankruptcy Court, Room 2100. \
             Questions? Call (312) 555-0100. Reply STOP to opt out."
        );
        assert_eq!(
            preview.without_location,
            "Smith Law: Hi Maria, reminder of your Meeting of creditors on Tuesday, \
             March 10, 2026 at 9:30 AM EDT. Questions? Call (312) 555-0100. \
             Reply STOP to opt out."
        );
        let hawaii = Template::parse("{event_time}")
            .unwrap()
            .preview(&firm(Honolulu), now);
        assert_eq!(hawaii.with_location, "9:30 AM HST");
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(input in "\\PC{0,300}") {
            let _ = Template::parse(&input);
        }

        #[test]
        fn parsing_brace_soup_never_panics_and_round_trips(
            input in "[{}a-z_ \n]{0,60}|(\\{(event_title|firm_name|x)\\}|\\{\\{|\\}\\}|[a-z ]){0,20}",
        ) {
            if let Ok(t) = Template::parse(&input) {
                prop_assert_eq!(t.as_str(), input.as_str());
                prop_assert_eq!(Template::parse(t.as_str()).unwrap(), t);
            }
        }

        #[test]
        fn rendering_never_panics(
            input in "(\\{(event_title|event_date|event_time|event_location|event_location_phrase|client_first_name|firm_name|firm_phone)\\}|\\{\\{|\\}\\}|\\PC){0,40}",
            minutes in -5_000_000i64..5_000_000,
            zone in 0usize..4,
            location in proptest::option::of("\\PC{0,30}"),
            first in "\\PC{0,20}",
        ) {
            let zone = [New_York, Chicago, Phoenix, Honolulu][zone];
            let base: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
            let mut e = event("2026-01-01T00:00:00Z", zone, location.as_deref());
            e.starts_at = base + chrono::TimeDelta::minutes(minutes);
            if let Ok(t) = Template::parse(&input) {
                let _ = t.render(&RenderContext {
                    event: &e,
                    client_first_name: &first,
                    firm_name: "Smith Law",
                    firm_phone: &phone(),
                });
                let _ = t.preview(&firm(zone), e.starts_at);
            }
        }
    }
}
