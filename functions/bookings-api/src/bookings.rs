//! Availability and booking (`shared::bookings::{availability, booking, history}`):
//! the public availability and booking routes, the organization's calendar,
//! a booking's history, "my bookings" and the guest's view by manage token.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::{
        availability::{self, AvailabilityQuery},
        booking::{self, CalendarQuery, IdempotencyKey, NewBooking, TokenQuery},
        history,
    },
    error::Result,
    http::{JsonBody, MaybeCaller, QueryParams},
    idempotency,
    paging::PageParams,
};

pub fn routes() -> Router<Deps> {
    Router::new()
        .route(
            "/v1/public/orgs/{slug}/availability",
            get(public_availability),
        )
        // Not wrapped in `idempotent`: the response carries the manage token,
        // so the route keeps its own key guard (see `booking::book`).
        .route("/v1/public/orgs/{slug}/bookings", post(book))
        .route("/v1/orgs/{org_id}/bookings", get(calendar))
        .route("/v1/orgs/{org_id}/bookings/{booking_id}", get(org_booking))
        .route(
            "/v1/orgs/{org_id}/bookings/{booking_id}/history",
            get(booking_history),
        )
        .route("/v1/me/bookings", get(my_bookings))
        .route("/v1/bookings/{booking_id}", get(booking_by_token))
}

async fn public_availability(
    State(deps): State<Deps>,
    Path(slug): Path<String>,
    QueryParams(query): QueryParams<AvailabilityQuery>,
) -> Result<Response> {
    Ok(Json(availability::public_availability(&deps, &slug, query).await?).into_response())
}

async fn book(
    State(deps): State<Deps>,
    MaybeCaller(caller): MaybeCaller,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    JsonBody(request): JsonBody<NewBooking>,
) -> Result<Response> {
    let key = idempotency::key_of(&headers)?
        .map(|key| IdempotencyKey::new(key, uri.path(), &request))
        .transpose()?;
    let booked = booking::book(&deps, caller.as_ref(), &slug, request, key).await?;
    let replayed = booked.replayed;
    let mut response = (StatusCode::CREATED, Json(booked)).into_response();
    if replayed {
        response.headers_mut().insert(
            idempotency::REPLAYED_HEADER,
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

async fn calendar(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(query): QueryParams<CalendarQuery>,
) -> Result<Response> {
    Ok(Json(booking::calendar(&deps, &caller, &org_id, query).await?).into_response())
}

async fn org_booking(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, booking_id)): Path<(String, String)>,
) -> Result<Response> {
    let booking = booking::org_booking(&deps, &caller, &org_id, &booking_id).await?;
    Ok(Json(booking).into_response())
}

async fn booking_history(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, booking_id)): Path<(String, String)>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    let history = history::booking_history(&deps, &caller, &org_id, &booking_id, page).await?;
    Ok(Json(history).into_response())
}

async fn my_bookings(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(booking::my_bookings(&deps, &caller, page).await?).into_response())
}

async fn booking_by_token(
    State(deps): State<Deps>,
    Path(booking_id): Path<String>,
    QueryParams(query): QueryParams<TokenQuery>,
) -> Result<Response> {
    Ok(Json(booking::booking_by_token(&deps, &booking_id, query).await?).into_response())
}
