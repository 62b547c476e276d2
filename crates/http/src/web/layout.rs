//! The page shell (header, navigation, notice) and the small pieces every page uses:
//! times in the firm's zone, CSRF fields, labels for phone kinds and states.

use casewire_model::{CaseId, PhoneKind};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{DOCTYPE, Markup, html};

use super::{Notice, Staff};

/// Which part of the dashboard a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Cases,
    Inbox,
    Settings,
}

/// The tabs of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Texting,
    Events,
}

fn asset(name: &str) -> String {
    format!("/assets/{name}?v={}", env!("CARGO_PKG_VERSION"))
}

fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(token) = csrf {
                meta name="csrf-token" content=(token);
            }
            title { (title) " · Casewire" }
            link rel="stylesheet" href=(asset("app.css"));
            script src=(asset("app.js")) defer {}
        }
    }
}

/// A page of the signed-in dashboard.
pub(crate) fn page(
    title: &str,
    staff: &Staff,
    firm_name: &str,
    nav: Nav,
    notice: Option<Notice>,
    body: Markup,
) -> Markup {
    let current = |n: Nav| (n == nav).then_some("page");
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(staff.csrf())))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/cases" { "Casewire" }
                    span.firm { (firm_name) }
                    nav aria-label="Main" {
                        ul {
                            li { a href="/cases" aria-current=[current(Nav::Cases)] { "Cases" } }
                            li { a href="/inbox" aria-current=[current(Nav::Inbox)] { "Unmatched inbox" } }
                            li { a href="/settings" aria-current=[current(Nav::Settings)] { "Firm settings" } }
                        }
                    }
                    form.signout method="post" action="/sign-out" {
                        (csrf_field(staff))
                        span.user { (staff.session.user.name) }
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    @match notice {
                        Some(Notice::Done(text)) => div.notice.done role="status" { (text) },
                        Some(Notice::Problem(text)) => div.notice.problem role="alert" { (text) },
                        None => {},
                    }
                    (body)
                }
            }
        }
    }
}

/// A page outside the signed-in shell: sign-in and error pages.
pub(crate) fn bare(title: &str, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.bare {
                main #main {
                    h1 { (title) }
                    p { (text) }
                    p { a href="/cases" { "Back to the cases" } }
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf_field(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.csrf()); }
}

/// A time in the firm's zone, machine-readable too.
pub(crate) fn when(t: DateTime<Utc>, zone: Tz) -> Markup {
    html! {
        time datetime=(t.to_rfc3339()) {
            (t.with_timezone(&zone).format("%b %-d, %Y %-I:%M %p %Z").to_string())
        }
    }
}

/// The tabs of a case page.
pub(crate) fn case_tabs(case_id: CaseId, tab: Tab) -> Markup {
    let current = |t: Tab| (t == tab).then_some("page");
    html! {
        nav.tabs aria-label="Case" {
            a href=(format!("/cases/{case_id}")) aria-current=[current(Tab::Texting)] { "Texting" }
            a href=(format!("/cases/{case_id}/events")) aria-current=[current(Tab::Events)] { "Events & reminders" }
        }
    }
}

/// A phone kind as staff read it.
pub(crate) fn kind_label(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Mobile => "Mobile",
        PhoneKind::Home => "Home",
        PhoneKind::Work => "Work",
        PhoneKind::Fax => "Fax",
        PhoneKind::Other => "Other",
    }
}

/// A `<select>` of phone kinds.
pub(crate) fn kind_select(id: &str, selected: PhoneKind) -> Markup {
    html! {
        select id=(id) name="kind" {
            @for kind in PhoneKind::ALL {
                option value=(kind.as_str()) selected[kind == selected] {
                    (kind_label(kind))
                    @if kind.is_textable() { " (gets texts)" }
                }
            }
        }
    }
}

/// A stable reason code (from the send gate, the provider or the reminder worker) in
/// words.
pub(crate) fn reason_text(code: &str) -> String {
    match code {
        "opted_out" => "the number opted out".into(),
        "reminders_off" => "automatic reminders are off for this case".into(),
        "quiet_hours" => "waiting for the client's daytime hours".into(),
        "case_closed" => "the case is closed".into(),
        "event_deleted" => "the event was deleted".into(),
        "event_cancelled" => "the event was cancelled".into(),
        "event_moved" => "the event was moved".into(),
        "no_longer_planned" => "no longer planned".into(),
        "invalid_recipient" => "the provider refused the number".into(),
        "transient" => "the provider could not be reached".into(),
        other => other.replace('_', " "),
    }
}
