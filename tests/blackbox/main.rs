//! Black-box tests of `casewire-server`: each test starts the real binary on port 0
//! against a fresh SQLite file, a local fake of Twilio's API and an email folder, and
//! drives it only through its HTTP API, Twilio-signed webhooks and the CLI.
#![allow(clippy::unwrap_used)]

mod support;
mod web;
mod workers;

use chrono::{Duration as Days, SecondsFormat, Timelike, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use support::{
    ACCOUNT_SID, AUTH_TOKEN, FIRM_NUMBER, MESSAGES_WEBHOOK, STATUS_WEBHOOK, Server, basic_auth,
    eventually, form,
};

/// Ana Rivera's mobile, as staff type it and as E.164.
const ANA_TYPED: &str = "(312) 555-0134";
const ANA: &str = "+13125550134";
/// Luis Rivera's mobile.
const LUIS_TYPED: &str = "(312) 555-0135";
const LUIS: &str = "+13125550135";
/// Someone who is on no case.
const STRANGER: &str = "+17735550188";

async fn joint_case(server: &Server) -> i64 {
    let case = server
        .create_case(
            "24-10234",
            &[("Ana", "Rivera", ANA_TYPED), ("Luis", "Rivera", LUIS_TYPED)],
        )
        .await;
    assert_eq!(case["joint"], true, "{case}");
    case["id"].as_i64().unwrap()
}

fn result_for<'a>(results: &'a [Value], to: &str) -> &'a Value {
    results
        .iter()
        .find(|r| r["to"] == to)
        .unwrap_or_else(|| panic!("no result for {to} in {results:?}"))
}

