//! Cases, their debtors and phones, and case texting settings.

use casewire_model::{
    AutomaticReminders, Case, CaseId, CaseNumber, CaseStatus, Debtor, DebtorId, Debtors,
    EmailAddress, FirmId, PersonName, Phone, PhoneId, PhoneKind, PhoneNumber, TextingSettings,
};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{
    Result, Store, StoreError, conflict_on_unique, corrupt, found, from_ms, ms, on_pool, padded,
};

/// A phone to add to a debtor.
#[derive(Debug, Clone)]
pub struct NewPhone {
    /// The number.
    pub number: PhoneNumber,
    /// The kind of line.
    pub kind: PhoneKind,
}

/// A debtor to add to a new case.
#[derive(Debug, Clone)]
pub struct NewDebtor {
    /// Name.
    pub name: PersonName,
    /// Email, if known.
    pub email: Option<EmailAddress>,
    /// Phones.
    pub phones: Vec<NewPhone>,
    /// Zone, if not the firm's.
    pub time_zone: Option<Tz>,
}

/// A case to create: one debtor, or two for a joint case.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The court case number (unique within the firm).
    pub number: CaseNumber,
    /// A short title.
    pub title: String,
    /// The debtor, and the joint debtor if any.
    pub debtor: NewDebtor,
    /// The joint debtor of a joint case.
    pub joint_debtor: Option<NewDebtor>,
    /// Texting settings (reminders on by default).
    pub texting: TextingSettings,
}

/// One line of the cases list.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    /// The case.
    pub id: CaseId,
    /// Its number.
    pub number: CaseNumber,
    /// Its title.
    pub title: String,
    /// Open or closed.
    pub status: CaseStatus,
    /// The debtors' full names, in order.
    pub debtor_names: Vec<String>,
    /// The last text in or out, or the creation time.
    pub last_activity: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    firm_id: i64,
    number: String,
    title: String,
    status: String,
    notification_email: Option<String>,
    automatic_reminders: bool,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    number: String,
    title: String,
    status: String,
    last_activity_ms: i64,
    first_name: String,
    last_name: String,
}

#[derive(sqlx::FromRow)]
struct DebtorRow {
    id: i64,
    first_name: String,
    last_name: String,
    email: Option<String>,
    time_zone: Option<String>,
}

/// A debtor row with its case, for reading several cases at once.
#[derive(sqlx::FromRow)]
struct DebtorOfCase {
    case_id: i64,
    #[sqlx(flatten)]
    debtor: DebtorRow,
}

/// A phone row with its case, for reading several cases at once.
#[derive(sqlx::FromRow)]
struct PhoneOfCase {
    case_id: i64,
    #[sqlx(flatten)]
    phone: PhoneRow,
}

#[derive(sqlx::FromRow)]
struct PhoneRow {
    id: i64,
    debtor_id: i64,
    number: String,
    kind: String,
}

fn phone(row: PhoneRow) -> Result<Phone> {
    Ok(Phone {
        id: PhoneId::new(row.id),
        number: PhoneNumber::parse_e164(&row.number).map_err(|e| corrupt("phones", "number", e))?,
        kind: row.kind.parse().map_err(|e| corrupt("phones", "kind", e))?,
    })
}

fn debtor(row: DebtorRow, phones: &mut Vec<PhoneRow>) -> Result<Debtor> {
    let mine: Vec<PhoneRow> = {
        let (mine, rest) = std::mem::take(phones)
            .into_iter()
            .partition(|p| p.debtor_id == row.id);
        *phones = rest;
        mine
    };
    Ok(Debtor {
        id: DebtorId::new(row.id),
        name: PersonName::new(&row.first_name, &row.last_name)
            .map_err(|e| corrupt("debtors", "name", e))?,
        email: row
            .email
            .map(|e| EmailAddress::parse(&e))
            .transpose()
            .map_err(|e| corrupt("debtors", "email", e))?,
        phones: mine.into_iter().map(phone).collect::<Result<_>>()?,
        time_zone: row
            .time_zone
            .map(|z| z.parse::<Tz>())
            .transpose()
            .map_err(|e| corrupt("debtors", "time_zone", e))?,
    })
}

