//! The bookings API on Lambda: clients built once per cold start, then the router.

use shared::{
    adapters::aws, bookings::analytics::BOOKING_EVENTS_QUEUE, notifications::NOTIFICATIONS_QUEUE,
};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let deps = aws::deps_from_env(
        &[NOTIFICATIONS_QUEUE, BOOKING_EVENTS_QUEUE],
        aws::TokenKey::FromEnv,
    )
    .await?;
    lambda_http::run(bookings_api::router(deps).fallback(shared::http::no_route)).await
}
