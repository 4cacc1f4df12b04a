//! The Mailgun webhook on Lambda, behind a function URL: clients built once
//! per cold start, then the router.

use shared::{adapters::aws, email::events::EMAIL_EVENTS_QUEUE};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let signing_key = std::env::var("MAILGUN_WEBHOOK_SIGNING_KEY")
        .map_err(|_| aws::ConfigError::Missing("MAILGUN_WEBHOOK_SIGNING_KEY"))?;
    let deps = aws::deps_from_env(&[EMAIL_EVENTS_QUEUE], aws::TokenKey::Unused).await?;
    let router = mailgun_webhook::router(deps, signing_key.into_bytes());
    lambda_http::run(router.fallback(shared::http::no_route)).await
}
