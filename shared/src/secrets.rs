//! Secrets the code needs, loaded once per cold start, so tests choose their own.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Key material that never shows in logs or debug output.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// A key of at least 32 bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, SecretsError> {
        if bytes.len() < 32 {
            return Err(SecretsError::TooShort(bytes.len()));
        }
        Ok(SecretKey(bytes))
    }

    pub fn random() -> Self {
        SecretKey(rand::random::<[u8; 32]>().to_vec())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 under this key of `parts`, in order. Each use starts its
    /// parts with its own label, so one key serves many purposes safely.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes a key of any length; ours are at least 32 bytes.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[derive(Clone, Debug)]
pub struct Secrets {
    /// Signs access tokens and keys the hashes of one-time codes.
    pub token_signing_key: SecretKey,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("a secret key needs at least 32 bytes, this one has {0}")]
    TooShort(usize),
}

impl Secrets {
    /// Reads `TOKEN_SIGNING_KEY` (at least 32 bytes of text).
    pub fn from_env() -> Result<Self, SecretsError> {
        let key = std::env::var("TOKEN_SIGNING_KEY")
            .map_err(|_| SecretsError::Missing("TOKEN_SIGNING_KEY"))?;
        Ok(Secrets {
            token_signing_key: SecretKey::new(key.into_bytes())?,
        })
    }
}
