//! HTTP mapping of organizations (`shared::organizations`), the audit log
//! (`shared::audit`) and media upload URLs (`shared::media`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post, put},
};
use serde::Deserialize;
use serde_json::{Map, Value};
use shared::{
    Deps,
    accounts::Caller,
    audit,
    error::Result,
    http::{JsonBody, QueryParams, signed_in, user_agent},
    idempotency::idempotent,
    media::{self, UploadRequest},
    organizations::{
        self, DecisionRequest, DirectoryQuery, NewOrganization, RequestsQuery,
        client_onboarding::{self, NewClient},
        team::{self, NewInvite, OwnershipTransfer, RoleChange},
    },
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
        .route("/v1/admin/audit", get(platform_audit))
        // Not wrapped in `idempotent`: it changes nothing, a retry just gets a
        // fresh URL (and a stored answer would outlive the URL's expiry).
        .route("/v1/orgs/{org_id}/media/uploads", post(create_upload))
        .merge(team_routes(&deps))
        .merge(verification_routes(&deps))
        .merge(client_onboarding_routes(&deps));
    shared::http::api(routes, deps)
}

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

async fn create_upload(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(request): JsonBody<UploadRequest>,
) -> Result<Response> {
    let upload = media::create_upload(&deps, &caller, &org_id, request).await?;
    Ok((StatusCode::CREATED, Json(upload)).into_response())
}

// The team: invitations, members, leaving and ownership (`organizations::team`).

fn team_routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/invites",
            get(list_invites).merge(idempotent(post(invite), deps)),
        )
        .route(
            "/v1/orgs/{org_id}/invites/{invite_id}",
            idempotent(delete(revoke_invite), deps),
        )
        .route(
            "/v1/orgs/{org_id}/invites/{invite_id}/resend",
            idempotent(post(resend_invite), deps),
        )
        .route(
            "/v1/invites/{code}/accept",
            idempotent(post(accept_invite), deps),
        )
        .route("/v1/orgs/{org_id}/members", get(members))
        .route(
            "/v1/orgs/{org_id}/members/{user_id}",
            idempotent(patch(change_role).delete(remove_member), deps),
        )
        .route("/v1/orgs/{org_id}/leave", idempotent(post(leave), deps))
        .route(
            "/v1/orgs/{org_id}/transfer-ownership",
            idempotent(post(transfer_ownership), deps),
        )
}

async fn invite(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(new): JsonBody<NewInvite>,
) -> Result<Response> {
    let invite = team::invite(&deps, &caller, &org_id, new).await?;
    Ok((StatusCode::CREATED, Json(invite)).into_response())
}

async fn list_invites(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(team::list_invites(&deps, &caller, &org_id, page).await?).into_response())
}

async fn revoke_invite(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, invite_id)): Path<(String, String)>,
) -> Result<Response> {
    team::revoke_invite(&deps, &caller, &org_id, &invite_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn resend_invite(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, invite_id)): Path<(String, String)>,
) -> Result<Response> {
    Ok(Json(team::resend_invite(&deps, &caller, &org_id, &invite_id).await?).into_response())
}

async fn accept_invite(
    State(deps): State<Deps>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response> {
    Ok(Json(team::accept_invite(&deps, &caller, &code).await?).into_response())
}

async fn members(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(team::members(&deps, &caller, &org_id, page).await?).into_response())
}

async fn change_role(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
    JsonBody(change): JsonBody<RoleChange>,
) -> Result<Response> {
    Ok(Json(team::change_role(&deps, &caller, &org_id, &user_id, change).await?).into_response())
}

async fn remove_member(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> Result<Response> {
    team::remove_member(&deps, &caller, &org_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn leave(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    team::leave(&deps, &caller, &org_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn transfer_ownership(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    JsonBody(transfer): JsonBody<OwnershipTransfer>,
) -> Result<Response> {
    Ok(Json(team::transfer_ownership(&deps, &caller, &org_id, transfer).await?).into_response())
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
            idempotent(put(set_platform_role), deps),
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

// Client onboarding by invitation (`shared::organizations::client_onboarding`).

fn client_onboarding_routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route("/v1/admin/orgs", idempotent(post(create_client), deps))
        .route("/v1/onboarding/{token}", get(onboarding_state))
        // Answers with a session's tokens: never kept for an Idempotency-Key.
        .route("/v1/onboarding/{token}/activate", post(activate))
        .route(
            "/v1/orgs/{org_id}/onboarding/complete",
            idempotent(post(complete_onboarding), deps),
        )
}

async fn create_client(
    State(deps): State<Deps>,
    caller: Caller,
    JsonBody(new): JsonBody<NewClient>,
) -> Result<Response> {
    let created = client_onboarding::create_client(&deps, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn onboarding_state(State(deps): State<Deps>, Path(token): Path<String>) -> Result<Response> {
    Ok(Json(client_onboarding::state(&deps, &token).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    password: String,
}

async fn activate(
    State(deps): State<Deps>,
    Path(token): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ActivateBody>,
) -> Result<Response> {
    let tokens =
        client_onboarding::activate(&deps, &token, &body.password, user_agent(&headers)).await?;
    Ok(signed_in(tokens))
}

async fn complete_onboarding(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response> {
    Ok(Json(client_onboarding::complete(&deps, &caller, &org_id).await?).into_response())
}
