//! `kmsd`: the binary. Parses the command line and configuration, opens the keyring, the store
//! and the audit trail, and runs the server until SIGTERM; `kmsd audit verify` checks a trail.
#![forbid(unsafe_code)]

mod config;

/// mimalloc rather than glibc's malloc: on the request path (many short-lived allocations,
/// some freed on another thread than the one that made them, e.g. audit lines) glibc's
/// allocator took ~13 % of kmsd's CPU under load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use config::{AuditMode, Config, ServeArgs, VerifyArgs, VerifyPaths};
use kmsd_audit::{
    AuditConfig, AuditLog, DigestKeySet, DigestSigner, Durability, HmacDigestSigner, OpenReport,
};
use kmsd_keyring::{Keyring, KeyringError};
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

/// The purpose the audit trail's digest key is derived for (HKDF info `kmsd audit digest v<N>`).
const DIGEST_KEY_PURPOSE: &str = "kmsd audit digest";

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
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every chain link and digest signature of the trail in `<DIR>/audit`; exit 1,
    /// naming the file and line, if any record was edited, removed, reordered or inserted.
    Verify(VerifyArgs),
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
        Command::Audit(AuditCommand::Verify(args)) => return audit_verify(args),
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
    let audit = open_audit_trail(&config, keyring.as_ref()).await?;
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
        audit: audit.clone(),
        audit_dir: Some(config.audit_dir()),
        requests_per_second: config.requests_per_second,
        ..Default::default()
    };
    kmsd_server::serve(listener, services, options, shutdown_signal()).await;
    maintenance.abort();
    if let Err(e) = kms.flush_key_usage().await {
        tracing::error!(error = %e, "writing key usage at shutdown failed");
    }
    if let Some(log) = audit {
        match log.shutdown().await {
            Ok(head) => tracing::info!(
                file = head.file,
                sequence = head.sequence,
                head = head.hash,
                "audit trail sealed and closed"
            ),
            Err(e) => tracing::error!(error = %e, "closing the audit trail failed"),
        }
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

/// The signer of digest records under domain-key `version`.
fn digest_signer(
    keyring: &dyn Keyring,
    version: u32,
) -> Result<Arc<dyn DigestSigner>, KeyringError> {
    let key = keyring.derive_key(version, DIGEST_KEY_PURPOSE)?;
    Ok(Arc::new(HmacDigestSigner::new(
        format!("domain-key/v{version}"),
        &key,
    )))
}

/// Opens the trail in `<data-dir>/audit` (unless switched off), saying loudly when it is not
/// durable.
async fn open_audit_trail(
    config: &Config,
    keyring: &dyn Keyring,
) -> Result<Option<AuditLog>, config::ConfigError> {
    use config::ConfigError;
    let durability = match config.audit {
        AuditMode::Durable => Durability::Durable,
        AuditMode::Buffered => {
            eprintln!(
                "\n  ************************************************************************\n  \
                 *  WARNING: the audit trail is BUFFERED ([audit] durability).          *\n  \
                 *  Requests are answered before their events reach the disk: a crash   *\n  \
                 *  or power loss loses up to a second of audit events.                 *\n  \
                 ************************************************************************\n"
            );
            tracing::warn!("the audit trail is buffered: a crash loses the newest events");
            Durability::Buffered
        }
        AuditMode::Off => {
            eprintln!(
                "\n  ************************************************************************\n  \
                 *  WARNING: the audit trail is OFF ([audit] durability = \"off\").       *\n  \
                 *  No KMS, IAM or STS call is recorded. NOT FOR PRODUCTION USE.         *\n  \
                 ************************************************************************\n"
            );
            tracing::warn!("the audit trail is off: no call is recorded");
            return Ok(None);
        }
    };
    let signer = digest_signer(keyring, keyring.current_version()).map_err(ConfigError::Keyring)?;
    let mut audit_config = AuditConfig::new(config.audit_dir());
    audit_config.durability = durability;
    audit_config.commit_delay = config.audit_commit_delay;
    let (log, report) = tokio::task::spawn_blocking(move || AuditLog::open(audit_config, signer))
        .await
        .map_err(|e| ConfigError::Io {
            what: "opening the audit trail".into(),
            source: std::io::Error::other(e.to_string()),
        })?
        .map_err(ConfigError::Audit)?;
    log_open_report(&report, durability);
    Ok(Some(log))
}

fn log_open_report(report: &OpenReport, durability: Durability) {
    tracing::info!(
        file = report.file,
        next_sequence = report.next_sequence,
        created = report.created,
        %durability,
        "audit trail open"
    );
    if let Some(torn) = &report.torn_tail {
        tracing::warn!(
            file = torn.file,
            line = torn.line,
            bytes = torn.bytes,
            "cut away an unterminated last audit line (a crash mid-write; it was never acknowledged)"
        );
    }
    if report.sealed_events > 0 {
        tracing::warn!(
            events = report.sealed_events,
            "the audit trail ended with unsigned events (the previous run did not stop cleanly); sealed them with a digest"
        );
    }
    if report.completed_rotation {
        tracing::warn!("completed an audit file rotation a crash had interrupted");
    }
}

/// `kmsd audit verify`: 0 when the trail verifies, 1 when it was tampered with, 2 when it
/// cannot be checked.
fn audit_verify(args: VerifyArgs) -> ExitCode {
    let paths = match VerifyPaths::from_args(args) {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("kmsd: {e}");
            return ExitCode::from(2);
        }
    };
    // Never make a key here: checking with a new key would only say every digest is bad.
    if !paths.domain_key_path.is_file() {
        eprintln!(
            "kmsd: no domain key file at {}: the trail's digests cannot be checked without it",
            paths.domain_key_path.display()
        );
        return ExitCode::from(2);
    }
    if !paths.audit_dir.is_dir() {
        eprintln!("kmsd: no audit trail at {}", paths.audit_dir.display());
        return ExitCode::from(2);
    }
    let keyring = match kmsd_keyring::FileKeyring::open_or_create(&paths.domain_key_path) {
        Ok(keyring) => keyring,
        Err(e) => {
            eprintln!("kmsd: keyring: {e}");
            return ExitCode::from(2);
        }
    };
    let mut keys = DigestKeySet::default();
    for version in keyring.versions() {
        match digest_signer(&keyring, version) {
            Ok(signer) => keys.push(signer),
            Err(e) => {
                eprintln!("kmsd: keyring: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let dir = &paths.audit_dir;
    let mut out = std::io::stdout().lock();
    match kmsd_audit::verify_trail(dir, &keys) {
        Ok(report) => {
            let _ = writeln!(out, "audit trail {}: OK", dir.display());
            let _ = writeln!(
                out,
                "  {} file(s), {} line(s): {} event(s), {} digest(s); last sequence {}",
                report.files.len(),
                report.lines,
                report.events,
                report.digests,
                report.last_sequence
            );
            if let (Some(first), Some(last)) = (report.files.first(), report.files.last()) {
                let _ = writeln!(out, "  files: {first} .. {last}");
            }
            let _ = writeln!(out, "  head: {}", report.head_hash);
            let _ = writeln!(out, "  digests signed by: {}", report.key_ids.join(", "));
            if report.unsigned_events > 0 {
                let _ = writeln!(
                    out,
                    "  warning: {} event(s) after the newest digest are not signed yet (a running server signs them within seconds, and at shutdown)",
                    report.unsigned_events
                );
            }
            if let Some(torn) = &report.torn_tail {
                let _ = writeln!(
                    out,
                    "  warning: {} line {} is unterminated ({} bytes): a crash mid-write; the server cuts it away at its next start",
                    torn.file, torn.line, torn.bytes
                );
            }
            ExitCode::SUCCESS
        }
        Err(violation) => {
            let _ = writeln!(out, "audit trail {}: FAILED", dir.display());
            let _ = writeln!(out, "  {violation}");
            ExitCode::from(1)
        }
    }
}