fn case(row: CaseRow, debtors: Vec<DebtorRow>, mut phones: Vec<PhoneRow>) -> Result<Case> {
    let mut debtors = debtors.into_iter();
    let first = debtors
        .next()
        .ok_or_else(|| corrupt("debtors", "case_id", "case without a debtor"))?;
    let first = debtor(first, &mut phones)?;
    let debtors = match debtors.next() {
        None => Debtors::Single { debtor: first },
        Some(second) => Debtors::Joint {
            debtor: first,
            joint_debtor: debtor(second, &mut phones)?,
        },
    };
    Ok(Case {
        id: CaseId::new(row.id),
        firm_id: FirmId::new(row.firm_id),
        number: CaseNumber::parse(&row.number).map_err(|e| corrupt("cases", "number", e))?,
        title: row.title,
        status: CaseStatus::parse(&row.status)
            .ok_or_else(|| corrupt("cases", "status", &row.status))?,
        debtors,
        texting: TextingSettings {
            notification_email: row
                .notification_email
                .map(|e| EmailAddress::parse(&e))
                .transpose()
                .map_err(|e| corrupt("cases", "notification_email", e))?,
            automatic_reminders: if row.automatic_reminders {
                AutomaticReminders::On
            } else {
                AutomaticReminders::Off
            },
        },
    })
}

const CASE_COLUMNS: &str =
    "id, firm_id, number, title, status, notification_email, automatic_reminders";

