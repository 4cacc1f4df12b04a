//! Customer records (`shared::bookings::customers`): the customers list and
//! search, a customer with counters and history, and notes. Managers and up.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::customers::{self, CustomersQuery, NewNote},
    error::Result,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    paging::PageParams,
};

pub fn routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route("/v1/orgs/{org_id}/customers", get(list_customers))
        .route("/v1/orgs/{org_id}/customers/{customer_id}", get(customer))
        .route(
            "/v1/orgs/{org_id}/customers/{customer_id}/notes",
            get(list_notes).merge(idempotent(post(add_note), deps)),
        )
        .route(
            "/v1/orgs/{org_id}/customers/{customer_id}/notes/{note_id}",
            idempotent(delete(delete_note), deps),
        )
}

async fn list_customers(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(query): QueryParams<CustomersQuery>,
) -> Result<Response> {
    Ok(Json(customers::customers(&deps, &caller, &org_id, query).await?).into_response())
}

async fn customer(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, customer_id)): Path<(String, String)>,
    QueryParams(history): QueryParams<PageParams>,
) -> Result<Response> {
    let detail = customers::customer(&deps, &caller, &org_id, &customer_id, history).await?;
    Ok(Json(detail).into_response())
}

async fn add_note(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, customer_id)): Path<(String, String)>,
    JsonBody(new): JsonBody<NewNote>,
) -> Result<Response> {
    let note = customers::add_note(&deps, &caller, &org_id, &customer_id, new).await?;
    Ok((StatusCode::CREATED, Json(note)).into_response())
}

async fn list_notes(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, customer_id)): Path<(String, String)>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    let notes = customers::notes(&deps, &caller, &org_id, &customer_id, page).await?;
    Ok(Json(notes).into_response())
}

async fn delete_note(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, customer_id, note_id)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    customers::delete_note(&deps, &caller, &org_id, &customer_id, &note_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