fn sent_to(server: &Server, since: usize) -> Vec<String> {
    let mut to: Vec<String> = server.twilio.texts()[since..]
        .iter()
        .map(|t| t.to.clone())
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn a_joint_case_is_texted_hears_replies_and_honours_stop_and_start() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;

    // Texting the case texts both debtors through Twilio, from the firm's number.
    let first = "Your meeting of creditors is on Friday. Please bring your pay stubs.";
    let results = server.text_case(case_id, first).await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results.iter().all(|r| r["outcome"] == "sent"),
        "{results:?}"
    );
    let texts = server.twilio.texts();
    assert_eq!(sent_to(&server, 0), [ANA, LUIS]);
    let callback = format!("{}{STATUS_WEBHOOK}", server.base);
    for text in &texts {
        assert_eq!(text.account_sid, ACCOUNT_SID);
        assert_eq!(text.from, FIRM_NUMBER);
        assert_eq!(text.body, first);
        assert_eq!(text.status_callback.as_deref(), Some(callback.as_str()));
        assert_eq!(
            text.authorization.as_deref(),
            Some(basic_auth(ACCOUNT_SID, AUTH_TOKEN).as_str())
        );
    }

    // A reply lands in the case's thread and in the firm's inbox as an email.
    let question = "Can I bring my pay stubs on Thursday instead?";
    let twiml = server.text_in(ANA, question).await;
    assert!(twiml.body.contains("<Response"), "{}", twiml.body);
    assert!(!twiml.body.contains("<Message"), "{}", twiml.body);
    let thread = server.thread(case_id).await;
    let reply = thread
        .iter()
        .find(|m| m["direction"] == "inbound")
        .expect("the reply is in the thread");
    assert_eq!(reply["body"], question);
    assert_eq!(reply["from"], ANA);
    let email = server.email_containing(question).await;
    assert_eq!(email.to, "intake@riveralaw.example");
    assert!(email.subject.contains("24-10234"), "{email:?}");

    // STOP from Luis: Twilio is answered with the opt-out confirmation.
    let twiml = server.text_in(LUIS, "STOP").await;
    assert!(
        twiml.body.contains("<Message>") && twiml.body.contains("You are unsubscribed"),
        "{}",
        twiml.body
    );

    // The next text reaches Ana only; Luis's copy is recorded as refused.
    let before = server.twilio.texts().len();
    let results = server
        .text_case(case_id, "We filed your amended schedules today.")
        .await;
    assert_eq!(sent_to(&server, before), [ANA]);
    assert_eq!(result_for(&results, ANA)["outcome"], "sent");
    let refused = result_for(&results, LUIS);
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["reason"], "opted_out");
    let thread = server.thread(case_id).await;
    let recorded = thread
        .iter()
        .find(|m| m["id"] == refused["message_id"])
        .expect("the refused text is in the thread");
    assert_eq!(recorded["reason"], "opted_out");
    assert_eq!(recorded["to"], LUIS);

    // The consent record says so, with its history.
    let consent = server.get(&format!("/v1/consent/{LUIS}")).await.expect(200);
    assert_eq!(consent["state"], "opted_out", "{consent}");
    let history = consent["history"].as_array().unwrap();
    let last = history.last().expect("the opt-out is in the history");
    assert_eq!(last["to"], "opted_out", "{consent}");
    assert_eq!(last["text"], "STOP", "{consent}");
    assert_eq!(last["via_number"], FIRM_NUMBER, "{consent}");

    // START undoes it: both debtors are texted again.
    let twiml = server.text_in(LUIS, "START").await;
    assert!(twiml.body.contains("subscribed again"), "{}", twiml.body);
    let consent = server.get(&format!("/v1/consent/{LUIS}")).await.expect(200);
    assert_eq!(consent["state"], "subscribed", "{consent}");
    let before = server.twilio.texts().len();
    let results = server
        .text_case(case_id, "Your hearing moved to 10:00 on Monday.")
        .await;
    assert!(
        results.iter().all(|r| r["outcome"] == "sent"),
        "{results:?}"
    );
    assert_eq!(sent_to(&server, before), [ANA, LUIS]);

    // Every reply went through the group-commit pipeline, which reports its batches.
    let metrics = server.request(Method::GET, "/metrics", None, None).await;
    let counter = |name: &str| -> u64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {}", metrics.body))
    };
    let (batches, batched) = (
        counter("casewire_inbound_batches_total"),
        counter("casewire_inbound_batched_total"),
    );
    assert!(batches >= 1 && batched >= batches, "{batches} / {batched}");
    assert_eq!(
        batched,
        counter("casewire_inbound_received_total") + counter("casewire_inbound_duplicates_total")
    );
}

#[tokio::test]
async fn a_text_from_a_stranger_lands_in_the_unmatched_inbox_and_is_emailed() {
    let server = Server::start().await;
    let twiml = server
        .text_in(STRANGER, "Is this the Rivera law office?")
        .await;
    assert!(!twiml.body.contains("<Message"), "{}", twiml.body);
    let inbox = server.unmatched().await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["from"], STRANGER);
    assert_eq!(inbox[0]["case_id"], Value::Null);
    server
        .email_containing("Is this the Rivera law office?")
        .await;
}

