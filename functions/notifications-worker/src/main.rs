//! The notifications worker on Lambda: clients built once per cold start.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use notifications_worker::NotificationsWorker;
use shared::{adapters::aws, email::EMAIL_QUEUE, notifications::NOTIFICATIONS_QUEUE};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // Continuations go back on the notifications queue; emails onto the email queue.
    let deps =
        aws::deps_from_env(&[NOTIFICATIONS_QUEUE, EMAIL_QUEUE], aws::TokenKey::Unused).await?;
    let worker = NotificationsWorker::new(deps);
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
