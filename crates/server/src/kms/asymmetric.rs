//! Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret,
//! GenerateDataKeyPair(WithoutPlaintext).

use super::crypto::{ContextWire, refuse_recipient};
use super::keys::algorithm_lists;
use super::wire;
use crate::error::ApiError;
use crate::validate::Validator;
use kmsd_model::{
    DataKeyPairSpec, KeyAgreementAlgorithm, MacAlgorithm, MessageType, SigningAlgorithm,
};
use kmsd_service::operations::{
    DeriveSharedSecretRequest, GenerateDataKeyPairRequest, GenerateMacRequest, GetPublicKeyRequest,
    SignRequest, VerifyMacRequest, VerifyRequest,
};
use kmsd_service::{Kms, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// A required enum member.
fn required_enum<E: std::str::FromStr>(
    v: &mut Validator,
    member: &str,
    value: &Option<String>,
    all: &[&str],
) -> Option<E> {
    v.required(member, value)
        .and_then(|s| v.enumerated::<E>(member, s, all))
}

/// A required blob member of `min..=max` decoded bytes (never echoed: it may be a secret).
fn required_blob(
    v: &mut Validator,
    member: &str,
    wire_name: &str,
    value: &Option<String>,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    let Some(encoded) = v.required(member, value) else {
        return Ok(Zeroizing::new(Vec::new()));
    };
    let bytes = wire::secret_blob(wire_name, encoded)?;
    v.secret_length(member, bytes.len(), 1, max);
    Ok(bytes)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignWire {
    key_id: Option<String>,
    message: Option<String>,
    message_type: Option<String>,
    grant_tokens: Option<Vec<String>>,
    signing_algorithm: Option<String>,
    dry_run: Option<bool>,
}

pub(crate) async fn sign(kms: &Kms, ctx: &RequestContext, body: &[u8]) -> Result<Value, ApiError> {
    let w: SignWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let message = required_blob(&mut v, "message", "Message", &w.message, 4096)?;
    let message_type = w
        .message_type
        .as_deref()
        .and_then(|m| v.enumerated::<MessageType>("messageType", m, MessageType::wire_values()));
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    let algorithm = required_enum::<SigningAlgorithm>(
        &mut v,
        "signingAlgorithm",
        &w.signing_algorithm,
        SigningAlgorithm::wire_values(),
    );
    v.finish()?;
    let (Some(key_id), Some(signing_algorithm)) = (key_id, algorithm) else {
        return Err(ApiError::Serialization(
            "Missing required members".to_owned(),
        ));
    };
    let req = SignRequest {
        key_id: wire::key_reference(key_id)?,
        message,
        message_type,
        signing_algorithm,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.sign(ctx, req).await?;
    Ok(json!({
        "KeyId": out.key_arn,
        "Signature": wire::encode_blob(&out.signature),
        "SigningAlgorithm": out.signing_algorithm.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyWire {
    key_id: Option<String>,
    message: Option<String>,
    message_type: Option<String>,
    signature: Option<String>,
    signing_algorithm: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

pub(crate) async fn verify(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: VerifyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let message = required_blob(&mut v, "message", "Message", &w.message, 4096)?;
    let message_type = w
        .message_type
        .as_deref()
        .and_then(|m| v.enumerated::<MessageType>("messageType", m, MessageType::wire_values()));
    let signature = required_blob(&mut v, "signature", "Signature", &w.signature, 6144)?;
    let algorithm = required_enum::<SigningAlgorithm>(
        &mut v,
        "signingAlgorithm",
        &w.signing_algorithm,
        SigningAlgorithm::wire_values(),
    );
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let (Some(key_id), Some(signing_algorithm)) = (key_id, algorithm) else {
        return Err(ApiError::Serialization(
            "Missing required members".to_owned(),
        ));
    };
    let req = VerifyRequest {
        key_id: wire::key_reference(key_id)?,
        message,
        message_type,
        signature: signature.to_vec(),
        signing_algorithm,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.verify(ctx, req).await?;
    Ok(json!({
        "KeyId": out.key_arn,
        "SignatureValid": true,
        "SigningAlgorithm": out.signing_algorithm.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPublicKeyWire {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

pub(crate) async fn get_public_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: GetPublicKeyWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let key_id = wire::key_reference(key_id.unwrap_or_default())?;
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms
        .get_public_key(ctx, GetPublicKeyRequest { key_id })
        .await?;
    let mut response = json!({
        "KeyId": out.key_arn,
        "PublicKey": wire::encode_blob(&out.public_key),
        "KeySpec": out.key_spec.as_str(),
        "KeyUsage": out.key_usage.as_str(),
    });
    if out.key_spec.is_customer_master_key_spec() {
        response["CustomerMasterKeySpec"] = out.key_spec.as_str().into();
    }
    algorithm_lists(&mut response, &out.algorithms);
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MacWire {
    message: Option<String>,
    key_id: Option<String>,
    mac_algorithm: Option<String>,
    /// VerifyMac only.
    mac: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// The members GenerateMac and VerifyMac share.
struct MacMembers {
    key_id: kmsd_model::KeyReference,
    message: Zeroizing<Vec<u8>>,
    mac_algorithm: MacAlgorithm,
    mac: Vec<u8>,
    dry_run: bool,
}

fn mac_request(kms: &Kms, body: &[u8], with_mac: bool) -> Result<MacMembers, ApiError> {
    let w: MacWire = wire::decode(body)?;
    let mut v = Validator::new();
    let message = required_blob(&mut v, "message", "Message", &w.message, 4096)?;
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let algorithm = required_enum::<MacAlgorithm>(
        &mut v,
        "macAlgorithm",
        &w.mac_algorithm,
        MacAlgorithm::wire_values(),
    );
    let mac = if with_mac {
        required_blob(&mut v, "mac", "Mac", &w.mac, 6144)?.to_vec()
    } else {
        Vec::new()
    };
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let (Some(key_id), Some(mac_algorithm)) = (key_id, algorithm) else {
        return Err(ApiError::Serialization(
            "Missing required members".to_owned(),
        ));
    };
    let members = MacMembers {
        key_id: wire::key_reference(key_id)?,
        message,
        mac_algorithm,
        mac,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    Ok(members)
}

pub(crate) async fn generate_mac(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let m = mac_request(kms, body, false)?;
    let req = GenerateMacRequest {
        key_id: m.key_id,
        message: m.message,
        mac_algorithm: m.mac_algorithm,
        dry_run: m.dry_run,
    };
    let out = kms.generate_mac(ctx, req).await?;
    Ok(json!({
        "Mac": wire::encode_blob(&out.mac),
        "MacAlgorithm": out.mac_algorithm.as_str(),
        "KeyId": out.key_arn,
    }))
}

pub(crate) async fn verify_mac(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let m = mac_request(kms, body, true)?;
    let req = VerifyMacRequest {
        key_id: m.key_id,
        message: m.message,
        mac_algorithm: m.mac_algorithm,
        mac: m.mac,
        dry_run: m.dry_run,
    };
    let out = kms.verify_mac(ctx, req).await?;
    Ok(json!({
        "KeyId": out.key_arn,
        "MacValid": true,
        "MacAlgorithm": out.mac_algorithm.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeriveSharedSecretWire {
    key_id: Option<String>,
    key_agreement_algorithm: Option<String>,
    public_key: Option<String>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
    recipient: Option<Value>,
}

pub(crate) async fn derive_shared_secret(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let w: DeriveSharedSecretWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let algorithm = required_enum::<KeyAgreementAlgorithm>(
        &mut v,
        "keyAgreementAlgorithm",
        &w.key_agreement_algorithm,
        KeyAgreementAlgorithm::wire_values(),
    );
    let public_key = required_blob(&mut v, "publicKey", "PublicKey", &w.public_key, 8192)?;
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    refuse_recipient(&w.recipient)?;
    let (Some(key_id), Some(key_agreement_algorithm)) = (key_id, algorithm) else {
        return Err(ApiError::Serialization(
            "Missing required members".to_owned(),
        ));
    };
    let req = DeriveSharedSecretRequest {
        key_id: wire::key_reference(key_id)?,
        key_agreement_algorithm,
        public_key: public_key.to_vec(),
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    let out = kms.derive_shared_secret(ctx, req).await?;
    Ok(json!({
        "KeyId": out.key_arn,
        "SharedSecret": wire::encode_blob(&out.shared_secret),
        "KeyAgreementAlgorithm": out.key_agreement_algorithm.as_str(),
        "KeyOrigin": out.key_origin.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateDataKeyPairWire {
    encryption_context: ContextWire,
    key_id: Option<String>,
    key_pair_spec: Option<String>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

fn data_key_pair_request(
    kms: &Kms,
    body: &[u8],
) -> Result<(GenerateDataKeyPairRequest, Option<Value>), ApiError> {
    let w: GenerateDataKeyPairWire = wire::decode(body)?;
    let mut v = Validator::new();
    let key_id = wire::key_id_member(&mut v, "keyId", &w.key_id, true);
    let spec = required_enum::<DataKeyPairSpec>(
        &mut v,
        "keyPairSpec",
        &w.key_pair_spec,
        DataKeyPairSpec::wire_values(),
    );
    wire::check_grant_tokens(&mut v, &w.grant_tokens);
    v.finish()?;
    let (Some(key_id), Some(key_pair_spec)) = (key_id, spec) else {
        return Err(ApiError::Serialization(
            "Missing required members".to_owned(),
        ));
    };
    let req = GenerateDataKeyPairRequest {
        key_id: wire::key_reference(key_id)?,
        encryption_context: wire::encryption_context(w.encryption_context)?,
        key_pair_spec,
        dry_run: w.dry_run.unwrap_or(false),
    };
    wire::grant_tokens(kms, &w.grant_tokens)?;
    Ok((req, w.recipient))
}

fn data_key_pair_response(out: kmsd_service::operations::GenerateDataKeyPairResponse) -> Value {
    let mut response = json!({
        "PrivateKeyCiphertextBlob": wire::encode_blob(&out.private_key_ciphertext_blob),
        "PublicKey": wire::encode_blob(&out.public_key),
        "KeyId": out.key_arn,
        "KeyPairSpec": out.key_pair_spec.as_str(),
        "KeyMaterialId": out.key_material_id.to_string(),
    });
    if let Some(private_key) = &out.private_key_plaintext {
        response["PrivateKeyPlaintext"] = wire::encode_blob(private_key).into();
    }
    response
}

pub(crate) async fn generate_data_key_pair(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (req, recipient) = data_key_pair_request(kms, body)?;
    refuse_recipient(&recipient)?;
    let out = kms.generate_data_key_pair(ctx, req).await?;
    Ok(data_key_pair_response(out))
}

pub(crate) async fn generate_data_key_pair_without_plaintext(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Value, ApiError> {
    let (req, _) = data_key_pair_request(kms, body)?;
    let out = kms
        .generate_data_key_pair_without_plaintext(ctx, req)
        .await?;
    Ok(data_key_pair_response(out))
}
