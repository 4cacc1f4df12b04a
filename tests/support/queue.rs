//! Fresh, isolated queues for the queue conformance suite: an embedded store in a
//! temporary directory, or SQS queues of the test's own on the moto server.

use std::sync::Arc;
use std::time::Duration;

use shared::adapters::aws::sqs::{SqsQueue, create_queues_if_missing};
use shared::adapters::embedded::queue::EmbeddedQueue;
use shared::clock::Clock;
use shared::queue::{QueueSettings, Redrive};
use tempfile::TempDir;

use crate::aws::{sdk_config, unique_name};

/// The queue the cases work on.
pub const WORK_QUEUE: &str = "jobs";
/// `WORK_QUEUE`'s dead-letter queue.
pub const DEAD_LETTER_QUEUE: &str = "jobs-dlq";
/// Short, so redelivery cases only sleep a moment.
pub const VISIBILITY_TIMEOUT: Duration = Duration::from_secs(1);
/// Receives a message gets on `WORK_QUEUE` before the next one dead-letters it.
pub const MAX_RECEIVE_COUNT: u32 = 2;

/// `WORK_QUEUE`, redriving to `DEAD_LETTER_QUEUE`, both with `VISIBILITY_TIMEOUT`.
pub fn test_queue_settings() -> Vec<QueueSettings> {
    vec![
        QueueSettings {
            name: WORK_QUEUE.to_owned(),
            visibility_timeout: VISIBILITY_TIMEOUT,
            redrive: Some(Redrive {
                dead_letter_queue: DEAD_LETTER_QUEUE.to_owned(),
                max_receive_count: MAX_RECEIVE_COUNT,
            }),
        },
        QueueSettings {
            name: DEAD_LETTER_QUEUE.to_owned(),
            visibility_timeout: VISIBILITY_TIMEOUT,
            redrive: None,
        },
    ]
}

/// An embedded queue store of its own; the directory goes when this is dropped.
pub struct EmbeddedQueueStore {
    pub queue: EmbeddedQueue,
    pub directory: TempDir,
}

impl EmbeddedQueueStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let directory = tempfile::tempdir().expect("create a temporary directory");
        let queue = Self::reopen(&directory, clock);
        Self { queue, directory }
    }

    /// Opens the store in `directory` again, as a restarted process would.
    pub fn reopen(directory: &TempDir, clock: Arc<dyn Clock>) -> EmbeddedQueue {
        EmbeddedQueue::open(
            &directory.path().join("queues.sqlite"),
            test_queue_settings(),
            clock,
        )
        .expect("open the embedded queue store")
    }
}

/// An SQS client for the moto server.
pub async fn sqs_client() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config().await)
}

/// Queues of the test's own on the moto server, created as the local runner does.
pub async fn sqs_queue() -> SqsQueue {
    let client = sqs_client().await;
    let urls =
        create_queues_if_missing(&client, &unique_name("conformance"), &test_queue_settings())
            .await
            .expect("create the test queues on the moto server");
    SqsQueue::new(client, urls)
}
