//! The staff web dashboard, served by the server itself: server-rendered HTML (`maud`,
//! which escapes every value by default), one stylesheet and one small script embedded in
//! the binary, nothing fetched from anywhere else.
//!
//! Security model (see `docs/WEB.md`):
//! - A signed-in user holds a random 32-byte session token in an `HttpOnly`,
//!   `SameSite=Lax`, `Path=/` cookie (`Secure` when the public URL is https); the store
//!   keeps only its SHA-256.
//! - Every request that changes something (any method but GET and HEAD) must carry the
//!   session's CSRF synchronizer token, in the form field `csrf` or the `X-CSRF-Token`
//!   header; [`guard`] checks it before any handler runs. The sign-in form has its own
//!   double-submit token, since there is no session yet.
//! - The firm comes from the session, never from the request: another firm's ids answer
//!   404 exactly like ids that do not exist.

mod auth;
mod cases;
mod error;
mod events;
mod inbox;
mod layout;
mod live;
mod settings;

use axum::{
    Extension, Router,
    body::Body,
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{
        HeaderMap, HeaderValue, Method,
        header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE},
        request::Parts,
    },
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use casewire_app::AppError;
use casewire_model::{FirmId, UserId};
use casewire_store::SessionRecord;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::AppState;

pub(crate) use error::WebError;
pub use live::LiveStreams;

/// The session cookie.
const SESSION_COOKIE: &str = "cw_session";
/// The header `fetch()` calls carry the CSRF token in.
const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form body read (recipe templates and texts are far smaller).
const FORM_LIMIT: usize = 256 * 1024;

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// The dashboard's routes; merged into the server's router.
pub(crate) fn routes(state: &AppState, live: LiveStreams) -> Router<AppState> {
    let open = Router::new()
        .route("/sign-in", get(auth::form).post(auth::submit))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js));
    let staff = Router::new()
        .route("/", get(cases::home))
        .route("/sign-out", post(auth::sign_out))
        .route("/cases", get(cases::list))
        .route("/cases/{case_id}", get(cases::dashboard))
        .route("/cases/{case_id}/live", get(live::stream))
        .route("/cases/{case_id}/messages", post(cases::send))
        .route("/cases/{case_id}/texting", post(cases::texting))
        .route(
            "/cases/{case_id}/debtors/{debtor_id}/phones",
            post(cases::add_phone),
        )
        .route(
            "/cases/{case_id}/phones/{phone_id}",
            post(cases::update_phone),
        )
        .route(
            "/cases/{case_id}/phones/{phone_id}/remove",
            post(cases::remove_phone),
        )
        .route("/cases/{case_id}/consent", post(cases::record_consent))
        .route(
            "/cases/{case_id}/events",
            get(events::page).post(events::create),
        )
        .route("/cases/{case_id}/events/{event_id}", post(events::update))
        .route(
            "/cases/{case_id}/events/{event_id}/cancel",
            post(events::cancel),
        )
        .route("/settings", get(settings::page))
        .route("/settings/email", post(settings::email))
        .route("/settings/numbers", post(settings::numbers))
        .route("/settings/quiet-hours", post(settings::quiet_hours))
        .route("/settings/replies", post(settings::replies))
        .route("/settings/event-template", post(settings::event_template))
        .route("/settings/recipes", post(settings::create_recipe))
        .route(
            "/settings/recipes/{recipe_id}",
            post(settings::update_recipe),
        )
        .route(
            "/settings/recipes/{recipe_id}/enabled",
            post(settings::toggle_recipe),
        )
        .route(
            "/settings/recipes/{recipe_id}/delete",
            post(settings::delete_recipe),
        )
        .route("/inbox", get(inbox::page))
        .route("/inbox/{message_id}/attach", post(inbox::attach))
        .route("/ui/lint", post(cases::lint))
        .route("/ui/preview", post(settings::preview))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard));
    open.merge(staff)
        .layer(Extension(live))
        .layer(middleware::map_response(security_headers))
}

/// Headers on every dashboard answer: nothing but this origin's own script and styles
/// may run, the pages are not framed, sniffed or cached.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The signed-in staff user of a request, put there by [`guard`].
#[derive(Clone)]
pub(crate) struct Staff {
    pub(crate) session: SessionRecord,
    token: String,
}

impl Staff {
    /// The firm every page of this request is scoped to.
    pub(crate) fn firm(&self) -> FirmId {
        self.session.user.firm_id
    }

    /// The user.
    pub(crate) fn user(&self) -> UserId {
        self.session.user.id
    }

    /// The session's CSRF token, for forms and the page's `fetch()` calls.
    pub(crate) fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Staff>()
            .cloned()
            .ok_or(WebError::SignedOut)
    }
}

