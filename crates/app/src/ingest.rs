//! Group commit for inbound texts: concurrent webhook requests are gathered into
//! batches, each stored with one durable write, so that a `200` can mean "stored
//! durably" without paying one disk flush per request.
//!
//! Under light load a batch is one request and nothing waits; under heavy load batches
//! grow by themselves: the requests that arrive while one batch is handled form the
//! next.
//!
//! On an SQLite file the pipeline runs on a thread of its own with a connection of its
//! own ([`InboundConnection`]), in one stage: take whatever requests are waiting (up to
//! `max_batch`), match their senders, store them, answer each. The
//! thread drives SQLite directly and blocks while the commit is flushed; with no
//! hand-offs left, the cost of a batch is SQLite's own work, and most of that (the
//! index pages a commit writes) falls per text as batches grow, which one stage lets
//! them do: every waiting request joins the next batch instead of being split between
//! a batch being read and one being written. A batch is one transaction, or two when it
//! holds texts that change consent: those follow in a second transaction through the
//! store, after the others are durable.
//!
//! Elsewhere (PostgreSQL, or an in-memory SQLite database) there are two stages on the
//! caller's runtime: one takes the waiting requests and reads what they need, a second
//! stores each prepared batch and answers, while the first is already reading the next.
//! The reader takes its next batch only once the writer has taken the previous one, so
//! requests are not split into small batches that each pay a whole commit. A
//! PostgreSQL connection's socket belongs to the runtime that opened it, and the pool
//! shares connections between the pipeline and everything else.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use tokio::sync::{mpsc, oneshot, watch};

use casewire_provider::InboundMessage;
use casewire_store::InboundConnection;

use crate::{App, AppError, InboundOutcome, ReplyDelivery, Result, inbound::PreparedBatch};

type Answer = oneshot::Sender<Result<InboundOutcome>>;
type Job = (InboundMessage, Answer);

/// A handle to the group-commit pipeline. Cheap to clone: one reference count.
#[derive(Clone, Debug)]
pub struct Ingest(Arc<Handle>);

#[derive(Debug)]
struct Handle {
    jobs: mpsc::Sender<Job>,
    running: watch::Receiver<()>,
    counts: Arc<Counts>,
}

/// How many batches the pipeline has handled, and how many texts they held.
#[derive(Debug, Default)]
struct Counts {
    batches: AtomicU64,
    texts: AtomicU64,
}

impl Counts {
    fn batch(&self, texts: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.texts.fetch_add(texts as u64, Ordering::Relaxed);
    }
}

/// What the pipeline has done so far: `texts / batches` is the mean batch size, which
/// grows with load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestCounts {
    /// Batches handled (failed ones included).
    pub batches: u64,
    /// Requests those batches held.
    pub texts: u64,
}

/// Resolves, through [`IngestStopped::wait`], once the pipeline has stopped: every [`Ingest`]
/// handle dropped and the batch in hand written and answered.
#[derive(Debug)]
pub struct IngestStopped(watch::Receiver<()>);

impl IngestStopped {
    /// Waits for the pipeline to stop.
    pub async fn wait(mut self) {
        // The pipeline holds the sender until its last batch is answered.
        while self.0.changed().await.is_ok() {}
    }
}

