//! The consent ledger per (firm, phone number): every transition kept, the current
//! state beside it for the send gate's fast look-up.

use casewire_compliance::{Applied, ConsentChange, ConsentState, Ledger, Transition};
use casewire_model::{FirmId, PhoneNumber};
use chrono::{DateTime, Utc};

use crate::{Result, Store, StoreError, corrupt, on_pool};

/// A number's consent: its current state and full history.
#[derive(Debug, Clone)]
pub struct ConsentRecord {
    /// The current state (subscribed when the number has no history).
    pub state: ConsentState,
    /// Every transition, oldest first.
    pub ledger: Ledger,
}

pub(crate) fn ledger_from(rows: Vec<String>) -> Result<Ledger> {
    let history = rows
        .iter()
        .map(|json| serde_json::from_str::<Transition>(json))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| corrupt("consent_transitions", "transition_json", e))?;
    Ledger::from_history(history).map_err(|e| corrupt("consent_transitions", "seq", e))
}

/// Applies a consent change inside an open transaction: reads the number's ledger,
/// runs the state machine, appends the transition and moves the current state. Two
/// concurrent changes to one number cannot both append the same sequence number: the
/// loser fails on the unique key and its transaction rolls back.
macro_rules! apply_consent_in {
    ($tx:expr, $firm:expr, $number:expr, $change:expr) => {
        async {
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT transition_json FROM consent_transitions
                 WHERE firm_id = $1 AND number = $2 ORDER BY seq",
            )
            .bind($firm.get())
            .bind($number.as_e164())
            .fetch_all(&mut *$tx)
            .await?;
            let seq = rows.len() as i64 + 1;
            let mut ledger = ledger_from(rows)?;
            let applied = ledger
                .apply($change)
                .map_err(|_| StoreError::Conflict("the consent change is dated before the number's last transition"))?;
            if let Applied::Changed(transition) = &applied {
                let json = serde_json::to_string(transition)
                    .map_err(|e| corrupt("consent_transitions", "transition_json", e))?;
                sqlx::query(
                    "INSERT INTO consent_transitions (firm_id, number, seq, transition_json)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind($firm.get())
                .bind($number.as_e164())
                .bind(seq)
                .bind(&json)
                .execute(&mut *$tx)
                .await
                .map_err(crate::conflict_on_unique("a concurrent consent change won; retry"))?;
                sqlx::query(
                    "INSERT INTO consent (firm_id, number, state, seq) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (firm_id, number) DO UPDATE SET state = excluded.state, seq = excluded.seq",
                )
                .bind($firm.get())
                .bind($number.as_e164())
                .bind(transition.to.as_str())
                .bind(seq)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<Applied, StoreError>(applied)
        }
        .await
    };
}
pub(crate) use apply_consent_in;

impl Store {
    /// A number's consent state and history with the firm.
    pub async fn consent(&self, firm: FirmId, number: &PhoneNumber) -> Result<ConsentRecord> {
        let rows: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT transition_json FROM consent_transitions
                 WHERE firm_id = $1 AND number = $2 ORDER BY seq",
            )
            .bind(firm.get())
            .bind(number.as_e164())
            .fetch_all(pool)
            .await?
        });
        let ledger = ledger_from(rows)?;
        Ok(ConsentRecord {
            state: ledger.state(),
            ledger,
        })
    }

    /// The current consent state of a number with the firm: the send gate's input.
    pub async fn consent_state(&self, firm: FirmId, number: &PhoneNumber) -> Result<ConsentState> {
        let state: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT state FROM consent WHERE firm_id = $1 AND number = $2")
                .bind(firm.get())
                .bind(number.as_e164())
                .fetch_optional(pool)
                .await?
        });
        match state {
            None => Ok(ConsentState::Subscribed),
            Some(s) => ConsentState::parse(&s).ok_or_else(|| corrupt("consent", "state", s)),
        }
    }

    /// [`Store::consent_state`] of several numbers with the firm, in one query.
    pub async fn consent_states(
        &self,
        firm: FirmId,
        numbers: &[PhoneNumber],
    ) -> Result<std::collections::HashMap<PhoneNumber, ConsentState>> {
        let mut out: std::collections::HashMap<PhoneNumber, ConsentState> = numbers
            .iter()
            .map(|n| (n.clone(), ConsentState::Subscribed))
            .collect();
        for chunk in numbers.chunks(500) {
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new("SELECT number, state FROM consent WHERE firm_id = ");
                q.push_bind(firm.get()).push(" AND number IN (");
                let mut list = q.separated(", ");
                for number in chunk {
                    list.push_bind(number.as_e164());
                }
                q.push(")");
                q.build_query_as().fetch_all(pool).await?
            });
            for (number, state) in rows {
                let number = PhoneNumber::parse_e164(&number)
                    .map_err(|e| corrupt("consent", "number", e))?;
                let state = ConsentState::parse(&state)
                    .ok_or_else(|| corrupt("consent", "state", &state))?;
                out.insert(number, state);
            }
        }
        Ok(out)
    }

    /// Applies a consent change (staff on a client's request, a provider's opt-out
    /// report) and, on opt-out, cancels the number's pending reminders with the firm.
    pub async fn apply_consent(
        &self,
        firm: FirmId,
        number: &PhoneNumber,
        change: ConsentChange,
        now: DateTime<Utc>,
    ) -> Result<(Applied, u64)> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let applied = apply_consent_in!(tx, firm, number, change)?;
            let mut cancelled = 0;
            if matches!(&applied, Applied::Changed(t) if t.to == ConsentState::OptedOut) {
                cancelled = crate::reminders::cancel_for_number_in!(tx, firm, number, "opted_out", now)?;
            }
            tx.commit().await?;
            Ok((applied, cancelled))
        })
    }
}
