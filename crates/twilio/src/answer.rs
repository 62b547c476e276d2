//! Reading Twilio's answer to a create-message call: the receipt on success, and on
//! failure the [`SendError`] that tells the worker what to do. Pure functions of the
//! status, the `Retry-After` header and the body, so every mapping is tested without a
//! network.

use std::time::Duration;

use casewire_provider::{DeliveryStatus, ProviderMessageId, SendError, SendReceipt};
use serde::Deserialize;

/// Twilio's code for sending to a number that replied STOP.
pub(crate) const OPTED_OUT: u32 = 21610;

/// Twilio's code for refused credentials ("Authenticate").
pub(crate) const AUTHENTICATE: u32 = 20003;

/// Twilio's code for too many concurrent requests: nothing was accepted.
pub(crate) const TOO_MANY_REQUESTS: u32 = 20429;

/// Codes that mean the `To` number cannot receive this text: a retry will not help and
/// the number itself needs attention. (21606 is not here: it is about the `From`
/// number, a configuration problem.)
pub(crate) const INVALID_RECIPIENT: [u32; 9] = [
    21211, // Invalid 'To' phone number.
    21214, // 'To' phone number cannot be reached.
    21217, // Phone number does not appear to be valid.
    21401, // Invalid phone number.
    21407, // This phone number type does not support SMS or MMS.
    21408, // Permission to send to the region of the 'To' number is not enabled.
    21421, // Phone number is invalid.
    21612, // The 'To' and 'From' combination cannot be connected (not reachable by SMS).
    21614, // 'To' number is not a valid mobile number.
];

/// The longest `Retry-After` honoured; a larger value is capped rather than trusted.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

#[derive(Deserialize)]
struct Created {
    sid: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize, Default)]
