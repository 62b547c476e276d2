//! Cases, debtors, phones and case texting settings.

use casewire_model::{
    AutomaticReminders, Case, CaseId, CaseNumber, CaseStatus, DebtorId, EmailAddress, FirmId,
    PersonName, PhoneId, PhoneKind, PhoneNumber, Region, TextingSettings,
};
use casewire_store::{CaseSummary, NewCase, NewDebtor, NewPhone};
use chrono_tz::Tz;

use crate::{App, AppError, Result, error::not_found};

/// A phone as typed.
#[derive(Debug, Clone)]
pub struct PhoneInput {
    /// The number as staff typed it.
    pub number: String,
    /// `mobile`, `home`, `work`, `fax` or `other`.
    pub kind: String,
}

/// A debtor as entered.
#[derive(Debug, Clone)]
pub struct DebtorInput {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email, if known.
    pub email: Option<String>,
    /// IANA zone if not the firm's.
    pub time_zone: Option<String>,
    /// Phones.
    pub phones: Vec<PhoneInput>,
}

/// A case as entered.
#[derive(Debug, Clone)]
pub struct CaseInput {
    /// Court case number.
    pub number: String,
    /// Title; the debtors' names when `None`.
    pub title: Option<String>,
    /// One debtor, or two for a joint case.
    pub debtors: Vec<DebtorInput>,
    /// Notification email override.
    pub notification_email: Option<String>,
    /// Automatic reminders (on when `None`).
    pub automatic_reminders: Option<bool>,
}

pub(crate) fn parse_phone(input: &PhoneInput, region: Region, field: &str) -> Result<NewPhone> {
    Ok(NewPhone {
        number: PhoneNumber::parse(&input.number, region)
            .map_err(|e| AppError::invalid(format!("{field}.number"), e))?,
        kind: input
            .kind
            .parse::<PhoneKind>()
            // `type` in the API's JSON.
            .map_err(|e| AppError::invalid(format!("{field}.type"), e))?,
    })
}

fn parse_debtor(input: &DebtorInput, region: Region, field: &str) -> Result<NewDebtor> {
    Ok(NewDebtor {
        name: PersonName::new(&input.first_name, &input.last_name)
            .map_err(|e| AppError::invalid(format!("{field}.name"), e))?,
        email: input
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| AppError::invalid(format!("{field}.email"), e))?,
        time_zone: input
            .time_zone
            .as_deref()
            .filter(|z| !z.trim().is_empty())
            .map(|z| z.trim().parse::<Tz>())
            .transpose()
            .map_err(|_| {
                AppError::invalid(format!("{field}.time_zone"), "expected an IANA zone")
            })?,
        phones: parse_phones(&input.phones, region, field)?,
    })
}

/// A debtor's phones, each number once.
fn parse_phones(inputs: &[PhoneInput], region: Region, field: &str) -> Result<Vec<NewPhone>> {
    let mut phones: Vec<NewPhone> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let phone = parse_phone(input, region, &format!("{field}.phones[{i}]"))?;
        if phones.iter().any(|p| p.number == phone.number) {
            return Err(AppError::invalid(
                format!("{field}.phones[{i}].number"),
                "this number is already among the debtor's phones",
            ));
        }
        phones.push(phone);
    }
    Ok(phones)
}

pub(crate) fn parse_optional_email(
    value: Option<&str>,
    field: &str,
) -> Result<Option<EmailAddress>> {
    value
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|e| AppError::invalid(field, e))
}

