//! Boots a real `kmsd` process per test and hands out SDK clients for it.
//!
//! Contract relied on (see the project's design brief):
//! `kmsd serve --dev --listen 127.0.0.1:0 --data-dir DIR` prints exactly one line to stdout,
//! `kmsd listening on http://127.0.0.1:<port>`, once it is ready; logs go to stderr. The dev
//! account is `111122223333` with root credentials `test` / `test` in `us-east-1`.

use std::collections::hash_map::RandomState;
use std::fmt::Debug;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_kms::Client;
use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::types::Tag;
use tempfile::TempDir;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
const READY_PREFIX: &str = "kmsd listening on ";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// A running (or stopped, between restarts) kmsd process with its own directory.
///
/// Layout of the temporary root: `data/` is the `--data-dir`; `kmsd-<n>.log` is the stderr
/// of the n-th boot. Scanning the root therefore covers both the stored state and the logs.
pub struct Kmsd {
    child: Option<Child>,
    endpoint: String,
    root: TempDir,
    boots: u32,
    stdout_lines: Arc<AtomicUsize>,
    env: Vec<(String, String)>,
}

impl Kmsd {
    /// Boots a server on a fresh temporary directory.
    pub fn start() -> Kmsd {
        Kmsd::start_in(tempfile::tempdir().expect("create temp dir"))
    }

    /// Boots a server whose data directory is `root/data`.
    pub fn start_in(root: TempDir) -> Kmsd {
        Kmsd::start_with_env(root, &[])
    }

    /// Boots with extra environment variables (kept for restarts), e.g. `RUST_LOG`.
    pub fn start_with_env(root: TempDir, env: &[(&str, &str)]) -> Kmsd {
        std::fs::create_dir_all(root.path().join("data")).expect("create data dir");
        let mut kmsd = Kmsd {
            child: None,
            endpoint: String::new(),
            root,
            boots: 0,
            stdout_lines: Arc::new(AtomicUsize::new(0)),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        kmsd.boot();
        kmsd
    }

    /// `--config <root>/kmsd.toml` when the test wrote one (e.g. to add accounts).
    fn config_args(&self) -> Vec<PathBuf> {
        let config = self.root.path().join("kmsd.toml");
        if config.exists() {
            vec!["--config".into(), config]
        } else {
            Vec::new()
        }
    }

    /// `host:port` of the listener.
    pub fn addr(&self) -> &str {
        self.endpoint
            .strip_prefix("http://")
            .expect("endpoint is http://")
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// Lines the current boot has written to stdout so far.
    pub fn stdout_lines(&self) -> usize {
        self.stdout_lines.load(Ordering::SeqCst)
    }

    /// A client for the dev account's root user (`test` / `test`).
    pub fn client(&self) -> Client {
        self.client_with("test", "test")
    }

    /// A client signing with arbitrary credentials.
    pub fn client_with(&self, access_key: &str, secret: &str) -> Client {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                access_key,
                secret,
                None,
                None,
                "kmsd-test",
            ))
            // A 5xx must show up as a failure at once, not after back-off retries.
            .retry_config(RetryConfig::disabled())
            // A hang must fail the test instead of blocking it forever.
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// SIGKILL (`kill -9`) and reap. Nothing gets a chance to flush.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("kmsd is not running");
        child.kill().expect("SIGKILL kmsd");
        child.wait().expect("reap kmsd");
    }

    /// SIGTERM, wait for the exit and assert that it was a clean one.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("kmsd is not running");
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill -TERM");
        assert!(sent.success(), "kill -TERM failed: {sent}");
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait kmsd") {
                assert!(
                    status.success(),
                    "kmsd exited with {status} after SIGTERM; log:\n{}",
                    self.log_tail()
                );
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kmsd did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM; log:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Boots again on the same data directory (terminating first if still running). The port
    /// changes, so clients made before the restart are stale: make new ones.
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.terminate();
        }
        self.boot();
    }

    fn boot(&mut self) {
        assert!(self.child.is_none(), "kmsd is already running");
        self.boots += 1;
        let log = File::create(self.log_path(self.boots)).expect("create log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kmsd"))
            .arg("serve")
            .arg("--dev")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(self.config_args())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn kmsd");

        // Read stdout on a thread for the whole life of the process so the pipe never fills.
        let stdout = child.stdout.take().expect("stdout is piped");
        let lines = Arc::new(AtomicUsize::new(0));
        self.stdout_lines = Arc::clone(&lines);
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        lines.fetch_add(1, Ordering::SeqCst);
                        // Only the first line matters; later sends fail harmlessly.
                        let _ = tx.send(line.trim_end().to_owned());
                    }
                }
            }
        });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let first = loop {
            match rx.recv_timeout(Duration::from_millis(25)) {
                Ok(line) => break line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = child.try_wait().expect("try_wait kmsd") {
                        panic!(
                            "kmsd exited ({status}) before it was ready; log:\n{}",
                            self.log_tail()
                        );
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!(
                            "kmsd printed nothing within {STARTUP_TIMEOUT:?}; log:\n{}",
                            self.log_tail()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("reap kmsd");
                    panic!(
                        "kmsd closed stdout without a ready line ({status}); log:\n{}",
                        self.log_tail()
                    );
                }
            }
        };
        let Some(endpoint) = first.strip_prefix(READY_PREFIX) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("first stdout line is not `{READY_PREFIX}http://…`: {first:?}");
        };
        let port = endpoint
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok());
        assert!(
            matches!(port, Some(p) if p != 0),
            "ready line must name the bound 127.0.0.1 port: {first:?}"
        );
        self.endpoint = endpoint.to_owned();
        self.child = Some(child);
    }

    fn log_path(&self, boot: u32) -> PathBuf {
        self.root.path().join(format!("kmsd-{boot}.log"))
    }

    /// The end of every boot's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut all = String::new();
        for boot in 1..=self.boots {
            if let Ok(text) = std::fs::read_to_string(self.log_path(boot)) {
                all.push_str(&format!("--- boot {boot} ---\n{text}"));
            }
        }
        const KEEP: usize = 8000;
        if all.len() > KEEP {
            let mut cut = all.len() - KEEP;
            while !all.is_char_boundary(cut) {
                cut += 1;
            }
            all = format!("…{}", &all[cut..]);
        }
        all
    }

    /// A plain HTTP/1.1 request without signing, for the non-AWS endpoints.
    pub fn http(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Http {
        http_request(self.addr(), method, path, headers, body)
    }
}

