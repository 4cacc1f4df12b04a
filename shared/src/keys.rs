//! Every table key, built here and nowhere else (DESIGN.md §3).
//!
//! Tenant data lives under `ORG#<id>`, user data under `USER#<id>`. Items found by
//! a secret (tokens, codes) are keyed by the secret's hash, never the secret.

use crate::table::Key;

/// A user's profile.
pub fn user(user_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), "PROFILE")
}

/// Guard item making an email address unique; holds the owner's user id.
pub fn email_guard(email: &str) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

/// One session of a user (a login and the refresh tokens descended from it).
pub fn session(user_id: &str, session_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), format!("SESSION#{session_id}"))
}

/// The partition and sort-key prefix listing a user's sessions.
pub fn sessions_of(user_id: &str) -> (String, String) {
    (format!("USER#{user_id}"), "SESSION#".to_string())
}

/// A device a user has completed a login on (by the hash of its device id).
pub fn device(user_id: &str, device_hash: &str) -> Key {
    Key::new(format!("USER#{user_id}"), format!("DEVICE#{device_hash}"))
}

/// A refresh token, by its hash.
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "REFRESH")
}

/// A single-use email verification token, by its hash.
pub fn email_verification(token_hash: &str) -> Key {
    Key::new(format!("VERIFY#{token_hash}"), "VERIFY")
}

/// A single-use password reset token, by its hash.
pub fn password_reset(token_hash: &str) -> Key {
    Key::new(format!("RESET#{token_hash}"), "RESET")
}

/// An email-OTP challenge of a login on a new device.
pub fn mfa_challenge(challenge_id: &str) -> Key {
    Key::new(format!("MFA#{challenge_id}"), "MFA")
}
