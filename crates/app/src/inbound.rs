//! Receiving a client's text: de-duplicate, find the firm and the case, classify,
//! apply consent, queue the notification email, answer keywords.

use casewire_compliance::{
    Applied, Classification, Classifier, ConsentChange, ConsentMethod, ConsentState, Detection,
    Intent, ReplyMode,
};
use std::{collections::HashMap, sync::Arc};

use casewire_model::{CaseId, DebtorId, FirmId, MessageId, PhoneNumber};
use casewire_provider::{InboundMessage, KeywordHint};
use casewire_store::{
    FirmRecord, InboundConnection, InboundInsert, NewInbound, NewOutbound, ReplyMatch, SentBy,
};

use crate::{App, AppError, Result};

/// How a keyword reply (STOP confirmation, HELP answer) reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyDelivery {
    /// Sent through the provider right away.
    Provider,
    /// Returned to the caller, which answers the provider's webhook with it (TwiML).
    Response,
}

/// What receiving a text did.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundOutcome {
    /// Stored with its effects.
    Stored {
        /// The firm it was for.
        firm: FirmId,
        /// The thread message.
        message_id: MessageId,
        /// The case it was attached to; `None` means the unmatched inbox.
        case_id: Option<CaseId>,
        /// What the text said, for compliance.
        classification: Classification,
        /// What it did to the number's consent.
        consent: Option<Applied>,
        /// The keyword reply, when the firm sends its own and one is due. With
        /// [`ReplyDelivery::Response`] the caller must deliver it.
        reply: Option<String>,
    },
    /// Seen before (a retried webhook): nothing changed.
    Duplicate {
        /// The earlier message.
        message_id: MessageId,
        /// With [`ReplyDelivery::Response`], the keyword reply again when the text was a
        /// keyword the firm answers and it still holds (an opt-out whose number is still
        /// opted out, say): the provider retries a webhook when it did not get the first
        /// answer, and that answer carried the confirmation. Not recorded again.
        reply: Option<String>,
    },
    /// Sent to a number no firm texts from: nothing stored.
    UnknownNumber,
}

