//! Health, readiness and metrics.

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use crate::{AppState, error::ApiError};

/// Liveness: the process answers.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus metrics: the counters, and the queues as gauges.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.app.store();
    let mut gauges = Vec::new();
    if let Ok(q) = store.reminder_queue(state.app.now()).await {
        gauges.push((
            "reminders_pending",
            "Reminders waiting or claimed.",
            q.pending as f64,
        ));
        gauges.push(("reminders_due", "Reminders due now.", q.due as f64));
        gauges.push((
            "reminders_oldest_due_lag_seconds",
            "How long the oldest due reminder has waited.",
            q.oldest_due_lag.as_secs_f64(),
        ));
    }
    if let Ok((pending, failed)) = store.email_queue().await {
        gauges.push((
            "emails_pending",
            "Notification emails waiting.",
            pending as f64,
        ));
        gauges.push((
            "emails_failed",
            "Notification emails that failed for good.",
            failed as f64,
        ));
    }
    let mut counters = Vec::new();
    if let Some(ingest) = &state.ingest {
        let counts = ingest.counts();
        counters.push((
            "inbound_batches_total",
            "Batches of inbound texts handled together.",
            counts.batches,
        ));
        counters.push((
            "inbound_batched_total",
            "Inbound webhook requests those batches held.",
            counts.texts,
        ));
    }
    let mut text = state.metrics.render(&counters, &gauges);
    if let Ok(backlogs) = store.number_backlogs(state.app.now()).await {
        use std::fmt::Write;
        let _ = writeln!(
            text,
            "# HELP casewire_number_backlog_seconds How far ahead a texting number's sends are booked at its rate.\n# TYPE casewire_number_backlog_seconds gauge"
        );
        for (number, ahead) in backlogs {
            // Firm texting numbers are the firm's public business numbers, not clients'.
            let _ = writeln!(
                text,
                "casewire_number_backlog_seconds{{number=\"{}\"}} {}",
                number.as_e164(),
                ahead.as_secs_f64()
            );
        }
    }
    ([("content-type", "text/plain; version=0.0.4")], text)
}

/// Any other path.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /openapi.json",
    )
}
