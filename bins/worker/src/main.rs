//! `casewire-worker`: sends due reminders and queued notification emails until told to
//! stop. Reads the same configuration as the server. Any number of workers (and servers
//! with the in-process worker on) can share one database: claims are leased rows, taken
//! with `FOR UPDATE SKIP LOCKED` on PostgreSQL and under SQLite's single writer.
//!
//! SIGTERM or ctrl-c: stop claiming, finish the batch in hand, hand back the claims not
//! started, exit 0.

// Standard output is this program's interface (the metrics address).
#![allow(clippy::print_stdout)]

/// Many small, short-lived allocations on many threads: mimalloc handles them without
/// the arena-lock contention of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use casewire_app::{App, SystemClock, WorkerPacing};
use casewire_config::Config;
use casewire_http::{AppState, Metrics};
use clap::Parser;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "casewire-worker",
    version,
    about = "Sends Casewire's due reminders and notification emails."
)]
struct Cli {
    /// A TOML configuration file; CASEWIRE_* environment variables override it.
    #[arg(long, short, env = "CASEWIRE_CONFIG")]
    config: Option<PathBuf>,
    /// Serve /metrics, /healthz and /readyz here instead of `worker.metrics_listen`
    /// (port 0 picks a free port).
    #[arg(long)]
    metrics_listen: Option<std::net::SocketAddr>,
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref(), std::env::vars())
        .context("reading the configuration")?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: not in files and log collectors.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let store = config.open_store().await.context("opening the database")?;
    let provider = config.provider().context("setting up the SMS provider")?;
    let mailer = config.mailer().context("setting up email")?;
    let id = casewire_config::instance_id("worker");
    let app = App::new(
        store,
        provider,
        Arc::new(SystemClock),
        config.app_config(id.clone())?,
    );
    let metrics = Arc::new(Metrics::default());

    let listen = cli.metrics_listen.unwrap_or(config.worker.metrics_listen);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let local = listener.local_addr()?;
    let state = AppState {
        app: app.clone(),
        ingest: None,
        twilio: None,
        metrics: metrics.clone(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http_stop = stop_tx.subscribe();
    let http = tokio::spawn(async move {
        let _ = axum::serve(listener, casewire_http::worker_router(state))
            .with_graceful_shutdown(async move {
                let _ = http_stop.changed().await;
            })
            .await;
    });
    println!("casewire-worker metrics on http://{local}");
    tracing::info!(worker = %id, %local, "worker started");

    let pacing = WorkerPacing {
        idle: config.idle(),
        ..WorkerPacing::default()
    };
    let worker_metrics = metrics.clone();
    let loop_app = app.clone();
    let worker = tokio::spawn(async move {
        loop_app
            .run_worker(mailer, pacing, stop_rx, |r, e| {
                worker_metrics.record_worker_step(r, e)
            })
            .await
    });
    casewire_config::shutdown_signal().await;
    tracing::info!("stopping: finishing the batch in hand, handing back the rest");
    let _ = stop_tx.send(true);
    let totals = worker.await.context("the worker task failed")?;
    let _ = http.await;
    tracing::info!(totals = %totals, "worker stopped");
    app.store().close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
