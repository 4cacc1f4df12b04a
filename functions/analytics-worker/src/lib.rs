//! The analytics worker: each message of the booking-events queue is one
//! `BookingChange`; it is counted in the day aggregates of booking analytics
//! exactly once, however often it is delivered.

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::{
    bookings::analytics::{self, Applied, BookingChange},
    clock::Clock,
    error::Error,
    table::Table,
    worker::process_batch,
};

#[derive(Clone)]
pub struct AnalyticsWorker {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeJobError {
    #[error("unreadable booking change: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error(transparent)]
    Storage(#[from] Error),
}

impl AnalyticsWorker {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        AnalyticsWorker { table, clock }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_batch(event, |message| self.apply(message)).await
    }

    /// An unreadable message fails (and ends in the dead-letter queue for a
    /// person to look at); a change counted before is acknowledged.
    async fn apply(&self, message: SqsMessage) -> Result<(), ChangeJobError> {
        let change: BookingChange =
            serde_json::from_str(message.body.as_deref().unwrap_or_default())?;
        let applied = analytics::apply_change(&*self.table, &change, self.clock.now()).await?;
        if applied == Applied::Duplicate {
            tracing::info!(event_id = %change.event_id, "booking change counted before; ignored");
        }
        Ok(())
    }
}
