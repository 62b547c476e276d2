//! Twilio's webhooks as Casewire values: an inbound text ([`parse_inbound`]) and a
//! status callback ([`parse_status`]), read from the decoded form fields, plus the
//! check that a request is about the configured account ([`verify_account`]).
//!
//! Check the signature first ([`crate::signature::validate`]) over *all* the fields,
//! then the account, then parse. Twilio adds fields without notice, so unknown fields
//! are ignored here; a field these functions read that appears twice is refused, since
//! there is no telling which copy Twilio meant.

use casewire_model::{PhoneNumber, PhoneNumberError};
use casewire_provider::{
    DeliveryStatus, InboundMessage, KeywordHint, Media, ProviderMessageId, ProviderMessageIdError,
    StatusUpdate,
};
use thiserror::Error;

/// Why a webhook request was refused. None of the variants quotes a phone number or a
/// message body, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    /// A field the webhook must have is missing.
    #[error("the webhook has no {0} field")]
    MissingField(&'static str),
    /// A field appears more than once.
    #[error("the webhook has more than one {0} field")]
    DuplicateField(&'static str),
    /// `From` or `To` is not an E.164 phone number.
    #[error("the webhook's {field} is not an E.164 phone number: {source}")]
    InvalidNumber {
        /// `From` or `To`.
        field: &'static str,
        /// Why the number was refused.
        source: PhoneNumberError,
    },
    /// `MessageSid` is not a provider message id.
    #[error("the webhook's message sid is malformed: {0}")]
    InvalidMessageSid(#[source] ProviderMessageIdError),
    /// `NumMedia` is not a count.
    #[error("the webhook's NumMedia is not a number")]
    InvalidNumMedia,
    /// `NumMedia` disagrees with the `MediaUrl{N}`/`MediaContentType{N}` fields.
    #[error("the webhook declares {declared} media but carries {found}")]
    MediaMismatch {
        /// What `NumMedia` said.
        declared: usize,
        /// How many `MediaUrl{N}` (or, if more, `MediaContentType{N}`) fields there are.
        found: usize,
    },
    /// Media number `index` (counting from 0) lacks its URL or its content type.
    #[error("the webhook's media {index} has no {field}")]
    IncompleteMedia {
        /// Which attachment, from 0.
        index: usize,
        /// `MediaUrl` or `MediaContentType`.
        field: &'static str,
    },
    /// `MessageStatus` is not an outbound status Casewire knows.
    #[error("the webhook's MessageStatus {0:?} is not an outbound message status")]
    UnknownStatus(String),
    /// `ErrorCode` is present but not a number.
    #[error("the webhook's ErrorCode is not a number")]
    InvalidErrorCode,
    /// The webhook is about another Twilio account.
    #[error("the webhook is for another Twilio account")]
    AccountMismatch,
}

/// The value of `name`, if present once; an error if present more than once.
fn field<'a>(
    form: &'a [(String, String)],
    name: &'static str,
) -> Result<Option<&'a str>, WebhookError> {
    let mut values = form.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
    let first = values.next();
    if values.next().is_some() {
        return Err(WebhookError::DuplicateField(name));
    }
    Ok(first.map(String::as_str))
}

fn required<'a>(form: &'a [(String, String)], name: &'static str) -> Result<&'a str, WebhookError> {
    field(form, name)?.ok_or(WebhookError::MissingField(name))
}

/// `MessageSid`, or the older `SmsSid` that Twilio still sends beside it.
fn message_sid(form: &[(String, String)]) -> Result<ProviderMessageId, WebhookError> {
    let sid = match field(form, "MessageSid")? {
        Some(sid) => sid,
        None => field(form, "SmsSid")?.ok_or(WebhookError::MissingField("MessageSid"))?,
    };
    ProviderMessageId::new(sid).map_err(WebhookError::InvalidMessageSid)
}

fn number(form: &[(String, String)], name: &'static str) -> Result<PhoneNumber, WebhookError> {
    PhoneNumber::parse_e164(required(form, name)?.trim()).map_err(|source| {
        WebhookError::InvalidNumber {
            field: name,
            source,
        }
    })
}

