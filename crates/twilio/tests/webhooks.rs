//! A webhook's whole path through this crate, as the server runs it: check the
//! signature against the public URL, check the account, parse, answer with TwiML.
#![allow(clippy::unwrap_used)]

use casewire_provider::{DeliveryStatus, KeywordHint};
use casewire_twilio::{
    WebhookError,
    signature::{signature, validate},
    twiml_message,
    webhook::{parse_inbound, parse_status, verify_account},
};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "auth-token-for-tests";
const PUBLIC_URL: &str = "https://casewire.smithlaw.com/webhooks/twilio/messages";

/// The body Twilio posts when a client texts STOP, decoded the way a server decodes it.
fn stop_webhook() -> Vec<(String, String)> {
    serde_urlencoded::from_str(
        "ToCountry=US&ToState=CA&SmsMessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&NumMedia=0\
         &ToCity=&FromZip=60601&SmsSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&OptOutType=STOP\
         &FromState=IL&SmsStatus=received&FromCity=CHICAGO&Body=Stop&FromCountry=US\
         &To=%2B14155550100&ToZip=&NumSegments=1&MessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0\
         &AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B13125550134&ApiVersion=2010-04-01",
    )
    .unwrap()
}

#[test]
fn a_signed_stop_reply_is_verified_parsed_and_answered() {
    let form = stop_webhook();
    let header = signature(TOKEN, PUBLIC_URL, &form);

    assert!(validate(TOKEN, PUBLIC_URL, &form, &header));
    verify_account(&form, ACCOUNT).unwrap();
    let message = parse_inbound(&form).unwrap();
    assert_eq!(message.from.as_e164(), "+13125550134");
    assert_eq!(message.body, "Stop");
    assert_eq!(message.keyword_hint, Some(KeywordHint::OptOut));
    // Twilio already answered the STOP itself: Casewire adds nothing.
    assert_eq!(
        twiml_message(None),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
    );
}

#[test]
fn a_request_signed_for_the_internal_url_is_refused() {
    // Behind a proxy the app sees http://10.0.0.5:8080/...; Twilio signed the public URL.
    let form = stop_webhook();
    let header = signature(
        TOKEN,
        "http://10.0.0.5:8080/webhooks/twilio/messages",
        &form,
    );
    assert!(!validate(TOKEN, PUBLIC_URL, &form, &header));
}

#[test]
fn a_forged_or_altered_request_is_refused() {
    let form = stop_webhook();
    let header = signature(TOKEN, PUBLIC_URL, &form);
    let mut altered = form.clone();
    for (name, value) in &mut altered {
        if name == "Body" {
            *value = "Start".into();
        }
    }
    assert!(!validate(TOKEN, PUBLIC_URL, &altered, &header));
    assert!(!validate(
        TOKEN,
        PUBLIC_URL,
        &form,
        &signature("guessed", PUBLIC_URL, &form)
    ));
}

#[test]
fn a_signed_request_for_another_account_is_refused() {
    let mut form = stop_webhook();
    for (name, value) in &mut form {
        if name == "AccountSid" {
            *value = "ACffffffffffffffffffffffffffffffff".into();
        }
    }
    let header = signature(TOKEN, PUBLIC_URL, &form);
    assert!(validate(TOKEN, PUBLIC_URL, &form, &header));
    assert_eq!(
        verify_account(&form, ACCOUNT),
        Err(WebhookError::AccountMismatch)
    );
}

#[test]
fn a_status_callback_is_verified_and_parsed() {
    let url = "https://casewire.smithlaw.com/webhooks/twilio/status";
    let form: Vec<(String, String)> = serde_urlencoded::from_str(
        "SmsSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&SmsStatus=undelivered\
         &MessageStatus=undelivered&To=%2B13125550134&ErrorCode=30007\
         &MessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0\
         &AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155550100&ApiVersion=2010-04-01",
    )
    .unwrap();
    // Twilio's signing sometimes includes the default port.
    let header = signature(
        TOKEN,
        "https://casewire.smithlaw.com:443/webhooks/twilio/status",
        &form,
    );
    assert!(validate(TOKEN, url, &form, &header));
    verify_account(&form, ACCOUNT).unwrap();
    let update = parse_status(&form).unwrap();
    assert_eq!(update.status, DeliveryStatus::Undelivered);
    assert_eq!(update.error_code, Some(30007));
}
