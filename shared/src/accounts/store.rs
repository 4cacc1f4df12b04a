//! How accounts live in the table: the records, and the reads and writes of them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    error::Result,
    keys,
    records::to_item,
    roles::PlatformRole,
    table::{Condition, Key, Query, SortKey, Table, Write},
    types::{Email, PersonName},
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: String,
    pub email: Email,
    pub name: PersonName,
    pub password_hash: String,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub created_at: Timestamp,
    /// Consecutive failed logins since the last success or lock.
    #[serde(default)]
    pub failed_logins: i64,
    /// Unix second the current lock ends, if locked.
    #[serde(default)]
    pub locked_until: Option<i64>,
    /// Locks since the last successful login; each one lasts twice the last.
    #[serde(default)]
    pub lockouts: i64,
    /// Whether the user ever completed a login (the first one needs no MFA).
    #[serde(default)]
    pub has_signed_in: bool,
    #[serde(default)]
    pub platform_role: Option<PlatformRole>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
}

/// A refresh token (stored under its hash). A spent one is kept until its
/// session ends, so presenting it again is recognized as theft.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub user_id: String,
    pub session_id: String,
    pub spent: bool,
}

/// A single-use emailed token (email verification, password reset).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneTimeTokenRecord {
    pub user_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChallengeRecord {
    pub user_id: String,
    pub code_hash: String,
    pub attempts: i64,
    pub device_hash: Option<String>,
    pub user_agent: Option<String>,
    /// Whether the login comes from a device never seen (not only from MFA
    /// being on); completing it raises a new-device sign-in notice.
    #[serde(default)]
    pub new_device: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub first_seen: Timestamp,
}

pub async fn user_by_email(table: &dyn Table, email: &Email) -> Result<Option<UserRecord>> {
    let Some(guard) = table.get(&keys::email_guard(email.as_str())).await? else {
        return Ok(None);
    };
    match guard.get("user_id").and_then(|v| v.as_str()) {
        Some(user_id) => Ok(crate::records::get(table, &keys::user(user_id)).await?),
        None => Ok(None),
    }
}

/// A write creating `record` under `key`, failing if something lives there.
pub fn create<T: Serialize>(key: &Key, record: &T, ttl: Option<i64>) -> Result<Write> {
    Ok(Write::Put {
        item: to_item(key, record, ttl)?,
        condition: Some(Condition::NotExists),
    })
}

/// Every session of a user, a page at a time.
pub async fn sessions_page(
    table: &dyn Table,
    user_id: &str,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<SessionRecord>, Option<String>)> {
    let (pk, prefix) = keys::sessions_of(user_id);
    let query = Query::new(crate::table::Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .backward()
        .limit(limit)
        .after(cursor);
    Ok(crate::records::page_of(table, &query).await?)
}

/// Ends every session of a user but `keep`; returns how many ended.
pub async fn end_sessions(table: &dyn Table, user_id: &str, keep: Option<&str>) -> Result<usize> {
    let mut ended = 0;
    let mut cursor = None;
    loop {
        let (sessions, next) = sessions_page(table, user_id, 100, cursor).await?;
        for session in sessions.iter().filter(|s| Some(s.id.as_str()) != keep) {
            table
                .delete(&keys::session(user_id, &session.id), None)
                .await?;
            ended += 1;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(ended),
        }
    }
}