#[tokio::test]
async fn a_forged_unsigned_or_foreign_webhook_is_refused_and_changes_nothing() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;
    let url = format!("{}{MESSAGES_WEBHOOK}", server.base);

    let from_client = server.inbound_form(ANA, "Please call me back");
    let from_stranger = server.inbound_form(STRANGER, "Who is this?");
    let mut foreign = server.inbound_form(ANA, "Hello from another account");
    for field in &mut foreign {
        if field.0 == "AccountSid" {
            field.1 = "ACffffffffffffffffffffffffffffffff".to_owned();
        }
    }
    let signed_for_other_text = {
        let mut original = from_client.clone();
        original.retain(|(n, _)| n != "Body");
        original.push(("Body".to_owned(), "Hi".to_owned()));
        server.sign(MESSAGES_WEBHOOK, &original)
    };
    type Fields = [(String, String)];
    let attempts: [(&str, &Fields, Option<String>); 6] = [
        ("no signature", &from_client, None),
        ("an empty signature", &from_client, Some(String::new())),
        (
            "another token's signature",
            &from_client,
            Some(casewire_twilio::signature::signature(
                "not-the-token",
                &url,
                &from_client,
            )),
        ),
        (
            "a signature of other fields",
            &from_client,
            Some(signed_for_other_text),
        ),
        (
            "a signature for another path",
            &from_stranger,
            Some(server.sign(STATUS_WEBHOOK, &from_stranger)),
        ),
        (
            "a valid signature for another account",
            &foreign,
            Some(server.sign(MESSAGES_WEBHOOK, &foreign)),
        ),
    ];
    for (what, params, signature) in &attempts {
        let reply = server
            .webhook(MESSAGES_WEBHOOK, params, signature.as_deref())
            .await;
        assert_eq!(reply.status, 403, "{what}: {}", reply.body);
        assert_eq!(reply.json()["error"]["code"], "forbidden", "{what}");
    }

    assert_eq!(server.thread(case_id).await, Vec::<Value>::new());
    assert_eq!(server.unmatched().await, Vec::<Value>::new());
    assert_eq!(
        server.metric("webhook_rejected_total").await,
        attempts.len() as f64
    );
    assert_eq!(server.metric("inbound_received_total").await, 0.0);
}

#[tokio::test]
async fn a_retried_stop_webhook_is_answered_with_the_confirmation_again() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;
    // Twilio retries a webhook whose answer it did not get: that answer carried the
    // opt-out confirmation the law requires, so the retry carries it again.
    let params = server.inbound_form(LUIS, "STOP");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let reply = server.signed_webhook(MESSAGES_WEBHOOK, &params).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        answers.push(reply.body);
    }
    assert!(
        answers[0].contains("You are unsubscribed"),
        "{}",
        answers[0]
    );
    assert_eq!(answers[0], answers[1], "the retry gets the same answer");
    assert_eq!(server.metric("inbound_duplicates_total").await, 1.0);
    // Stored once, confirmed once in the thread.
    let thread = server.thread(case_id).await;
    let stops = thread.iter().filter(|m| m["body"] == "STOP").count();
    let confirmations = thread
        .iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .is_some_and(|b| b.contains("You are unsubscribed"))
        })
        .count();
    assert_eq!((stops, confirmations), (1, 1), "{thread:?}");

    // Once the number has opted back in, a late retry of the old STOP changes nothing
    // and confirms nothing.
    server.text_in(LUIS, "START").await;
    let late = server.signed_webhook(MESSAGES_WEBHOOK, &params).await;
    assert_eq!(late.status, 200, "{}", late.body);
    assert!(!late.body.contains("<Message>"), "{}", late.body);
    let consent = server.get(&format!("/v1/consent/{LUIS}")).await.expect(200);
    assert_eq!(consent["state"], "subscribed", "{consent}");

    // A STOP from a number already opted out is not answered, and neither is its retry.
    server.text_in(LUIS, "STOP").await;
    let again = server.inbound_form(LUIS, "STOP");
    for _ in 0..2 {
        let reply = server.signed_webhook(MESSAGES_WEBHOOK, &again).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!reply.body.contains("<Message>"), "{}", reply.body);
    }
}

#[tokio::test]
async fn the_same_webhook_twice_stores_one_message() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;
    let params = server.inbound_form(ANA, "Did you get my documents?");
    for _ in 0..2 {
        let reply = server.signed_webhook(MESSAGES_WEBHOOK, &params).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let thread = server.thread(case_id).await;
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert_eq!(server.metric("inbound_received_total").await, 1.0);
    assert_eq!(server.metric("inbound_duplicates_total").await, 1.0);
    server.email_containing("Did you get my documents?").await;
    let emails = server.emails();
    assert_eq!(emails.len(), 1, "one email per text: {emails:?}");
}

