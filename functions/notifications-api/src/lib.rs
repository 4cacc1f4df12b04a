//! HTTP mapping of the caller's notification settings and in-app inbox
//! (`shared::notifications::{settings, inbox}`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::Deserialize;
use shared::{
    Deps,
    accounts::Caller,
    error::Result,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    notifications::{inbox, settings},
    paging::PageParams,
};

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .route(
            "/v1/me/notification-settings",
            get(get_settings).merge(idempotent(put(change_settings), &deps)),
        )
        .route("/v1/me/notifications", get(list_notifications))
        .route(
            "/v1/me/notifications/read-all",
            idempotent(post(mark_all_read), &deps),
        )
        .route(
            "/v1/me/notifications/{notification_id}/read",
            idempotent(post(mark_read), &deps),
        );
    shared::http::api(routes, deps)
}

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
    QueryParams(params): QueryParams<InboxParams>,
) -> Result<Response> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    Ok(Json(inbox::list(&deps, &caller, params.unread_only, page).await?).into_response())
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
