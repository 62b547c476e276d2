//! Texting from a case: lint, then per recipient the send gate, the provider, the
//! thread.

use casewire_compliance::{
    ConsentChange, ConsentMethod, ConsentState, Decision, GateRequest, SendKind, gate,
};
use casewire_lint::{LintOptions, Report, lint};
use casewire_model::{
    CaseId, CaseStatus, DebtorId, FirmId, MessageId, PhoneNumber, Recipients, SharedNumber, UserId,
};
use casewire_provider::{DeliveryStatus, OutboundMessage, SendAction, SendError, SendReceipt};
use casewire_store::{NewOutbound, SentBy};
use serde::Serialize;

use crate::{App, AppError, Result};

/// Who is sending a manual text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A staff user in the web UI.
    User(UserId),
    /// A program with the firm's API key.
    Api,
}

/// A text to send from a case.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The text.
    pub body: String,
    /// Who sends it.
    pub sender: Sender,
    /// Send despite lint errors (warnings never block).
    pub override_lint: bool,
    /// Only this debtor's numbers (both debtors of a joint case when `None`).
    pub only_debtor: Option<DebtorId>,
}

/// What happened for one recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecipientOutcome {
    /// Handed to the provider.
    Sent {
        /// The provider's id.
        provider_id: String,
        /// Its first status.
        status: DeliveryStatus,
    },
    /// Not sent: the gate refused it (opted out).
    Refused {
        /// Stable reason code.
        reason: String,
    },
    /// The provider refused it or could not be reached.
    Failed {
        /// Stable reason code (`invalid_recipient`, `transient`, ...).
        reason: String,
        /// The provider's error code, if any.
        code: Option<u32>,
    },
}

/// One recipient of a case text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipientResult {
    /// The debtor.
    pub debtor_id: DebtorId,
    /// The number, E.164.
    pub to: PhoneNumber,
    /// The thread message recording it.
    pub message_id: MessageId,
    /// What happened.
    #[serde(flatten)]
    pub outcome: RecipientOutcome,
}

/// The result of texting a case.
#[derive(Debug, Clone, Serialize)]
pub struct SendOutcome {
    /// The linter's report on the text.
    pub lint: Report,
    /// One entry per recipient.
    pub results: Vec<RecipientResult>,
    /// Numbers shared by both debtors (texted once).
    pub shared_numbers: Vec<SharedNumber>,
    /// Debtors with no mobile number (not texted).
    pub without_mobile: Vec<DebtorId>,
}

const MAX_BODY_CHARS: usize = 1600;

impl App {
    /// Lints a draft as the compose box does, with the case's recent texts for the
    /// repeated-link check.
    pub async fn lint_draft(
        &self,
        firm: FirmId,
        case_id: Option<CaseId>,
        body: &str,
    ) -> Result<Report> {
        let recent = match case_id {
            Some(case_id) => {
                self.case(firm, case_id).await?;
                self.store.recent_outbound_bodies(firm, case_id, 10).await?
            }
            None => Vec::new(),
        };
        let recent: Vec<&str> = recent.iter().map(String::as_str).collect();
        Ok(lint(
            body,
            &LintOptions {
                recent_messages: &recent,
            },
        ))
    }