impl Ingest {
    /// Starts the pipeline: on an SQLite file on a thread of its own (`casewire-ingest`),
    /// elsewhere as a task of the current runtime. It stops when every handle is
    /// dropped. Fails only when the thread, its runtime or its SQLite connection cannot
    /// be created.
    pub fn start(app: App, delivery: ReplyDelivery, max_batch: usize) -> std::io::Result<Ingest> {
        let max_batch = max_batch.max(1);
        let (jobs, rx) = mpsc::channel::<Job>(max_batch * 4);
        let (running_tx, running) = watch::channel(());
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        let direct = app
            .store()
            .inbound_connection()
            .map_err(|e| std::io::Error::other(format!("opening the inbound connection: {e}")))?;
        match direct {
            Some(direct) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                std::thread::Builder::new()
                    .name("casewire-ingest".into())
                    .spawn(move || {
                        runtime.block_on(one_stage(app, delivery, max_batch, rx, direct, &counted));
                        drop(running_tx);
                    })?;
            }
            None => {
                tokio::spawn(async move {
                    two_stages(app, delivery, max_batch, rx, &counted).await;
                    drop(running_tx);
                });
            }
        }
        Ok(Ingest(Arc::new(Handle {
            jobs,
            running,
            counts,
        })))
    }

    /// Batches and texts handled so far.
    pub fn counts(&self) -> IngestCounts {
        IngestCounts {
            batches: self.0.counts.batches.load(Ordering::Relaxed),
            texts: self.0.counts.texts.load(Ordering::Relaxed),
        }
    }

    /// A handle that waits for the pipeline to stop (see [`IngestStopped`]).
    pub fn stopped(&self) -> IngestStopped {
        IngestStopped(self.0.running.clone())
    }

    /// Receives one text through the next batch; resolves once it is stored durably.
    pub async fn submit(&self, message: InboundMessage) -> Result<InboundOutcome> {
        let (tx, rx) = oneshot::channel();
        self.0
            .jobs
            .send((message, tx))
            .await
            .map_err(|_| AppError::Unavailable("the inbound task has stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Unavailable("the inbound task has stopped".into()))?
    }
}

/// One stage on the pipeline's own thread and connection, until every handle is
/// dropped.
async fn one_stage(
    app: App,
    delivery: ReplyDelivery,
    max_batch: usize,
    mut jobs: mpsc::Receiver<Job>,
    mut direct: InboundConnection,
    counts: &Counts,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while jobs.recv_many(&mut batch, max_batch).await > 0 {
        counts.batch(batch.len());
        let (messages, answers): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        // The batch's own statements block this thread; let the runtime's other tasks
        // (sqlx returning a connection to its pool, say) run between batches.
        tokio::task::yield_now().await;
        let result = match app.prepare_inbound_batch(messages, Some(&mut direct)).await {
            Ok(prepared) => {
                app.commit_inbound_batch(prepared, delivery, Some(&mut direct))
                    .await
            }
            Err(e) => Err(e),
        };
        answer(result, answers);
    }
}

/// Two stages on the caller's runtime, until every handle is dropped.
async fn two_stages(
    app: App,
    delivery: ReplyDelivery,
    max_batch: usize,
    mut jobs: mpsc::Receiver<Job>,
    counts: &Counts,
) {
    let (ready_tx, mut ready_rx) = mpsc::channel::<(Result<PreparedBatch>, Vec<Answer>)>(1);
    let reader = app.clone();
    let read = async move {
        let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
        // The slot first: while the writer still has a prepared batch waiting, requests
        // keep gathering for the next one.
        while let Ok(slot) = ready_tx.reserve().await {
            if jobs.recv_many(&mut batch, max_batch).await == 0 {
                break;
            }
            counts.batch(batch.len());
            let (messages, answers): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
            slot.send((reader.prepare_inbound_batch(messages, None).await, answers));
        }
    };
    let write = async move {
        while let Some((prepared, answers)) = ready_rx.recv().await {
            let result = match prepared {
                Ok(batch) => app.commit_inbound_batch(batch, delivery, None).await,
                Err(e) => Err(e),
            };
            answer(result, answers);
        }
    };
    tokio::join!(read, write);
}

/// Answers each request of a batch with its outcome, or all of them with the batch's
/// failure.
fn answer(result: Result<Vec<Result<InboundOutcome>>>, answers: Vec<Answer>) {
    match result {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, size = answers.len(), "storing a batch of inbound texts failed");
            let reason = e.to_string();
            for answer in answers {
                let _ = answer.send(Err(AppError::Unavailable(reason.clone())));
            }
        }
    }
}
