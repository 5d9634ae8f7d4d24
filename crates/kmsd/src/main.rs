//! `kmsd`: the binary. Parses the command line and configuration, opens the keyring and the
//! store, and runs the server until SIGTERM.
#![forbid(unsafe_code)]

mod config;

use clap::{Parser, Subcommand};
use config::{Config, ServeArgs};
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "kmsd",
    version,
    about = "A key management service that speaks the AWS KMS API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match cli.command {
        Command::Serve(args) => Config::from_args(args).and_then(serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::from(2)
        }
    }
}

fn serve(config: Config) -> Result<(), config::ConfigError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| config::ConfigError::Io {
            what: "starting the runtime".into(),
            source: e,
        })?;
    runtime.block_on(run(config))
}

async fn run(config: Config) -> Result<(), config::ConfigError> {
    use config::ConfigError;
    if config.dev {
        eprintln!(
            "\n  ************************************************************************\n  \
             *  kmsd is running in DEVELOPMENT mode. NOT FOR PRODUCTION USE.        *\n  \
             *  Account 111122223333 with root credentials test / test, a movable   *\n  \
             *  service clock (POST /dev/advance-clock), loopback only.             *\n  \
             ************************************************************************\n"
        );
    }
    config.prepare_data_dir()?;
    let keyring = kmsd_keyring::FileKeyring::open_or_create(&config.domain_key_path())
        .map_err(ConfigError::Keyring)?;
    let store = Arc::new(
        kmsd_store::SqliteStore::open(&config.database_path()).map_err(ConfigError::Store)?,
    );
    let keyring: Arc<dyn kmsd_keyring::Keyring> = Arc::new(keyring);
    // A dev deployment's clock offset survives restarts (see ServiceClock).
    let clock = Arc::new(if config.dev {
        kmsd_service::ServiceClock::with_offset_file(config.data_dir.join("dev-clock-offset"))
            .map_err(|e| ConfigError::Io {
                what: "reading the dev clock offset".into(),
                source: e,
            })?
    } else {
        kmsd_service::ServiceClock::new()
    });
    let credentials = kmsd_service::CredentialDirectory::new(&config.accounts);
    let iam = Arc::new(kmsd_service::identity::Iam::new(
        store.clone(),
        keyring.clone(),
        clock.clone(),
    ));
    let sts = Arc::new(kmsd_service::sts::Sts::new(
        iam.clone(),
        keyring.clone(),
        clock.clone(),
    ));
    let kms = Arc::new(kmsd_service::Kms::new(
        store,
        keyring,
        clock,
        config.region.clone(),
        credentials,
        iam.clone(),
    ));
    // Work that came due while kmsd was down runs before the first request is served.
    let due = kms
        .run_due_jobs()
        .await
        .map_err(|e| ConfigError::Invalid(format!("running work that came due: {e}")))?;
    if due != kmsd_service::DueWork::default() {
        tracing::info!(
            rotations = due.rotations,
            deletions = due.deletions,
            "ran work that came due while stopped"
        );
    }
    let maintenance = kmsd_service::spawn_maintenance(kms.clone());
    let services = kmsd_server::Services {
        kms: kms.clone(),
        iam,
        sts,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ConfigError::Io {
            what: format!("binding {}", config.listen),
            source: e,
        })?;
    let local = listener.local_addr().map_err(|e| ConfigError::Io {
        what: "reading the bound address".into(),
        source: e,
    })?;
    tracing::info!(address = %local, region = %config.region, data_dir = %config.data_dir.display(), "kmsd ready");
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "kmsd listening on http://{local}");
        let _ = stdout.flush();
    }
    let options = kmsd_server::ServerOptions {
        dev_endpoints: config.dev,
        ..Default::default()
    };
    kmsd_server::serve(listener, services, options, shutdown_signal()).await;
    maintenance.abort();
    if let Err(e) = kms.flush_key_usage().await {
        tracing::error!(error = %e, "writing key usage at shutdown failed");
    }
    tracing::info!("kmsd stopped");
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
