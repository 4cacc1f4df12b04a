//! The booking reminders on Lambda, started every 5 minutes by an EventBridge schedule.

use lambda_runtime::{LambdaEvent, service_fn};
use shared::{adapters::aws, due::ScheduledEvent, notifications::NOTIFICATIONS_QUEUE};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // The key makes guests' manage links (`bookings::booking::manage_token`).
    let deps = &aws::deps_from_env(&[NOTIFICATIONS_QUEUE], aws::TokenKey::FromEnv).await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ScheduledEvent>| async move {
            let report = booking_reminders::handle(deps, event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        },
    ))
    .await
}
