//! `kmsd-bench`: a load generator for kmsd.
//!
//! ```text
//! kmsd-bench run --endpoint http://127.0.0.1:4580 --op encrypt --connections 64 --duration 10 --ceiling
//! ```
//!
//! Signs every request with SigV4 up front (signatures stay valid 15 minutes), replays them
//! over keep-alive connections, and prints one JSON object: requests/s, p50/p99/p99.9, the
//! non-200 answers, and — with `--ceiling` — the same load against a minimal server on the same
//! machine (`kmsd-bench ceiling-server`, a child process) and kmsd's ratio to it.
#![forbid(unsafe_code)]

mod ceiling;
mod http_client;
mod load;
mod setup;
mod signer;

use clap::{Parser, Subcommand};
use setup::Operation;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "kmsd-bench", about = "Load generator for kmsd")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive load against a running kmsd.
    Run(RunArgs),
    /// Serve the fixed Encrypt-shaped answer (what `run --ceiling` measures against).
    CeilingServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    #[arg(long, default_value = "http://127.0.0.1:4580")]
    endpoint: String,
    /// The operation; repeat with `--op x --op y` for an even mix, or use `--mix`.
    #[arg(long, value_enum, default_values_t = vec![Operation::Encrypt])]
    op: Vec<Operation>,
    /// A weighted mix, e.g. `encrypt=3,decrypt=1` (overrides --op).
    #[arg(long)]
    mix: Option<String>,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of timed load (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// How many distinct keys the requests spread over.
    #[arg(long, default_value_t = 1)]
    keys: usize,
    #[arg(long, default_value_t = 64)]
    plaintext_bytes: usize,
    /// Also measure the ceiling server in the same run.
    #[arg(long)]
    ceiling: bool,
    /// Default: $AWS_ACCESS_KEY_ID, else the dev root `test`.
    #[arg(long)]
    access_key_id: Option<String>,
    /// Default: $AWS_SECRET_ACCESS_KEY, else `test`.
    #[arg(long)]
    secret_access_key: Option<String>,
    /// Default: $AWS_DEFAULT_REGION, else us-east-1.
    #[arg(long)]
    region: Option<String>,
}

fn parse_mix(args: &RunArgs) -> Result<Vec<(Operation, u32)>, String> {
    let Some(mix) = &args.mix else {
        return Ok(args.op.iter().map(|op| (*op, 1)).collect());
    };
    mix.split(',')
        .map(|part| {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let op = <Operation as clap::ValueEnum>::from_str(name.trim(), true)?;
            let weight = weight
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("bad weight in {part}"))?;
            Ok((op, weight.max(1)))
        })
        .collect()
}

/// A flag, else an environment variable, else a default.
fn setting(flag: &Option<String>, env: &str, default: &str) -> String {
    flag.clone()
        .or_else(|| std::env::var(env).ok())
        .unwrap_or_else(|| default.to_owned())
}

fn host_of(endpoint: &str) -> String {
    endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// Starts `kmsd-bench ceiling-server` and returns it with its address.
fn start_ceiling() -> Result<(std::process::Child, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("ceiling-server")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or("the ceiling server did not start")?
        .to_owned();
    Ok((child, addr))
}

async fn measure(addr: &str, requests: Arc<Vec<Vec<u8>>>, args: &RunArgs) -> load::Outcome {
    // A short warm-up: connections open, caches fill.
    let _ = load::run(
        addr,
        requests.clone(),
        args.connections,
        Duration::from_secs(1),
    )
    .await;
    load::run(
        addr,
        requests,
        args.connections,
        Duration::from_secs(args.duration),
    )
    .await
}

async fn run(args: RunArgs) -> Result<serde_json::Value, String> {
    let mix = parse_mix(&args)?;
    let addr = host_of(&args.endpoint);
    let signer = Arc::new(signer::Signer {
        host: addr.clone(),
        access_key_id: setting(&args.access_key_id, "AWS_ACCESS_KEY_ID", "test"),
        secret_access_key: setting(&args.secret_access_key, "AWS_SECRET_ACCESS_KEY", "test"),
        region: setting(&args.region, "AWS_DEFAULT_REGION", "us-east-1"),
    });
    eprintln!("preparing {} key(s) for {mix:?}…", args.keys);
    let requests = Arc::new(
        setup::prepare(
            &addr,
            signer,
            &mix,
            args.keys,
            args.plaintext_bytes,
            args.connections.min(32),
        )
        .await
        .map_err(|e| e.to_string())?,
    );
    let mut report = serde_json::json!({
        "endpoint": args.endpoint,
        "mix": mix.iter().map(|(op, w)| serde_json::json!({"op": format!("{op:?}"), "weight": w})).collect::<Vec<_>>(),
        "connections": args.connections,
        "duration_s": args.duration,
        "keys": args.keys,
        "plaintext_bytes": args.plaintext_bytes,
    });
    if args.ceiling {
        let (mut child, ceiling_addr) = start_ceiling()?;
        eprintln!("measuring the ceiling server at {ceiling_addr}…");
        let ceiling = measure(&ceiling_addr, requests.clone(), &args).await;
        let _ = child.kill();
        let _ = child.wait();
        report["ceiling"] = ceiling.to_json();
        eprintln!("measuring kmsd at {addr}…");
        let kmsd = measure(&addr, requests, &args).await;
        report["ratio_to_ceiling"] =
            serde_json::json!(((kmsd.rps() / ceiling.rps().max(1.0)) * 1000.0).round() / 1000.0);
        report["kmsd"] = kmsd.to_json();
    } else {
        eprintln!("measuring kmsd at {addr}…");
        report["kmsd"] = measure(&addr, requests, &args).await.to_json();
    }
    Ok(report)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kmsd-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Cmd::CeilingServer { listen } => match runtime.block_on(ceiling::serve(&listen)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kmsd-bench ceiling-server: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Run(args) => match runtime.block_on(run(args)) {
            Ok(report) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{report:#}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kmsd-bench: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
