//! HTTP mapping of the caller's notification settings and in-app inbox
//! (`shared::notifications::{settings, inbox}`).

use axum::{
    Json, Router,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use shared::{
    Deps,
    accounts::Caller,
    error::Error,
    http::JsonBody,
    notifications::{inbox, settings},
};

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .route(
            "/v1/me/notification-settings",
            get(get_settings).put(change_settings),
        )
        .route("/v1/me/notifications", get(list_notifications))
        .route("/v1/me/notifications/read-all", post(mark_all_read))
        .route(
            "/v1/me/notifications/{notification_id}/read",
            post(mark_read),
        );
    shared::http::api(routes, deps)
}

type Result<T> = std::result::Result<T, Error>;

async fn get_settings(State(deps): State<Deps>, caller: Caller) -> Result<Response> {
    Ok(Json(settings::get(&deps, &caller.user_id).await?).into_response())
}

async fn change_settings(
    State(deps): State<Deps>,
    caller: Caller,
    JsonBody(change): JsonBody<settings::SettingsChange>,
) -> Result<Response> {
    Ok(Json(settings::change(&deps, &caller.user_id, change).await?).into_response())
}

#[derive(Deserialize)]
struct InboxParams {
    #[serde(default)]
    unread_only: bool,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list_notifications(
    State(deps): State<Deps>,
    caller: Caller,
    params: std::result::Result<Query<InboxParams>, QueryRejection>,
) -> Result<Response> {
    let Query(params) = params.map_err(|rejection| {
        Error::validation(
            "query",
            format!(
                "give unread_only as true or false and limit as a number from 1 to {}: {}",
                inbox::MAX_PAGE,
                rejection.body_text()
            ),
        )
    })?;
    let page = inbox::list(
        &deps,
        &caller,
        params.unread_only,
        params.limit,
        params.cursor,
    )
    .await?;
    Ok(Json(page).into_response())
}

async fn mark_read(
    State(deps): State<Deps>,
    caller: Caller,
    Path(notification_id): Path<String>,
) -> Result<StatusCode> {
    inbox::mark_read(&deps, &caller, &notification_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mark_all_read(State(deps): State<Deps>, caller: Caller) -> Result<StatusCode> {
    inbox::mark_all_read(&deps, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