impl App {
    /// Creates a case with its debtor (or two, for a joint case).
    pub async fn create_case(&self, firm: FirmId, input: &CaseInput) -> Result<Case> {
        let record = self.firm(firm).await?;
        let region = record.firm.region();
        if input.debtors.is_empty() || input.debtors.len() > 2 {
            return Err(AppError::invalid(
                "debtors",
                "a case has one debtor, or two for a joint case",
            ));
        }
        let mut debtors = input
            .debtors
            .iter()
            .enumerate()
            .map(|(i, d)| parse_debtor(d, region, &format!("debtors[{i}]")))
            .collect::<Result<Vec<_>>>()?
            .into_iter();
        let debtor = debtors.next().ok_or(AppError::NoRecipients)?;
        let joint_debtor = debtors.next();
        let number =
            CaseNumber::parse(&input.number).map_err(|e| AppError::invalid("number", e))?;
        let title = match input.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => {
                casewire_model::bounded_text(t, 200).map_err(|e| AppError::invalid("title", e))?
            }
            _ => std::iter::once(&debtor)
                .chain(joint_debtor.as_ref())
                .map(|d| d.name.full())
                .collect::<Vec<_>>()
                .join(" and "),
        };
        let texting = TextingSettings {
            notification_email: parse_optional_email(
                input.notification_email.as_deref(),
                "notification_email",
            )?,
            automatic_reminders: match input.automatic_reminders {
                Some(false) => AutomaticReminders::Off,
                _ => AutomaticReminders::On,
            },
        };
        let new = NewCase {
            number,
            title,
            debtor,
            joint_debtor,
            texting,
        };
        Ok(self.store.create_case(firm, &new, self.now()).await?)
    }

    /// A case of the firm.
    pub async fn case(&self, firm: FirmId, case_id: CaseId) -> Result<Case> {
        self.store
            .case(firm, case_id)
            .await
            .map_err(not_found("case"))
    }

    /// The firm's cases, most recently active first, with an optional search.
    pub async fn cases(
        &self,
        firm: FirmId,
        search: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CaseSummary>> {
        Ok(self
            .store
            .cases(firm, search, limit.clamp(1, 200), offset)
            .await?)
    }

    /// Adds a phone to a debtor; a new mobile number gets the case's reminders.
    pub async fn add_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        debtor: DebtorId,
        input: &PhoneInput,
    ) -> Result<PhoneId> {
        let record = self.firm(firm).await?;
        let phone = parse_phone(input, record.firm.region(), "phone")?;
        let id = self
            .store
            .add_phone(firm, case_id, debtor, &phone)
            .await
            .map_err(not_found("debtor"))?;
        self.replan_case(firm, case_id).await?;
        Ok(id)
    }

    /// Changes a phone's number or kind; reminders follow the change.
    pub async fn update_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        phone_id: PhoneId,
        input: &PhoneInput,
    ) -> Result<()> {
        let record = self.firm(firm).await?;
        let phone = parse_phone(input, record.firm.region(), "phone")?;
        self.store
            .update_phone(firm, case_id, phone_id, &phone)
            .await
            .map_err(not_found("phone"))?;
        self.replan_case(firm, case_id).await?;
        Ok(())
    }

    /// Removes a phone; its pending reminders are cancelled.
    pub async fn remove_phone(
        &self,
        firm: FirmId,
        case_id: CaseId,
        phone_id: PhoneId,
    ) -> Result<()> {
        self.store
            .remove_phone(firm, case_id, phone_id)
            .await
            .map_err(not_found("phone"))?;
        self.replan_case(firm, case_id).await?;
        Ok(())
    }

    /// Changes the case's texting settings. `notification_email`: `None` leaves it,
    /// `Some(None)` clears the override, `Some(Some(address))` sets it. Switching
    /// automatic reminders off cancels every pending one; switching them on plans them
    /// again.
    pub async fn set_texting(
        &self,
        firm: FirmId,
        case_id: CaseId,
        notification_email: Option<Option<&str>>,
        automatic_reminders: Option<bool>,
    ) -> Result<TextingSettings> {
        let case = self.case(firm, case_id).await?;
        let mut texting = case.texting.clone();
        if let Some(email) = notification_email {
            texting.notification_email = parse_optional_email(email, "notification_email")?;
        }
        if let Some(on) = automatic_reminders {
            texting.automatic_reminders = if on {
                AutomaticReminders::On
            } else {
                AutomaticReminders::Off
            };
        }
        self.store
            .set_texting(firm, case_id, &texting)
            .await
            .map_err(not_found("case"))?;
        if texting.automatic_reminders != case.texting.automatic_reminders {
            self.replan_case(firm, case_id).await?;
        }
        Ok(texting)
    }

    /// Opens or closes a case. A closed case gets no reminders and no replies.
    pub async fn set_case_status(
        &self,
        firm: FirmId,
        case_id: CaseId,
        status: CaseStatus,
    ) -> Result<()> {
        self.store
            .set_case_status(firm, case_id, status)
            .await
            .map_err(not_found("case"))?;
        self.replan_case(firm, case_id).await?;
        Ok(())
    }
}