struct Refusal {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// The receipt in a 2xx answer. An answer without a usable `sid` is
/// [`SendError::Uncertain`]: Twilio said yes, so the text may go out, but status
/// updates could not be matched to it.
pub(crate) fn receipt(http_status: u16, body: &[u8]) -> Result<SendReceipt, SendError> {
    let uncertain = |why: &str| SendError::Uncertain {
        message: format!(
            "Twilio answered HTTP {http_status} but {why}; Twilio may have accepted the message"
        ),
    };
    let created: Created =
        serde_json::from_slice(body).map_err(|_| uncertain("the answer is not JSON"))?;
    let sid = created.sid.ok_or_else(|| uncertain("without a sid"))?;
    let provider_id = ProviderMessageId::new(sid).map_err(|_| uncertain("with a malformed sid"))?;
    Ok(SendReceipt {
        provider_id,
        status: created
            .status
            .as_deref()
            .and_then(DeliveryStatus::parse)
            // A status Twilio adds later still means "accepted, on its way".
            .unwrap_or(DeliveryStatus::Queued),
    })
}

/// The error for a non-2xx answer.
pub(crate) fn refusal(http_status: u16, retry_after: Option<Duration>, body: &[u8]) -> SendError {
    let refusal: Refusal = serde_json::from_slice(body).unwrap_or_default();
    let code = refusal.code;
    let message = describe(http_status, &refusal);

    if (500..600).contains(&http_status) {
        // Create is not idempotent: the message may be in Twilio's queue already.
        return SendError::Uncertain {
            message: format!("{message}; Twilio may have accepted the message"),
        };
    }
    if http_status == 429 {
        return SendError::RateLimited { retry_after };
    }
    match code {
        Some(TOO_MANY_REQUESTS) => SendError::Transient {
            retry_after,
            code,
            message,
        },
        Some(OPTED_OUT) => SendError::RecipientOptedOut { code },
        Some(c) if INVALID_RECIPIENT.contains(&c) => SendError::InvalidRecipient { code, message },
        Some(AUTHENTICATE) => SendError::Unauthorized { message },
        _ if http_status == 401 => SendError::Unauthorized { message },
        _ => SendError::Permanent { code, message },
    }
}

/// Twilio's words, with the page that explains the code, or the HTTP status alone.
fn describe(http_status: u16, refusal: &Refusal) -> String {
    let mut text = match refusal.message.as_deref().map(str::trim) {
        Some(words) if !words.is_empty() => words.to_owned(),
        _ => format!("HTTP {http_status}"),
    };
    if let Some(link) = refusal.more_info.as_deref().map(str::trim) {
        if !link.is_empty() {
            text.push_str(" (");
            text.push_str(link);
            text.push(')');
        }
    }
    text
}

/// A `Retry-After` header given in seconds. The HTTP-date form is not used by Twilio
/// and is ignored, as is anything unreadable: the caller's backoff applies then.
pub(crate) fn retry_after(header: Option<&str>) -> Option<Duration> {
    let secs: u64 = header?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use casewire_provider::SendAction;

    use super::*;

    fn twilio_error(code: u32, message: &str, status: u16) -> Vec<u8> {
        format!(
            r#"{{"code": {code}, "message": "{message}", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_created_message_gives_its_sid_and_status() {
        let body = br#"{"sid": "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0", "status": "queued", "error_code": null}"#;
        let receipt = receipt(201, body).unwrap();
        assert_eq!(
            receipt.provider_id.as_str(),
            "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
        );
        assert_eq!(receipt.status, DeliveryStatus::Queued);
    }

    #[test]
    fn every_twilio_status_is_read_and_unknown_ones_are_queued() {
        for (status, want) in [
            ("accepted", DeliveryStatus::Accepted),
            ("scheduled", DeliveryStatus::Scheduled),
            ("queued", DeliveryStatus::Queued),
            ("sending", DeliveryStatus::Sending),
            ("sent", DeliveryStatus::Sent),
            ("failed", DeliveryStatus::Failed),
            ("delivered", DeliveryStatus::Delivered),
            ("something_new", DeliveryStatus::Queued),
        ] {
            let body = format!(r#"{{"sid": "SM1", "status": "{status}"}}"#);
            assert_eq!(
                receipt(201, body.as_bytes()).unwrap().status,
                want,
                "{status}"
            );
        }
        assert_eq!(
            receipt(201, br#"{"sid": "SM1"}"#).unwrap().status,
            DeliveryStatus::Queued
        );
    }

    #[test]
    fn a_success_without_a_usable_sid_may_still_have_been_sent() {
        for body in [
            &b"<html>ok</html>"[..],
            br#"{"status": "queued"}"#,
            br#"{"sid": "SM 1"}"#,
        ] {
            let error = receipt(201, body).unwrap_err();
            assert_eq!(error.action(), SendAction::RetryOnlyIfDuplicatesAcceptable);
            assert!(error.to_string().contains("may have accepted"), "{error}");
        }
    }

    #[test]
    fn twilio_codes_map_to_what_the_worker_should_do() {
        let cases: &[(u16, u32, &str)] = &[
            (400, 21610, "opted_out"),
            (400, 21211, "invalid_recipient"),
            (400, 21214, "invalid_recipient"),
            (400, 21217, "invalid_recipient"),
            (400, 21401, "invalid_recipient"),
            (400, 21407, "invalid_recipient"),
            (400, 21408, "invalid_recipient"),
            (400, 21421, "invalid_recipient"),
            (400, 21612, "invalid_recipient"),
            (400, 21614, "invalid_recipient"),
            (400, 21606, "permanent"),
            (400, 21602, "permanent"),
            (400, 30007, "permanent"),
            (401, 20003, "unauthorized"),
            (403, 20003, "unauthorized"),
            (404, 20404, "permanent"),
            (429, 20429, "rate_limited"),
            (400, 20429, "transient"),
            (500, 20500, "uncertain"),
            (502, 20500, "uncertain"),
            (503, 20503, "uncertain"),
            (504, 20504, "uncertain"),
        ];
        for &(status, code, want) in cases {
            let error = refusal(status, None, &twilio_error(code, "words", status));
            assert_eq!(error.reason_code(), want, "HTTP {status}, code {code}");
        }
    }

    #[test]
    fn codes_and_words_are_kept_for_people() {
        let error = refusal(
            400,
            None,
            &twilio_error(21614, "'To' number is not a valid mobile number", 400),
        );
        assert_eq!(
            error,
            SendError::InvalidRecipient {
                code: Some(21614),
                message: "'To' number is not a valid mobile number \
                          (https://www.twilio.com/docs/errors/21614)"
                    .into()
            }
        );
        let error = refusal(400, None, &twilio_error(21610, "unsubscribed", 400));
        assert_eq!(error, SendError::RecipientOptedOut { code: Some(21610) });
        assert_eq!(error.action(), SendAction::MarkOptedOut);
    }

    #[test]
    fn an_answer_without_json_is_judged_by_its_status() {
        assert_eq!(
            refusal(401, None, b"Unauthorized").reason_code(),
            "unauthorized"
        );
        assert_eq!(
            refusal(400, None, b""),
            SendError::Permanent {
                code: None,
                message: "HTTP 400".into()
            }
        );
        assert_eq!(refusal(502, None, b"<html>").reason_code(), "uncertain");
    }

    #[test]
    fn rate_limits_carry_the_wait_twilio_asked_for() {
        let wait = Some(Duration::from_secs(7));
        assert_eq!(
            refusal(429, wait, &twilio_error(20429, "Too Many Requests", 429)),
            SendError::RateLimited { retry_after: wait }
        );
        assert_eq!(
            refusal(429, None, b"").action(),
            SendAction::Retry { after: None }
        );
        let other_status = refusal(400, wait, &twilio_error(20429, "Too Many Requests", 400));
        assert_eq!(other_status.action(), SendAction::Retry { after: wait });
    }

    #[test]
    fn a_server_error_is_uncertain_even_with_retry_after() {
        let error = refusal(503, Some(Duration::from_secs(5)), b"");
        assert_eq!(error.action(), SendAction::RetryOnlyIfDuplicatesAcceptable);
        assert!(error.to_string().contains("HTTP 503"), "{error}");
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(retry_after(Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(Some(" 0 ")), Some(Duration::ZERO));
        assert_eq!(retry_after(Some("86400")), Some(Duration::from_secs(3600)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(Some("-1")), None);
        assert_eq!(retry_after(None), None);
    }
}
