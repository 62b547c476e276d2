//! Firms and their API keys.

use casewire_model::{
    EmailAddress, FirmId, NumberClass, PhoneNumber, Region, SendRate, TextingNumber,
};
use casewire_store::{ApiKeyHash, FirmRecord, FirmSettings, NewFirm};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::{App, AppError, Result};

/// A texting number as an admin enters it.
#[derive(Debug, Clone)]
pub struct TextingNumberInput {
    /// The number as typed.
    pub number: String,
    /// Long code (the default), toll-free or short code.
    pub class: Option<NumberClass>,
    /// Segments per second; the class's usual rate when `None`.
    pub rate: Option<f64>,
}

impl TextingNumberInput {
    /// A long code at its usual rate.
    pub fn long_code(number: impl Into<String>) -> Self {
        TextingNumberInput {
            number: number.into(),
            class: None,
            rate: None,
        }
    }
}

/// A firm as an admin describes it.
#[derive(Debug, Clone)]
pub struct FirmInput {
    /// Name.
    pub name: String,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: String,
    /// Region for numbers without a country code (`US` when `None`).
    pub region: Option<String>,
    /// Texting numbers.
    pub texting_numbers: Vec<TextingNumberInput>,
    /// Default notification email.
    pub notification_email: String,
}

/// A new API key. The token is shown once and never stored; only its hash is.
#[derive(Clone)]
pub struct ApiKey {
    /// The secret token to put in `Authorization: Bearer …`.
    pub token: String,
    /// Its first characters, safe to show in listings and logs.
    pub prefix: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({}…)", self.prefix)
    }
}

const KEY_PREFIX: &str = "cw_";