impl Store {
    /// Creates a case with its debtors and their phones, in one transaction. A case
    /// number the firm already uses is a [`StoreError::Conflict`].
    pub async fn create_case(
        &self,
        firm: FirmId,
        new: &NewCase,
        now: DateTime<Utc>,
    ) -> Result<Case> {
        let debtors: Vec<&NewDebtor> = std::iter::once(&new.debtor)
            .chain(new.joint_debtor.as_ref())
            .collect();
        let id: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (firm_id, number, title, status, notification_email,
                                    automatic_reminders, last_activity_ms, created_ms)
                 VALUES ($1, $2, $3, 'open', $4, $5, $6, $6) RETURNING id",
            )
            .bind(firm.get())
            .bind(new.number.as_str())
            .bind(&new.title)
            .bind(new.texting.notification_email.as_ref().map(EmailAddress::as_str))
            .bind(new.texting.automatic_reminders.is_on())
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
                _ => conflict_on_unique("the firm already has a case with this number")(e),
            })?;
            for (position, d) in debtors.iter().enumerate() {
                let debtor_id: i64 = sqlx::query_scalar(
                    "INSERT INTO debtors (firm_id, case_id, position, first_name, last_name, email, time_zone)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(firm.get())
                .bind(id)
                .bind(position as i64)
                .bind(d.name.first())
                .bind(d.name.last())
                .bind(d.email.as_ref().map(EmailAddress::as_str))
                .bind(d.time_zone.map(|z| z.name()))
                .fetch_one(&mut *tx)
                .await?;
                for p in &d.phones {
                    sqlx::query(
                        "INSERT INTO phones (firm_id, case_id, debtor_id, number, kind)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(firm.get())
                    .bind(id)
                    .bind(debtor_id)
                    .bind(p.number.as_e164())
                    .bind(p.kind.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            id
        });
        self.case(firm, CaseId::new(id)).await
    }

    /// A case of the firm, with its debtors and phones.
    pub async fn case(&self, firm: FirmId, id: CaseId) -> Result<Case> {
        on_pool!(self, pool => {
            let row: CaseRow = sqlx::query_as(&format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE firm_id = $1 AND id = $2"
            ))
            .bind(firm.get())
            .bind(id.get())
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            let debtors: Vec<DebtorRow> = sqlx::query_as(
                "SELECT id, first_name, last_name, email, time_zone FROM debtors
                 WHERE firm_id = $1 AND case_id = $2 ORDER BY position",
            )
            .bind(firm.get())
            .bind(id.get())
            .fetch_all(pool)
            .await?;
            let phones: Vec<PhoneRow> = sqlx::query_as(
                "SELECT id, debtor_id, number, kind FROM phones
                 WHERE firm_id = $1 AND case_id = $2 ORDER BY id",
            )
            .bind(firm.get())
            .bind(id.get())
            .fetch_all(pool)
            .await?;
            case(row, debtors, phones)
        })
    }

    /// Several cases of the firm at once, in three queries whatever their number (a
    /// worker's batch of reminders). Ids of other firms and unknown ids are left out.
    pub async fn cases_by_ids(&self, firm: FirmId, ids: &[CaseId]) -> Result<Vec<Case>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let (rows, debtors, phones): (Vec<CaseRow>, Vec<DebtorOfCase>, Vec<PhoneOfCase>) = on_pool!(self, pool => {
                let in_list = |sql: &str| {
                    let mut q = sqlx::QueryBuilder::new(sql);
                    q.push_bind(firm.get()).push(" AND case_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.get());
                    }
                    q.push(")");
                    q
                };
                let mut q = sqlx::QueryBuilder::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE +firm_id = "));
                q.push_bind(firm.get()).push(" AND id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(id.get());
                }
                q.push(")");
                let rows = q.build_query_as().fetch_all(pool).await?;
                let debtors = in_list(
                    "SELECT case_id, id, first_name, last_name, email, time_zone FROM debtors WHERE +firm_id = ",
                )
                .push(" ORDER BY case_id, position")
                .build_query_as()
                .fetch_all(pool)
                .await?;
                let phones = in_list("SELECT case_id, id, debtor_id, number, kind FROM phones WHERE +firm_id = ")
                    .push(" ORDER BY case_id, id")
                    .build_query_as()
                    .fetch_all(pool)
                    .await?;
                (rows, debtors, phones)
            });
            let mut debtors_of: HashMap<i64, Vec<DebtorRow>> = HashMap::new();
            for d in debtors {
                debtors_of.entry(d.case_id).or_default().push(d.debtor);
            }
            let mut phones_of: HashMap<i64, Vec<PhoneRow>> = HashMap::new();
            for p in phones {
                phones_of.entry(p.case_id).or_default().push(p.phone);
            }
            for row in rows {
                let id = row.id;
                out.push(case(
                    row,
                    debtors_of.remove(&id).unwrap_or_default(),
                    phones_of.remove(&id).unwrap_or_default(),
                )?);
            }
        }
        Ok(out)
    }

    /// The firm's cases, most recently active first, optionally filtered by a search
    /// on case number or debtor name (case-insensitive substring).
    pub async fn cases(
        &self,
        firm: FirmId,
        search: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CaseSummary>> {
        let pattern = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
        let rows: Vec<SummaryRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT c.id, c.number, c.title, c.status, c.last_activity_ms,
                        d.first_name, d.last_name
                 FROM (SELECT id, number, title, status, last_activity_ms FROM cases c
                       WHERE firm_id = $1
                         AND ($2 IS NULL OR LOWER(number) LIKE $2 OR LOWER(title) LIKE $2
                              OR EXISTS (SELECT 1 FROM debtors d WHERE d.case_id = c.id AND
                                         LOWER(d.first_name || ' ' || d.last_name) LIKE $2))
                       ORDER BY last_activity_ms DESC, id DESC LIMIT $3 OFFSET $4) c
                 JOIN debtors d ON d.case_id = c.id
                 ORDER BY c.last_activity_ms DESC, c.id DESC, d.position",
            )
            .bind(firm.get())
            .bind(pattern.as_deref())
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<CaseSummary> = Vec::new();
        for r in rows {
            let name = format!("{} {}", r.first_name, r.last_name);
            match out.last_mut() {
                Some(last) if last.id.get() == r.id => last.debtor_names.push(name),
                _ => out.push(CaseSummary {
                    id: CaseId::new(r.id),
                    number: CaseNumber::parse(&r.number)
                        .map_err(|e| corrupt("cases", "number", e))?,
                    title: r.title,
                    status: CaseStatus::parse(&r.status)
                        .ok_or_else(|| corrupt("cases", "status", &r.status))?,
                    debtor_names: vec![name],
                    last_activity: from_ms("cases", "last_activity_ms", r.last_activity_ms)?,
                }),
            }
        }
        Ok(out)
    }

    /// Replaces the case's texting settings.
    pub async fn set_texting(
        &self,
        firm: FirmId,
        id: CaseId,
        texting: &TextingSettings,
    ) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE cases SET notification_email = $1, automatic_reminders = $2
                 WHERE firm_id = $3 AND id = $4",
            )
            .bind(texting.notification_email.as_ref().map(EmailAddress::as_str))
            .bind(texting.automatic_reminders.is_on())
            .bind(firm.get())
            .bind(id.get())
            .execute(pool)
            .await?
            .rows_affected()
        });
        found(done)
    }

    /// Opens or closes a case.
    pub async fn set_case_status(
        &self,
        firm: FirmId,
        id: CaseId,
        status: CaseStatus,
    ) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE cases SET status = $1 WHERE firm_id = $2 AND id = $3")
                .bind(status.as_str())
                .bind(firm.get())
                .bind(id.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// Adds a phone to a debtor of the case.
    pub async fn add_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        debtor_id: DebtorId,
        phone: &NewPhone,
    ) -> Result<PhoneId> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO phones (firm_id, case_id, debtor_id, number, kind)
                 SELECT d.firm_id, d.case_id, d.id, $1, $2 FROM debtors d
                 WHERE d.firm_id = $3 AND d.case_id = $4 AND d.id = $5
                   AND NOT EXISTS (SELECT 1 FROM phones p WHERE p.debtor_id = d.id AND p.number = $1)
                 RETURNING id",
            )
            .bind(phone.number.as_e164())
            .bind(phone.kind.as_str())
            .bind(firm.get())
            .bind(case_id.get())
            .bind(debtor_id.get())
            .fetch_optional(pool)
            .await?
        });
        if let Some(id) = id {
            return Ok(PhoneId::new(id));
        }
        let debtor: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM debtors WHERE firm_id = $1 AND case_id = $2 AND id = $3",
            )
            .bind(firm.get())
            .bind(case_id.get())
            .bind(debtor_id.get())
            .fetch_optional(pool)
            .await?
        });
        Err(phone_refusal(debtor))
    }

    /// Changes a phone's number and kind.
    pub async fn update_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        phone_id: PhoneId,
        phone: &NewPhone,
    ) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE phones SET number = $1, kind = $2
                 WHERE firm_id = $3 AND case_id = $4 AND id = $5
                   AND NOT EXISTS (SELECT 1 FROM phones other
                                   WHERE other.debtor_id = phones.debtor_id
                                     AND other.number = $1 AND other.id <> phones.id)",
            )
            .bind(phone.number.as_e164())
            .bind(phone.kind.as_str())
            .bind(firm.get())
            .bind(case_id.get())
            .bind(phone_id.get())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done > 0 {
            return Ok(());
        }
        let phone: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM phones WHERE firm_id = $1 AND case_id = $2 AND id = $3")
                .bind(firm.get())
                .bind(case_id.get())
                .bind(phone_id.get())
                .fetch_optional(pool)
                .await?
        });
        Err(phone_refusal(phone))
    }

    /// Removes a phone.
    pub async fn remove_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        phone_id: PhoneId,
    ) -> Result<()> {
        let done = on_pool!(self, pool => {
            sqlx::query("DELETE FROM phones WHERE firm_id = $1 AND case_id = $2 AND id = $3")
                .bind(firm.get())
                .bind(case_id.get())
                .bind(phone_id.get())
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(done)
    }

    /// The firm's open cases on which `number` is a mobile number of a debtor, most
    /// recently active first: how an inbound text finds its case.
    pub async fn open_cases_with_mobile(
        &self,
        firm: FirmId,
        number: &PhoneNumber,
    ) -> Result<Vec<(CaseId, DebtorId)>> {
        let rows: Vec<(i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT c.id, p.debtor_id FROM phones p JOIN cases c ON c.id = p.case_id
                 WHERE p.firm_id = $1 AND p.number = $2 AND p.kind = 'mobile' AND c.status = 'open'
                 ORDER BY c.last_activity_ms DESC, c.id DESC, p.debtor_id",
            )
            .bind(firm.get())
            .bind(number.as_e164())
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<(CaseId, DebtorId)> = Vec::new();
        for (case_id, debtor_id) in rows {
            if !out.iter().any(|(c, _)| c.get() == case_id) {
                out.push((CaseId::new(case_id), DebtorId::new(debtor_id)));
            }
        }
        Ok(out)
    }

    /// The open cases of the firm that text `number` (any debtor, mobile), for
    /// re-planning after a consent change.
    pub async fn open_case_ids_with_mobile(
        &self,
        firm: FirmId,
        number: &PhoneNumber,
    ) -> Result<Vec<CaseId>> {
        Ok(self
            .open_cases_with_mobile(firm, number)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }
}

/// An open case a reply's sender is on. (The notification email reads the rest when it
/// is sent.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyMatch {
    /// The case.
    pub case_id: CaseId,
    /// The debtor whose mobile number it is.
    pub debtor_id: DebtorId,
}

impl Store {
    /// The firm's open cases on which `number` is a debtor's mobile number, most
    /// recently active first, each once, with the debtor whose number it is: the hot path
    /// of inbound texts, in one query.
    pub async fn reply_matches(
        &self,
        firm: FirmId,
        number: &PhoneNumber,
    ) -> Result<Vec<ReplyMatch>> {
        let mut all = self
            .reply_matches_many(firm, std::slice::from_ref(number))
            .await?;
        Ok(all.remove(number).unwrap_or_default())
    }

    /// [`Store::reply_matches`] for many senders in one query (a batch of replies).
    pub async fn reply_matches_many(
        &self,
        firm: FirmId,
        numbers: &[PhoneNumber],
    ) -> Result<std::collections::HashMap<PhoneNumber, Vec<ReplyMatch>>> {
        let mut out: std::collections::HashMap<PhoneNumber, Vec<ReplyMatch>> = Default::default();
        for chunk in numbers.chunks(500) {
            let rows: Vec<(String, i64, i64)> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT p.number, c.id, p.debtor_id
                     FROM phones p
                     JOIN cases c ON c.id = p.case_id
                     JOIN debtors d ON d.id = p.debtor_id
                     WHERE p.kind = 'mobile' AND c.status = 'open' AND p.firm_id = ",
                );
                q.push_bind(firm.get()).push(" AND p.number IN (");
                let mut list = q.separated(", ");
                for n in padded(chunk) {
                    list.push_bind(n.as_e164().to_owned());
                }
                q.push(") ORDER BY p.number, c.last_activity_ms DESC, c.id DESC, d.position");
                q.build_query_as().fetch_all(pool).await?
            });
            for (phone, case_id, debtor_id) in rows {
                let phone =
                    PhoneNumber::parse_e164(&phone).map_err(|e| corrupt("phones", "number", e))?;
                let list = out.entry(phone).or_default();
                if list.iter().any(|m| m.case_id.get() == case_id) {
                    continue;
                }
                list.push(ReplyMatch {
                    case_id: CaseId::new(case_id),
                    debtor_id: DebtorId::new(debtor_id),
                });
            }
        }
        Ok(out)
    }
}

/// Why a phone write that checks for a duplicate number changed nothing: the row it
/// names (the debtor, or the phone being edited) was found, so the debtor already has
/// the number; or it was not.
fn phone_refusal(named_row: Option<i64>) -> StoreError {
    match named_row {
        Some(_) => StoreError::Conflict("the debtor already has this phone number"),
        None => StoreError::NotFound,
    }
}
