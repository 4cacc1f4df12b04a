//! The notifications worker: each message of the notifications queue is one
//! `FanoutMessage` (a notification, or the next page of its audience), fanned
//! out by `shared::notifications::fanout`. Failed messages are reported, so SQS
//! retries them (every delivery is idempotent) and dead-letters them after the
//! queue's maximum receives.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::{
    Deps,
    notifications::fanout::{FanoutMessage, fan_out},
    worker::process_batch,
};

#[derive(Clone)]
pub struct NotificationsWorker {
    deps: Deps,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the message is not a notification: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("fan-out failed: {0}")]
    Fanout(#[from] shared::error::Error),
}

impl NotificationsWorker {
    pub fn new(deps: Deps) -> Self {
        NotificationsWorker { deps }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_batch(event, |message| self.fan_out(message)).await
    }

    async fn fan_out(&self, message: SqsMessage) -> Result<(), JobError> {
        let message: FanoutMessage =
            serde_json::from_str(message.body.as_deref().unwrap_or_default())?;
        fan_out(&self.deps, &message).await?;
        Ok(())
    }
}