#[tokio::test]
async fn a_delivery_report_moves_a_text_forward_never_back() {
    let server = Server::start().await;
    let case = server
        .create_case("24-20001", &[("Ana", "Rivera", ANA_TYPED)])
        .await;
    let case_id = case["id"].as_i64().unwrap();
    let results = server
        .text_case(case_id, "Please sign the papers we mailed you.")
        .await;
    let sid = server.twilio.texts()[0].sid.clone().unwrap();
    assert_eq!(results[0]["provider_id"], sid.as_str());
    let status_of_text = async || {
        let thread = server.thread(case_id).await;
        thread[0]["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status_of_text().await, "queued");

    let report = |status: &str| {
        form(&[
            ("MessageSid", &sid),
            ("MessageStatus", status),
            ("AccountSid", ACCOUNT_SID),
            ("From", FIRM_NUMBER),
            ("To", ANA),
        ])
    };
    let reply = server
        .signed_webhook(STATUS_WEBHOOK, &report("delivered"))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(status_of_text().await, "delivered");

    // Twilio's callbacks can arrive out of order: a late "sent" changes nothing.
    let reply = server.signed_webhook(STATUS_WEBHOOK, &report("sent")).await;
    assert!(reply.status < 300, "{} {}", reply.status, reply.body);
    assert_eq!(status_of_text().await, "delivered");

    // Nor does a forged "undelivered".
    let forged = report("undelivered");
    let reply = server
        .webhook(STATUS_WEBHOOK, &forged, Some("c2lnbmVkIGJ5IG5vYm9keQ=="))
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(status_of_text().await, "delivered");
}

#[tokio::test]
async fn a_number_twilio_reports_as_unsubscribed_is_not_texted_again() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;

    // Twilio refuses Luis's copy outright with 21610.
    server.twilio.refuse(LUIS, 21610);
    let results = server
        .text_case(case_id, "Your tax returns are due to us this week.")
        .await;
    assert_eq!(result_for(&results, ANA)["outcome"], "sent");
    let failed = result_for(&results, LUIS);
    assert_eq!(failed["outcome"], "failed", "{failed}");
    assert_eq!(failed["code"], 21610, "{failed}");
    let consent = server.get(&format!("/v1/consent/{LUIS}")).await.expect(200);
    assert_eq!(consent["state"], "opted_out", "{consent}");

    // Ana's copy was accepted, then reported undelivered with 21610.
    let texts = server.twilio.texts();
    let to_ana = texts.iter().find(|t| t.to == ANA).unwrap();
    let sid = to_ana.sid.clone().unwrap();
    let report = form(&[
        ("MessageSid", &sid),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "21610"),
        ("AccountSid", ACCOUNT_SID),
        ("From", FIRM_NUMBER),
        ("To", ANA),
    ]);
    let reply = server.signed_webhook(STATUS_WEBHOOK, &report).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let consent = server.get(&format!("/v1/consent/{ANA}")).await.expect(200);
    assert_eq!(consent["state"], "opted_out", "{consent}");

    // Neither is texted again.
    let before = server.twilio.texts().len();
    let results = server
        .text_case(case_id, "Please call us about your tax returns.")
        .await;
    assert_eq!(sent_to(&server, before), Vec::<String>::new());
    for to in [ANA, LUIS] {
        assert_eq!(
            result_for(&results, to)["reason"],
            "opted_out",
            "{results:?}"
        );
    }
}

