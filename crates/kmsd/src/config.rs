//! Configuration in two stages (ripgrep style): the raw command line and TOML file, then one
//! validated [`Config`] that the rest of the binary trusts.

use clap::Args;
use kmsd_model::{AccountId, Region};
use kmsd_service::AccountConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The development account, known to LocalStack users.
const DEV_ACCOUNT: &str = "111122223333";
const DEFAULT_LISTEN: &str = "127.0.0.1:4580";
const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_DATA_DIR: &str = "kmsd-data";

/// `kmsd serve` flags. Flags override the configuration file.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:4580; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Directory for the database and the domain key (default ./kmsd-data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The region this deployment serves (default us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Development mode: account 111122223333 with root credentials test/test, the dev clock,
    /// loopback only. Never for production.
    #[arg(long)]
    dev: bool,
}

/// The configuration file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    /// `sqlite` (the default, in the data directory) or `sqlite:<path>`.
    storage_url: Option<String>,
    tls: Option<TlsConfig>,
    keyring: Option<KeyringConfig>,
    audit: Option<AuditFileConfig>,
    limits: Option<LimitsFileConfig>,
    #[serde(default)]
    accounts: Vec<FileAccount>,
}

/// `[limits]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct LimitsFileConfig {
    /// KMS requests per second per account (AWS's quotas); 0 turns the limit off.
    requests_per_second: Option<u32>,
}

/// `[audit]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct AuditFileConfig {
    /// `durable` (the default), `buffered` or `off`.
    durability: Option<String>,
    /// Durable only: how long a group commit under load may wait for more events before its
    /// fdatasync, in microseconds (default 1000; 0 commits at once).
    commit_delay_us: Option<u64>,
}

/// How the audit trail is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditMode {
    /// A request is answered only once its event is on disk (group commit). The default.
    Durable,
    /// Events are written in batches and synced every second: a crash loses the last ones.
    Buffered,
    /// No trail at all.
    Off,
}

