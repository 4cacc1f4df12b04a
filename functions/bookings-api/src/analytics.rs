//! Booking analytics (`shared::bookings::analytics`): counts read from the
//! day aggregates the analytics worker keeps.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::analytics::{self, AnalyticsQuery},
    error::Error,
    http::QueryParams,
};

pub fn routes() -> Router<Deps> {
    Router::new().route(
        "/v1/orgs/{org_id}/analytics/bookings",
        get(booking_analytics),
    )
}

async fn booking_analytics(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(query): QueryParams<AnalyticsQuery>,
) -> Result<Response, Error> {
    let report = analytics::booking_analytics(&deps, &caller, &org_id, query).await?;
    Ok(Json(report).into_response())
}
