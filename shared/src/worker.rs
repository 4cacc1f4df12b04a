//! Queue workers: each message of an SQS batch is handled on its own, and only the
//! failed ones are reported, so SQS retries just those (and dead-letters them
//! after the queue's maximum receives).

use std::fmt::Display;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use tracing::Instrument;

pub async fn process_batch<F, Fut, E>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        if let Err(error) = handle(message).instrument(span).await {
            tracing::error!(message_id = %id, %error, "message failed; it will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
