//! `EmbeddedQueue`: the `Queue` port with SQS semantics on SQLite, durable across
//! restarts of the local runner. Time comes from the `Clock` port, so a shifted
//! clock makes delays and visibility timeouts pass.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::sqlite::{Database, SqliteError};
use crate::clock::Clock;
use crate::queue::{
    Message, Queue, QueueError, QueueSettings, Redrive, check_delay, check_receive_max,
};

/// Every message of every queue. A message is visible when `visible_at_ms` has
/// passed; `receipt_handle` names its latest receive. Receives take the visible
/// messages in order of `visible_at_ms`, then of sending (`seq`).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt_handle TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS queue_messages_by_visibility
    ON queue_messages (queue, visible_at_ms, seq);
";

pub struct EmbeddedQueue {
    database: Database,
    queues: HashMap<String, QueueSettings>,
    clock: Arc<dyn Clock>,
}

impl EmbeddedQueue {
    /// Opens (or creates) the queue store at `path` serving `queues`. Every
    /// dead-letter queue a redrive names must be among `queues`.
    pub fn open(
        path: &Path,
        queues: Vec<QueueSettings>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, QueueError> {
        let queues: HashMap<String, QueueSettings> = queues
            .into_iter()
            .map(|settings| (settings.name.clone(), settings))
            .collect();
        for settings in queues.values() {
            if let Some(redrive) = &settings.redrive
                && !queues.contains_key(&redrive.dead_letter_queue)
            {
                return Err(QueueError::Invalid(format!(
                    "queue {} names dead-letter queue {}, which is not configured",
                    settings.name, redrive.dead_letter_queue
                )));
            }
        }
        let database = Database::open(path, SCHEMA).map_err(backend)?;
        Ok(Self {
            database,
            queues,
            clock,
        })
    }

    fn settings(&self, queue: &str) -> Result<&QueueSettings, QueueError> {
        self.queues
            .get(queue)
            .ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(&self, queue: &str, body: &str, delay: Duration) -> Result<String, QueueError> {
        self.settings(queue)?;
        check_delay(delay)?;
        let id = uuid::Uuid::now_v7().to_string();
        let visible_at_ms = self.now_ms().saturating_add(millis(delay));
        let (queue, body, message_id) = (queue.to_owned(), body.to_owned(), id.clone());
        self.database
            .run(move |connection| {
                connection.execute(
                    "INSERT INTO queue_messages (id, queue, body, visible_at_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![message_id, queue, body, visible_at_ms],
                )
            })
            .await
            .map_err(backend)?;
        Ok(id)
    }

    async fn receive(&self, queue: &str, max: u32) -> Result<Vec<Message>, QueueError> {
        let settings = self.settings(queue)?.clone();
        check_receive_max(max)?;
        let now_ms = self.now_ms();
        self.database
            .run(move |connection| receive_visible(connection, &settings, max, now_ms))
            .await
            .map_err(backend)
    }

    async fn delete(&self, queue: &str, receipt_handle: &str) -> Result<(), QueueError> {
        self.settings(queue)?;
        let (queue, receipt_handle) = (queue.to_owned(), receipt_handle.to_owned());
        // As in SQS, deleting with a handle that no longer names a receive (the
        // message was deleted or received again since) succeeds and changes nothing.
        self.database
            .run(move |connection| {
                connection.execute(
                    "DELETE FROM queue_messages WHERE queue = ?1 AND receipt_handle = ?2",
                    params![queue, receipt_handle],
                )
            })
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// A visible message, as read before deciding what this receive does with it.
struct Candidate {
    seq: i64,
    id: String,
    body: String,
    receive_count: u32,
}

/// In one transaction: takes up to `max` visible messages of the queue, moving
/// those already received `max_receive_count` times to the dead-letter queue and
/// delivering the others (invisible for the visibility timeout, count bumped, new
/// receipt handle).
fn receive_visible(
    connection: &mut Connection,
    settings: &QueueSettings,
    max: u32,
    now_ms: i64,
) -> rusqlite::Result<Vec<Message>> {
    let transaction = connection.transaction()?;
    let invisible_until_ms = now_ms.saturating_add(millis(settings.visibility_timeout));
    let mut delivered = Vec::new();
    let mut wanted = max;
    // Each pass removes its candidates from the visible set (delivered or moved
    // away), so the loop ends when the batch is full or the queue has no more.
    while wanted > 0 {
        let candidates = visible_candidates(&transaction, &settings.name, now_ms, wanted)?;
        if candidates.is_empty() {
            break;
        }
        for candidate in candidates {
            match &settings.redrive {
                Some(Redrive {
                    dead_letter_queue,
                    max_receive_count,
                }) if candidate.receive_count >= *max_receive_count => {
                    // Like SQS, the message keeps its receive count on the DLQ.
                    transaction.execute(
                        "UPDATE queue_messages
                         SET queue = ?1, visible_at_ms = ?2, receipt_handle = NULL
                         WHERE seq = ?3",
                        params![dead_letter_queue, now_ms, candidate.seq],
                    )?;
                }
                _ => {
                    let receipt_handle = uuid::Uuid::now_v7().to_string();
                    let receive_count = candidate.receive_count.saturating_add(1);
                    transaction.execute(
                        "UPDATE queue_messages
                         SET visible_at_ms = ?1, receive_count = ?2, receipt_handle = ?3
                         WHERE seq = ?4",
                        params![
                            invisible_until_ms,
                            receive_count,
                            receipt_handle,
                            candidate.seq
                        ],
                    )?;
                    wanted -= 1;
                    delivered.push(Message {
                        id: candidate.id,
                        body: candidate.body,
                        receipt_handle,
                        receive_count,
                    });
                }
            }
        }
    }
    transaction.commit()?;
    Ok(delivered)
}

fn visible_candidates(
    connection: &Connection,
    queue: &str,
    now_ms: i64,
    limit: u32,
) -> rusqlite::Result<Vec<Candidate>> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, id, body, receive_count FROM queue_messages
         WHERE queue = ?1 AND visible_at_ms <= ?2
         ORDER BY visible_at_ms, seq
         LIMIT ?3",
    )?;
    let rows = statement.query_map(params![queue, now_ms, limit], |row| {
        Ok(Candidate {
            seq: row.get(0)?,
            id: row.get(1)?,
            body: row.get(2)?,
            receive_count: row.get(3)?,
        })
    })?;
    rows.collect()
}

/// A duration in whole milliseconds, saturating (delays are bounded well below).
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn backend(error: SqliteError) -> QueueError {
    QueueError::Backend(error.to_string())
}
