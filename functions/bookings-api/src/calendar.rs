//! Calendar feeds (`shared::bookings::feeds`): managing the subscription URLs,
//! and the feeds calendars poll.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::{
        calendar,
        feeds::{self, NewFeed},
    },
    error::Error,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    paging::PageParams,
};

type Result<T> = std::result::Result<T, Error>;

/// Creating and rotating answer a new token, so they are not kept for
/// `Idempotency-Key` retries (a kept response would store the token).
pub fn routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/calendar-feeds",
            get(list_feeds).post(create_feed),
        )
        .route(
            "/v1/orgs/{org_id}/calendar-feeds/{feed_id}",
            idempotent(delete(revoke_feed), deps),
        )
        .route(
            "/v1/orgs/{org_id}/calendar-feeds/{feed_id}/rotate",
            post(rotate_feed),
        )
        // `{feed_file}` is `<token>.ics`: API Gateway path variables are whole segments.
        .route("/v1/calendar/{feed_file}", get(feed))
}

async fn create_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(new): JsonBody<NewFeed>,
) -> Result<Response> {
    let issued = feeds::create_feed(&deps, &caller, &org_id, new).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn list_feeds(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(feeds::feeds(&deps, &caller, &org_id, page).await?).into_response())
}

async fn revoke_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, feed_id)): Path<(String, String)>,
) -> Result<Response> {
    feeds::revoke_feed(&deps, &caller, &org_id, &feed_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, feed_id)): Path<(String, String)>,
) -> Result<Response> {
    let issued = feeds::rotate_feed(&deps, &caller, &org_id, &feed_id).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

/// Calendar apps poll a feed; five minutes of caching spares the table
/// without delaying a booking much. Private: the URL is a credential.
const FEED_CACHE_CONTROL: &str = "private, max-age=300";

async fn feed(State(deps): State<Deps>, Path(feed_file): Path<String>) -> Result<Response> {
    let ics = feeds::feed_ics(&deps, &feed_file).await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(calendar::CONTENT_TYPE),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(FEED_CACHE_CONTROL),
        ),
    ];
    Ok((headers, ics).into_response())
}
