//! `casewire-server`: parses the configuration, wires the store, provider, mailer and
//! use-cases together, and serves the HTTP API and webhooks, with the reminder worker
//! in-process unless told otherwise. Also the admin CLI.

// Standard output is this program's interface (the listening address, API keys).
#![allow(clippy::print_stdout)]

/// Many small, short-lived allocations on many threads: mimalloc handles them without
/// the arena-lock contention of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result, bail};
use casewire_app::{
    App, FirmInput, InboundOutcome, Ingest, ReplyDelivery, SystemClock, TextingNumberInput,
    UserInput, WorkerPacing,
};
use casewire_config::Config;
use casewire_http::{AppState, LiveStreams, Metrics, TwilioWebhooks};
use casewire_model::{FirmId, NumberClass, PhoneNumber, Region};
use casewire_provider::{InboundMessage, ProviderMessageId};
use clap::{Parser, Subcommand};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "casewire-server",
    version,
    about = "Texting from inside a law firm's cases."
)]
struct Cli {
    /// A TOML configuration file; CASEWIRE_* environment variables override it.
    #[arg(long, short, global = true, env = "CASEWIRE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and webhooks (the default).
    Serve {
        /// Leave reminders and emails to separate `casewire-worker` processes.
        #[arg(long)]
        no_worker: bool,
        /// Listen on this address instead of the configured one (port 0 picks a free
        /// port).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage firms.
    #[command(subcommand)]
    Firm(FirmCommand),
    /// Manage the staff users who sign in to the web dashboard.
    #[command(subcommand)]
    User(UserCommand),
    /// Pretend a client texted one of a firm's numbers (for trying Casewire without a
    /// provider): stores the text as a webhook would.
    SimulateInbound {
        /// The client's number.
        #[arg(long)]
        from: String,
        /// The firm's texting number it was sent to.
        #[arg(long)]
        to: String,
        /// The text.
        #[arg(long)]
        body: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff user of a firm. The password is read from standard input (its
    /// first line), so it stays out of the shell's history and the process list.
    Create {
        /// The firm's id.
        #[arg(long)]
        firm: i64,
        /// The address the user signs in with.
        #[arg(long)]
        email: String,
        /// The user's name, shown on the texts they send.
        #[arg(long)]
        name: String,
        /// Read the password from standard input without prompting (the default when
        /// standard input is not a terminal).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// The first line of standard input, without its line ending; prompts on a terminal.
fn read_password(prompt: bool) -> Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if prompt && stdin.is_terminal() {
        eprint!("Password (shown as typed; pipe it in to keep it off the screen): ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

#[derive(Subcommand)]
enum FirmCommand {
    /// Create a firm and print its API key (shown once).
    Create {
        /// The firm's name.
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. America/Chicago.
        #[arg(long)]
        time_zone: String,
        /// A number the firm texts from (repeat for several).
        #[arg(long = "texting-number", required = true)]
        texting_numbers: Vec<String>,
        /// long_code (default), toll_free or short_code, for every texting number.
        #[arg(long, default_value = "long_code")]
        number_class: String,
        /// Where client replies are emailed unless a case says otherwise.
        #[arg(long)]
        notification_email: String,
        /// Region for numbers typed without a country code.
        #[arg(long, default_value = "US")]
        region: String,
    },
    /// Revoke a firm's API keys and print a new one.
    RotateKey {
        /// The firm's id.
        #[arg(long)]
        firm: i64,
    },
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: not in files and log collectors.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn build_app(config: &Config) -> Result<App> {
    let store = config.open_store().await.context("opening the database")?;
    let provider = config.provider().context("setting up the SMS provider")?;
    Ok(App::new(
        store,
        provider,
        Arc::new(SystemClock),
        config.app_config(casewire_config::instance_id("server"))?,
    ))
}

async fn serve(
    mut config: Config,
    no_worker: bool,
    listen: Option<std::net::SocketAddr>,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen.unwrap_or(config.listen))
        .await
        .with_context(|| format!("listening on {}", listen.unwrap_or(config.listen)))?;
    let local = listener.local_addr()?;
    config.listen = local;
    let app = build_app(&config).await?;
    let metrics = Arc::new(Metrics::default());
    let twilio = config
        .twilio_webhook_keys()?
        .map(|(auth_token, account_sid)| {
            Arc::new(TwilioWebhooks {
                auth_token,
                account_sid,
                public_url: config.public_url(),
            })
        });
    let ingest = Ingest::start(app.clone(), ReplyDelivery::Response, 512)
        .context("starting the inbound pipeline")?;
    let ingest_stopped = ingest.stopped();
    let state = AppState {
        app: app.clone(),
        ingest: Some(ingest),
        twilio,
        metrics: metrics.clone(),
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = (config.worker.enabled && !no_worker).then(|| {
        let mailer = config.mailer();
        let app = app.clone();
        let metrics = metrics.clone();
        let pacing = WorkerPacing {
            idle: config.idle(),
            ..WorkerPacing::default()
        };
        tokio::spawn(async move {
            let mailer = match mailer {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(error = %e, "the in-process worker cannot start");
                    return;
                }
            };
            let totals = app
                .run_worker(mailer, pacing, stop_rx, |r, e| {
                    metrics.record_worker_step(r, e)
                })
                .await;
            tracing::info!(totals = %totals, "in-process worker finished");
        })
    });
    if worker.is_some() {
        config.mailer().context("setting up email")?;
    }

    // The first line on stdout says where to reach the server (tests read it).
    println!("casewire-server listening on http://{local}");
    tracing::info!(
        %local,
        database = if config.database.url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        provider = ?config.provider,
        worker = worker.is_some(),
        "serving"
    );
    let live = LiveStreams::default();
    let router = casewire_http::router_with_live(state, live.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            casewire_config::shutdown_signal().await;
            // Open dashboard event streams never end by themselves.
            live.close();
        })
        .await
        .context("serving HTTP")?;
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        tracing::info!("shutting down: finishing the worker's batch in hand");
        let _ = worker.await;
    } else {
        tracing::info!("shutting down");
    }
    // Every webhook has been answered, so the inbound pipeline has no batch left; it
    // stops as soon as the last handle is gone.
    if tokio::time::timeout(Duration::from_secs(10), ingest_stopped.wait())
        .await
        .is_err()
    {
        tracing::warn!("the inbound pipeline did not stop within 10 s");
    }
    app.store().close().await;
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref(), std::env::vars())
        .context("reading the configuration")?;
    init_tracing(&config.log);
    match cli.command.unwrap_or(Command::Serve {
        no_worker: false,
        listen: None,
    }) {
        Command::Serve { no_worker, listen } => serve(config, no_worker, listen).await,
        Command::Migrate => {
            let store = config.open_store().await.context("opening the database")?;
            store.close().await;
            println!("database schema is up to date");
            Ok(())
        }
        Command::Firm(FirmCommand::Create {
            name,
            time_zone,
            texting_numbers,
            number_class,
            notification_email,
            region,
        }) => {
            let class = NumberClass::parse(&number_class)
                .with_context(|| format!("--number-class must be long_code, toll_free or short_code, got {number_class:?}"))?;
            let app = build_app(&config).await?;
            let (record, key) = app
                .create_firm(&FirmInput {
                    name,
                    time_zone,
                    region: Some(region),
                    texting_numbers: texting_numbers
                        .into_iter()
                        .map(|number| TextingNumberInput {
                            number,
                            class: Some(class),
                            rate: None,
                        })
                        .collect(),
                    notification_email,
                })
                .await?;
            println!("firm_id={}", record.firm.id());
            println!("api_key={}", key.token);
            eprintln!("Keep the API key safe: it is shown only once.");
            Ok(())
        }
        Command::User(UserCommand::Create {
            firm,
            email,
            name,
            password_stdin,
        }) => {
            let password = read_password(!password_stdin)?;
            let app = build_app(&config).await?;
            let user = app
                .create_user(
                    FirmId::new(firm),
                    &UserInput {
                        email,
                        name,
                        password,
                    },
                )
                .await?;
            println!("user_id={}", user.id);
            eprintln!("{} can now sign in at /sign-in.", user.email);
            Ok(())
        }
        Command::Firm(FirmCommand::RotateKey { firm }) => {
            let app = build_app(&config).await?;
            let key = app.rotate_api_key(FirmId::new(firm)).await?;
            println!("api_key={}", key.token);
            eprintln!("The firm's previous keys no longer work.");
            Ok(())
        }
        Command::SimulateInbound { from, to, body } => {
            let app = build_app(&config).await?;
            let from = PhoneNumber::parse(&from, Region::US).context("--from")?;
            let to = PhoneNumber::parse(&to, Region::US).context("--to")?;
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let message = InboundMessage {
                provider_id: ProviderMessageId::new(format!("SIM{nanos:x}"))?,
                from,
                to,
                body,
                media: Vec::new(),
                keyword_hint: None,
            };
            match app
                .receive_inbound(&message, ReplyDelivery::Provider)
                .await?
            {
                InboundOutcome::Stored {
                    message_id,
                    case_id,
                    classification,
                    ..
                } => {
                    println!(
                        "stored message {message_id} on {} ({})",
                        case_id.map_or("the unmatched inbox".to_owned(), |c| format!("case {c}")),
                        classification.intent().map_or("no keyword", |i| i.as_str())
                    );
                    Ok(())
                }
                InboundOutcome::Duplicate { message_id, .. } => {
                    println!("already stored as message {message_id}");
                    Ok(())
                }
                InboundOutcome::UnknownNumber => bail!("no firm texts from {}", message.to),
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