fn hash_key(token: &str) -> ApiKeyHash {
    let digest = Sha256::digest(token.as_bytes());
    ApiKeyHash(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn new_key() -> Result<ApiKey> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::invalid("api_key", format!("no system randomness: {e}")))?;
    let token = format!(
        "{KEY_PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let prefix = token[..KEY_PREFIX.len() + 6].to_owned();
    Ok(ApiKey { token, prefix })
}

/// Parses the texting numbers of a firm input.
pub(crate) fn texting_numbers(
    input: &[TextingNumberInput],
    region: Region,
) -> Result<Vec<TextingNumber>> {
    input
        .iter()
        .enumerate()
        .map(
            |(
                i,
                TextingNumberInput {
                    number,
                    class,
                    rate,
                },
            )| {
                let field = format!("texting_numbers[{i}]");
                let number = PhoneNumber::parse(number, region)
                    .map_err(|e| AppError::invalid(format!("{field}.number"), e))?;
                let class = class.unwrap_or(NumberClass::LongCode);
                let rate = match rate {
                    Some(r) => SendRate::new(*r)
                        .map_err(|e| AppError::invalid(format!("{field}.rate"), e))?,
                    None => class.default_rate(),
                };
                Ok(TextingNumber {
                    number,
                    class,
                    rate,
                })
            },
        )
        .collect()
}

impl App {
    /// Creates a firm and its first API key.
    pub async fn create_firm(&self, input: &FirmInput) -> Result<(FirmRecord, ApiKey)> {
        let time_zone: Tz = input.time_zone.parse().map_err(|_| {
            AppError::invalid("time_zone", "expected an IANA zone such as America/Chicago")
        })?;
        let region = match &input.region {
            Some(r) => Region::parse(r).map_err(|e| AppError::invalid("region", e))?,
            None => Region::US,
        };
        let numbers = texting_numbers(&input.texting_numbers, region)?;
        let notification_email = EmailAddress::parse(&input.notification_email)
            .map_err(|e| AppError::invalid("notification_email", e))?;
        // Checks the name and the numbers the way the stored firm will be checked.
        casewire_model::Firm::new(
            FirmId::new(0),
            &input.name,
            time_zone,
            region,
            numbers.clone(),
            notification_email.clone(),
        )
        .map_err(|e| AppError::invalid("firm", e))?;
        let new = NewFirm {
            name: input.name.trim().to_owned(),
            time_zone,
            region,
            numbers,
            notification_email,
            settings: FirmSettings::default(),
        };
        let now = self.now();
        let key = new_key()?;
        let record = self.store.create_firm(&new, now).await?;
        self.store
            .add_api_key(record.firm.id(), &key.prefix, &hash_key(&key.token), now)
            .await?;
        tracing::info!(firm = %record.firm.id(), key = %key.prefix, "firm created");
        Ok((record, key))
    }

    /// Revokes the firm's keys and issues a new one.
    pub async fn rotate_api_key(&self, firm: FirmId) -> Result<ApiKey> {
        self.store
            .firm(firm)
            .await
            .map_err(crate::error::not_found("firm"))?;
        let now = self.now();
        let key = new_key()?;
        self.store.revoke_api_keys(firm, now).await?;
        self.store
            .add_api_key(firm, &key.prefix, &hash_key(&key.token), now)
            .await?;
        tracing::info!(firm = %firm, key = %key.prefix, "API key rotated");
        Ok(key)
    }

    /// The firm a bearer token belongs to, if it is an active key.
    pub async fn authenticate(&self, token: &str) -> Result<Option<FirmId>> {
        if !token.starts_with(KEY_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        Ok(self.store.firm_for_api_key(&hash_key(token)).await?)
    }

    /// A firm with its settings.
    pub async fn firm(&self, firm: FirmId) -> Result<FirmRecord> {
        self.store
            .firm(firm)
            .await
            .map_err(crate::error::not_found("firm"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let a = new_key().unwrap();
        let b = new_key().unwrap();
        assert_ne!(a.token, b.token);
        assert!(a.token.starts_with("cw_") && a.token.len() == 3 + 48);
        assert!(a.token.starts_with(&a.prefix));
        assert_eq!(hash_key(&a.token), hash_key(&a.token));
        assert_ne!(hash_key(&a.token).0, a.token);
        assert!(!format!("{a:?}").contains(&a.token));
    }
}

/// Changes to a firm's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct FirmPatch {
    /// Default notification email.
    pub notification_email: Option<String>,
    /// The texting numbers, replacing the current list (at least one).
    pub texting_numbers: Option<Vec<TextingNumberInput>>,
    /// The local hours automatic texts may land in, as `("08:00", "21:00")`.
    pub quiet_hours: Option<(String, String)>,
    /// Whether the firm sends its own keyword replies.
    pub reply_mode: Option<casewire_compliance::ReplyMode>,
    /// New reply templates (opt-out, opt-in, help); `None` keeps each.
    pub replies: [Option<String>; 3],
    /// The firm's own keywords added to the defaults: opt-out, opt-in, help, each
    /// replacing that intent's current ones; `None` keeps them.
    pub extra_keywords: [Option<Vec<String>>; 3],
    /// The default keywords the firm turns off (any spelling; STOP, START and HELP
    /// cannot be). `None` keeps the ones turned off now.
    pub removed_keywords: Option<Vec<String>>,
    /// The per-event reminder template.
    pub event_template: Option<String>,
}

impl App {
    /// Changes a firm's settings. Everything is checked before anything is written.
    pub async fn update_firm(&self, firm: FirmId, patch: &FirmPatch) -> Result<FirmRecord> {
        use casewire_compliance::{
            Intent, Keyword, KeywordError, Keywords, QuietHours, ReplyTemplate,
        };

        let record = self.firm(firm).await?;
        let mut settings = record.settings.clone();
        let email = patch
            .notification_email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| AppError::invalid("notification_email", e))?;
        let numbers = patch
            .texting_numbers
            .as_deref()
            .map(|n| texting_numbers(n, record.firm.region()))
            .transpose()?;
        if let Some(numbers) = &numbers {
            casewire_model::Firm::new(
                firm,
                record.firm.name(),
                record.firm.time_zone(),
                record.firm.region(),
                numbers.clone(),
                record.firm.notification_email().clone(),
            )
            .map_err(|e| AppError::invalid("texting_numbers", e))?;
        }
        if let Some((start, end)) = &patch.quiet_hours {
            let parse = |v: &str, field: &str| {
                chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M")
                    .map_err(|_| AppError::invalid(field, "expected a local time such as 08:00"))
            };
            settings.quiet_hours = QuietHours::new(
                parse(start, "quiet_hours.start")?,
                parse(end, "quiet_hours.end")?,
            )
            .map_err(|e| AppError::invalid("quiet_hours", e))?;
        }
        if let Some(mode) = patch.reply_mode {
            settings.replies.mode = mode;
        }
        let [opt_out, opt_in, help] = &patch.replies;
        for (value, slot, field) in [
            (
                opt_out,
                &mut settings.replies.opt_out,
                "keyword_replies.opt_out",
            ),
            (
                opt_in,
                &mut settings.replies.opt_in,
                "keyword_replies.opt_in",
            ),
            (help, &mut settings.replies.help, "keyword_replies.help"),
        ] {
            if let Some(text) = value {
                *slot = ReplyTemplate::parse(text).map_err(|e| AppError::invalid(field, e))?;
            }
        }
        if patch.extra_keywords.iter().any(Option::is_some) || patch.removed_keywords.is_some() {
            let current = &settings.keywords;
            let mut extra: [Vec<String>; 3] = Default::default();
            for ((intent, given), slot) in Intent::ALL
                .into_iter()
                .zip(&patch.extra_keywords)
                .zip(&mut extra)
            {
                *slot = match given {
                    Some(words) => words.clone(),
                    None => current
                        .added(intent)
                        .iter()
                        .map(|k| k.as_str().to_owned())
                        .collect(),
                };
            }
            let removed: Vec<String> = match &patch.removed_keywords {
                Some(removed) => removed.clone(),
                None => current
                    .removed_defaults()
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect(),
            };
            let defaults = Keywords::default();
            let mut keywords = Keywords::default();
            for (i, word) in removed.iter().enumerate() {
                let field = format!("keywords.removed[{i}]");
                let keyword = Keyword::parse(word).map_err(|e| AppError::invalid(&field, e))?;
                if defaults.intent_of(&keyword).is_none() {
                    return Err(AppError::invalid(
                        &field,
                        format!(
                            "{keyword} is not a default keyword; a keyword of the firm's own is removed by leaving it out of its list"
                        ),
                    ));
                }
                match keywords.remove(word) {
                    // Already gone with another spelling of it (OPT OUT and OPTOUT).
                    Ok(()) | Err(KeywordError::NotFound(_)) => {}
                    Err(e) => return Err(AppError::invalid(&field, e)),
                }
            }
            let turned_off = keywords.removed_defaults();
            for (intent, words) in Intent::ALL.into_iter().zip(&extra) {
                for (i, word) in words.iter().enumerate() {
                    let field = || format!("keywords.{}[{i}]", intent.as_str());
                    let keyword =
                        Keyword::parse(word).map_err(|e| AppError::invalid(field(), e))?;
                    if turned_off.iter().any(|k| k.compact() == keyword.compact()) {
                        return Err(AppError::invalid(
                            field(),
                            format!("{keyword} is also listed in keywords.removed"),
                        ));
                    }
                    keywords
                        .add(intent, word)
                        .map_err(|e| AppError::invalid(field(), e))?;
                }
            }
            settings.keywords = keywords;
        }
        if let Some(template) = &patch.event_template {
            settings.event_template = casewire_scheduler::Template::parse(template)
                .map_err(|e| AppError::invalid("event_template", e))?;
        }

        if let Some(numbers) = &numbers {
            self.store.set_texting_numbers(firm, numbers).await?;
        }
        if let Some(email) = &email {
            self.store.set_notification_email(firm, email).await?;
        }
        self.store.set_firm_settings(firm, &settings).await?;
        if patch.event_template.is_some() {
            self.replan_firm(firm).await?;
        }
        self.firm(firm).await
    }
}
