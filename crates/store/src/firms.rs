//! Firms, their texting numbers, settings and API keys.

use casewire_model::{
    EmailAddress, Firm, FirmId, NumberClass, PhoneNumber, Region, SendRate, TextingNumber,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{
    FirmSettings, Result, Store, StoreError, conflict_on_unique, corrupt, found, ms, on_pool,
};

/// A firm as stored: the domain value and its settings.
#[derive(Debug, Clone)]
pub struct FirmRecord {
    /// The firm.
    pub firm: Firm,
    /// Its texting settings.
    pub settings: FirmSettings,
}

/// A firm to create.
#[derive(Debug, Clone)]
pub struct NewFirm {
    /// Its name.
    pub name: String,
    /// Its time zone.
    pub time_zone: Tz,
    /// Where numbers without a country code are read.
    pub region: Region,
    /// The numbers it texts from (at least one).
    pub numbers: Vec<TextingNumber>,
    /// Where client replies are emailed by default.
    pub notification_email: EmailAddress,
    /// Its settings.
    pub settings: FirmSettings,
}

/// The hash of an API key, as stored. The key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyHash(pub String);

#[derive(sqlx::FromRow)]
pub(crate) struct FirmRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) time_zone: String,
    pub(crate) region: String,
    pub(crate) notification_email: String,
    pub(crate) settings_json: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct NumberRow {
    pub(crate) number: String,
    pub(crate) class: String,
    pub(crate) rate: f64,
}

fn settings_json(settings: &FirmSettings) -> Result<String> {
    serde_json::to_string(settings).map_err(|e| corrupt("firms", "settings_json", e))
}