#[tokio::test]
async fn api_errors_are_json_with_the_right_status_and_write_nothing() {
    let server = Server::start().await;

    // No key, or a wrong one.
    for key in [None, Some("cw_not_a_real_key")] {
        let reply = server.request(Method::GET, "/v1/cases", key, None).await;
        assert_eq!(reply.status, 401, "{key:?}: {}", reply.body);
        assert_eq!(reply.json()["error"]["code"], "unauthorized");
    }

    // Another firm's case does not exist for this firm.
    let other = server
        .create_firm("Okafor Law", "+14155550111", "desk@okaforlaw.example")
        .await;
    assert_ne!(other.id, server.firm.id);
    let theirs = server
        .request(
            Method::POST,
            "/v1/cases",
            Some(&other.api_key),
            Some((
                "application/json",
                json!({ "number": "24-99999", "debtors": [{ "first_name": "Chi", "last_name": "Okafor",
                         "phones": [{ "number": "(312) 555-0177", "type": "mobile" }] }] })
                .to_string(),
            )),
        )
        .await
        .expect(201);
    let theirs = theirs["id"].as_i64().unwrap();
    let reply = server.get(&format!("/v1/cases/{theirs}")).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "not_found");
    let reply = server
        .post(
            &format!("/v1/cases/{theirs}/messages"),
            &json!({ "body": "Hello" }),
        )
        .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert!(server.twilio.texts().is_empty());

    // A malformed id, malformed JSON and unknown fields are 400s that say what is wrong.
    let reply = server.get("/v1/cases/not-a-number").await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "invalid_request");
    let reply = server
        .request(
            Method::POST,
            "/v1/cases",
            Some(&server.firm.api_key),
            Some(("application/json", "{\"number\": \"24-1\",".to_owned())),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "invalid_request");
    let reply = server
        .post(
            "/v1/cases",
            &json!({ "number": "24-1", "nickname": "the Riveras",
                     "debtors": [{ "first_name": "Ana", "last_name": "Rivera" }] }),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("nickname"), "{message}");

    // An invalid number is a 422 naming the field; the valid first debtor is not kept.
    let reply = server
        .post(
            "/v1/cases",
            &json!({ "number": "24-10234", "debtors": [
                { "first_name": "Ana", "last_name": "Rivera",
                  "phones": [{ "number": ANA_TYPED, "type": "mobile" }] },
                { "first_name": "Luis", "last_name": "Rivera",
                  "phones": [{ "number": "555-12", "type": "mobile" }] },
            ] }),
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let error = &reply.json()["error"];
    assert_eq!(error["code"], "invalid_field");
    assert_eq!(error["details"]["field"], "debtors[1].phones[0].number");

    let cases = server.get("/v1/cases").await.expect(200);
    assert_eq!(cases["cases"], json!([]), "nothing half-written: {cases}");
}

