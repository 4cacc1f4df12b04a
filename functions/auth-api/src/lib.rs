//! HTTP mapping of accounts and sessions (`shared::accounts`): routes, JSON in
//! and out, and the refresh-token cookie for browsers.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post},
};
use serde::Deserialize;
use serde_json::json;
use shared::{
    Deps,
    accounts::{self, Caller, LoginOutcome, LoginRequest, SignupRequest, UpdateMeRequest},
    error::{Error, Result},
    http::{JsonBody, QueryParams, REFRESH_COOKIE, signed_in, user_agent, with_cookie},
    idempotency::idempotent,
    paging::PageParams,
};

pub fn router(deps: Deps) -> Router {
    // Routes a client may retry take an Idempotency-Key; those answering with
    // tokens (login, MFA, refresh) don't, so no token is ever kept.
    let retryable = |route| idempotent(route, &deps);
    let routes = Router::new()
        .route("/v1/auth/signup", retryable(post(signup)))
        .route("/v1/auth/verify-email", retryable(post(verify_email)))
        .route(
            "/v1/auth/verify-email/resend",
            retryable(post(resend_verification)),
        )
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/mfa/verify", post(verify_mfa))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", retryable(post(logout)))
        .route("/v1/auth/password/change", retryable(post(change_password)))
        .route("/v1/auth/password/forgot", retryable(post(forgot_password)))
        .route("/v1/auth/password/reset", retryable(post(reset_password)))
        .route("/v1/me", get(me).merge(retryable(patch(update_me))))
        .route("/v1/me/sessions", get(list_sessions))
        .route(
            "/v1/me/sessions/{session_id}",
            retryable(delete(revoke_session)),
        );
    shared::http::api(routes, deps)
}

async fn signup(
    State(deps): State<Deps>,
    JsonBody(request): JsonBody<SignupRequest>,
) -> Result<Response> {
    let user_id = accounts::signup(&deps, request).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user_id": user_id }))).into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn verify_email(
    State(deps): State<Deps>,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response> {
    accounts::verify_email(&deps, &body.token).await?;
    Ok(Json(json!({ "email_verified": true })).into_response())
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
}

/// The answer of requests that must not tell whether an account exists.
fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({ "status": "accepted" }))).into_response()
}

async fn resend_verification(
    State(deps): State<Deps>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    accounts::resend_verification(&deps, &body.email).await?;
    Ok(accepted())
}

async fn login(
    State(deps): State<Deps>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<Response> {
    match accounts::login(&deps, request, user_agent(&headers)).await? {
        LoginOutcome::SignedIn(tokens) => Ok(signed_in(tokens)),
        LoginOutcome::MfaRequired { challenge_id } => Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "mfa_required": true, "challenge_id": challenge_id })),
        )
            .into_response()),
    }
}

#[derive(Deserialize)]
struct MfaBody {
    challenge_id: String,
    code: String,
}

async fn verify_mfa(
    State(deps): State<Deps>,
    JsonBody(body): JsonBody<MfaBody>,
) -> Result<Response> {
    Ok(signed_in(
        accounts::verify_mfa(&deps, &body.challenge_id, &body.code).await?,
    ))
}

fn cleared_cookie() -> String {
    format!("{REFRESH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: Option<String>,
}

/// Takes the refresh token from the JSON body (apps) or the cookie (browsers,
/// which may send no body at all).
async fn refresh(State(deps): State<Deps>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: RefreshBody = serde_json::from_slice(&body).map_err(|e| {
            Error::validation(
                "refresh_token",
                format!("the body must be {{\"refresh_token\": \"...\"}}: {e}"),
            )
        })?;
        parsed.refresh_token
    };
    let token = from_body
        .or_else(|| cookie(&headers, REFRESH_COOKIE))
        .ok_or(Error::InvalidRefreshToken)?;
    Ok(signed_in(accounts::refresh(&deps, &token).await?))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn logout(State(deps): State<Deps>, caller: Caller) -> Result<Response> {
    accounts::logout(&deps, &caller).await?;
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &cleared_cookie(),
    ))
}

#[derive(Deserialize)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(deps): State<Deps>,
    caller: Caller,
    JsonBody(body): JsonBody<ChangePasswordBody>,
) -> Result<StatusCode> {
    accounts::change_password(&deps, &caller, body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn forgot_password(
    State(deps): State<Deps>,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<Response> {
    accounts::forgot_password(&deps, &body.email).await?;
    Ok(accepted())
}

#[derive(Deserialize)]
struct ResetPasswordBody {
    token: String,
    new_password: String,
}

async fn reset_password(
    State(deps): State<Deps>,
    JsonBody(body): JsonBody<ResetPasswordBody>,
) -> Result<Response> {
    accounts::reset_password(&deps, &body.token, &body.new_password).await?;
    Ok(with_cookie(
        Json(json!({ "password_reset": true })).into_response(),
        &cleared_cookie(),
    ))
}

async fn me(State(deps): State<Deps>, caller: Caller) -> Result<Response> {
    Ok(Json(accounts::me(&deps, &caller).await?).into_response())
}

async fn update_me(
    State(deps): State<Deps>,
    caller: Caller,
    JsonBody(request): JsonBody<UpdateMeRequest>,
) -> Result<Response> {
    Ok(Json(accounts::update_me(&deps, &caller, request).await?).into_response())
}

async fn list_sessions(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(accounts::list_sessions(&deps, &caller, page).await?).into_response())
}

async fn revoke_session(
    State(deps): State<Deps>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> Result<StatusCode> {
    accounts::revoke_session(&deps, &caller, &session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
