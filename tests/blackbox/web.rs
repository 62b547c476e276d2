//! The web dashboard of `casewire-server`, two ways: plain HTTP for its security rules
//! (a wrong password, a change without the session's CSRF token, another firm's case,
//! signing out), and a real Chromium driven through chromedriver for what staff do with
//! it. The browser test saves the screenshots shown in the README (`docs/screenshots/`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::{StatusCode, redirect::Policy};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::support::{FIRM_NUMBER, STATUS_WEBHOOK, Server, form};

const PASSWORD: &str = "correct horse battery staple";
const JANE: &str = "jane@riveralaw.example";
const ANA: &str = "+13125550134";
const LUIS_MOBILE: &str = "(312) 555-0135";

/// A client that keeps redirects and cookies in the test's hands.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The `name=value` part of the `Set-Cookie` for `name`, if the answer sets it.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A signed-in browser session, by hand: the session cookie and the CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

/// Opens the sign-in form; returns its cookie and the form's token.
async fn sign_in_form(server: &Server) -> (String, String) {
    let page = http()
        .get(format!("{}/sign-in", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = set_cookie(&page, "cw_sign_in").expect("the sign-in form sets its cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let token = between(&html, r#"name="csrf" value=""#, "\"")
        .expect("the form carries a token")
        .to_owned();
    (cookie, token)
}

async fn post_sign_in(
    server: &Server,
    cookie: &str,
    token: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    http()
        .post(format!("{}/sign-in", server.base))
        .header("cookie", cookie)
        .form(&[("csrf", token), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn sign_in(server: &Server, email: &str, password: &str) -> Session {
    let (cookie, token) = sign_in_form(server).await;
    let answer = post_sign_in(server, &cookie, &token, email, password).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&answer, "cw_session").expect("signing in sets the session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    let cookie = session.split(';').next().unwrap().to_owned();
    let page = get(server, &cookie, "/cases").await;
    assert_eq!(page.0, StatusCode::OK, "{}", page.1);
    let csrf = between(&page.1, r#"name="csrf-token" content=""#, "\"")
        .expect("every page carries the CSRF token")
        .to_owned();
    Session { cookie, csrf }
}

async fn get(server: &Server, cookie: &str, path: &str) -> (StatusCode, String) {
    let answer = http()
        .get(format!("{}{path}", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

async fn post_form(
    server: &Server,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    http()
        .post(format!("{}{path}", server.base))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn staff_server() -> Server {
    let server = Server::start().await;
    server
        .create_user(server.firm.id, JANE, "Jane Paralegal", PASSWORD)
        .await;
    server
}

#[tokio::test]
async fn a_wrong_password_signs_nobody_in_and_signing_out_ends_the_session() {
    let server = staff_server().await;

    // Pages send the signed-out to the sign-in form.
    let answer = http()
        .get(format!("{}/cases", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/sign-in");

    // A wrong password, or an unknown address, is refused the same way.
    let (cookie, token) = sign_in_form(&server).await;
    for (email, password) in [
        (JANE, "not the password!"),
        ("nobody@riveralaw.example", PASSWORD),
    ] {
        let answer = post_sign_in(&server, &cookie, &token, email, password).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&answer, "cw_session").is_none());
        let html = answer.text().await.unwrap();
        assert!(html.contains("do not match an active user"), "{html}");
    }
    // The sign-in form's own token is checked too (no login CSRF).
    let answer = post_sign_in(&server, "", &token, JANE, PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);

    // Signed in, then out: the old cookie opens nothing any more.
    let session = sign_in(&server, JANE, PASSWORD).await;
    let answer = post_form(
        &server,
        &session.cookie,
        "/sign-out",
        &[("csrf", &session.csrf)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/sign-in");
    let cleared = set_cookie(&answer, "cw_session").expect("signing out clears the cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let (status, _) = get(&server, &session.cookie, "/cases").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let answer = post_form(
        &server,
        &session.cookie,
        "/settings/email",
        &[
            ("csrf", &session.csrf),
            ("notification_email", "evil@example.com"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let firm = server.get("/v1/firm").await.expect(200);
    assert_eq!(firm["notification_email"], "intake@riveralaw.example");
}

#[tokio::test]
async fn a_change_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let server = staff_server().await;
    let case = server
        .create_case("24-10234", &[("Ana", "Rivera", "(312) 555-0134")])
        .await;
    let id = case["id"].as_i64().unwrap();
    let session = sign_in(&server, JANE, PASSWORD).await;
    let path = format!("/cases/{id}/texting");

    let change = [("automatic_reminders", "off")];
    let missing = post_form(&server, &session.cookie, &path, &change).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = post_form(
        &server,
        &session.cookie,
        &path,
        &[
            ("csrf", "0".repeat(64).as_str()),
            ("automatic_reminders", "off"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let wrong_header = http()
        .post(format!("{}{path}", server.base))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", "nope")
        .form(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_header.status(), StatusCode::FORBIDDEN);
    let lint = http()
        .post(format!("{}/ui/lint", server.base))
        .header("cookie", &session.cookie)
        .header("content-type", "application/json")
        .body(json!({ "body": "hi" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(lint.status(), StatusCode::FORBIDDEN);
    let texting = server
        .get(&format!("/v1/cases/{id}/texting"))
        .await
        .expect(200);
    assert_eq!(texting["automatic_reminders"], true, "nothing changed");

    // With the token, the same change goes through.
    let right = post_form(
        &server,
        &session.cookie,
        &path,
        &[("csrf", &session.csrf), ("automatic_reminders", "off")],
    )
    .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let texting = server
        .get(&format!("/v1/cases/{id}/texting"))
        .await
        .expect(200);
    assert_eq!(texting["automatic_reminders"], false);
    let lint = http()
        .post(format!("{}/ui/lint", server.base))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .header("content-type", "application/json")
        .body(json!({ "body": "See bit.ly/x", "case_id": id }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(lint.status(), StatusCode::OK);
    let report: Value = serde_json::from_str(&lint.text().await.unwrap()).unwrap();
    assert!(
        report["findings"].to_string().contains("shortened-link"),
        "{report}"
    );
}

#[tokio::test]
async fn another_firms_case_is_a_404_page_like_a_case_that_does_not_exist() {
    let server = staff_server().await;
    let other = server
        .create_firm("Cole Law", "+14155550199", "intake@colelaw.example")
        .await;
    let theirs = server
        .request(
            reqwest::Method::POST,
            "/v1/cases",
            Some(&other.api_key),
            Some((
                "application/json",
                json!({ "number": "24-99999", "debtors": [{ "first_name": "Eve", "last_name": "Cole",
                    "phones": [{ "number": "(312) 555-0177", "type": "mobile" }] }] })
                .to_string(),
            )),
        )
        .await
        .expect(201);
    let their_id = theirs["id"].as_i64().unwrap();
    let session = sign_in(&server, JANE, PASSWORD).await;

    for path in [
        format!("/cases/{their_id}"),
        format!("/cases/{their_id}/events"),
        format!("/cases/{their_id}/live"),
        "/cases/999999".to_owned(),
        "/cases/not-a-number".to_owned(),
    ] {
        let (status, html) = get(&server, &session.cookie, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Not found"), "{path}: {html}");
    }
    let answer = post_form(
        &server,
        &session.cookie,
        &format!("/cases/{their_id}/texting"),
        &[("csrf", &session.csrf), ("automatic_reminders", "off")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    // Their case is not in our list, even by search.
    let (status, html) = get(&server, &session.cookie, "/cases?q=24-99999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Eve Cole"), "{html}");
}

#[tokio::test]
async fn firm_settings_recipes_and_the_unmatched_inbox_work_as_plain_forms() {
    let server = staff_server().await;
    let case = server
        .create_case("24-10234", &[("Ana", "Rivera", "(312) 555-0134")])
        .await;
    let case_id = case["id"].as_i64().unwrap();
    let s = sign_in(&server, JANE, PASSWORD).await;
    let csrf = s.csrf.as_str();

    // A recipe is created, disabled, and a broken template is refused with the reason.
    let recipe = [
        ("csrf", csrf),
        ("name", "341 meeting, 3 days out"),
        ("applies_to", "341 Meeting"),
        ("before_amount", "3"),
        ("before_unit", "days"),
        ("at", "10:00"),
        ("template", "Hi {client_first_name}, see you {event_date}."),
        ("enabled", "on"),
    ];
    let answer = post_form(&server, &s.cookie, "/settings/recipes", &recipe).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&server, &s.cookie, "/settings").await;
    assert!(html.contains("Recipe created."), "{html}");
    assert!(html.contains("341 meeting, 3 days out"), "{html}");
    let recipes = server.get("/v1/firm/recipes").await.expect(200);
    let id = recipes["recipes"][0]["id"].as_i64().unwrap();
    assert_eq!(recipes["recipes"][0]["at"], "10:00");
    let answer = post_form(
        &server,
        &s.cookie,
        &format!("/settings/recipes/{id}/enabled"),
        &[("csrf", csrf), ("enabled", "off")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let recipes = server.get("/v1/firm/recipes").await.expect(200);
    assert_eq!(recipes["recipes"][0]["enabled"], false);
    let mut broken = recipe;
    broken[6] = ("template", "Hi {nobody}");
    post_form(
        &server,
        &s.cookie,
        &format!("/settings/recipes/{id}"),
        &broken,
    )
    .await;
    let (_, html) = get(&server, &s.cookie, "/settings").await;
    assert!(html.contains(r#"class="notice problem""#), "{html}");
    let recipes = server.get("/v1/firm/recipes").await.expect(200);
    assert!(
        recipes["recipes"][0]["template"]
            .as_str()
            .unwrap()
            .contains("{client_first_name}")
    );

    // The firm's default notification email and quiet hours.
    post_form(
        &server,
        &s.cookie,
        "/settings/email",
        &[
            ("csrf", csrf),
            ("notification_email", "desk@riveralaw.example"),
        ],
    )
    .await;
    post_form(
        &server,
        &s.cookie,
        "/settings/quiet-hours",
        &[("csrf", csrf), ("start", "09:00"), ("end", "20:00")],
    )
    .await;
    let firm = server.get("/v1/firm").await.expect(200);
    assert_eq!(firm["notification_email"], "desk@riveralaw.example");
    assert_eq!(firm["quiet_hours"]["start"], "09:00");

    // A stranger's text waits in the unmatched inbox until it is attached to a case.
    server
        .text_in("+17735550188", "Is this the law office?")
        .await;
    let (_, html) = get(&server, &s.cookie, "/inbox").await;
    assert!(html.contains("Is this the law office?"), "{html}");
    let message = server.unmatched().await[0]["id"].as_i64().unwrap();
    let answer = post_form(
        &server,
        &s.cookie,
        &format!("/inbox/{message}/attach"),
        &[("csrf", csrf), ("case_number", "24-10234")],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(server.unmatched().await.is_empty());
    let thread = server.thread(case_id).await;
    assert_eq!(thread[0]["body"], "Is this the law office?");
}

// ---- The browser -----------------------------------------------------------------

/// `name` on the `PATH`, if it is there.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

/// chromedriver on a free port, and a Chromium session through it.
struct Browser {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (after saying so) when chromedriver is not installed, unless this is CI.
    async fn start() -> Option<Browser> {
        let Some(driver) = on_path("chromedriver") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromedriver not found on PATH: the browser tests need Debian's `chromium` \
                 and `chromium-driver` packages (apt-get install -y chromium chromium-driver)"
            );
            eprintln!("skipped: chromedriver not found");
            return None;
        };
        let chromium = [PathBuf::from("/usr/lib/chromium/chromium")]
            .into_iter()
            .find(|p| p.is_file())
            .or_else(|| on_path("chromium"))
            .or_else(|| on_path("chromium-browser"))
            .expect("chromedriver is installed but chromium is not");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = reqwest::get(format!("{url}/status")).await;
            if let Ok(answer) = ready {
                if answer.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1366,1000",
                    "--hide-scrollbars", "--lang=en-US",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a Chromium session through chromedriver");
        Some(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks something that loads a new page, and waits for that page.
    async fn click_to_load(&self, css: &str) {
        self.client
            .execute("window.casewireOldPage = true;", vec![])
            .await
            .unwrap();
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.casewireOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(Value::Bool(true))) {
                return;
            }
            assert!(Instant::now() < deadline, "clicking {css} loaded no page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Sets an input's value by script (date and time inputs read typed keys by locale).
    async fn set_value(&self, id: &str, value: &str) {
        self.client
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap();
    }

    /// The text of `css`, once it contains `needle` (fails after a few seconds).
    async fn text_with(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                    last = text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "waited for {needle:?} in {css}; it says:\n{last}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

#[tokio::test]
async fn staff_text_a_joint_case_see_replies_live_and_schedule_reminders_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = staff_server().await;
    // A joint case: Ana has a mobile, Luis only a home number so far.
    let case = server
        .post(
            "/v1/cases",
            &json!({ "number": "24-10234", "debtors": [
                { "first_name": "Ana", "last_name": "Rivera",
                  "phones": [{ "number": "(312) 555-0134", "type": "mobile" }] },
                { "first_name": "Luis", "last_name": "Rivera",
                  "phones": [{ "number": "(312) 555-0199", "type": "home" }] },
            ]}),
        )
        .await
        .expect(201);
    let case_id = case["id"].as_i64().unwrap();
    let luis = case["debtors"][1]["id"].as_i64().unwrap();
    let b = &browser;

    // Sign in, find the case by a client's name and open it.
    b.client
        .goto(&format!("{}/sign-in", server.base))
        .await
        .unwrap();
    b.type_into("#email", JANE).await;
    b.type_into("#password", PASSWORD).await;
    b.click_to_load("form button[type=submit]").await;
    b.text_with("h1", "Cases").await;
    b.type_into("#q", "Rivera").await;
    b.click_to_load("form.search button").await;
    b.text_with("table.cases", "Ana Rivera and Luis Rivera")
        .await;
    b.click_to_load(&format!("a[href='/cases/{case_id}']"))
        .await;
    let debtor = b
        .text_with(&format!("#debtor-{luis}"), "no mobile number")
        .await;
    assert!(debtor.contains("Joint debtor"), "{debtor}");

    // Give Luis a mobile number: the warning goes, both debtors are texted.
    b.type_into(&format!("#new-num-{luis}"), LUIS_MOBILE).await;
    b.click_to_load(&format!("#debtor-{luis} form.add-phone button"))
        .await;
    b.text_with(".notice", "Number added").await;
    let debtor = b.text_with(&format!("#debtor-{luis}"), "gets texts").await;
    assert!(!debtor.contains("no mobile number"), "{debtor}");
    b.text_with("#recipients", "Luis on (312) 555-0135").await;

    // The linter warns about a public shortener while the text is typed.
    b.type_into("#body", "Sign the form at bit.ly/3xYz please")
        .await;
    let lint = b.text_with("#lint", "bit.ly").await;
    assert!(lint.contains("filtered as spam"), "{lint}");
    b.text_with("#counter", "1 segment").await;

    // Send a text: it lands in the thread, from Jane, with its status.
    let text = "Your meeting of creditors is on Friday at 9:30 AM.";
    b.type_into("#body", text).await;
    b.click("#compose button[type=submit]").await;
    let thread = b.text_with("#thread", text).await;
    assert!(thread.contains("sent by Jane Paralegal"), "{thread}");
    assert!(thread.to_lowercase().contains("queued"), "{thread}");
    b.text_with("#send-status", "Sent").await;
    assert_eq!(server.twilio.texts().len(), 2, "both debtors were texted");

    // No reload from here on: a marker on the page must survive.
    b.client
        .execute("window.casewireMarker = 42;", vec![])
        .await
        .unwrap();
    // Twilio reports Ana's copy delivered, and Ana replies: both appear live.
    let sid = server
        .twilio
        .texts()
        .into_iter()
        .find(|t| t.to == ANA)
        .and_then(|t| t.sid)
        .unwrap();
    let report = form(&[
        ("MessageSid", &sid),
        ("MessageStatus", "delivered"),
        ("AccountSid", crate::support::ACCOUNT_SID),
        ("From", FIRM_NUMBER),
        ("To", ANA),
    ]);
    let reply = server.signed_webhook(STATUS_WEBHOOK, &report).await;
    assert!((200..300).contains(&reply.status), "{reply:?}");
    b.text_with("#thread", "DELIVERED").await;
    server.text_in(ANA, "Thank you, see you Friday").await;
    let thread = b.text_with("#thread", "Thank you, see you Friday").await;
    assert!(thread.contains("Ana Rivera"), "{thread}");
    let marker = b
        .client
        .execute("return window.casewireMarker;", vec![])
        .await
        .unwrap();
    assert_eq!(marker, json!(42), "the page was not reloaded");

    // The settings wheel: this case's notification email, reminders off then on.
    b.click("#texting-settings summary").await;
    b.type_into("#notification-email", "paralegal@riveralaw.example")
        .await;
    b.click("input[name=automatic_reminders][value=off]").await;
    b.click_to_load("#texting-settings button[type=submit]")
        .await;
    b.text_with(".notice", "Texting settings saved").await;
    b.text_with("main", "Automatic reminders are off").await;
    // The wheel, opened again, names where replies now go.
    b.click("#texting-settings summary").await;
    b.text_with("#effective-email", "paralegal@riveralaw.example")
        .await;
    let texting = server
        .get(&format!("/v1/cases/{case_id}/texting"))
        .await
        .expect(200);
    assert_eq!(texting["notification_email"], "paralegal@riveralaw.example");
    assert_eq!(texting["automatic_reminders"], false);

    b.click("input[name=automatic_reminders][value=on]").await;
    b.click_to_load("#texting-settings button[type=submit]")
        .await;
    b.text_with(".notice", "Texting settings saved").await;
    let texting = server
        .get(&format!("/v1/cases/{case_id}/texting"))
        .await
        .expect(200);
    assert_eq!(texting["automatic_reminders"], true);
    b.text_with("#thread", "Thank you, see you Friday").await;
    // The screenshot shows the linter at work on a draft.
    b.type_into("#body", "Please sign the form at bit.ly/3xYz before Friday")
        .await;
    b.text_with("#lint", "bit.ly").await;
    b.screenshot("dashboard.png").await;

    // The events tab: an event with a reminder one day before is scheduled per debtor.
    b.click_to_load("nav.tabs a[href$='/events']").await;
    b.text_with("#new-event-h", "New event").await;
    let date = (Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    b.type_into("#new-event-title", "Meeting of creditors")
        .await;
    b.type_into("#new-event-kind", "341 Meeting").await;
    b.set_value("new-event-date", &date).await;
    b.set_value("new-event-time", "09:30").await;
    b.type_into("#new-event-location", "Room 1, 219 S Dearborn St")
        .await;
    b.type_into("#new-event-amount-0", "1").await;
    b.click_to_load("section[aria-labelledby=new-event-h] button[type=submit]")
        .await;
    b.text_with(".notice", "Event created").await;
    let events = b.text_with("#events", "Meeting of creditors").await;
    assert!(events.contains("1 day before"), "{events}");
    let scheduled = b
        .text_with("#scheduled-reminders", "Meeting of creditors")
        .await;
    for needle in ["Ana Rivera", "Luis Rivera", "1 day before", "scheduled"] {
        assert!(scheduled.contains(needle), "{needle} in {scheduled}");
    }
    b.screenshot("events.png").await;

    // Firm settings: a template shows its preview, and its error before saving.
    b.client
        .goto(&format!("{}/settings", server.base))
        .await
        .unwrap();
    b.text_with("#event-template-preview", "Maria").await;
    b.type_into("#event-template", "Hi {client_first_name}, see you {when}")
        .await;
    b.text_with("#event-template-preview", "Cannot be saved")
        .await;
    b.client.refresh().await.unwrap();
    b.text_with("#event-template-preview", "Maria").await;
    b.text_with("#new-recipe-template-preview", "Maria").await;
    b.client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    b.screenshot("settings.png").await;

    browser.client.close().await.unwrap();
}
