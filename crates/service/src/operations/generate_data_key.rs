//! GenerateDataKey and GenerateDataKeyWithoutPlaintext: a fresh random data key, returned
//! encrypted under a KMS key (and, for the first, also in plaintext).

use crate::operations::encrypt::check_encrypt_decrypt_key;
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{BackingKeyId, DataKeySpec, EncryptionContext, KeyReference};
use zeroize::Zeroizing;

/// Exactly one of `KeySpec` or `NumberOfBytes`, as the edge found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeyLength {
    Spec(DataKeySpec),
    /// 1–1024.
    Bytes(usize),
}

impl DataKeyLength {
    fn bytes(self) -> usize {
        match self {
            DataKeyLength::Spec(spec) => spec.byte_len(),
            DataKeyLength::Bytes(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GenerateDataKeyRequest {
    pub key_id: KeyReference,
    pub encryption_context: EncryptionContext,
    pub length: DataKeyLength,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct GenerateDataKeyResponse {
    pub ciphertext_blob: Vec<u8>,
    /// `None` for GenerateDataKeyWithoutPlaintext.
    pub plaintext: Option<Zeroizing<Vec<u8>>>,
    pub key_arn: String,
    pub key_material_id: BackingKeyId,
}

impl Kms {
    pub async fn generate_data_key(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(ctx, req, true, "GenerateDataKey").await
    }

    pub async fn generate_data_key_without_plaintext(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(ctx, req, false, "GenerateDataKeyWithoutPlaintext")
            .await
    }

    async fn data_key(
        &self,
        ctx: &RequestContext,
        req: GenerateDataKeyRequest,
        with_plaintext: bool,
        operation: &str,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        let key = self.resolve(ctx, &req.key_id, Aliases::Allowed).await?;
        let alias = crate::authorize::alias_of(&req.key_id);
        let facts = crate::authorize::RequestFacts {
            encryption_context: Some(&req.encryption_context),
            encryption_algorithm: Some("SYMMETRIC_DEFAULT"),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &key, &format!("kms:{operation}"), facts)
            .await?;
        check_encrypt_decrypt_key(&key, None, operation)?;
        if key.record.key_spec != kmsd_model::KeySpec::SymmetricDefault {
            return Err(KmsError::InvalidKeyUsage(format!(
                "{} key spec is {} which is not valid for {operation}.",
                key.arn, key.record.key_spec
            )));
        }
        if req.dry_run {
            return Err(KmsError::DryRunOperation);
        }
        let data_key = kmsd_crypto::random_secret(&self.rng, req.length.bytes())?;
        let (ciphertext_blob, key_material_id) =
            self.seal(&key, &req.encryption_context, &data_key)?;
        let used_for = if with_plaintext {
            kmsd_model::KeyUsageOperation::GenerateDataKey
        } else {
            kmsd_model::KeyUsageOperation::GenerateDataKeyWithoutPlaintext
        };
        self.note_use(key.record.key_id, used_for, &ctx.request_id);
        Ok(GenerateDataKeyResponse {
            ciphertext_blob,
            plaintext: with_plaintext.then_some(data_key),
            key_arn: key.arn.clone(),
            key_material_id,
        })
    }
}
