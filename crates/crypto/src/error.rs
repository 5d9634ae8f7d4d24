/// Why a cryptographic operation failed. Deliberately coarse: a failed open never says which
/// byte or which check was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The random generator failed.
    #[error("random generator failure")]
    Random,
    /// A ciphertext blob or token is malformed, was altered, or belongs to other key material
    /// or another encryption context.
    #[error("ciphertext could not be authenticated")]
    Authentication,
    /// An input is not the size the algorithm needs.
    #[error("invalid input length")]
    Length,
}