fn consent_change(
    classification: &Classification,
    hint: Option<KeywordHint>,
    message: &InboundMessage,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<ConsentChange> {
    let (to, method) = match (classification, hint) {
        (Classification::OptOut { detection }, _) => (
            ConsentState::OptedOut,
            match detection {
                Detection::Keyword(k) => ConsentMethod::Keyword {
                    keyword: k.as_str().to_owned(),
                },
                Detection::Phrase { rule } => ConsentMethod::Phrase {
                    rule: (*rule).to_owned(),
                },
            },
        ),
        (Classification::OptIn { keyword }, _) => (
            ConsentState::Subscribed,
            ConsentMethod::Keyword {
                keyword: keyword.as_str().to_owned(),
            },
        ),
        // The provider recognised a keyword we did not (its own list, or a carrier's):
        // it has already blocked or unblocked the number, so the ledger follows it.
        (_, Some(KeywordHint::OptOut)) => (
            ConsentState::OptedOut,
            ConsentMethod::ProviderKeyword {
                opt_out_type: "STOP".into(),
            },
        ),
        (_, Some(KeywordHint::OptIn)) => (
            ConsentState::Subscribed,
            ConsentMethod::ProviderKeyword {
                opt_out_type: "START".into(),
            },
        ),
        _ => return None,
    };
    Some(ConsentChange {
        to,
        at: now,
        method,
        raw_text: Some(message.body.clone()),
        via_number: Some(message.to.clone()),
    })
}

/// What the read half of receiving a text worked out, before anything is written.
struct Prepared {
    firm: FirmId,
    record: Arc<FirmRecord>,
    matched: Option<(CaseId, DebtorId)>,
    classification: Classification,
    change: Option<ConsentChange>,
    note: Option<String>,
    media_json: Option<String>,
}

/// A batch of inbound texts, read and ready to be written.
pub(crate) struct PreparedBatch {
    messages: Vec<InboundMessage>,
    prepared: Vec<Result<Option<Prepared>>>,
    now: chrono::DateTime<chrono::Utc>,
}

impl PreparedBatch {
    /// What the store writes: each text that was matched to a firm, in order.
    fn writes(&self) -> Vec<(FirmId, NewInbound<'_>)> {
        self.messages
            .iter()
            .zip(&self.prepared)
            .filter_map(|(message, p)| match p {
                Ok(Some(p)) => Some((
                    p.firm,
                    NewInbound {
                        provider_id: &message.provider_id,
                        from: &message.from,
                        to: &message.to,
                        body: &message.body,
                        media_json: p.media_json.as_deref(),
                        case_id: p.matched.map(|(c, _)| c),
                        debtor_id: p.matched.map(|(_, d)| d),
                        note: p.note.as_deref(),
                        consent: p.change.clone(),
                        notify: true,
                    },
                )),
                _ => None,
            })
            .collect()
    }
}

/// Firm look-ups shared by the texts of one batch.
#[derive(Default)]
struct FirmCache {
    by_number: HashMap<PhoneNumber, Option<FirmId>>,
    firms: HashMap<FirmId, (Arc<FirmRecord>, Arc<Classifier>)>,
}

impl App {
    /// Receives an inbound text from the provider.
    pub async fn receive_inbound(
        &self,
        message: &InboundMessage,
        delivery: ReplyDelivery,
    ) -> Result<InboundOutcome> {
        let mut results = self
            .receive_inbound_batch(std::slice::from_ref(message), delivery)
            .await?;
        results.pop().unwrap_or(Err(AppError::NotFound("message")))
    }

    /// Receives many inbound texts with one durable write for all of them (group
    /// commit): each is matched, classified and rendered first, then every message,
    /// consent change and email of the batch is stored in one transaction, then keyword
    /// replies and re-planning follow. The outcome of each text is what
    /// [`App::receive_inbound`] would have given. The outer error means the batch's
    /// transaction failed and none of them was stored.
    pub async fn receive_inbound_batch(
        &self,
        messages: &[InboundMessage],
        delivery: ReplyDelivery,
    ) -> Result<Vec<Result<InboundOutcome>>> {
        let batch = self.prepare_inbound_batch(messages.to_vec(), None).await?;
        self.commit_inbound_batch(batch, delivery, None).await
    }

    /// The read half of a batch: matches every text to its firm and case, classifies it
    /// and renders its notification. Writes nothing, so the next batch can be prepared
    /// while the previous one is being written.
    pub(crate) async fn prepare_inbound_batch(
        &self,
        messages: Vec<InboundMessage>,
        mut direct: Option<&mut InboundConnection>,
    ) -> Result<PreparedBatch> {
        let now = self.now();
        let mut cache = FirmCache::default();
        // The reads of the whole batch: each firm once, each firm's senders in one query.
        let mut senders: HashMap<FirmId, Vec<PhoneNumber>> = HashMap::new();
        for message in &messages {
            if let Some(firm) = self
                .firm_for_number(&message.to, &mut cache, direct.as_deref_mut())
                .await?
            {
                let list = senders.entry(firm).or_default();
                if !list.contains(&message.from) {
                    list.push(message.from.clone());
                }
            }
        }
        let mut matches: HashMap<(FirmId, PhoneNumber), Vec<ReplyMatch>> = HashMap::new();
        for (firm, numbers) in senders {
            let found = match direct.as_deref_mut() {
                Some(direct) => direct.reply_matches(firm, &numbers)?,
                None => self.store.reply_matches_many(firm, &numbers).await?,
            };
            for (number, found) in found {
                matches.insert((firm, number), found);
            }
        }
        let mut prepared: Vec<Result<Option<Prepared>>> = Vec::with_capacity(messages.len());
        for message in &messages {
            prepared.push(
                self.prepare_inbound(message, now, &mut cache, &matches, direct.as_deref_mut())
                    .await,
            );
        }
        Ok(PreparedBatch {
            messages,
            prepared,
            now,
        })
    }

    /// The write half of a batch: one transaction for every text, then replies and
    /// re-planning. With `direct` (SQLite), the texts that change no consent are written
    /// through that connection, blocking this thread, and the rest through the store as
    /// usual.
    pub(crate) async fn commit_inbound_batch(
        &self,
        batch: PreparedBatch,
        delivery: ReplyDelivery,
        direct: Option<&mut InboundConnection>,
    ) -> Result<Vec<Result<InboundOutcome>>> {
        let stored = self.store_inbound_batch(&batch, direct).await?;
        let PreparedBatch {
            messages,
            prepared,
            now: _,
        } = batch;
        let mut stored = stored.into_iter();
        let mut outcomes = Vec::with_capacity(messages.len());
        for (message, prepared) in messages.iter().zip(prepared) {
            let outcome = match prepared {
                Err(e) => Err(e),
                Ok(None) => {
                    tracing::warn!(to = ?message.to, "inbound text to a number no firm texts from");
                    Ok(InboundOutcome::UnknownNumber)
                }
                Ok(Some(p)) => match stored.next() {
                    None => Err(AppError::NotFound("stored message")),
                    Some(Err(e)) => Err(e),
                    Some(Ok(inserted)) => self.after_inbound(message, p, inserted, delivery).await,
                },
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Writes a prepared batch: the stored result of each text that has one to write,
    /// in order. The outer error means nothing of the batch was stored; with `direct`,
    /// a failure to store the texts that change consent is theirs alone.
    async fn store_inbound_batch(
        &self,
        batch: &PreparedBatch,
        direct: Option<&mut InboundConnection>,
    ) -> Result<Vec<Result<InboundInsert>>> {
        let writes = batch.writes();
        let Some(direct) = direct else {
            let stored = if writes.is_empty() {
                Vec::new()
            } else {
                self.store.record_inbound_batch(&writes, batch.now).await?
            };
            return Ok(stored
                .into_iter()
                .map(|r| r.map_err(AppError::from))
                .collect());
        };
        let (consenting, plain): (Vec<_>, Vec<_>) = writes
            .iter()
            .cloned()
            .partition(|(_, new)| new.consent.is_some());
        let mut plain = direct.record_batch(&plain, batch.now).await?.into_iter();
        // The others are stored by now, so a failure here is theirs alone.
        let consented: Vec<Result<InboundInsert>> = if consenting.is_empty() {
            Vec::new()
        } else {
            match self
                .store
                .record_inbound_batch(&consenting, batch.now)
                .await
            {
                Ok(results) => results
                    .into_iter()
                    .map(|r| r.map_err(AppError::from))
                    .collect(),
                Err(e) => {
                    tracing::error!(error = %e, size = consenting.len(), "storing the consent changes of a batch of inbound texts failed");
                    let reason = e.to_string();
                    consenting
                        .iter()
                        .map(|_| Err(AppError::Unavailable(reason.clone())))
                        .collect()
                }
            }
        };
        let mut consented = consented.into_iter();
        let stored = writes
            .iter()
            .map(|(_, new)| {
                let next = if new.consent.is_some() {
                    consented.next()
                } else {
                    plain.next().map(Ok)
                };
                next.unwrap_or(Err(AppError::NotFound("stored message")))
            })
            .collect();
        Ok(stored)
    }

    /// The read half: firm, case, classification, consent change, email. Writes
    /// nothing. `None` when no firm texts from the number it was sent to.
    async fn firm_for_number(
        &self,
        number: &PhoneNumber,
        cache: &mut FirmCache,
        direct: Option<&mut InboundConnection>,
    ) -> Result<Option<FirmId>> {
        if let Some(f) = cache.by_number.get(number) {
            return Ok(*f);
        }
        let f = match direct {
            Some(direct) => direct.firm_by_number(number)?,
            None => self.store.firm_by_number(number).await?,
        };
        cache.by_number.insert(number.clone(), f);
        Ok(f)
    }

    async fn prepare_inbound(
        &self,
        message: &InboundMessage,
        now: chrono::DateTime<chrono::Utc>,
        cache: &mut FirmCache,
        matches: &HashMap<(FirmId, PhoneNumber), Vec<ReplyMatch>>,
        mut direct: Option<&mut InboundConnection>,
    ) -> Result<Option<Prepared>> {
        let Some(firm) = self
            .firm_for_number(&message.to, cache, direct.as_deref_mut())
            .await?
        else {
            return Ok(None);
        };
        let (record, classifier) = match cache.firms.get(&firm) {
            Some(entry) => entry.clone(),
            None => {
                let record = match direct {
                    Some(direct) => direct.firm(firm).map_err(crate::error::not_found("firm"))?,
                    None => self.firm(firm).await?,
                };
                let record = Arc::new(record);
                let classifier = Arc::new(Classifier::new(record.settings.keywords.clone()));
                cache
                    .firms
                    .insert(firm, (record.clone(), classifier.clone()));
                (record, classifier)
            }
        };
        let matches: &[ReplyMatch] = matches
            .get(&(firm, message.from.clone()))
            .map_or(&[], Vec::as_slice);
        let first = matches.first();
        let classification = classifier.classify(&message.body);
        let change = consent_change(&classification, message.keyword_hint, message, now);

        let mut notes = Vec::new();
        if matches.len() > 1 {
            notes.push(format!(
                "This number is on {} open cases; the text was attached to the most recently active one.",
                matches.len()
            ));
        }
        if let Classification::Review { reason } = &classification {
            notes.push(format!(
                "Possible opt-out ({reason}). If the client asked to stop texts, record the opt-out."
            ));
        }
        match change.as_ref().map(|c| c.to) {
            Some(ConsentState::OptedOut) => notes
                .push("The client opted out: no more texts will be sent to this number.".into()),
            Some(ConsentState::Subscribed) => {
                notes.push("The client opted back in to texts.".into())
            }
            None => {}
        }
        let note = (!notes.is_empty()).then(|| notes.join(" "));

        let media_json = (!message.media.is_empty())
            .then(|| serde_json::to_string(&message.media))
            .transpose()
            .map_err(|e| AppError::invalid("media", e))?;
        Ok(Some(Prepared {
            firm,
            record,
            matched: first.map(|m| (m.case_id, m.debtor_id)),
            classification,
            change,
            note,
            media_json,
        }))
    }

    /// What follows a stored text: re-planning after an opt-in, the keyword reply.
    async fn after_inbound(
        &self,
        message: &InboundMessage,
        p: Prepared,
        inserted: InboundInsert,
        delivery: ReplyDelivery,
    ) -> Result<InboundOutcome> {
        let firm = p.firm;
        let (message_id, consent, cancelled) = match inserted {
            InboundInsert::Duplicate { id } => {
                tracing::info!(firm = %firm, message_id = %id, "duplicate inbound text ignored");
                let reply = match delivery {
                    ReplyDelivery::Response => self.repeated_reply(message, &p, id).await?,
                    ReplyDelivery::Provider => None,
                };
                return Ok(InboundOutcome::Duplicate {
                    message_id: id,
                    reply,
                });
            }
            InboundInsert::Inserted {
                id,
                consent,
                cancelled_reminders,
            } => (id, consent, cancelled_reminders),
        };
        tracing::info!(
            firm = %firm,
            message_id = %message_id,
            case = %p
                .matched
                .map_or_else(|| "unmatched".to_owned(), |(c, _)| c.to_string()),
            intent = p.classification.intent().map_or("none", Intent::as_str),
            cancelled_reminders = cancelled,
            "inbound text stored"
        );

        // Opting back in brings back the reminders an opt-out cancelled.
        if matches!(&consent, Some(Applied::Changed(t)) if t.to == ConsentState::Subscribed) {
            for case_id in self
                .store
                .open_case_ids_with_mobile(firm, &message.from)
                .await?
            {
                self.replan_case(firm, case_id).await?;
            }
        }

        let reply_intent = match (&p.classification, &consent) {
            (_, Some(Applied::Changed(t))) if t.to == ConsentState::OptedOut => {
                Some(Intent::OptOut)
            }
            (_, Some(Applied::Changed(t))) if t.to == ConsentState::Subscribed => {
                Some(Intent::OptIn)
            }
            (Classification::Help { .. }, _) => Some(Intent::Help),
            _ => None,
        };
        let mut reply = None;
        if let Some((from, text)) =
            reply_intent.and_then(|intent| keyword_reply(message, &p, intent))
        {
            let from = &from;
            // The one confirmation an opt-out allows goes out even though the number is
            // now opted out: it is the answer to the client's own request.
            let reply_id = self
                .store
                .insert_outbound(
                    firm,
                    &NewOutbound {
                        case_id: p.matched.map(|(c, _)| c),
                        debtor_id: p.matched.map(|(_, d)| d),
                        from,
                        to: &message.from,
                        body: &text,
                        sent_by: SentBy::System,
                        reminder_key: None,
                        refusal: None,
                    },
                    self.now(),
                )
                .await?;
            match delivery {
                ReplyDelivery::Provider => {
                    self.deliver(firm, reply_id, from, &message.from, &text, None)
                        .await?;
                }
                ReplyDelivery::Response => {
                    self.store
                        .mark_sent_in_response(firm, reply_id, self.now())
                        .await?;
                }
            }
            reply = Some(text);
        }
        Ok(InboundOutcome::Stored {
            firm,
            message_id,
            case_id: p.matched.map(|(c, _)| c),
            classification: p.classification,
            consent,
            reply,
        })
    }

    /// The keyword reply a retried webhook repeats: that of its keyword, when the firm
    /// answers keywords and the first delivery was answered with it. For an opt-out or
    /// opt-in, that is when the text itself made the number's latest consent change and
    /// the change still holds (a STOP from a number already opted out was not answered).
    async fn repeated_reply(
        &self,
        message: &InboundMessage,
        p: &Prepared,
        original: MessageId,
    ) -> Result<Option<String>> {
        let Some(intent) = p.classification.intent() else {
            return Ok(None);
        };
        let holds = match intent {
            Intent::Help => true,
            Intent::OptOut | Intent::OptIn => {
                let wanted = if intent == Intent::OptOut {
                    ConsentState::OptedOut
                } else {
                    ConsentState::Subscribed
                };
                let stored = self.store.message(p.firm, original).await?;
                let consent = self.store.consent(p.firm, &message.from).await?;
                consent.state == wanted
                    && consent
                        .ledger
                        .last()
                        // The same instant, as the message stores it (milliseconds).
                        .is_some_and(|t| {
                            t.to == wanted
                                && t.at.timestamp_millis() == stored.created_at.timestamp_millis()
                        })
            }
        };
        Ok(holds
            .then(|| keyword_reply(message, p, intent))
            .flatten()
            .map(|(_, text)| text))
    }

    /// Applies a delivery-status update. A failure with Twilio's 21610 ("recipient
    /// opted out") also marks the number opted out.
    pub async fn delivery_status(
        &self,
        update: &casewire_provider::StatusUpdate,
    ) -> Result<casewire_store::StatusApplied> {
        let now = self.now();
        let applied = self
            .store
            .apply_status(
                &update.provider_id,
                update.status,
                update.error_code.map(i64::from),
                now,
            )
            .await?;
        if let (casewire_store::StatusApplied::Advanced { firm, to, .. }, Some(21610)) =
            (&applied, update.error_code)
        {
            let error = casewire_provider::SendError::RecipientOptedOut { code: Some(21610) };
            self.record_provider_opt_out(*firm, to, &error).await?;
        }
        Ok(applied)
    }

    /// Records an opt-out or opt-in that the firm took from the client by other means (a
    /// phone call, a letter): by staff member `user`, or through the firm's API when
    /// `user` is `None`.
    pub async fn record_staff_consent(
        &self,
        firm: FirmId,
        number: &casewire_model::PhoneNumber,
        to: ConsentState,
        user: Option<casewire_model::UserId>,
        note: Option<String>,
    ) -> Result<Applied> {
        let now = self.now();
        let method = match user {
            Some(user) => ConsentMethod::Staff { user, note },
            None => ConsentMethod::Api { note },
        };
        let change = ConsentChange {
            to,
            at: now,
            method,
            raw_text: None,
            via_number: None,
        };
        let (applied, _) = self.store.apply_consent(firm, number, change, now).await?;
        if matches!(&applied, Applied::Changed(t) if t.to == ConsentState::Subscribed) {
            for case_id in self.store.open_case_ids_with_mobile(firm, number).await? {
                self.replan_case(firm, case_id).await?;
            }
        }
        Ok(applied)
    }
}

/// The firm's answer to a keyword (number it leaves from, text), when the firm sends its
/// own. When the provider recognised the keyword itself (Twilio's default opt-out
/// handling), it has already answered: a second answer would confuse the client.
fn keyword_reply(
    message: &InboundMessage,
    p: &Prepared,
    intent: Intent,
) -> Option<(PhoneNumber, String)> {
    let record = &p.record;
    if record.settings.replies.mode != ReplyMode::Send || message.keyword_hint.is_some() {
        return None;
    }
    let from = if record.firm.owns_number(&message.to) {
        &message.to
    } else {
        &record.firm.primary_number().number
    };
    let text = record
        .settings
        .replies
        .reply_for(intent, record.firm.name(), from)?;
    Some((from.clone(), text))
}
