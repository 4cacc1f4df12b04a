//! The analytics worker on Lambda: its ports built once per cold start (it
//! only uses the table and the clock).

use analytics_worker::AnalyticsWorker;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::adapters::aws::{self, TokenKey};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let deps = aws::deps_from_env(&[], TokenKey::Unused).await?;
    let worker = &AnalyticsWorker::new(deps.table, deps.clock);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
