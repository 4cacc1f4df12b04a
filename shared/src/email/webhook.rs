//! Mailgun's delivery webhooks: checking that Mailgun sent one, and taking it
//! in (once) onto the email-events queue, where the log updater reads it.
//!
//! Mailgun signs `timestamp + token` with HMAC-SHA256 under the account's
//! webhook signing key and puts the hex digest in `signature.signature`.

use hmac::{Mac, digest::KeyInit};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{
    Deps, keys,
    queue::QueueError,
    records::to_item,
    table::{Condition, TableError},
};

use super::events::{EMAIL_EVENTS_QUEUE, MAILGUN};

type HmacSha256 = hmac::Hmac<Sha256>;

/// How far a webhook's timestamp may be from now, either way.
pub const MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);
/// How long a seen token is remembered: longer than `MAX_CLOCK_SKEW` on both
/// sides, so a replay is refused as stale once its token is forgotten.
pub const TOKEN_MEMORY: SignedDuration = SignedDuration::from_mins(10);
/// Mailgun's tokens are 50 characters; anything much longer is not one.
const MAX_TOKEN_CHARS: usize = 256;

/// The signature of a webhook that checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// Mailgun's random token, unique per webhook: the replay guard's key.
    pub token: String,
    pub timestamp: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the body has no valid Mailgun signature: {0}")]
    Malformed(String),
    #[error("the signature does not match the webhook signing key")]
    Forged,
    #[error("the webhook's timestamp is {skew_secs} seconds from now, more than 5 minutes")]
    Stale { skew_secs: i64 },
    #[error("this webhook was already received")]
    Replayed,
    #[error("storage failed: {0}")]
    Table(TableError),
    #[error("queue failed: {0}")]
    Queue(#[from] QueueError),
}

/// Just the `signature` object of a webhook body: the event data is left
/// unread until the signature checks out.
#[derive(Deserialize)]
struct SignedBody {
    signature: Signature,
}

#[derive(Deserialize)]
struct Signature {
    /// Unix seconds, as a decimal string.
    timestamp: String,
    token: String,
    /// HMAC-SHA256 of `timestamp + token`, hex.
    signature: String,
}

/// The replay guard's record of a token.
#[derive(Serialize)]
struct SeenToken {
    received_at: Timestamp,
}

/// The signature Mailgun gives a webhook of `timestamp` and `token` (lower-case hex).
pub fn mailgun_signature(key: &[u8], timestamp: &str, token: &str) -> String {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks that Mailgun signed `body` with `key`, recently.
pub fn verify_mailgun(
    key: &[u8],
    body: &[u8],
    now: Timestamp,
) -> Result<VerifiedWebhook, WebhookError> {
    let signed: SignedBody =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let Signature {
        timestamp,
        token,
        signature,
    } = signed.signature;
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Err(WebhookError::Malformed(format!(
            "a token has 1 to {MAX_TOKEN_CHARS} characters, this one {}",
            token.len()
        )));
    }
    let expected = mailgun_signature(key, &timestamp, &token);
    let given = signature.trim().to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err(WebhookError::Forged);
    }
    // Checked after the signature, so only Mailgun learns what is wrong with it.
    let timestamp = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|secs| Timestamp::from_second(secs).ok())
        .ok_or_else(|| WebhookError::Malformed(format!("timestamp {timestamp:?}")))?;
    let skew = now.duration_since(timestamp);
    if skew.abs() > MAX_CLOCK_SKEW {
        return Err(WebhookError::Stale {
            skew_secs: skew.as_secs(),
        });
    }
    Ok(VerifiedWebhook { token, timestamp })
}

