//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

use super::wire;
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_model::{DataKeySpec, EncryptionAlgorithm};
use kmsd_service::operations::{
    DataKeyLength, DecryptRequest, EncryptRequest, GenerateDataKeyRequest, GenerateRandomRequest,
    ReEncryptRequest,
};
use kmsd_service::{Kms, KmsError, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(super) type ContextWire = Option<BTreeMap<String, Value>>;

fn algorithm(
    v: &mut Validator,
    member: &str,
    value: &Option<String>,
) -> Option<EncryptionAlgorithm> {
    value.as_deref().and_then(|a| {
        v.enumerated::<EncryptionAlgorithm>(member, a, EncryptionAlgorithm::wire_values())
    })
}

/// Nitro Enclaves attestation (`Recipient`) needs an enclave; refuse it rather than ignore it.
pub(super) fn refuse_recipient(recipient: &Option<Value>) -> Result<(), KmsError> {
    if recipient.is_some() {
        return Err(KmsError::UnsupportedOperation(
            "Recipient (AWS Nitro Enclaves attestation) is not supported by kmsd.".to_owned(),
        ));
    }
    Ok(())
}

fn dry_run_modifiers(v: &mut Validator, value: &Option<Vec<String>>) {
    for (i, m) in value.iter().flatten().enumerate() {
        let member = format!("dryRunModifiers.{}.member", i + 1);
        v.pattern(&member, m, m == "IGNORE_CIPHERTEXT", "[IGNORE_CIPHERTEXT]");
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EncryptWire {
    key_id: Option<String>,
    plaintext: Option<String>,
    encryption_context: ContextWire,
    grant_tokens: Option<Vec<String>>,
    encryption_algorithm: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn encrypt(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: EncryptWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let plaintext = match v.required("plaintext", &w.plaintext) {
        Some(p) => Some(wire::secret_blob("Plaintext", p)?),
        None => None,
    };
    if let Some(p) = &plaintext {
        v.secret_length("plaintext", p.len(), 1, 4096);
    }
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    let encryption_algorithm = algorithm(&mut v, "encryptionAlgorithm", &w.encryption_algorithm);
    v.finish()?;
    let req = EncryptRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        plaintext: plaintext.unwrap_or_default(),
        encryption_context: wire::encryption_context(w.encryption_context)?,
        encryption_algorithm,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.encrypt(ctx, req).await?;
    Ok(json!({
        "CiphertextBlob": wire::encode_blob(&out.ciphertext_blob),
        "KeyId": out.key_arn,
        "EncryptionAlgorithm": out.encryption_algorithm.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DecryptWire {
    ciphertext_blob: Option<String>,
    encryption_context: ContextWire,
    grant_tokens: Option<Vec<String>>,
    key_id: Option<String>,
    encryption_algorithm: Option<String>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
    dry_run_modifiers: Option<Vec<String>>,
}

fn ciphertext(
    v: &mut Validator,
    member: &str,
    value: &Option<String>,
) -> Result<Vec<u8>, ApiError> {
    let blob = match v.required(member, value) {
        Some(b) => wire::blob("CiphertextBlob", b)?,
        None => Vec::new(),
    };
    if value.is_some() {
        v.secret_length(member, blob.len(), 1, 6144);
    }
    Ok(blob)
}

pub(crate) async fn decrypt(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: DecryptWire = wire::decode(body)?;
    let mut v = Validator::new();
    let blob = ciphertext(&mut v, "ciphertextBlob", &w.ciphertext_blob)?;
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, false);
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    let encryption_algorithm = algorithm(&mut v, "encryptionAlgorithm", &w.encryption_algorithm);
    dry_run_modifiers(&mut v, &w.dry_run_modifiers);
    v.finish()?;
    refuse_recipient(&w.recipient)?;
    let req = DecryptRequest {
        ciphertext_blob: blob,
        encryption_context: wire::encryption_context(w.encryption_context)?,
        key_id: key_id.map(wire::key_reference).transpose()?,
        encryption_algorithm,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.decrypt(ctx, req).await?;
    let mut response = json!({
        "KeyId": out.key_arn,
        "Plaintext": wire::encode_blob(&out.plaintext),
        "EncryptionAlgorithm": out.encryption_algorithm.as_str(),
    });
    if let Some(id) = out.key_material_id {
        response["KeyMaterialId"] = id.to_string().into();
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReEncryptWire {
    ciphertext_blob: Option<String>,
    source_encryption_context: ContextWire,
    source_key_id: Option<String>,
    destination_key_id: Option<String>,
    destination_encryption_context: ContextWire,
    source_encryption_algorithm: Option<String>,
    destination_encryption_algorithm: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
    dry_run_modifiers: Option<Vec<String>>,
}

pub(crate) async fn re_encrypt(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: ReEncryptWire = wire::decode(body)?;
    let mut v = Validator::new();
    let blob = ciphertext(&mut v, "ciphertextBlob", &w.ciphertext_blob)?;
    let source = wire::key_id_member(&mut v, "sourceKeyId", &w.source_key_id, false);
    let destination = wire::key_id_member(&mut v, "destinationKeyId", &w.destination_key_id, true);
    let source_algorithm = algorithm(
        &mut v,
        "sourceEncryptionAlgorithm",
        &w.source_encryption_algorithm,
    );
    let destination_algorithm = algorithm(
        &mut v,
        "destinationEncryptionAlgorithm",
        &w.destination_encryption_algorithm,
    );
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    dry_run_modifiers(&mut v, &w.dry_run_modifiers);
    v.finish()?;
    let req = ReEncryptRequest {
        ciphertext_blob: blob,
        source_encryption_context: wire::encryption_context(w.source_encryption_context)?,
        source_key_id: source.map(wire::key_reference).transpose()?,
        destination_key_id: wire::key_reference(destination.unwrap_or_default())?,
        destination_encryption_context: wire::encryption_context(w.destination_encryption_context)?,
        source_encryption_algorithm: source_algorithm,
        destination_encryption_algorithm: destination_algorithm,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.re_encrypt(ctx, req).await?;
    let mut response = json!({
        "CiphertextBlob": wire::encode_blob(&out.ciphertext_blob),
        "SourceKeyId": out.source_key_arn,
        "KeyId": out.key_arn,
        "SourceEncryptionAlgorithm": out.source_encryption_algorithm.as_str(),
        "DestinationEncryptionAlgorithm": out.destination_encryption_algorithm.as_str(),
    });
    if let Some(id) = out.source_key_material_id {
        response["SourceKeyMaterialId"] = id.to_string().into();
    }
    if let Some(id) = out.destination_key_material_id {
        response["DestinationKeyMaterialId"] = id.to_string().into();
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateDataKeyWire {
    key_id: Option<String>,
    encryption_context: ContextWire,
    number_of_bytes: Option<i64>,
    key_spec: Option<String>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

fn data_key_request(
    kms: &Kms,
    body: &[u8],
) -> Result<(GenerateDataKeyRequest, Option<Value>), ApiError> {
    let w: GenerateDataKeyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let bytes = w
        .number_of_bytes
        .and_then(|n| v.range("numberOfBytes", n, 1, 1024));
    let spec = w
        .key_spec
        .as_deref()
        .and_then(|s| v.enumerated::<DataKeySpec>("keySpec", s, DataKeySpec::wire_values()));
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let length = match (
        spec,
        bytes,
        w.key_spec.is_some() && w.number_of_bytes.is_some(),
    ) {
        (Some(spec), None, false) => DataKeyLength::Spec(spec),
        (None, Some(n), false) => DataKeyLength::Bytes(n),
        _ => {
            return Err(
                KmsError::validation("Please specify either number of bytes or key spec.").into(),
            );
        }
    };
    let req = GenerateDataKeyRequest {
        key_id: wire::key_reference(key_id.unwrap_or_default())?,
        encryption_context: wire::encryption_context(w.encryption_context)?,
        length,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    Ok((req, w.recipient))
}

pub(crate) async fn generate_data_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (req, recipient) = data_key_request(kms, body)?;
    refuse_recipient(&recipient)?;
    let out = kms.generate_data_key(ctx, req).await?;
    Ok(json!({
        "CiphertextBlob": wire::encode_blob(&out.ciphertext_blob),
        "Plaintext": wire::encode_blob(out.plaintext.as_deref().map(|p| &p[..]).unwrap_or_default()),
        "KeyId": out.key_arn,
        "KeyMaterialId": out.key_material_id.to_string(),
    }))
}

pub(crate) async fn generate_data_key_without_plaintext(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (req, _) = data_key_request(kms, body)?;
    let out = kms.generate_data_key_without_plaintext(ctx, req).await?;
    Ok(json!({
        "CiphertextBlob": wire::encode_blob(&out.ciphertext_blob),
        "KeyId": out.key_arn,
        "KeyMaterialId": out.key_material_id.to_string(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateRandomWire {
    number_of_bytes: Option<i64>,
    custom_key_store_id: Option<String>,
    recipient: Option<Value>,
}

pub(crate) async fn generate_random(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: GenerateRandomWire = wire::decode(body)?;
    let mut v = Validator::new();
    let n = w
        .number_of_bytes
        .and_then(|n| v.range("numberOfBytes", n, 1, 1024));
    if let Some(id) = &w.custom_key_store_id {
        v.length("customKeyStoreId", id, 1, 64);
    }
    v.finish()?;
    let Some(number_of_bytes) = n else {
        return Err(KmsError::validation("NumberOfBytes is required.").into());
    };
    refuse_recipient(&w.recipient)?;
    let req = GenerateRandomRequest {
        number_of_bytes,
        custom_key_store_id: w.custom_key_store_id,
    };
    let bytes = kms.generate_random(ctx, req).await?;
    Ok(json!({ "Plaintext": wire::encode_blob(&bytes) }))
}