/// Reads Twilio's incoming-message webhook (the number's "A message comes in" URL).
///
/// Reads `MessageSid` (or `SmsSid`), `From`, `To`, `Body` (absent means empty),
/// `NumMedia` with `MediaUrl{N}` and `MediaContentType{N}`, and `OptOutType` (the
/// keyword Twilio's own opt-out handling acted on). `From` and `To` must be E.164;
/// `NumMedia` must match the media fields present. The body is kept as sent: it is the
/// client's words.
///
/// ```
/// use casewire_provider::KeywordHint;
/// use casewire_twilio::webhook::parse_inbound;
///
/// let form: Vec<(String, String)> = [
///     ("MessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
///     ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
///     ("From", "+13125550134"),
///     ("To", "+14155550100"),
///     ("Body", "STOP"),
///     ("NumMedia", "0"),
///     ("OptOutType", "STOP"),
/// ]
/// .into_iter()
/// .map(|(n, v)| (n.to_owned(), v.to_owned()))
/// .collect();
/// let message = parse_inbound(&form).unwrap();
/// assert_eq!(message.from.as_e164(), "+13125550134");
/// assert_eq!(message.keyword_hint, Some(KeywordHint::OptOut));
/// ```
pub fn parse_inbound(form: &[(String, String)]) -> Result<InboundMessage, WebhookError> {
    let provider_id = message_sid(form)?;
    let from = number(form, "From")?;
    let to = number(form, "To")?;
    let body = field(form, "Body")?.unwrap_or_default().to_owned();
    let media = media(form)?;
    let keyword_hint = field(form, "OptOutType")?.and_then(KeywordHint::from_twilio_opt_out_type);
    Ok(InboundMessage {
        provider_id,
        from,
        to,
        body,
        media,
        keyword_hint,
    })
}

/// The attachments: `NumMedia` of them, each with a `MediaUrl{N}` and a
/// `MediaContentType{N}`, N from 0. No `NumMedia` means none.
fn media(form: &[(String, String)]) -> Result<Vec<Media>, WebhookError> {
    let declared = match field(form, "NumMedia")? {
        Some(count) => count
            .trim()
            .parse::<usize>()
            .map_err(|_| WebhookError::InvalidNumMedia)?,
        None => 0,
    };
    let indexed = |prefix: &str| {
        form.iter()
            .filter(move |(name, _)| {
                name.strip_prefix(prefix)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .count()
    };
    let found = indexed("MediaUrl").max(indexed("MediaContentType"));
    if found != declared {
        return Err(WebhookError::MediaMismatch { declared, found });
    }
    // `declared` equals a count of form fields here, so this loop is bounded by the
    // form's size whatever NumMedia said.
    (0..declared)
        .map(|index| {
            let part = |prefix: &'static str| {
                let name = format!("{prefix}{index}");
                let mut values = form.iter().filter(|(n, _)| *n == name);
                match (values.next(), values.next()) {
                    (Some((_, value)), None) => Ok(value.clone()),
                    (None, _) => Err(WebhookError::IncompleteMedia {
                        index,
                        field: prefix,
                    }),
                    (Some(_), Some(_)) => Err(WebhookError::DuplicateField(prefix)),
                }
            };
            Ok(Media {
                url: part("MediaUrl")?,
                content_type: part("MediaContentType")?,
            })
        })
        .collect()
}

/// Reads Twilio's status callback (the `StatusCallback` URL of a sent message).
///
/// Reads `MessageSid` (or `SmsSid`), `MessageStatus` (or `SmsStatus`), any of Twilio's
/// outbound statuses, and `ErrorCode` if present and not empty. Apply the result with
/// [`DeliveryStatus::advance`]: callbacks arrive out of order.
///
/// ```
/// use casewire_provider::DeliveryStatus;
/// use casewire_twilio::webhook::parse_status;
///
/// let form = vec![
///     ("MessageSid".to_owned(), "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0".to_owned()),
///     ("MessageStatus".to_owned(), "undelivered".to_owned()),
///     ("ErrorCode".to_owned(), "30007".to_owned()),
/// ];
/// let update = parse_status(&form).unwrap();
/// assert_eq!(update.status, DeliveryStatus::Undelivered);
/// assert_eq!(update.error_code, Some(30007));
/// ```
pub fn parse_status(form: &[(String, String)]) -> Result<StatusUpdate, WebhookError> {
    let provider_id = message_sid(form)?;
    let status_text = match field(form, "MessageStatus")? {
        Some(status) => status,
        None => field(form, "SmsStatus")?.ok_or(WebhookError::MissingField("MessageStatus"))?,
    };
    let status = DeliveryStatus::parse(status_text.trim())
        .ok_or_else(|| WebhookError::UnknownStatus(status_text.chars().take(40).collect()))?;
    let error_code = match field(form, "ErrorCode")?.map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(code.parse().map_err(|_| WebhookError::InvalidErrorCode)?),
    };
    Ok(StatusUpdate {
        provider_id,
        status,
        error_code,
    })
}