pub(crate) fn build(row: FirmRow, numbers: Vec<NumberRow>) -> Result<FirmRecord> {
    let tz: Tz = row
        .time_zone
        .parse()
        .map_err(|e| corrupt("firms", "time_zone", e))?;
    let region = Region::parse(&row.region).map_err(|e| corrupt("firms", "region", e))?;
    let email = EmailAddress::parse(&row.notification_email)
        .map_err(|e| corrupt("firms", "notification_email", e))?;
    let numbers = numbers
        .into_iter()
        .map(|n| {
            Ok(TextingNumber {
                number: PhoneNumber::parse_e164(&n.number)
                    .map_err(|e| corrupt("firm_numbers", "number", e))?,
                class: NumberClass::parse(&n.class)
                    .ok_or_else(|| corrupt("firm_numbers", "class", &n.class))?,
                rate: SendRate::new(n.rate).map_err(|e| corrupt("firm_numbers", "rate", e))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let firm = Firm::new(FirmId::new(row.id), &row.name, tz, region, numbers, email)
        .map_err(|e| corrupt("firms", "name", e))?;
    let settings: FirmSettings = serde_json::from_str(&row.settings_json)
        .map_err(|e| corrupt("firms", "settings_json", e))?;
    Ok(FirmRecord { firm, settings })
}

impl Store {
    /// Creates a firm with its numbers. A number that another firm already texts from
    /// is a [`StoreError::Conflict`].
    pub async fn create_firm(&self, new: &NewFirm, now: DateTime<Utc>) -> Result<FirmRecord> {
        if new.numbers.is_empty() {
            return Err(StoreError::Conflict(
                "a firm needs at least one texting number",
            ));
        }
        let settings = settings_json(&new.settings)?;
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO firms (name, time_zone, region, notification_email, settings_json, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&new.name)
            .bind(new.time_zone.name())
            .bind(new.region.to_string())
            .bind(new.notification_email.as_str())
            .bind(&settings)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?;
            for (position, n) in new.numbers.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO firm_numbers (firm_id, number, class, rate, position)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(n.number.as_e164())
                .bind(n.class.as_str())
                .bind(n.rate.per_second())
                .bind(position as i64)
                .execute(&mut *tx)
                .await
                .map_err(conflict_on_unique("this texting number belongs to another firm"))?;
            }
            tx.commit().await?;
            id
        });
        self.firm(FirmId::new(id)).await
    }

    /// A firm by id.
    pub async fn firm(&self, firm: FirmId) -> Result<FirmRecord> {
        on_pool!(self, pool => {
            let row: FirmRow = sqlx::query_as(
                "SELECT id, name, time_zone, region, notification_email, settings_json
                 FROM firms WHERE id = $1",
            )
            .bind(firm.get())
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            let numbers: Vec<NumberRow> = sqlx::query_as(
                "SELECT number, class, rate FROM firm_numbers WHERE firm_id = $1 ORDER BY position",
            )
            .bind(firm.get())
            .fetch_all(pool)
            .await?;
            build(row, numbers)
        })
    }

    /// Every firm's id, oldest first.
    pub async fn firm_ids(&self) -> Result<Vec<FirmId>> {
        let ids: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM firms ORDER BY id").fetch_all(pool).await?
        });
        Ok(ids.into_iter().map(FirmId::new).collect())
    }

    /// The firm that texts from `number`, if any: how an inbound text finds its firm.
    pub async fn firm_by_number(&self, number: &PhoneNumber) -> Result<Option<FirmId>> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT firm_id FROM firm_numbers WHERE number = $1")
                .bind(number.as_e164())
                .fetch_optional(pool)
                .await?
        });
        Ok(id.map(FirmId::new))
    }

    /// Replaces the firm's default notification address.
    pub async fn set_notification_email(&self, firm: FirmId, email: &EmailAddress) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE firms SET notification_email = $1 WHERE id = $2")
                .bind(email.as_str())
                .bind(firm.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// Replaces the firm's settings.
    pub async fn set_firm_settings(&self, firm: FirmId, settings: &FirmSettings) -> Result<()> {
        let json = settings_json(settings)?;
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE firms SET settings_json = $1 WHERE id = $2")
                .bind(&json)
                .bind(firm.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// Replaces the firm's texting numbers (at least one; none owned by another firm).
    pub async fn set_texting_numbers(&self, firm: FirmId, numbers: &[TextingNumber]) -> Result<()> {
        if numbers.is_empty() {
            return Err(StoreError::Conflict(
                "a firm needs at least one texting number",
            ));
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM firms WHERE id = $1")
                .bind(firm.get())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM firm_numbers WHERE firm_id = $1")
                .bind(firm.get())
                .execute(&mut *tx)
                .await?;
            for (position, n) in numbers.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO firm_numbers (firm_id, number, class, rate, position)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(firm.get())
                .bind(n.number.as_e164())
                .bind(n.class.as_str())
                .bind(n.rate.per_second())
                .bind(position as i64)
                .execute(&mut *tx)
                .await
                .map_err(conflict_on_unique("a texting number is listed twice or belongs to another firm"))?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a new API key's hash for the firm. `prefix` is the key's public first
    /// characters, shown in listings so staff can tell keys apart.
    pub async fn add_api_key(
        &self,
        firm: FirmId,
        prefix: &str,
        hash: &ApiKeyHash,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO api_keys (firm_id, prefix, hash, created_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(firm.get())
            .bind(prefix)
            .bind(&hash.0)
            .bind(ms(now))
            .execute(pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
                _ => conflict_on_unique("API key already exists")(e),
            })?;
        });
        Ok(())
    }

    /// Revokes every active key of the firm (before a new one is added on rotation).
    pub async fn revoke_api_keys(&self, firm: FirmId, now: DateTime<Utc>) -> Result<u64> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE api_keys SET revoked_ms = $1 WHERE firm_id = $2 AND revoked_ms IS NULL")
                .bind(ms(now))
                .bind(firm.get())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// The firm an active API key belongs to.
    pub async fn firm_for_api_key(&self, hash: &ApiKeyHash) -> Result<Option<FirmId>> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT firm_id FROM api_keys WHERE hash = $1 AND revoked_ms IS NULL")
                .bind(&hash.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(id.map(FirmId::new))
    }
}
