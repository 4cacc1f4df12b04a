//! Changing a booking (`shared::bookings::changes`): the business's actions
//! on its calendar and the customer's cancel and reschedule.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::post,
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::{
        booking::TokenQuery,
        changes::{self, ChangeRequest},
    },
    error::Result,
    http::{MaybeCaller, OptionalJsonBody, QueryParams},
    idempotency::idempotent,
};

pub fn routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/bookings/{booking_id}/{action}",
            idempotent(post(change_as_business), deps),
        )
        .route(
            "/v1/bookings/{booking_id}/{action}",
            idempotent(post(change_as_customer), deps),
        )
}

async fn change_as_business(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, booking_id, action)): Path<(String, String, String)>,
    OptionalJsonBody(request): OptionalJsonBody<ChangeRequest>,
) -> Result<Response> {
    let action = changes::action_named(&action)?;
    let changed =
        changes::change_as_business(&deps, &caller, &org_id, &booking_id, action, request).await?;
    Ok(Json(changed).into_response())
}

async fn change_as_customer(
    State(deps): State<Deps>,
    MaybeCaller(caller): MaybeCaller,
    Path((booking_id, action)): Path<(String, String)>,
    QueryParams(token): QueryParams<TokenQuery>,
    OptionalJsonBody(request): OptionalJsonBody<ChangeRequest>,
) -> Result<Response> {
    let action = changes::customer_action_named(&action)?;
    let changed =
        changes::change_as_customer(&deps, caller.as_ref(), &booking_id, token, action, request)
            .await?;
    Ok(Json(changed).into_response())
}
