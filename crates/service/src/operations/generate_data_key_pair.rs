//! GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose PKCS#8
//! private key is returned encrypted under a symmetric KMS key (and, for the first, also in
//! plaintext), with its DER SubjectPublicKeyInfo.

use crate::operations::encrypt::check_encrypt_decrypt_key;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_asymmetric::DataKeyPair;
use kmsd_model::{
    BackingKeyId, DataKeyPairSpec, EncryptionContext, KeyReference, KeyUsageOperation,
};
use zeroize::Zeroizing;

#[derive(Debug, Clone)]
pub struct GenerateDataKeyPairRequest {
    pub key_id: KeyReference,
    pub encryption_context: EncryptionContext,
    pub key_pair_spec: DataKeyPairSpec,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct GenerateDataKeyPairResponse {
    /// The PKCS#8 DER private key, encrypted under the KMS key with the encryption context.
    pub private_key_ciphertext_blob: Vec<u8>,
    /// The PKCS#8 DER private key; `None` for GenerateDataKeyPairWithoutPlaintext.
    pub private_key_plaintext: Option<Zeroizing<Vec<u8>>>,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    pub key_arn: String,
    pub key_pair_spec: DataKeyPairSpec,
    pub key_material_id: BackingKeyId,
}

impl Kms {
    pub async fn generate_data_key_pair(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        self.data_key_pair(ctx, req, KeyUsageOperation::GenerateDataKeyPair)
            .await
    }

    pub async fn generate_data_key_pair_without_plaintext(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        self.data_key_pair(
            ctx,
            req,
            KeyUsageOperation::GenerateDataKeyPairWithoutPlaintext,
        )
        .await
    }

    async fn data_key_pair(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyPairRequest,
        operation: KeyUsageOperation,
    ) -> Result<GenerateDataKeyPairResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            encryption_context: Some(&req.encryption_context),
            encryption_algorithm: Some("SYMMETRIC_DEFAULT"),
            data_key_pair_spec: Some(req.key_pair_spec.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, &format!("kms:{operation}"), facts)
            .await?;
        check_encrypt_decrypt_key(&key, None, operation.as_str())?;
        let spec = crate::asymmetric::data_key_pair_spec(req.key_pair_spec).ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "KeyPairSpec {} is offered only in the AWS China Regions; kmsd does not support it.",
                req.key_pair_spec
            ))
        })?;
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        // RSA key generation takes up to seconds: off the async workers.
        let pair = tokio::task::spawn_blocking(move || DataKeyPair::generate(spec))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "data key pair generation task failed");
                KmsError::Internal(crate::InternalError::Unavailable)
            })?
            .map_err(|e| KmsError::Internal(e.into()))?;
        let (private_key, public_key) = pair.into_parts();
        let (private_key_ciphertext_blob, key_material_id) =
            self.seal(&key, &req.encryption_context, &private_key)?;
        self.note_use(key.record.key_id, operation, &ctx.request_id);
        let with_plaintext = operation == KeyUsageOperation::GenerateDataKeyPair;
        Ok(GenerateDataKeyPairResponse {
            private_key_ciphertext_blob,
            private_key_plaintext: with_plaintext.then_some(private_key),
            public_key,
            key_arn: key.arn.clone(),
            key_pair_spec: req.key_pair_spec,
            key_material_id,
        })
    }
}