impl AuditMode {
    fn parse(text: &str) -> Result<AuditMode, ConfigError> {
        match text {
            "durable" => Ok(AuditMode::Durable),
            "buffered" => Ok(AuditMode::Buffered),
            "off" => Ok(AuditMode::Off),
            other => Err(ConfigError::Invalid(format!(
                "[audit] durability '{other}' is not one of 'durable', 'buffered', 'off'"
            ))),
        }
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct TlsConfig {
    #[allow(dead_code)]
    cert: PathBuf,
    #[allow(dead_code)]
    key: PathBuf,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct KeyringConfig {
    /// `file` (the default).
    backend: String,
    /// Where the key file lives (default `<data-dir>/domain-key`).
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccount {
    id: String,
    root_access_key_id: String,
    root_secret_access_key: Zeroizing<String>,
}

impl std::fmt::Debug for FileAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAccount")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why kmsd cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("keyring: {0}")]
    Keyring(kmsd_keyring::KeyringError),
    #[error("store: {0}")]
    Store(kmsd_store::StoreError),
    #[error("audit trail: {0}")]
    Audit(kmsd_audit::AuditError),
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub region: Region,
    pub dev: bool,
    pub accounts: Vec<AccountConfig>,
    pub audit: AuditMode,
    /// `[audit] commit_delay_us`.
    pub audit_commit_delay: std::time::Duration,
    /// KMS requests per second per account; 0: unlimited.
    pub requests_per_second: u32,
    database_path: PathBuf,
    domain_key_path: PathBuf,
}

impl Config {
    pub fn from_args(args: ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let listen = args.listen.or(file.listen).unwrap_or_else(default_listen);
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let region_text = args
            .region
            .or(file.region)
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let region: Region = region_text
            .parse()
            .map_err(|_| ConfigError::Invalid(format!("'{region_text}' is not a region name")))?;
        if file.tls.is_some() {
            return Err(ConfigError::Invalid(
                "TLS termination is not built into this kmsd release; remove [tls] and put kmsd behind a TLS proxy".into(),
            ));
        }
        let database_path = match file.storage_url.as_deref() {
            None | Some("sqlite") => data_dir.join("kmsd.sqlite3"),
            Some(url) => match url.strip_prefix("sqlite:") {
                Some(path) if !path.is_empty() => PathBuf::from(path),
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "storage_url '{url}' is not supported; use 'sqlite' or 'sqlite:<path>' (PostgreSQL is not built in yet)"
                    )));
                }
            },
        };
        let domain_key_path = domain_key_path(file.keyring, &data_dir)?;
        let (durability, commit_delay_us) = match file.audit {
            Some(a) => (a.durability, a.commit_delay_us),
            None => (None, None),
        };
        let audit = match durability {
            None => AuditMode::Durable,
            Some(text) => AuditMode::parse(&text)?,
        };
        let audit_commit_delay = match commit_delay_us {
            None => kmsd_audit::AuditConfig::DEFAULT_COMMIT_DELAY,
            Some(us) if us <= 100_000 => std::time::Duration::from_micros(us),
            Some(us) => {
                return Err(ConfigError::Invalid(format!(
                    "[audit] commit_delay_us {us} is more than 100000 (a tenth of a second)"
                )));
            }
        };
        let requests_per_second = file
            .limits
            .and_then(|l| l.requests_per_second)
            .unwrap_or(kmsd_server::DEFAULT_REQUESTS_PER_SECOND);
        let mut accounts = Vec::new();
        for a in file.accounts {
            let id: AccountId = a.id.parse().map_err(|_| {
                ConfigError::Invalid(format!("account id '{}' is not 12 digits", a.id))
            })?;
            if a.root_access_key_id.is_empty() || a.root_secret_access_key.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "account {id} needs root credentials"
                )));
            }
            accounts.push(AccountConfig {
                id,
                root_access_key_id: a.root_access_key_id,
                root_secret_access_key: a.root_secret_access_key,
            });
        }
        if args.dev {
            if !listen.ip().is_loopback() {
                return Err(ConfigError::Invalid(format!(
                    "--dev serves well-known credentials and listens on loopback only, not {listen}"
                )));
            }
            accounts.push(AccountConfig {
                id: DEV_ACCOUNT
                    .parse()
                    .map_err(|_| ConfigError::Invalid("dev account".into()))?,
                root_access_key_id: "test".to_owned(),
                root_secret_access_key: Zeroizing::new("test".to_owned()),
            });
        }
        if accounts.is_empty() {
            return Err(ConfigError::Invalid(
                "no accounts: add [[accounts]] to the configuration file, or run with --dev".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &accounts {
            if !seen.insert(a.root_access_key_id.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "access key id {} is used by two accounts",
                    a.root_access_key_id
                )));
            }
        }
        Ok(Config {
            listen,
            data_dir,
            region,
            dev: args.dev,
            accounts,
            audit,
            audit_commit_delay,
            requests_per_second,
            database_path,
            domain_key_path,
        })
    }

    /// The audit trail's directory, `<data-dir>/audit`.
    pub fn audit_dir(&self) -> PathBuf {
        audit_dir(&self.data_dir)
    }

    pub fn database_path(&self) -> PathBuf {
        self.database_path.clone()
    }

    pub fn domain_key_path(&self) -> PathBuf {
        self.domain_key_path.clone()
    }

    /// Creates the data directory, readable by its owner only.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        create_private_dir(&self.data_dir)
    }
}

/// `kmsd audit verify` flags.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The data directory whose trail (`<DIR>/audit`) to check (default ./kmsd-data, or the
    /// configuration file's).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The configuration file the server runs with (for the data directory and key file).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Where `kmsd audit verify` looks.
#[derive(Debug)]
pub struct VerifyPaths {
    /// The trail directory.
    pub audit_dir: PathBuf,
    /// The domain key file, whose every version's digest key is accepted.
    pub domain_key_path: PathBuf,
}

impl VerifyPaths {
    pub fn from_args(args: VerifyArgs) -> Result<VerifyPaths, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        Ok(VerifyPaths {
            audit_dir: audit_dir(&data_dir),
            domain_key_path: domain_key_path(file.keyring, &data_dir)?,
        })
    }
}

fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

fn domain_key_path(
    keyring: Option<KeyringConfig>,
    data_dir: &Path,
) -> Result<PathBuf, ConfigError> {
    match keyring {
        None => Ok(data_dir.join("domain-key")),
        Some(k) if k.backend == "file" => Ok(k.path.unwrap_or_else(|| data_dir.join("domain-key"))),
        Some(k) => Err(ConfigError::Invalid(format!(
            "keyring backend '{}' is not supported; use 'file'",
            k.backend
        ))),
    }
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 4580)))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        what: format!("reading {}", path.display()),
        source: e,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        message: e.message().to_owned(),
    })
}

fn create_private_dir(dir: &Path) -> Result<(), ConfigError> {
    let io = |e| ConfigError::Io {
        what: format!("creating {}", dir.display()),
        source: e,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(io)?;
    Ok(())
}