#[tokio::test]
async fn health_readiness_metrics_and_the_api_description_are_served() {
    let server = Server::start().await;
    let healthz = server.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(healthz.status, 200);
    let readyz = server.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(readyz.status, 200);
    let metrics = server.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains("casewire_inbound_received_total"),
        "{}",
        metrics.body
    );
    let openapi = server
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    // Every route the server answers, with its methods, is described.
    let routes: &[(&str, &[&str])] = &[
        ("/v1/cases", &["get", "post"]),
        ("/v1/cases/{case_id}", &["get", "patch"]),
        ("/v1/cases/{case_id}/debtors/{debtor_id}/phones", &["post"]),
        (
            "/v1/cases/{case_id}/phones/{phone_id}",
            &["patch", "delete"],
        ),
        ("/v1/cases/{case_id}/messages", &["get", "post"]),
        ("/v1/cases/{case_id}/texting", &["get", "patch"]),
        ("/v1/cases/{case_id}/events", &["get", "post"]),
        (
            "/v1/cases/{case_id}/events/{event_id}",
            &["patch", "delete"],
        ),
        ("/v1/cases/{case_id}/reminders", &["get"]),
        ("/v1/firm", &["get", "patch"]),
        ("/v1/firm/recipes", &["get", "post"]),
        ("/v1/firm/recipes/{recipe_id}", &["get", "patch", "delete"]),
        ("/v1/lint", &["post"]),
        ("/v1/consent/{phone}", &["get", "post"]),
        ("/v1/inbox/unmatched", &["get"]),
        ("/v1/inbox/unmatched/{message_id}/attach", &["post"]),
        (MESSAGES_WEBHOOK, &["post"]),
        (STATUS_WEBHOOK, &["post"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/openapi.json", &["get"]),
    ];
    for (path, methods) in routes {
        for method in *methods {
            assert!(
                openapi["paths"][path][method].is_object(),
                "/openapi.json does not describe {method} {path}"
            );
        }
    }
    let missing = server.request(Method::GET, "/v2/cases", None, None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_event_plans_a_reminder_per_debtor_and_reminders_off_cancels_them() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;
    let starts_at = (Utc::now() + Days::days(2)).to_rfc3339_opts(SecondsFormat::Secs, false);
    let event = server
        .post(
            &format!("/v1/cases/{case_id}/events"),
            &json!({ "title": "Meeting of creditors", "kind": "341 meeting",
                     "starts_at": starts_at, "reminders": ["1 day"] }),
        )
        .await
        .expect(201);
    assert_eq!(event["reminders"], json!(["1 day"]), "{event}");

    let reminders = async || {
        let page = server
            .get(&format!("/v1/cases/{case_id}/reminders"))
            .await
            .expect(200);
        page["reminders"].as_array().unwrap().clone()
    };
    let planned = reminders().await;
    assert_eq!(planned.len(), 2, "{planned:?}");
    let mut to: Vec<&str> = planned.iter().map(|r| r["to"].as_str().unwrap()).collect();
    to.sort_unstable();
    assert_eq!(to, [ANA, LUIS]);
    assert!(
        planned.iter().all(|r| r["state"] == "pending"),
        "{planned:?}"
    );

    let texting = server
        .patch(
            &format!("/v1/cases/{case_id}/texting"),
            &json!({ "automatic_reminders": false }),
        )
        .await
        .expect(200);
    assert_eq!(texting["automatic_reminders"], false);
    let after = reminders().await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        after
            .iter()
            .all(|r| r["state"] == "cancelled" && r["reason"] == "reminders_off"),
        "{after:?}"
    );
    assert!(server.twilio.texts().is_empty());
}

/// A fixed-offset zone where it is now between noon and 1 pm, so a reminder due now is
/// inside any sensible allowed sending window, whenever the test runs.
fn zone_where_it_is_midday() -> String {
    let offset = 12 - i64::from(Utc::now().hour());
    match offset {
        0 => "Etc/UTC".to_owned(),
        // The Etc zones' signs are inverted: Etc/GMT-5 is five hours ahead of UTC.
        east if east > 0 => format!("Etc/GMT-{east}"),
        west => format!("Etc/GMT+{}", -west),
    }
}

#[tokio::test]
async fn a_due_reminder_is_texted_to_every_debtor_by_the_in_process_worker() {
    let server = Server::start().await;
    let zone = zone_where_it_is_midday();
    let debtor = |first: &str, mobile: &str| {
        json!({ "first_name": first, "last_name": "Rivera", "time_zone": zone,
                "phones": [{ "number": mobile, "type": "mobile" }] })
    };
    let case = server
        .post(
            "/v1/cases",
            &json!({ "number": "24-10234",
                     "debtors": [debtor("Ana", ANA_TYPED), debtor("Luis", LUIS_TYPED)] }),
        )
        .await
        .expect(201);
    let case_id = case["id"].as_i64().unwrap();

    // "30 minutes before" an event 30 minutes and 3 seconds away is due in 3 seconds.
    let starts_at = (Utc::now() + Days::minutes(30) + Days::seconds(3))
        .to_rfc3339_opts(SecondsFormat::Secs, false);
    server
        .post(
            &format!("/v1/cases/{case_id}/events"),
            &json!({ "title": "Confirmation hearing", "kind": "hearing",
                     "starts_at": starts_at, "reminders": ["30 minutes"] }),
        )
        .await
        .expect(201);

    let reminders = eventually("both reminders sent", async || {
        let page = server
            .get(&format!("/v1/cases/{case_id}/reminders"))
            .await
            .expect(200);
        let all = page["reminders"].as_array().unwrap().clone();
        (all.len() == 2 && all.iter().all(|r| r["state"] == "sent")).then_some(all)
    })
    .await;
    assert_eq!(sent_to(&server, 0), [ANA, LUIS]);
    let callback = format!("{}{STATUS_WEBHOOK}", server.base);
    for text in server.twilio.texts() {
        assert_eq!(text.from, FIRM_NUMBER);
        assert!(text.body.contains("Confirmation hearing"), "{}", text.body);
        assert_eq!(text.status_callback.as_deref(), Some(callback.as_str()));
    }
    let thread = server.thread(case_id).await;
    for reminder in &reminders {
        let message = thread
            .iter()
            .find(|m| m["id"] == reminder["message_id"])
            .unwrap_or_else(|| panic!("reminder {reminder} is not in the thread"));
        assert_eq!(message["sent_by"]["kind"], "reminder");
        assert_eq!(message["status"], "queued");
    }
}

#[tokio::test]
async fn sigterm_shuts_the_server_down_cleanly() {
    let server = Server::start().await;
    let case_id = joint_case(&server).await;
    server.text_in(ANA, "Thanks!").await;
    server.email_containing("Thanks!").await;
    assert_eq!(server.thread(case_id).await.len(), 1);
    let (status, stderr) = server.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );
}

