//! Pumps a queue into its worker the way Lambda's SQS event source does: a batch
//! of up to ten messages per invocation; the messages the worker does not report
//! as failed are deleted; failed ones come back after the visibility timeout and
//! go to the dead-letter queue after the queue's maximum receives (the queue
//! adapter does that part, as SQS does).

use std::{collections::HashSet, future::Future, pin::Pin, sync::Arc, time::Duration};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::queue::{MAX_RECEIVE_BATCH, Message, Queue, QueueError};

type Handler =
    Arc<dyn Fn(SqsEvent) -> Pin<Box<dyn Future<Output = SqsBatchResponse> + Send>> + Send + Sync>;

/// A queue and the function that consumes it.
pub struct Worker {
    queue: &'static str,
    handler: Handler,
}

/// How long an idle pump waits before looking at its queue again.
const IDLE_POLL: Duration = Duration::from_millis(200);

impl Worker {
    pub fn new<F, Fut>(queue: &'static str, handler: F) -> Self
    where
        F: Fn(SqsEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SqsBatchResponse> + Send + 'static,
    {
        Worker {
            queue,
            handler: Arc::new(move |event| Box::pin(handler(event))),
        }
    }

    /// The queue it consumes.
    pub fn queue(&self) -> &'static str {
        self.queue
    }

    /// Receives one batch and hands it to the worker; returns its size.
    pub async fn pump_once(&self, queue: &dyn Queue) -> Result<usize, QueueError> {
        let messages = queue.receive(self.queue, MAX_RECEIVE_BATCH).await?;
        if messages.is_empty() {
            return Ok(0);
        }
        let mut event = SqsEvent::default();
        event.records = messages.iter().map(|m| sqs_record(self.queue, m)).collect();
        let response = (self.handler)(event).await;
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        for message in messages.iter().filter(|m| !failed.contains(m.id.as_str())) {
            queue.delete(self.queue, &message.receipt_handle).await?;
        }
        Ok(messages.len())
    }

    /// Pumps forever; errors are logged and the pump carries on.
    pub async fn run(&self, queue: &dyn Queue) {
        loop {
            match self.pump_once(queue).await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(queue = self.queue, %error, "pumping the queue failed");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }
}

/// The record Lambda would deliver for `message`.
fn sqs_record(queue: &str, message: &Message) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(message.id.clone());
    record.receipt_handle = Some(message.receipt_handle.clone());
    record.body = Some(message.body.clone());
    record.attributes.insert(
        "ApproximateReceiveCount".into(),
        message.receive_count.to_string(),
    );
    record.event_source = Some("aws:sqs".into());
    record.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{queue}"));
    record
}
