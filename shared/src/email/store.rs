//! How the email log and the suppression list live in the table.
//!
//! A log entry sits under `keys::email_log(id)`, in the platform-wide log (GSI2)
//! and, for an organization's email, in its log (GSI1), newest last by
//! `keys::email_log_order`. A sent email's provider message id points back to
//! its entry (`keys::email_message`), so provider events find it.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    events::EmailEvent,
    log::{EmailLog, EmailStatus, Suppression},
};
use crate::{
    error::{Error, Result},
    keys,
    notifications::NotificationType,
    records::{from_item, to_item},
    table::{Condition, Index, Item, Query, Table, TableError, Write},
};

/// How long an applied provider event is remembered, to ignore its redelivery.
const EVENT_MEMORY: SignedDuration = SignedDuration::from_hours(30 * 24);
/// How long one worker may hold an email it is sending.
pub const SEND_CLAIM: SignedDuration = SignedDuration::from_secs(60);
/// Most queries one listing request makes while filtering.
const MAX_FILTER_QUERIES: usize = 10;

/// The item of a log entry, with its index keys.
fn log_item(log: &EmailLog) -> Result<Item> {
    let mut item = to_item(&keys::email_log(&log.id), log, None)?;
    let order = keys::email_log_order(log.created_at.as_second(), &log.id);
    item.insert("gsi2pk".into(), keys::ALL_EMAIL_LOGS.into());
    item.insert("gsi2sk".into(), order.clone().into());
    if let Some(org_id) = &log.org_id {
        item.insert("gsi1pk".into(), keys::org_email_logs(org_id).into());
        item.insert("gsi1sk".into(), order.into());
    }
    Ok(item)
}

/// A write replacing `log` with `next` (its version bumped), if nobody changed
/// it meanwhile.
fn replace(log: &EmailLog, next: &mut EmailLog) -> Result<Write> {
    next.version = log.version + 1;
    Ok(Write::Put {
        item: log_item(next)?,
        condition: Some(Condition::eq("version", log.version)),
    })
}

pub async fn get_log(table: &dyn Table, id: &str) -> Result<Option<EmailLog>> {
    Ok(crate::records::get(table, &keys::email_log(id)).await?)
}

/// The entry of an email about to be sent: created `pending` the first time,
/// found again when the job is redelivered.
pub async fn open_log(table: &dyn Table, log: EmailLog) -> Result<EmailLog> {
    match table.put(log_item(&log)?, Some(Condition::NotExists)).await {
        Ok(()) => Ok(log),
        Err(TableError::ConditionFailed) => get_log(table, &log.id)
            .await?
            .ok_or_else(|| Error::Internal("email log vanished".into())),
        Err(e) => Err(e.into()),
    }
}

