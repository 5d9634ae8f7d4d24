//! Before the timed run: make the keys (and, for Decrypt, one ciphertext per key) and sign
//! the requests the run replays.

use crate::http_client::Connection;
use crate::signer::Signer;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;

/// The operations a run can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Operation {
    Encrypt,
    Decrypt,
    GenerateDataKey,
    Sign,
    GenerateMac,
    CreateKey,
}

impl Operation {
    fn key_spec(self) -> Option<(&'static str, &'static str)> {
        match self {
            Operation::Sign => Some(("ECC_NIST_P256", "SIGN_VERIFY")),
            Operation::GenerateMac => Some(("HMAC_256", "GENERATE_VERIFY_MAC")),
            Operation::CreateKey => None,
            _ => Some(("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Client(#[from] crate::http_client::ClientError),
    #[error("{operation} answered {status}: {body}")]
    Refused {
        operation: String,
        status: u16,
        body: String,
    },
    #[error("unexpected answer to {0}")]
    Unexpected(&'static str),
}

async fn call(
    conn: &mut Connection,
    signer: &Signer,
    operation: &str,
    body: &str,
) -> Result<serde_json::Value, SetupError> {
    let reply = conn
        .round_trip(&signer.kms_request(operation, body))
        .await?;
    if reply.status != 200 {
        return Err(SetupError::Refused {
            operation: operation.to_owned(),
            status: reply.status,
            body: String::from_utf8_lossy(&reply.body).into_owned(),
        });
    }
    serde_json::from_slice(&reply.body).map_err(|_| SetupError::Unexpected("non-JSON body"))
}

/// Signed requests for `operations` (cycled in the given weights) over `keys` keys.
pub async fn prepare(
    addr: &str,
    signer: Arc<Signer>,
    mix: &[(Operation, u32)],
    keys: usize,
    plaintext_bytes: usize,
    parallel: usize,
) -> Result<Vec<Vec<u8>>, SetupError> {
    let plaintext = STANDARD.encode(vec![b'x'; plaintext_bytes]);
    let mut per_op: Vec<(Operation, u32, Vec<Vec<u8>>)> = Vec::new();
    for &(op, weight) in mix {
        let requests = match op.key_spec() {
            None => vec![signer.kms_request("CreateKey", r#"{"Description":"kmsd-bench"}"#)],
            Some((spec, usage)) => {
                prepare_keys(
                    addr,
                    signer.clone(),
                    op,
                    spec,
                    usage,
                    keys,
                    &plaintext,
                    parallel,
                )
                .await?
            }
        };
        per_op.push((op, weight, requests));
    }
    // Interleave by weight: each round takes `weight` requests of each operation.
    let longest = per_op.iter().map(|(_, _, r)| r.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut cursor = vec![0usize; per_op.len()];
    let rounds = longest.max(1);
    for _ in 0..rounds {
        for (i, (_, weight, requests)) in per_op.iter().enumerate() {
            for _ in 0..*weight {
                out.push(requests[cursor[i] % requests.len()].clone());
                cursor[i] += 1;
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn prepare_keys(
    addr: &str,
    signer: Arc<Signer>,
    op: Operation,
    spec: &'static str,
    usage: &'static str,
    keys: usize,
    plaintext: &str,
    parallel: usize,
) -> Result<Vec<Vec<u8>>, SetupError> {
    let parallel = parallel.clamp(1, keys.max(1));
    let mut tasks = Vec::new();
    for worker in 0..parallel {
        let addr = addr.to_owned();
        let signer = signer.clone();
        let plaintext = plaintext.to_owned();
        let count = keys / parallel + usize::from(worker < keys % parallel);
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::open(&addr).await?;
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                let created = call(
                    &mut conn,
                    &signer,
                    "CreateKey",
                    &format!(r#"{{"KeySpec":"{spec}","KeyUsage":"{usage}","Description":"kmsd-bench"}}"#),
                )
                .await?;
                let key_id = created["KeyMetadata"]["KeyId"]
                    .as_str()
                    .ok_or(SetupError::Unexpected("CreateKey"))?
                    .to_owned();
                let request = match op {
                    Operation::Encrypt => signer.kms_request(
                        "Encrypt",
                        &format!(r#"{{"KeyId":"{key_id}","Plaintext":"{plaintext}"}}"#),
                    ),
                    Operation::GenerateDataKey => signer.kms_request(
                        "GenerateDataKey",
                        &format!(r#"{{"KeyId":"{key_id}","KeySpec":"AES_256"}}"#),
                    ),
                    Operation::Decrypt => {
                        let sealed = call(
                            &mut conn,
                            &signer,
                            "Encrypt",
                            &format!(r#"{{"KeyId":"{key_id}","Plaintext":"{plaintext}"}}"#),
                        )
                        .await?;
                        let blob = sealed["CiphertextBlob"]
                            .as_str()
                            .ok_or(SetupError::Unexpected("Encrypt"))?;
                        signer.kms_request("Decrypt", &format!(r#"{{"CiphertextBlob":"{blob}"}}"#))
                    }
                    Operation::Sign => signer.kms_request(
                        "Sign",
                        &format!(
                            r#"{{"KeyId":"{key_id}","Message":"{plaintext}","MessageType":"RAW","SigningAlgorithm":"ECDSA_SHA_256"}}"#
                        ),
                    ),
                    Operation::GenerateMac => signer.kms_request(
                        "GenerateMac",
                        &format!(
                            r#"{{"KeyId":"{key_id}","Message":"{plaintext}","MacAlgorithm":"HMAC_SHA_256"}}"#
                        ),
                    ),
                    Operation::CreateKey => return Err(SetupError::Unexpected("CreateKey keys")),
                };
                out.push(request);
            }
            Ok::<_, SetupError>(out)
        }));
    }
    let mut all = Vec::with_capacity(keys);
    for task in tasks {
        match task.await {
            Ok(result) => all.extend(result?),
            Err(_) => return Err(SetupError::Unexpected("a setup task panicked")),
        }
    }
    Ok(all)
}
