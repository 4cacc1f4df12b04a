//! The `Queue` port: SQS semantics, implemented by the SQS adapter and the
//! embedded SQLite queue; the conformance suite in `tests/` holds both to it.
//!
//! Delivery is at least once. A received message is invisible for the queue's
//! visibility timeout; not deleted by then, it is delivered again. Once a message
//! has been received `max_receive_count` times without being deleted, the next
//! receive moves it to the queue's dead-letter queue instead of delivering it.

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

/// Longest delay SQS allows on one message.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Most messages one receive returns, as in SQS.
pub const MAX_RECEIVE_BATCH: u32 = 10;

/// A queue's settings, as `template.yaml` declares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// The logical name the code uses (`email`, `email-dlq`, ...).
    pub name: String,
    pub visibility_timeout: Duration,
    /// Where a message goes after `max_receive_count` receives, if anywhere.
    pub redrive: Option<Redrive>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

/// A received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub body: String,
    /// Identifies this receipt; needed to delete the message.
    pub receipt_handle: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("unknown queue {0}")]
    UnknownQueue(String),
    #[error("invalid queue request: {0}")]
    Invalid(String),
    #[error("queue backend failed: {0}")]
    Backend(String),
}

/// Checks a send's delay against SQS's limit; every adapter applies it.
pub fn check_delay(delay: Duration) -> Result<(), QueueError> {
    if delay > MAX_DELAY {
        return Err(QueueError::Invalid(format!(
            "delay {delay:?} is longer than the {MAX_DELAY:?} SQS allows"
        )));
    }
    Ok(())
}

/// Checks a receive's batch size against SQS's limits; every adapter applies it.
pub fn check_receive_max(max: u32) -> Result<(), QueueError> {
    if !(1..=MAX_RECEIVE_BATCH).contains(&max) {
        return Err(QueueError::Invalid(format!(
            "a receive takes 1 to {MAX_RECEIVE_BATCH} messages, not {max}"
        )));
    }
    Ok(())
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends one message, visible after `delay` (at most `MAX_DELAY`); returns its id.
    async fn send(&self, queue: &str, body: &str, delay: Duration) -> Result<String, QueueError>;
    /// Receives up to `max` (1..=`MAX_RECEIVE_BATCH`) visible messages without waiting.
    async fn receive(&self, queue: &str, max: u32) -> Result<Vec<Message>, QueueError>;
    /// Deletes a received message so it is never delivered again.
    async fn delete(&self, queue: &str, receipt_handle: &str) -> Result<(), QueueError>;
}

/// Sends a typed job as JSON.
pub async fn enqueue<J: Serialize + Sync>(
    queue: &dyn Queue,
    name: &str,
    job: &J,
) -> Result<String, QueueError> {
    let body = serde_json::to_string(job).map_err(|e| QueueError::Invalid(e.to_string()))?;
    queue.send(name, &body, Duration::ZERO).await
}