/// Refuses a webhook whose `AccountSid` is not `expected_account_sid`: a request
/// correctly signed for another account (a subaccount sharing the URL, a test account)
/// must not act on this one.
///
/// ```
/// use casewire_twilio::webhook::{WebhookError, verify_account};
///
/// let form = vec![("AccountSid".to_owned(), "AC0000".to_owned())];
/// assert_eq!(verify_account(&form, "AC0000"), Ok(()));
/// assert_eq!(verify_account(&form, "AC1111"), Err(WebhookError::AccountMismatch));
/// ```
pub fn verify_account(
    form: &[(String, String)],
    expected_account_sid: &str,
) -> Result<(), WebhookError> {
    if required(form, "AccountSid")? == expected_account_sid {
        Ok(())
    } else {
        Err(WebhookError::AccountMismatch)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// An inbound webhook as Twilio sends it, with its geographic extras.
    fn inbound() -> Vec<(String, String)> {
        form(&[
            ("ToCountry", "US"),
            ("ToState", "CA"),
            ("SmsMessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("NumMedia", "0"),
            ("ToCity", "SAN FRANCISCO"),
            ("FromZip", "60601"),
            ("SmsSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("FromState", "IL"),
            ("SmsStatus", "received"),
            ("FromCity", "CHICAGO"),
            ("Body", "Can I bring my pay stubs on Friday?"),
            ("FromCountry", "US"),
            ("To", "+14155550100"),
            ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
            ("ToZip", "94105"),
            ("NumSegments", "1"),
            ("MessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+13125550134"),
            ("ApiVersion", "2010-04-01"),
        ])
    }

    fn without(mut form: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
        form.retain(|(n, _)| n != name);
        form
    }

    fn with(mut form: Vec<(String, String)>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
        for (name, value) in fields {
            form.retain(|(n, _)| n != name);
            form.push(((*name).to_owned(), (*value).to_owned()));
        }
        form
    }

    #[test]
    fn a_client_reply_becomes_an_inbound_message() {
        let message = parse_inbound(&inbound()).unwrap();
        assert_eq!(
            message.provider_id.as_str(),
            "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
        );
        assert_eq!(message.from.as_e164(), "+13125550134");
        assert_eq!(message.to.as_e164(), "+14155550100");
        assert_eq!(message.body, "Can I bring my pay stubs on Friday?");
        assert!(message.media.is_empty());
        assert_eq!(message.keyword_hint, None);
    }

    #[test]
    fn twilios_opt_out_type_becomes_a_hint() {
        for (opt_out_type, want) in [
            ("STOP", Some(KeywordHint::OptOut)),
            ("START", Some(KeywordHint::OptIn)),
            ("HELP", Some(KeywordHint::Help)),
            ("", None),
            ("SOMETHING_NEW", None),
        ] {
            let form = with(inbound(), &[("OptOutType", opt_out_type)]);
            assert_eq!(
                parse_inbound(&form).unwrap().keyword_hint,
                want,
                "{opt_out_type:?}"
            );
        }
    }

    #[test]
    fn a_picture_message_carries_its_media() {
        let form = with(
            inbound(),
            &[
                ("NumMedia", "2"),
                (
                    "MediaUrl1",
                    "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
                ),
                ("MediaContentType1", "application/pdf"),
                ("MediaContentType0", "image/jpeg"),
                (
                    "MediaUrl0",
                    "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                ),
            ],
        );
        let media = parse_inbound(&without(form, "Body")).unwrap().media;
        assert_eq!(
            media,
            [
                Media {
                    url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
                        .into(),
                    content_type: "image/jpeg".into(),
                },
                Media {
                    url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2"
                        .into(),
                    content_type: "application/pdf".into(),
                },
            ]
        );
    }

    #[test]
    fn a_missing_body_is_an_empty_text() {
        let message = parse_inbound(&without(inbound(), "Body")).unwrap();
        assert_eq!(message.body, "");
    }

    #[test]
    fn the_older_sms_sid_is_enough() {
        let message = parse_inbound(&without(inbound(), "MessageSid")).unwrap();
        assert_eq!(
            message.provider_id.as_str(),
            "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
        );
    }

    #[test]
    fn malformed_inbound_webhooks_are_refused_with_a_reason() {
        let no_sid = without(without(inbound(), "MessageSid"), "SmsSid");
        let cases: Vec<(Vec<(String, String)>, WebhookError)> = vec![
            (no_sid, WebhookError::MissingField("MessageSid")),
            (
                without(inbound(), "From"),
                WebhookError::MissingField("From"),
            ),
            (without(inbound(), "To"), WebhookError::MissingField("To")),
            (
                with(inbound(), &[("From", "3125550134")]),
                WebhookError::InvalidNumber {
                    field: "From",
                    source: PhoneNumberError::NotANumber,
                },
            ),
            (
                with(inbound(), &[("To", "+1 415 555 0100")]),
                WebhookError::InvalidNumber {
                    field: "To",
                    source: PhoneNumberError::NotANumber,
                },
            ),
            (
                with(inbound(), &[("MessageSid", "SM 1")]),
                WebhookError::InvalidMessageSid(ProviderMessageIdError::BadCharacter(' ')),
            ),
            (
                with(inbound(), &[("NumMedia", "one")]),
                WebhookError::InvalidNumMedia,
            ),
            (
                with(inbound(), &[("NumMedia", "1")]),
                WebhookError::MediaMismatch {
                    declared: 1,
                    found: 0,
                },
            ),
            (
                with(inbound(), &[("NumMedia", "18446744073709551615")]),
                WebhookError::MediaMismatch {
                    declared: usize::MAX,
                    found: 0,
                },
            ),
            (
                with(
                    inbound(),
                    &[
                        ("MediaUrl0", "https://x"),
                        ("MediaContentType0", "image/png"),
                    ],
                ),
                WebhookError::MediaMismatch {
                    declared: 0,
                    found: 1,
                },
            ),
            (
                with(inbound(), &[("NumMedia", "1"), ("MediaUrl0", "https://x")]),
                WebhookError::IncompleteMedia {
                    index: 0,
                    field: "MediaContentType",
                },
            ),
            (
                with(
                    inbound(),
                    &[
                        ("NumMedia", "1"),
                        ("MediaUrl1", "https://x"),
                        ("MediaContentType1", "a/b"),
                    ],
                ),
                WebhookError::IncompleteMedia {
                    index: 0,
                    field: "MediaUrl",
                },
            ),
            (
                {
                    let mut form = inbound();
                    form.push(("From".into(), "+13125550199".into()));
                    form
                },
                WebhookError::DuplicateField("From"),
            ),
        ];
        for (form, want) in cases {
            assert_eq!(parse_inbound(&form), Err(want.clone()), "{want:?}");
            assert!(
                !want.to_string().contains("5550"),
                "errors must not quote numbers: {want}"
            );
        }
    }

    fn status(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut form = form(&[
            ("SmsSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("MessageSid", "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+14155550100"),
            ("To", "+13125550134"),
            ("ApiVersion", "2010-04-01"),
        ]);
        form.extend(super::tests::form(fields));
        form
    }

    #[test]
    fn every_outbound_status_twilio_reports_is_read() {
        for name in [
            "accepted",
            "scheduled",
            "queued",
            "sending",
            "sent",
            "partially_delivered",
            "delivered",
            "undelivered",
            "failed",
            "read",
            "canceled",
        ] {
            let update = parse_status(&status(&[("MessageStatus", name)])).unwrap();
            assert_eq!(update.status.as_str(), name);
            assert_eq!(update.error_code, None);
            assert_eq!(
                update.provider_id.as_str(),
                "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
            );
        }
    }

    #[test]
    fn a_failed_delivery_carries_twilios_error_code() {
        let update = parse_status(&status(&[
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30007"),
        ]))
        .unwrap();
        assert_eq!(update.status, DeliveryStatus::Undelivered);
        assert_eq!(update.error_code, Some(30007));
        let empty_code =
            parse_status(&status(&[("MessageStatus", "sent"), ("ErrorCode", "")])).unwrap();
        assert_eq!(empty_code.error_code, None);
        let older = parse_status(&status(&[("SmsStatus", "delivered")])).unwrap();
        assert_eq!(older.status, DeliveryStatus::Delivered);
    }

    #[test]
    fn malformed_status_callbacks_are_refused_with_a_reason() {
        let cases: Vec<(Vec<(String, String)>, WebhookError)> = vec![
            (status(&[]), WebhookError::MissingField("MessageStatus")),
            (
                status(&[("MessageStatus", "received")]),
                WebhookError::UnknownStatus("received".into()),
            ),
            (
                status(&[("MessageStatus", "cancelled")]),
                WebhookError::UnknownStatus("cancelled".into()),
            ),
            (
                status(&[("MessageStatus", "sent"), ("ErrorCode", "30007x")]),
                WebhookError::InvalidErrorCode,
            ),
            (
                without(
                    without(status(&[("MessageStatus", "sent")]), "MessageSid"),
                    "SmsSid",
                ),
                WebhookError::MissingField("MessageSid"),
            ),
            (
                status(&[("MessageStatus", "sent"), ("MessageStatus", "failed")]),
                WebhookError::DuplicateField("MessageStatus"),
            ),
        ];
        for (form, want) in cases {
            assert_eq!(parse_status(&form), Err(want.clone()), "{want:?}");
        }
    }

    #[test]
    fn a_webhook_for_another_account_is_refused() {
        let ours = "AC0123456789abcdef0123456789abcdef";
        assert_eq!(verify_account(&inbound(), ours), Ok(()));
        assert_eq!(
            verify_account(&inbound(), "ACffffffffffffffffffffffffffffffff"),
            Err(WebhookError::AccountMismatch)
        );
        assert_eq!(
            verify_account(&without(inbound(), "AccountSid"), ours),
            Err(WebhookError::MissingField("AccountSid"))
        );
        let mut twice = inbound();
        twice.push((
            "AccountSid".into(),
            "ACffffffffffffffffffffffffffffffff".into(),
        ));
        assert_eq!(
            verify_account(&twice, ours),
            Err(WebhookError::DuplicateField("AccountSid"))
        );
    }

    fn any_form() -> impl Strategy<Value = Vec<(String, String)>> {
        let name = prop_oneof![
            Just("MessageSid".to_owned()),
            Just("SmsSid".to_owned()),
            Just("From".to_owned()),
            Just("To".to_owned()),
            Just("Body".to_owned()),
            Just("NumMedia".to_owned()),
            Just("OptOutType".to_owned()),
            Just("MessageStatus".to_owned()),
            Just("ErrorCode".to_owned()),
            "MediaUrl[0-9]{1,3}",
            "MediaContentType[0-9]{1,3}",
            "\\PC{0,12}",
        ];
        let value = prop_oneof![
            "\\PC{0,30}",
            "\\+[0-9]{1,16}",
            "[0-9]{1,20}",
            "SM[0-9a-f]{32}",
        ];
        proptest::collection::vec((name, value), 0..24)
    }

    proptest! {
        #[test]
        fn parsing_never_panics(form in any_form()) {
            let _ = parse_inbound(&form);
            let _ = parse_status(&form);
            let _ = verify_account(&form, "AC1");
        }

        #[test]
        fn media_count_always_matches_num_media(count in 0usize..5, extra in any_form()) {
            let mut form = inbound();
            form.retain(|(n, _)| n != "NumMedia");
            form.push(("NumMedia".into(), count.to_string()));
            for i in 0..count {
                form.push((format!("MediaUrl{i}"), format!("https://m/{i}")));
                form.push((format!("MediaContentType{i}"), "image/png".into()));
            }
            prop_assert_eq!(parse_inbound(&form).unwrap().media.len(), count);
            form.extend(extra);
            if let Ok(message) = parse_inbound(&form) {
                let declared = form.iter().find(|(n, _)| n == "NumMedia").map(|(_, v)| v.trim().parse::<usize>());
                prop_assert_eq!(Some(Ok(message.media.len())), declared);
            }
        }
    }
}
