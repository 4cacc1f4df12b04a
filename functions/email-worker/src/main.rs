//! The email worker on Lambda: the SES client built once per cold start.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use email_worker::EmailWorker;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::aws::ses::SesMailer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let from = std::env::var("MAIL_FROM").map_err(|_| "MAIL_FROM is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let worker = EmailWorker::new(Arc::new(SesMailer::new(
        aws_sdk_sesv2::Client::new(&config),
        from,
    )));
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
