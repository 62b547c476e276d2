//! Signing in and out. The sign-in form has no session to tie a CSRF token to, so it
//! carries a double-submit token: a random value both in a cookie scoped to `/sign-in`
//! and in the form, which a page of another site can neither read nor set.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header::SET_COOKIE},
    response::{AppendHeaders, IntoResponse, Redirect, Response},
};
use casewire_app::{SESSION_LIFETIME, SignIn};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::{
    SESSION_COOKIE, Staff, WebError, WebForm, cookie, random_token, same_token, set_cookie,
};
use crate::AppState;

const SIGN_IN_COOKIE: &str = "cw_sign_in";

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn sign_in_page(token: &str, email: &str, problem: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign in · Casewire" }
                link rel="stylesheet" href=(format!("/assets/app.css?v={}", env!("CARGO_PKG_VERSION")));
            }
            body.bare {
                main #main {
                    h1 { "Casewire" }
                    p { "Sign in to text your clients from their cases." }
                    @if let Some(problem) = problem {
                        div.notice.problem role="alert" #sign-in-problem { (problem) }
                    }
                    form.stack method="post" action="/sign-in" {
                        input type="hidden" name="csrf" value=(token);
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

/// `GET /sign-in`: the form (or the cases, when already signed in).
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if state.app.staff_session(token).await?.is_some() {
            return Ok(Redirect::to("/cases").into_response());
        }
    }
    let token = random_token()?;
    let set = set_cookie(&state, SIGN_IN_COOKIE, &token, "/sign-in", 3600);
    Ok((
        AppendHeaders([(SET_COOKIE, set)]),
        sign_in_page(&token, "", None),
    )
        .into_response())
}

/// `POST /sign-in`: checks the form's token against its cookie, then the password.
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebForm(form): WebForm<SignInForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if !same_token(&form.csrf, expected) {
        return Err(WebError::Forbidden);
    }
    match state.app.sign_in(&form.email, &form.password).await? {
        SignIn::SignedIn { token, .. } => {
            let session = set_cookie(
                &state,
                SESSION_COOKIE,
                token.as_str(),
                "/",
                SESSION_LIFETIME.num_seconds(),
            );
            let done = set_cookie(&state, SIGN_IN_COOKIE, "", "/sign-in", 0);
            Ok((
                AppendHeaders([(SET_COOKIE, session), (SET_COOKIE, done)]),
                Redirect::to("/cases"),
            )
                .into_response())
        }
        SignIn::Refused => Ok((
            StatusCode::UNAUTHORIZED,
            sign_in_page(
                expected,
                &form.email,
                Some("That email and password do not match an active user."),
            ),
        )
            .into_response()),
    }
}

/// `POST /sign-out`: ends the session everywhere it is used and forgets the cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Response, WebError> {
    state.app.sign_out(&staff.token).await?;
    let gone = set_cookie(&state, SESSION_COOKIE, "", "/", 0);
    Ok((
        AppendHeaders([(SET_COOKIE, gone)]),
        Redirect::to("/sign-in"),
    )
        .into_response())
}
