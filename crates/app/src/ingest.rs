//! Group commit for inbound texts: concurrent webhook requests are gathered into
//! batches, each stored with one durable write, so that a `200` can mean "stored
//! durably" without paying one disk flush per request.
//!
//! One task takes whatever requests are waiting (up to `max_batch`) and reads what they
//! need; a second stores each prepared batch in one transaction and answers each
//! request, while the first is already reading the next batch. Under light load a
//! batch is one request and nothing waits; under heavy load batches grow by themselves
//! while the previous one is being written.

use tokio::sync::{mpsc, oneshot};

use casewire_provider::InboundMessage;

use crate::{App, AppError, InboundOutcome, ReplyDelivery, Result, inbound::PreparedBatch};

type Answer = oneshot::Sender<Result<InboundOutcome>>;
type Job = (InboundMessage, Answer);

/// A handle to the group-commit task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ingest {
    jobs: mpsc::Sender<Job>,
}

impl Ingest {
    /// Starts the task. It stops when every handle is dropped.
    pub fn start(app: App, delivery: ReplyDelivery, max_batch: usize) -> Ingest {
        let max_batch = max_batch.max(1);
        let (jobs, mut rx) = mpsc::channel::<Job>(max_batch * 4);
        // Two stages, so that the next batch is read while the previous one is written:
        // the reader prepares (matching, classifying, rendering), the writer commits.
        let (ready_tx, mut ready_rx) = mpsc::channel::<(Result<PreparedBatch>, Vec<Answer>)>(1);
        let reader = app.clone();
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
            while rx.recv_many(&mut batch, max_batch).await > 0 {
                let (messages, answers): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
                let prepared = reader.prepare_inbound_batch(messages).await;
                if ready_tx.send((prepared, answers)).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            while let Some((prepared, answers)) = ready_rx.recv().await {
                let result = match prepared {
                    Ok(batch) => {
                        let size = batch.len();
                        app.commit_inbound_batch(batch, delivery)
                            .await
                            .map_err(|e| (e, size))
                    }
                    Err(e) => Err((e, answers.len())),
                };
                match result {
                    Ok(outcomes) => {
                        for (answer, outcome) in answers.into_iter().zip(outcomes) {
                            let _ = answer.send(outcome);
                        }
                    }
                    Err((e, size)) => {
                        tracing::error!(error = %e, size, "storing a batch of inbound texts failed");
                        let reason = e.to_string();
                        for answer in answers {
                            let _ = answer.send(Err(AppError::Unavailable(reason.clone())));
                        }
                    }
                }
            }
        });
        Ingest { jobs }
    }

    /// Receives one text through the next batch; resolves once it is stored durably.
    pub async fn submit(&self, message: InboundMessage) -> Result<InboundOutcome> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send((message, tx))
            .await
            .map_err(|_| AppError::Unavailable("the inbound task has stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Unavailable("the inbound task has stopped".into()))?
    }
}