/// Takes in one Mailgun webhook: verifies it, refuses a token already seen,
/// and queues the body unchanged on the email-events queue.
pub async fn receive_mailgun(
    deps: &Deps,
    signing_key: &[u8],
    body: &[u8],
) -> Result<(), WebhookError> {
    let now = deps.clock.now();
    let webhook = verify_mailgun(signing_key, body, now)?;
    let body = std::str::from_utf8(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;

    let key = keys::webhook_token(MAILGUN, &webhook.token);
    let expires = now.saturating_add(TOKEN_MEMORY).unwrap_or(Timestamp::MAX);
    let seen = SeenToken { received_at: now };
    let guard = to_item(&key, &seen, Some(expires.as_second())).map_err(WebhookError::Table)?;
    match deps.table.put(guard, Some(Condition::NotExists)).await {
        Err(TableError::ConditionFailed) => return Err(WebhookError::Replayed),
        other => other.map_err(WebhookError::Table)?,
    }

    if let Err(error) = deps
        .queue
        .send(EMAIL_EVENTS_QUEUE, body, std::time::Duration::ZERO)
        .await
    {
        // Forget the token, so Mailgun's retry of this webhook is taken in.
        if let Err(release) = deps.table.delete(&key, None).await {
            tracing::error!(error = %release, "releasing a Mailgun webhook token");
        }
        return Err(error.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"key-test-signing-0123456789abcdef";
    const TOKEN: &str = "0d3da1b2e0f6f3d4c9bb3d1e6e7b1c2a9f8e7d6c5b4a3f2e1d";

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    fn body(timestamp: &str, token: &str, signature: &str) -> Vec<u8> {
        serde_json::json!({
            "signature": { "timestamp": timestamp, "token": token, "signature": signature },
            "event-data": { "event": "delivered", "id": "abc" }
        })
        .to_string()
        .into_bytes()
    }

    /// A body signed with `KEY` at `at`.
    fn signed_at(at: Timestamp) -> Vec<u8> {
        let timestamp = at.as_second().to_string();
        body(
            &timestamp,
            TOKEN,
            &mailgun_signature(KEY, &timestamp, TOKEN),
        )
    }

    #[test]
    fn a_signed_recent_webhook_is_verified() {
        let verified = verify_mailgun(KEY, &signed_at(now()), now()).unwrap();
        assert_eq!(
            verified,
            VerifiedWebhook {
                token: TOKEN.into(),
                timestamp: now()
            }
        );
        // Within the window on either side.
        let early = now() - SignedDuration::from_secs(299);
        assert!(verify_mailgun(KEY, &signed_at(early), now()).is_ok());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_token_in_hex() {
        // Computed independently with Python's `hmac` module.
        let signature = mailgun_signature(
            b"key-7e8d0f1a2b3c4d5e",
            "1529006854",
            "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
        );
        assert_eq!(
            signature,
            "ccd562350b551268b7729acf15d5d08e3141d9afc09372701e7466ba133c8758"
        );
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let timestamp = now().as_second().to_string();
        let forged = mailgun_signature(b"another-key", &timestamp, TOKEN);
        let result = verify_mailgun(KEY, &body(&timestamp, TOKEN, &forged), now());
        assert!(matches!(result, Err(WebhookError::Forged)), "{result:?}");
        // A valid signature of another token does not carry over.
        let other = mailgun_signature(KEY, &timestamp, "another-token");
        let result = verify_mailgun(KEY, &body(&timestamp, TOKEN, &other), now());
        assert!(matches!(result, Err(WebhookError::Forged)), "{result:?}");
    }

    #[test]
    fn a_stale_webhook_is_refused() {
        let old = now() - SignedDuration::from_secs(301);
        let result = verify_mailgun(KEY, &signed_at(old), now());
        assert!(
            matches!(result, Err(WebhookError::Stale { skew_secs: 301 })),
            "{result:?}"
        );
    }

    #[test]
    fn a_webhook_from_the_future_is_refused() {
        let future = now() + SignedDuration::from_secs(301);
        let result = verify_mailgun(KEY, &signed_at(future), now());
        assert!(
            matches!(result, Err(WebhookError::Stale { skew_secs: -301 })),
            "{result:?}"
        );
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let timestamp = now().as_second().to_string();
        let cases: Vec<Vec<u8>> = vec![
            b"not json".to_vec(),
            br#"{"event-data":{"event":"delivered"}}"#.to_vec(),
            br#"{"signature":{"timestamp":"1","token":"t"}}"#.to_vec(),
            body(&timestamp, "", &mailgun_signature(KEY, &timestamp, "")),
            body(
                "yesterday",
                TOKEN,
                &mailgun_signature(KEY, "yesterday", TOKEN),
            ),
        ];
        for case in cases {
            let result = verify_mailgun(KEY, &case, now());
            assert!(
                matches!(result, Err(WebhookError::Malformed(_))),
                "{}: {result:?}",
                String::from_utf8_lossy(&case)
            );
        }
    }
}
