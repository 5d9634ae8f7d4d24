use crate::operations::encrypt::{check_encrypt_decrypt_key, check_no_context};
use crate::resolve::Aliases;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{BackingKeyId, EncryptionAlgorithm, EncryptionContext, KeyReference};

#[derive(Debug)]
pub struct ReEncryptRequest {
    pub ciphertext_blob: Vec<u8>,
    pub source_encryption_context: EncryptionContext,
    pub source_key_id: Option<KeyReference>,
    pub destination_key_id: KeyReference,
    pub destination_encryption_context: EncryptionContext,
    pub source_encryption_algorithm: Option<EncryptionAlgorithm>,
    pub destination_encryption_algorithm: Option<EncryptionAlgorithm>,
    pub dry_run: bool,
}

#[derive(Debug, Clone)]
pub struct ReEncryptResponse {
    pub ciphertext_blob: Vec<u8>,
    pub source_key_arn: String,
    pub key_arn: String,
    pub source_encryption_algorithm: EncryptionAlgorithm,
    pub destination_encryption_algorithm: EncryptionAlgorithm,
    /// Present when the source key is symmetric.
    pub source_key_material_id: Option<BackingKeyId>,
    /// Present when the destination key is symmetric.
    pub destination_key_material_id: Option<BackingKeyId>,
}

impl Kms {
    pub async fn re_encrypt(
        &self,
        ctx: &RequestContext,
        req: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, KmsError> {
        let destination = self
            .resolve(ctx, &req.destination_key_id, Aliases::Allowed)
            .await?;
        let alias = crate::authorize::alias_of(&req.destination_key_id);
        let algorithm_name = req
            .destination_encryption_algorithm
            .unwrap_or(EncryptionAlgorithm::SymmetricDefault);
        let facts = crate::authorize::RequestFacts {
            encryption_context: Some(&req.destination_encryption_context),
            encryption_algorithm: Some(algorithm_name.as_str()),
            request_alias: alias.as_deref(),
            ..Default::default()
        };
        self.authorize(ctx, &destination, "kms:ReEncryptTo", facts)
            .await?;
        let destination_algorithm = check_encrypt_decrypt_key(
            &destination,
            req.destination_encryption_algorithm,
            "ReEncrypt",
        )?;
        if destination.private_key().is_some() {
            check_no_context(&req.destination_encryption_context)?;
        }
        let opened = self
            .open(
                ctx,
                &req.ciphertext_blob,
                &req.source_encryption_context,
                req.source_key_id.as_ref(),
                req.source_encryption_algorithm,
                req.dry_run,
                "ReEncrypt",
            )
            .await?;
        let (ciphertext_blob, destination_backing) = self.encrypt_under(
            &destination,
            destination_algorithm,
            &req.destination_encryption_context,
            &opened.plaintext,
        )?;
        for key_id in [opened.key.record.key_id, destination.record.key_id] {
            self.note_use(
                key_id,
                kmsd_model::KeyUsageOperation::ReEncrypt,
                &ctx.request_id,
            );
        }
        Ok(ReEncryptResponse {
            ciphertext_blob,
            source_key_arn: opened.key.arn.clone(),
            key_arn: destination.arn.clone(),
            source_encryption_algorithm: opened.algorithm,
            destination_encryption_algorithm: destination_algorithm,
            source_key_material_id: opened.backing_key_id,
            destination_key_material_id: destination_backing,
        })
    }
}