/// Saves `next` over `log` with `extra` writes; `None` if another writer got
/// there first.
pub async fn save(
    table: &dyn Table,
    log: &EmailLog,
    mut next: EmailLog,
    extra: Vec<Write>,
) -> Result<Option<EmailLog>> {
    let mut writes = vec![replace(log, &mut next)?];
    writes.extend(extra);
    match table.transact(writes).await {
        Ok(()) => Ok(Some(next)),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Claims a pending email for one sender for `SEND_CLAIM`, so that two
/// deliveries of one job never both send it; `None` if it is not claimable.
pub async fn claim(table: &dyn Table, log: &EmailLog, now: Timestamp) -> Result<Option<EmailLog>> {
    if log.status != EmailStatus::Pending
        || log
            .claimed_until
            .is_some_and(|until| until > now.as_second())
    {
        return Ok(None);
    }
    let mut next = log.clone();
    next.claimed_until = Some(now.as_second() + SEND_CLAIM.as_secs());
    save(table, log, next, Vec::new()).await
}

/// Records a sent email and where its provider events will point.
pub async fn mark_sent(
    table: &dyn Table,
    log: &EmailLog,
    message_id: &str,
    now: Timestamp,
) -> Result<()> {
    let mut next = log.clone();
    next.status = EmailStatus::Sent;
    next.message_id = Some(message_id.to_string());
    next.claimed_until = None;
    next.last_error = None;
    next.updated_at = now;
    let pointer = to_item(
        &keys::email_message(message_id),
        &json!({ "email_id": log.id }),
        None,
    )?;
    save(
        table,
        log,
        next,
        vec![Write::Put {
            item: pointer,
            condition: None,
        }],
    )
    .await?;
    Ok(())
}

/// Records why an email was not sent (now, or this time).
pub async fn mark_unsent(
    table: &dyn Table,
    log: &EmailLog,
    change: impl FnOnce(&mut EmailLog),
    now: Timestamp,
) -> Result<()> {
    let mut next = log.clone();
    change(&mut next);
    next.claimed_until = None;
    next.updated_at = now;
    save(table, log, next, Vec::new()).await?;
    Ok(())
}

/// What applying a provider event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Updated,
    /// The event was applied before (a redelivery).
    AlreadyApplied,
    /// No email of ours has that message id.
    UnknownMessage,
}

#[derive(Serialize, Deserialize)]
struct AppliedEvent {
    email_id: String,
    applied_at: Timestamp,
}

/// Applies a provider event to its email's log entry exactly once, suppressing
/// the address in the same transaction when the event says so.
pub async fn apply_event(table: &dyn Table, event: &EmailEvent, now: Timestamp) -> Result<Applied> {
    let Some(pointer) = table.get(&keys::email_message(&event.message_id)).await? else {
        return Ok(Applied::UnknownMessage);
    };
    let Some(email_id) = pointer
        .get("email_id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(Applied::UnknownMessage);
    };
    // Retried when another event of the same email changes it meanwhile.
    for _ in 0..5 {
        let log = get_log(table, &email_id)
            .await?
            .ok_or(Error::NotFound("email log entry"))?;
        let (mut next, suppress) = log.apply(event);
        let seen = AppliedEvent {
            email_id: email_id.clone(),
            applied_at: now,
        };
        let remember_until = now
            .saturating_add(EVENT_MEMORY)
            .unwrap_or(Timestamp::MAX)
            .as_second();
        let mut writes = vec![
            replace(&log, &mut next)?,
            Write::Put {
                item: to_item(
                    &keys::email_event(&event.provider, &event.event_id),
                    &seen,
                    Some(remember_until),
                )?,
                condition: Some(Condition::NotExists),
            },
        ];
        if let Some(reason) = suppress {
            let suppression = Suppression {
                email: log.to.clone(),
                reason,
                created_at: now,
                email_id: log.id.clone(),
            };
            writes.push(Write::Put {
                item: suppression_item(&suppression)?,
                condition: None,
            });
        }
        match table.transact(writes).await {
            Ok(()) => return Ok(Applied::Updated),
            Err(TableError::TransactionConditionFailed { index: 1 }) => {
                return Ok(Applied::AlreadyApplied);
            }
            Err(TableError::TransactionConditionFailed { index: 0 }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Table(TableError::TransactionConflict))
}

fn suppression_item(suppression: &Suppression) -> Result<Item> {
    let mut item = to_item(&keys::suppression(&suppression.email), suppression, None)?;
    item.insert("gsi1pk".into(), keys::SUPPRESSIONS.into());
    item.insert("gsi1sk".into(), suppression.email.clone().into());
    Ok(item)
}

pub async fn suppression(table: &dyn Table, email: &str) -> Result<Option<Suppression>> {
    Ok(crate::records::get(table, &keys::suppression(email)).await?)
}

/// Lifts a suppression; `false` if the address was not suppressed.
pub async fn remove_suppression(table: &dyn Table, email: &str) -> Result<bool> {
    match table
        .delete(&keys::suppression(email), Some(Condition::Exists))
        .await
    {
        Ok(_) => Ok(true),
        Err(TableError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One page of suppressed addresses, in address order.
pub async fn suppressions(
    table: &dyn Table,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Suppression>, Option<String>)> {
    Ok(crate::records::page_of(
        table,
        &Query::new(Index::Gsi1, keys::SUPPRESSIONS)
            .limit(limit)
            .after(cursor),
    )
    .await?)
}

/// Which log to list.
pub enum LogScope<'a> {
    Organization(&'a str),
    Platform,
}

/// What a listing keeps; `None` keeps everything.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub status: Option<EmailStatus>,
    pub kind: Option<NotificationType>,
    pub recipient: Option<String>,
}

impl LogFilter {
    fn keeps(&self, log: &EmailLog) -> bool {
        self.status.is_none_or(|s| s == log.status)
            && self.kind.is_none_or(|k| k == log.kind)
            && self
                .recipient
                .as_deref()
                .is_none_or(|r| r.trim().eq_ignore_ascii_case(&log.to))
    }
}

/// One page of a log, newest first. With a filter it reads at most
/// `MAX_FILTER_QUERIES` queries and may return a short page with a cursor.
pub async fn list_logs(
    table: &dyn Table,
    scope: LogScope<'_>,
    filter: &LogFilter,
    limit: u32,
    mut cursor: Option<String>,
) -> Result<(Vec<EmailLog>, Option<String>)> {
    let (index, pk) = match scope {
        LogScope::Organization(org_id) => (Index::Gsi1, keys::org_email_logs(org_id)),
        LogScope::Platform => (Index::Gsi2, keys::ALL_EMAIL_LOGS.to_string()),
    };
    let mut logs = Vec::new();
    for _ in 0..MAX_FILTER_QUERIES {
        // Never ask for more than the page still needs, so the cursor of the
        // last query is exactly where the next page starts.
        let wanted = limit - logs.len() as u32;
        let query = Query::new(index, pk.clone())
            .backward()
            .limit(wanted)
            .after(cursor);
        let page = table.query(&query).await?;
        for item in page.items {
            let log: EmailLog = from_item(item)?;
            if filter.keeps(&log) {
                logs.push(log);
            }
        }
        cursor = page.cursor;
        if cursor.is_none() || logs.len() as u32 == limit {
            break;
        }
    }
    Ok((logs, cursor))
}
