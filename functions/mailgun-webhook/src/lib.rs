//! HTTP mapping of Mailgun's delivery webhooks (`shared::email::webhook`):
//! one route, 200 once the webhook is queued, 406 (which stops Mailgun's
//! retries) for one that is forged, stale, replayed or unreadable.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use shared::{
    Deps,
    email::webhook::{self, WebhookError},
    error::Error,
    http::Problem,
};

/// Where Mailgun posts: the function URL's path, and the local runner's.
pub const PATH: &str = "/webhooks/mailgun";

pub fn router(deps: Deps, signing_key: Vec<u8>) -> Router {
    let signing_key: Arc<[u8]> = signing_key.into();
    let routes = Router::new().route(
        PATH,
        post(move |State(deps): State<Deps>, body: Bytes| {
            let signing_key = signing_key.clone();
            async move { receive(&deps, &signing_key, &body).await }
        }),
    );
    shared::http::api(routes, deps)
}

async fn receive(deps: &Deps, signing_key: &[u8], body: &[u8]) -> Response {
    match webhook::receive_mailgun(deps, signing_key, body).await {
        Ok(()) => Json(json!({ "status": "accepted" })).into_response(),
        Err(error) => problem(error).into_response(),
    }
}

/// Refusals are 406 so Mailgun stops retrying; storage and queue failures
/// are 500 so it tries again later.
fn problem(error: WebhookError) -> Problem {
    let code = match &error {
        WebhookError::Malformed(_) => "malformed_webhook",
        WebhookError::Forged => "invalid_signature",
        WebhookError::Stale { .. } => "stale_webhook",
        WebhookError::Replayed => "replayed_webhook",
        WebhookError::Table(table) => {
            return Error::Internal(format!("recording a webhook token: {table}")).into();
        }
        WebhookError::Queue(queue) => {
            return Error::Internal(format!("queueing a webhook: {queue}")).into();
        }
    };
    tracing::warn!(error = %error, "refused a Mailgun webhook");
    Problem::new(StatusCode::NOT_ACCEPTABLE, code, error.to_string())
}