impl Drop for Kmsd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("kmsd log (test failed):\n{}", self.log_tail());
        }
    }
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct Http {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Http {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Http {
    let mut stream = TcpStream::connect(addr).expect("connect to kmsd");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("set read timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("write request");
    stream.write_all(body).expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");

    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Http {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]).into_owned();
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).expect("chunk size");
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Expectations on errors

/// What a failed call told the client.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub status: u16,
}

/// Unwraps the service error of a call that must fail. Transport and parse failures are test
/// failures: the server must always answer with a well-formed AWS error.
#[track_caller]
pub fn failure<T: Debug, E>(result: Result<T, SdkError<E>>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(value) => panic!("expected an error, got success: {value:?}"),
        Err(err) => match &err {
            SdkError::ServiceError(service) => Failure {
                code: service.err().code().unwrap_or_default().to_owned(),
                message: service.err().message().unwrap_or_default().to_owned(),
                status: service.raw().status().as_u16(),
            },
            _ => panic!(
                "expected a service error, got: {}",
                DisplayErrorContext(&err)
            ),
        },
    }
}

/// Asserts the call failed with HTTP 400 and error code `code`; returns the message.
#[track_caller]
pub fn expect_error<T: Debug, E>(result: Result<T, SdkError<E>>, code: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = failure(result);
    assert_eq!(
        failure.code, code,
        "wrong error code (message: {:?})",
        failure.message
    );
    // AWS sends every modelled KMS client error with 400, except DryRunOperation (412).
    let status = if code == "DryRunOperationException" {
        412
    } else {
        400
    };
    assert_eq!(
        failure.status, status,
        "{code} must be sent with HTTP {status} (message: {:?})",
        failure.message
    );
    failure.message
}

/// Asserts the call failed with one of `codes` (where AWS's exact code is not pinned down).
#[track_caller]
pub fn expect_error_in<T: Debug, E>(result: Result<T, SdkError<E>>, codes: &[&str]) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = failure(result);
    assert!(
        codes.contains(&failure.code.as_str()),
        "expected one of {codes:?}, got {failure:?}"
    );
    assert_eq!(
        failure.status, 400,
        "client errors use HTTP 400: {failure:?}"
    );
    failure
}

/// Unwraps a call that must succeed, printing the full error chain otherwise.
#[track_caller]
pub fn ok<T, E>(result: Result<T, SdkError<E>>) -> T
where
    E: std::error::Error + 'static,
{
    match result {
        Ok(value) => value,
        Err(err) => panic!("call failed: {}", DisplayErrorContext(&err)),
    }
}

// ---------------------------------------------------------------------------------------------
// Small conveniences

pub fn key_arn(key_id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}")
}

pub fn alias_arn(alias_name: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:{alias_name}")
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .expect("tag has key and value")
}

/// Random 64 bits from the std hasher's per-process random keys (no RNG dependency needed).
pub fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}

/// A random lowercase v4 UUID no server has seen.
pub fn random_uuid() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// A short random suffix for names.
pub fn unique() -> String {
    format!("{:012x}", random_u64() & 0xffff_ffff_ffff)
}

pub fn is_lowercase_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Creates a default symmetric key and returns its key ID.
pub async fn create_key(kms: &Client) -> String {
    let out = ok(kms.create_key().send().await);
    out.key_metadata()
        .expect("CreateKey returns KeyMetadata")
        .key_id()
        .to_owned()
}

/// Creates a key with an alias `alias/<prefix>-<random>`; returns (key ID, alias name).
pub async fn create_key_with_alias(kms: &Client, prefix: &str) -> (String, String) {
    let key_id = create_key(kms).await;
    let alias = format!("alias/{prefix}-{}", unique());
    ok(kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&key_id)
        .send()
        .await);
    (key_id, alias)
}
