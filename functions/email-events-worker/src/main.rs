//! The email-events worker on Lambda: the DynamoDB client built once per cold start.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use email_events_worker::EmailEventsWorker;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::{adapters::aws::dynamodb::DynamoDbTable, clock::SystemClock};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let table_name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clock = Arc::new(SystemClock);
    let table = Arc::new(DynamoDbTable::new(
        aws_sdk_dynamodb::Client::new(&config),
        table_name,
        clock.clone(),
    ));
    let worker = &EmailEventsWorker::new(table, clock);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