/// The console provider (the default with no configuration) gives every text an id that
/// no other process gives: the restarted server, and `simulate-inbound` beside it, send
/// and store texts in the same database without colliding with the ids stored before.
#[tokio::test]
async fn console_texts_keep_working_across_restarts_and_beside_simulate_inbound() {
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = [
        (
            "CASEWIRE_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("casewire.db").display()),
        ),
        ("CASEWIRE_PROVIDER", "console".to_owned()),
        (
            "CASEWIRE_EMAIL_DIR",
            dir.path().join("mail").display().to_string(),
        ),
        ("RUST_LOG", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let firm =
        support::create_firm(&env, "Rivera Law", FIRM_NUMBER, "intake@riveralaw.example").await;
    let http = reqwest::Client::new();
    let call = async |base: &str, method: Method, path: &str, body: Value| {
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(&firm.api_key);
        if !body.is_null() {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let text = async |base: &str, case_id: i64, body: &str| {
        let (status, reply) = call(
            base,
            Method::POST,
            &format!("/v1/cases/{case_id}/messages"),
            json!({ "body": body }),
        )
        .await;
        assert_eq!(status, 201, "{reply}");
        let results = reply["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(results.len(), 1, "{reply}");
        assert_eq!(results[0]["outcome"], "sent", "{reply}");
    };

    let (server, base) = support::serve(&env).await;
    let (status, case) = call(
        &base,
        Method::POST,
        "/v1/cases",
        json!({
            "number": "24-10001",
            "debtors": [{"first_name": "Ana", "last_name": "Rivera",
                         "phones": [{"number": ANA_TYPED, "type": "mobile"}]}],
        }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let case_id = case["id"].as_i64().unwrap();
    text(&base, case_id, "Your documents are ready.").await;
    support::stop(server).await;

    let (server, base) = support::serve(&env).await;
    text(&base, case_id, "See you on Friday.").await;

    // A STOP through the helper: stored, and its confirmation sent through the helper's
    // own console provider, while the server runs.
    let output = support::casewire(&env)
        .args([
            "simulate-inbound",
            "--from",
            ANA_TYPED,
            "--to",
            FIRM_NUMBER,
            "--body",
            "STOP",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "simulate-inbound failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, thread) = call(
        &base,
        Method::GET,
        &format!("/v1/cases/{case_id}/messages"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{thread}");
    let messages = thread["messages"].as_array().cloned().unwrap_or_default();
    let outbound: Vec<&Value> = messages
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(
        outbound.len(),
        3,
        "two texts and the STOP confirmation: {thread}"
    );
    assert!(outbound.iter().all(|m| m["status"] == "sent"), "{thread}");
    support::stop(server).await;
}

/// A firm can turn default keywords off through the API (never STOP, START or HELP), and
/// later changes to its own keywords keep them off until it says otherwise.
#[tokio::test]
async fn default_keywords_can_be_turned_off_and_back_on() {
    let server = Server::start().await;
    joint_case(&server).await;
    let words = |firm: &Value, list: &str| -> Vec<String> {
        firm["keywords"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect()
    };

    server
        .patch("/v1/firm", &json!({"keywords": {"opt_out": ["ALTO"]}}))
        .await
        .expect(200);
    let firm = server
        .patch(
            "/v1/firm",
            &json!({"keywords": {"removed": ["cancel", "opt out"]}}),
        )
        .await
        .expect(200);
    // The firm's own keywords stay when only `removed` is given.
    assert!(
        words(&firm, "opt_out").contains(&"ALTO".to_owned()),
        "{firm}"
    );
    assert_eq!(
        words(&firm, "removed"),
        ["CANCEL", "OPTOUT", "OPT OUT", "OPT-OUT"]
    );
    assert!(
        !words(&firm, "opt_out").contains(&"CANCEL".to_owned()),
        "{firm}"
    );
    assert!(
        words(&firm, "opt_out").contains(&"STOP".to_owned()),
        "{firm}"
    );

    // A bare CANCEL is no longer an opt-out keyword.
    assert_eq!(server.text_in(ANA, "Cancel").await.status, 200);
    let consent = server.get(&format!("/v1/consent/{ANA}")).await.expect(200);
    assert_eq!(consent["state"], "subscribed", "{consent}");

    // Changing the firm's own keywords keeps CANCEL off.
    let firm = server
        .patch("/v1/firm", &json!({"keywords": {"opt_out": ["BAJA"]}}))
        .await
        .expect(200);
    assert!(
        words(&firm, "opt_out").contains(&"BAJA".to_owned()),
        "{firm}"
    );
    assert!(
        words(&firm, "removed").contains(&"CANCEL".to_owned()),
        "{firm}"
    );

    // STOP stays; a word that is not a default is not "removed"; a word cannot be both
    // added and removed; nothing changes.
    for (keywords, field) in [
        (json!({"removed": ["STOP"]}), "keywords.removed[0]"),
        (json!({"removed": ["BAJA"]}), "keywords.removed[0]"),
        (
            json!({"opt_out": ["CANCEL"], "removed": ["CANCEL"]}),
            "keywords.opt_out[0]",
        ),
    ] {
        let reply = server
            .patch("/v1/firm", &json!({ "keywords": keywords }))
            .await;
        assert_eq!(reply.status, 422, "{keywords}: {}", reply.body);
        assert_eq!(
            reply.json()["error"]["details"]["field"],
            field,
            "{}",
            reply.body
        );
    }
    let firm = server.get("/v1/firm").await.expect(200);
    assert!(
        words(&firm, "removed").contains(&"CANCEL".to_owned()),
        "{firm}"
    );

    // Back on.
    let firm = server
        .patch(
            "/v1/firm",
            &json!({"keywords": {"opt_out": ["BAJA"], "removed": []}}),
        )
        .await
        .expect(200);
    assert!(words(&firm, "removed").is_empty(), "{firm}");
    assert_eq!(server.text_in(ANA, "Cancel").await.status, 200);
    let consent = server.get(&format!("/v1/consent/{ANA}")).await.expect(200);
    assert_eq!(consent["state"], "opted_out", "{consent}");
}
