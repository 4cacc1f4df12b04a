//! HTTP mapping of organizations (`shared::organizations`) and the audit log
//! (`shared::audit`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, patch, post, put},
};
use serde_json::{Map, Value};
use shared::{
    Deps,
    accounts::Caller,
    audit,
    error::Error,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    organizations::{self, DecisionRequest, DirectoryQuery, NewOrganization, RequestsQuery},
    paging::PageParams,
    staff::{self, PlatformRoleRequest},
};

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .route(
            "/v1/orgs",
            get(my_organizations).merge(idempotent(post(register), &deps)),
        )
        .route(
            "/v1/orgs/{org_id}",
            get(organization).merge(idempotent(patch(update_profile), &deps)),
        )
        .route("/v1/orgs/{org_id}/onboarding", get(onboarding))
        .route("/v1/orgs/{org_id}/audit", get(org_audit))
        .route("/v1/public/orgs", get(public_directory))
        .route("/v1/public/orgs/{slug}", get(public_profile))
        .route("/v1/admin/audit", get(platform_audit));
    let routes = routes.merge(verification_routes(&deps));
    shared::http::api(routes, deps)
}

type Result<T> = std::result::Result<T, Error>;

async fn register(
    State(deps): State<Deps>,
    caller: Caller,
    JsonBody(new): JsonBody<NewOrganization>,
) -> Result<Response> {
    let created = organizations::register(&deps, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn my_organizations(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(organizations::my_organizations(&deps, &caller, page).await?).into_response())
}

async fn organization(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(organizations::get(&deps, &caller, &org_id).await?).into_response())
}

async fn update_profile(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response> {
    let updated = organizations::update_profile(&deps, &caller, &org_id, body).await?;
    Ok(Json(updated).into_response())
}

async fn onboarding(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(organizations::onboarding(&deps, &caller, &org_id).await?).into_response())
}

async fn org_audit(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(audit::org_audit(&deps, &caller, &org_id, page).await?).into_response())
}

async fn platform_audit(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(audit::platform_audit(&deps, &caller, page).await?).into_response())
}

async fn public_directory(
    State(deps): State<Deps>,
    QueryParams(query): QueryParams<DirectoryQuery>,
) -> Result<Response> {
    Ok(Json(organizations::public_directory(&deps, query).await?).into_response())
}

async fn public_profile(State(deps): State<Deps>, Path(slug): Path<String>) -> Result<Response> {
    Ok(Json(organizations::public_profile(&deps, &slug).await?).into_response())
}

// Verification and platform roles (`shared::organizations::verification`, `shared::staff`).

fn verification_routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/verification",
            get(verification).merge(idempotent(post(submit_verification), deps)),
        )
        .route("/v1/admin/verifications", get(verification_requests))
        .route(
            "/v1/admin/orgs/{org_id}/verification",
            idempotent(post(decide_verification), deps),
        )
        .route(
            "/v1/admin/users/{user_id}/platform-role",
            put(set_platform_role),
        )
}

async fn verification(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(organizations::verification(&deps, &caller, &org_id).await?).into_response())
}

async fn submit_verification(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(organizations::submit(&deps, &caller, &org_id).await?).into_response())
}

async fn verification_requests(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(query): QueryParams<RequestsQuery>,
) -> Result<Response> {
    Ok(Json(organizations::requests(&deps, &caller, query).await?).into_response())
}

async fn decide_verification(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(decision): JsonBody<DecisionRequest>,
) -> Result<Response> {
    let decided = organizations::decide(&deps, &caller, &org_id, decision).await?;
    Ok(Json(decided).into_response())
}

async fn set_platform_role(
    State(deps): State<Deps>,
    caller: Caller,
    Path(user_id): Path<String>,
    JsonBody(request): JsonBody<PlatformRoleRequest>,
) -> Result<Response> {
    let member = staff::set_platform_role(&deps, &caller, &user_id, request).await?;
    Ok(Json(member).into_response())
}
