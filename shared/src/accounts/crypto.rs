//! The cryptography of accounts: password hashes, random tokens stored only as
//! hashes, signed access tokens, and one-time codes.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Mac, digest::KeyInit};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{
    error::{Error, Result},
    secrets::SecretKey,
};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Argon2id with OWASP's parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (PHC string). Slow on purpose: call it off the async runtime.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = argon2::password_hash::SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| Error::Internal(format!("encoding a salt: {e}")))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `password` matches `hash`. With no hash (unknown account) it still
/// does the work of one verification, so timing does not tell accounts apart.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref().unwrap_or(DUMMY_HASH);
        let parsed =
            PasswordHash::new(hash).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
        let matches = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && hash != DUMMY_HASH)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// A hash of a password nobody has, verified against for unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wnsvw3tRzdIN/I2vNDUMmBbSUKgvNrixN9BLHPIIlJ4";

/// The stored hash of an account created for someone (by invitation) before
/// they chose a password: no password verifies against it.
pub(super) const NO_PASSWORD: &str = DUMMY_HASH;

/// A new 256-bit random token, URL-safe.
pub fn new_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a token: its SHA-256, hex. Tokens carry 256 bits of
/// entropy, so an unkeyed hash is enough to make a leaked table useless.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 6-digit one-time code.
pub fn new_code() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}

/// The stored form of a one-time code: keyed, because six digits are guessable
/// from an unkeyed hash. Bound to its challenge so a hash is useless elsewhere.
pub fn code_hash(key: &SecretKey, challenge_id: &str, code: &str) -> String {
    B64.encode(key.mac(&[
        b"mfa-code\0",
        challenge_id.as_bytes(),
        b"\0",
        code.as_bytes(),
    ]))
}

/// Constant-time equality of two stored hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// What an access token says: who, in which session, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// The one header we issue and accept (no algorithm negotiation).
const JWT_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A signed access token: a JWT with HMAC-SHA256.
pub fn sign_access_token(key: &SecretKey, claims: &AccessClaims) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let signing_input = format!("{}.{}", B64.encode(JWT_HEADER), B64.encode(payload));
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        B64.encode(mac.finalize().into_bytes())
    )
}

/// The claims of a token we signed that has not expired at `now`.
pub fn verify_access_token(key: &SecretKey, token: &str, now: Timestamp) -> Result<AccessClaims> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(Error::Unauthorized)?;
    let (header, payload) = signing_input.split_once('.').ok_or(Error::Unauthorized)?;
    let signature = B64.decode(signature).map_err(|_| Error::Unauthorized)?;
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    // Signature first (constant time), only then look inside.
    mac.verify_slice(&signature)
        .map_err(|_| Error::Unauthorized)?;
    if B64.decode(header).ok().as_deref() != Some(JWT_HEADER.as_bytes()) {
        return Err(Error::Unauthorized);
    }
    let payload = B64.decode(payload).map_err(|_| Error::Unauthorized)?;
    let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| Error::Unauthorized)?;
    if claims.exp <= now.as_second() {
        return Err(Error::Unauthorized);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[test]
    fn access_tokens_reject_tampering_expiry_and_other_keys() {
        let key = SecretKey::random();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let claims = AccessClaims {
            sub: "u".into(),
            sid: "s".into(),
            iat: now.as_second(),
            exp: now.as_second() + 900,
        };
        let token = sign_access_token(&key, &claims);
        assert_eq!(verify_access_token(&key, &token, now).unwrap(), claims);

        let later = Timestamp::from_second(now.as_second() + 900).unwrap();
        assert!(matches!(
            verify_access_token(&key, &token, later),
            Err(Error::Unauthorized)
        ));
        assert!(matches!(
            verify_access_token(&SecretKey::random(), &token, now),
            Err(Error::Unauthorized)
        ));

        let (head, _) = token.split_once('.').unwrap();
        let forged_payload = B64.encode(br#"{"sub":"admin","sid":"s","iat":0,"exp":9999999999}"#);
        let signature = token.rsplit_once('.').unwrap().1;
        let forged = format!("{head}.{forged_payload}.{signature}");
        assert!(matches!(
            verify_access_token(&key, &forged, now),
            Err(Error::Unauthorized)
        ));
        assert!(matches!(
            verify_access_token(&key, "not.a-token", now),
            Err(Error::Unauthorized)
        ));
    }

    #[test]
    fn codes_are_six_digits_and_hash_per_challenge() {
        let key = SecretKey::random();
        let code = new_code();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(code_hash(&key, "c1", &code), code_hash(&key, "c2", &code));
        assert!(hashes_equal(
            &code_hash(&key, "c1", &code),
            &code_hash(&key, "c1", &code)
        ));
    }
}
