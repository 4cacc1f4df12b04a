//! The catalog: services, the schedule and staff (`shared::bookings::{services,
//! schedule, staff}`), and the public services list.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, patch, post, put},
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::{
        schedule::{self, ScheduleInput},
        services::{self, NewService, ServiceChanges, ServicesQuery},
        staff::{self, NewStaffMember, StaffChanges},
    },
    error::Result,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    paging::PageParams,
};

pub fn routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/services",
            get(list_services).merge(idempotent(post(create_service), deps)),
        )
        .route(
            "/v1/orgs/{org_id}/services/{service_id}",
            get(service).merge(idempotent(
                patch(update_service).delete(archive_service),
                deps,
            )),
        )
        .route("/v1/public/orgs/{slug}/services", get(public_services))
        .route(
            "/v1/orgs/{org_id}/schedule",
            get(get_schedule).merge(idempotent(put(put_schedule), deps)),
        )
        .route(
            "/v1/orgs/{org_id}/staff",
            get(list_staff).merge(idempotent(post(add_staff), deps)),
        )
        .route(
            "/v1/orgs/{org_id}/staff/{staff_id}",
            get(staff_member).merge(idempotent(
                patch(update_staff).delete(deactivate_staff),
                deps,
            )),
        )
}

async fn create_service(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(new): JsonBody<NewService>,
) -> Result<Response> {
    let created = services::create_service(&deps, &caller, &org_id, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list_services(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(query): QueryParams<ServicesQuery>,
) -> Result<Response> {
    Ok(Json(services::services(&deps, &caller, &org_id, query).await?).into_response())
}

async fn service(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, service_id)): Path<(String, String)>,
) -> Result<Response> {
    Ok(Json(services::service(&deps, &caller, &org_id, &service_id).await?).into_response())
}

async fn update_service(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, service_id)): Path<(String, String)>,
    JsonBody(changes): JsonBody<ServiceChanges>,
) -> Result<Response> {
    let updated = services::update_service(&deps, &caller, &org_id, &service_id, changes).await?;
    Ok(Json(updated).into_response())
}

async fn archive_service(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, service_id)): Path<(String, String)>,
) -> Result<Response> {
    let archived = services::archive_service(&deps, &caller, &org_id, &service_id).await?;
    Ok(Json(archived).into_response())
}

async fn public_services(
    State(deps): State<Deps>,
    Path(slug): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(services::public_services(&deps, &slug, page).await?).into_response())
}

async fn get_schedule(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(schedule::schedule(&deps, &caller, &org_id).await?).into_response())
}

async fn put_schedule(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(input): JsonBody<ScheduleInput>,
) -> Result<Response> {
    Ok(Json(schedule::put_schedule(&deps, &caller, &org_id, input).await?).into_response())
}

async fn add_staff(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(new): JsonBody<NewStaffMember>,
) -> Result<Response> {
    let added = staff::add_staff(&deps, &caller, &org_id, new).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

async fn list_staff(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(staff::staff(&deps, &caller, &org_id, page).await?).into_response())
}

async fn staff_member(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, staff_id)): Path<(String, String)>,
) -> Result<Response> {
    Ok(Json(staff::staff_member(&deps, &caller, &org_id, &staff_id).await?).into_response())
}

async fn update_staff(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, staff_id)): Path<(String, String)>,
    JsonBody(changes): JsonBody<StaffChanges>,
) -> Result<Response> {
    let updated = staff::update_staff(&deps, &caller, &org_id, &staff_id, changes).await?;
    Ok(Json(updated).into_response())
}

async fn deactivate_staff(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, staff_id)): Path<(String, String)>,
) -> Result<Response> {
    let deactivated = staff::deactivate_staff(&deps, &caller, &org_id, &staff_id).await?;
    Ok(Json(deactivated).into_response())
}
