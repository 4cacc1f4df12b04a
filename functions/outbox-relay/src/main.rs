//! The outbox relay on Lambda, started every minute by an EventBridge schedule.

use lambda_runtime::{LambdaEvent, service_fn};
use shared::{
    adapters::aws, bookings::analytics::BOOKING_EVENTS_QUEUE, due::ScheduledEvent,
    notifications::NOTIFICATIONS_QUEUE,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // Every queue an outbox message may be for; the key opens sealed entries.
    let deps = &aws::deps_from_env(
        &[NOTIFICATIONS_QUEUE, BOOKING_EVENTS_QUEUE],
        aws::TokenKey::FromEnv,
    )
    .await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ScheduledEvent>| async move {
            let report = outbox_relay::handle(deps, event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        },
    ))
    .await
}
