//! The email-events worker: each message of the email-events queue is a Mailgun
//! webhook body or an SES event (through EventBridge); it updates the email log
//! of the email it is about, exactly once, in any order.

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::{
    clock::Clock,
    email::{
        events::{self, EventError},
        store::{self, Applied},
    },
    error::Error,
    table::Table,
    worker::process_batch,
};

#[derive(Clone)]
pub struct EmailEventsWorker {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum EventJobError {
    #[error(transparent)]
    Unreadable(#[from] EventError),
    #[error(transparent)]
    Storage(#[from] Error),
}

impl EmailEventsWorker {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        EmailEventsWorker { table, clock }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_batch(event, |message| self.apply(message)).await
    }

    /// An unreadable message fails (and ends in the dead-letter queue for a
    /// person to look at); events the log does not record are acknowledged.
    async fn apply(&self, message: SqsMessage) -> Result<(), EventJobError> {
        let Some(event) = events::parse(message.body.as_deref().unwrap_or_default())? else {
            return Ok(());
        };
        let applied = store::apply_event(&*self.table, &event, self.clock.now()).await?;
        if applied == Applied::UnknownMessage {
            tracing::info!(provider = %event.provider, message_id = %event.message_id, "event about an email we have no log of; ignored");
        }
        Ok(())
    }
}