    /// Texts a case: one message per recipient (both debtors of a joint case). A
    /// recipient who opted out is recorded as refused while the other still gets the
    /// text.
    pub async fn send_case_text(
        &self,
        firm: FirmId,
        case_id: CaseId,
        request: &SendRequest,
    ) -> Result<SendOutcome> {
        let body = request.body.trim();
        if body.is_empty() {
            return Err(AppError::invalid("body", "the message is empty"));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(AppError::invalid(
                "body",
                format!("the message is longer than {MAX_BODY_CHARS} characters"),
            ));
        }
        let record = self.firm(firm).await?;
        let case = self.case(firm, case_id).await?;
        if case.status == CaseStatus::Closed {
            return Err(AppError::Conflict(
                "the case is closed; reopen it to text its clients",
            ));
        }
        let report = self.lint_draft(firm, Some(case_id), body).await?;
        if report.has_errors() && !request.override_lint {
            return Err(AppError::LintRefused(Box::new(report)));
        }
        let mut recipients = Recipients::of(&case);
        if let Some(only) = request.only_debtor {
            if case.debtors.get(only).is_none() {
                return Err(AppError::NotFound("debtor"));
            }
            recipients.recipients.retain(|r| r.debtor_id == only);
        }
        if recipients.is_empty() {
            return Err(AppError::NoRecipients);
        }
        let sent_by = match request.sender {
            Sender::User(id) => SentBy::User(id),
            Sender::Api => SentBy::Api,
        };
        let from = record.firm.primary_number().number.clone();
        let mut results = Vec::with_capacity(recipients.recipients.len());
        for recipient in &recipients.recipients {
            let now = self.now();
            let consent = self.store.consent_state(firm, &recipient.number).await?;
            let zone = case
                .debtors
                .get(recipient.debtor_id)
                .and_then(|d| d.time_zone)
                .unwrap_or_else(|| record.firm.time_zone());
            let decision = gate(&GateRequest {
                kind: SendKind::Manual,
                consent,
                automatic_reminders: case.texting.automatic_reminders,
                recipient_zone: zone,
                quiet_hours: &record.settings.quiet_hours,
                now,
            });
            let mut outbound = NewOutbound {
                case_id: Some(case_id),
                debtor_id: Some(recipient.debtor_id),
                from: &from,
                to: &recipient.number,
                body,
                sent_by,
                reminder_key: None,
                refusal: None,
            };
            let outcome = match decision {
                Decision::Refuse { reason } => {
                    outbound.refusal = Some(reason.as_str());
                    let message_id = self.store.insert_outbound(firm, &outbound, now).await?;
                    tracing::info!(firm = %firm, case = %case_id, to = ?recipient.number, reason = reason.as_str(), "text refused by the send gate");
                    results.push(RecipientResult {
                        debtor_id: recipient.debtor_id,
                        to: recipient.number.clone(),
                        message_id,
                        outcome: RecipientOutcome::Refused {
                            reason: reason.as_str().to_owned(),
                        },
                    });
                    continue;
                }
                // Manual texts are never deferred; a deferral cannot come back here.
                Decision::Allow | Decision::Defer { .. } => {
                    let message_id = self.store.insert_outbound(firm, &outbound, now).await?;
                    let outcome = self
                        .deliver(firm, message_id, &from, &recipient.number, body, None)
                        .await?;
                    (message_id, outcome)
                }
            };
            results.push(RecipientResult {
                debtor_id: recipient.debtor_id,
                to: recipient.number.clone(),
                message_id: outcome.0,
                outcome: outcome.1,
            });
        }
        Ok(SendOutcome {
            lint: report,
            results,
            shared_numbers: recipients.shared,
            without_mobile: recipients.without_mobile,
        })
    }

    /// Hands a recorded message to the provider and records its answer (the provider's
    /// id and first status, or the error's code and reason) on the message.
    pub(crate) async fn send_recorded(
        &self,
        firm: FirmId,
        message_id: MessageId,
        message: &OutboundMessage,
    ) -> Result<std::result::Result<SendReceipt, SendError>> {
        let result = self.provider.send(message).await;
        let recorded = match &result {
            Ok(receipt) => Ok((&receipt.provider_id, receipt.status)),
            Err(error) => Err((error.code().map(i64::from), error.reason_code())),
        };
        self.store
            .record_send_result(firm, message_id, recorded, self.now())
            .await?;
        Ok(result)
    }

    /// Sends a recorded manual text (or keyword reply) and says what happened. A
    /// provider opt-out report (Twilio 21610) also marks the number opted out.
    pub(crate) async fn deliver(
        &self,
        firm: FirmId,
        message_id: MessageId,
        from: &PhoneNumber,
        to: &PhoneNumber,
        body: &str,
        reminder_key: Option<&str>,
    ) -> Result<RecipientOutcome> {
        let message = OutboundMessage {
            from: from.clone(),
            to: to.clone(),
            body: body.to_owned(),
            status_callback: self.config.status_callback_url.clone(),
            reminder_key: reminder_key.map(str::to_owned),
        };
        match self.send_recorded(firm, message_id, &message).await? {
            Ok(receipt) => Ok(RecipientOutcome::Sent {
                provider_id: receipt.provider_id.as_str().to_owned(),
                status: receipt.status,
            }),
            Err(error) => {
                tracing::warn!(firm = %firm, message_id = %message_id, to = ?to, reason = error.reason_code(), code = ?error.code(), "provider refused a text");
                if error.action() == SendAction::MarkOptedOut {
                    self.record_provider_opt_out(firm, to, &error).await?;
                }
                Ok(RecipientOutcome::Failed {
                    reason: error.reason_code().to_owned(),
                    code: error.code(),
                })
            }
        }
    }

    pub(crate) async fn record_provider_opt_out(
        &self,
        firm: FirmId,
        number: &PhoneNumber,
        error: &SendError,
    ) -> Result<()> {
        let now = self.now();
        let change = ConsentChange {
            to: ConsentState::OptedOut,
            at: now,
            method: ConsentMethod::ProviderReport {
                code: error.code().unwrap_or(21610),
            },
            raw_text: None,
            via_number: None,
        };
        let (_, cancelled) = self.store.apply_consent(firm, number, change, now).await?;
        tracing::info!(firm = %firm, number = ?number, cancelled, "provider reports the number opted out");
        Ok(())
    }
}