/// Lets a request through only with a live session and, for anything but GET and HEAD,
/// the session's CSRF token.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match authorise(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn authorise(state: &AppState, request: Request) -> Result<Request, WebError> {
    let reading = matches!(*request.method(), Method::GET | Method::HEAD);
    let signed_out = if reading {
        WebError::SignedOut
    } else {
        WebError::Unauthorized
    };
    let Some(token) = cookie(request.headers(), SESSION_COOKIE).map(str::to_owned) else {
        return Err(signed_out);
    };
    let Some(session) = state.app.staff_session(&token).await? else {
        return Err(signed_out);
    };
    let mut request = if reading {
        request
    } else {
        check_csrf(request, &session.csrf_token).await?
    };
    request.extensions_mut().insert(Staff { session, token });
    Ok(request)
}

/// Constant-time comparison of a presented token with the expected one.
fn same_token(presented: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// Checks the CSRF token of a change: the `X-CSRF-Token` header, or the `csrf` field of
/// a form body (which is read here and handed on intact).
async fn check_csrf(request: Request, expected: &str) -> Result<Request, WebError> {
    let (parts, body) = request.into_parts();
    if let Some(header) = parts.headers.get(CSRF_HEADER) {
        return match header.to_str() {
            Ok(presented) if same_token(presented, expected) => {
                Ok(Request::from_parts(parts, body))
            }
            _ => Err(WebError::Forbidden),
        };
    }
    if !is_form(&parts.headers) {
        return Err(WebError::Forbidden);
    }
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| WebError::BadRequest("the form is too large".into()))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| WebError::BadRequest("the form could not be read".into()))?;
    let presented = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.as_str());
    if !presented.is_some_and(|p| same_token(p, expected)) {
        return Err(WebError::Forbidden);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The value of cookie `name`, if the request has it.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, `Secure` when the server is public over
/// https. `max_age` of 0 deletes the cookie.
fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> String {
    let secure = state
        .app
        .config()
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Hex of 32 random bytes.
fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| WebError::internal(&e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Path parameters; one that does not parse is the 404 page.
pub(crate) struct WebPath<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for WebPath<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| WebPath(v))
            .map_err(|_| WebError::NotFound)
    }
}

/// A form body (`application/x-www-form-urlencoded`); its `csrf` field was checked by
/// [`guard`] and is ignored here.
pub(crate) struct WebForm<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| WebError::BadRequest("the form is too large".into()))?;
        serde_urlencoded::from_bytes(&bytes)
            .map(WebForm)
            .map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))
    }
}

/// A one-time notice shown at the top of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    /// Something was done.
    Done(String),
    /// Something could not be done, and why.
    Problem(String),
}

impl Notice {
    fn encode(&self) -> String {
        match self {
            Notice::Done(text) => format!("done:{text}"),
            Notice::Problem(text) => format!("problem:{text}"),
        }
    }

    fn decode(stored: &str) -> Notice {
        match stored.split_once(':') {
            Some(("done", text)) => Notice::Done(text.to_owned()),
            Some((_, text)) => Notice::Problem(text.to_owned()),
            None => Notice::Problem(stored.to_owned()),
        }
    }
}

/// The session's waiting notice, cleared as it is shown.
pub(crate) async fn take_notice(
    state: &AppState,
    staff: &Staff,
) -> Result<Option<Notice>, WebError> {
    let Some(stored) = staff.session.flash.as_deref() else {
        return Ok(None);
    };
    state.app.set_flash(staff.session.id, None).await?;
    Ok(Some(Notice::decode(stored)))
}

/// What a user can fix from a use-case error, in words; anything else is an error page.
pub(crate) fn user_problem(e: AppError) -> Result<String, WebError> {
    match e {
        AppError::Invalid { field, message } => Ok(format!("{}: {message}", field.replace('_', " "))),
        AppError::Conflict(what) => Ok(capitalised(what)),
        AppError::LintRefused(_) => Ok(
            "The text has errors (see the checks under the box); fix them, or tick \"Send despite errors\"."
                .into(),
        ),
        AppError::NoRecipients => Ok(
            "No debtor on this case has a mobile number: add one (type Mobile) before texting."
                .into(),
        ),
        other => Err(other.into()),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// After a form: the notice for the next page, then 303 to `to`. A `NotFound` (an
/// unknown id, or another firm's) is the 404 page, not a notice.
pub(crate) async fn finish<T>(
    state: &AppState,
    staff: &Staff,
    to: &str,
    result: Result<T, AppError>,
    done: &str,
) -> Result<Response, WebError> {
    let notice = match result {
        Ok(_) => Notice::Done(done.to_owned()),
        Err(e) => Notice::Problem(user_problem(e)?),
    };
    state
        .app
        .set_flash(staff.session.id, Some(&notice.encode()))
        .await?;
    Ok(Redirect::to(to).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; cw_session=abc ; b=2"),
        );
        assert_eq!(cookie(&headers, "cw_session"), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "session"), None);
    }

    #[test]
    fn tokens_compare_whole_and_never_empty() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("abcd", "abc"));
        assert!(!same_token("", ""));
    }

    #[test]
    fn notices_survive_the_session_column() {
        for n in [
            Notice::Done("Saved.".into()),
            Notice::Problem("phone: not a number: x".into()),
        ] {
            assert_eq!(Notice::decode(&n.encode()), n);
        }
    }
}
