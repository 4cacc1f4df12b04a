//! What every HTTP function shares: errors as RFC 9457 problem details, a JSON
//! body extractor whose every rejection is a 4xx problem, the authenticated
//! caller, and the router wrapping (body limit, fallbacks).

use axum::{
    Json, Router,
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    Deps,
    accounts::{self, Caller, Tokens},
    error::{Error, FieldError},
};

/// Largest request body any API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The moment that passed, for a change refused because it is too late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<jiff::Timestamp>,
    #[serde(skip)]
    retry_after_secs: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("urn:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            errors: Vec::new(),
            deadline: None,
            retry_after_secs: None,
        }
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            // The detail of a server error is for the logs, not the client.
            tracing::error!(error = %error, "request failed");
            return Problem::new(
                status,
                error.code(),
                "something went wrong on our side; try again",
            );
        }
        let mut problem = Problem::new(status, error.code(), error.to_string());
        match error {
            Error::Validation(errors) => problem.errors = errors,
            Error::AccountLocked { retry_after_secs } => {
                problem.retry_after_secs = Some(retry_after_secs)
            }
            Error::ChangeDeadlinePassed { deadline } => problem.deadline = Some(deadline),
            _ => {}
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after_secs;
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

/// A JSON request body of type `T`. Malformed JSON, wrong types, missing fields,
/// a missing content type or an oversized body are 4xx problems that say so.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Problem {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        ),
        JsonRejection::JsonSyntaxError(_) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        other => Problem::new(other.status(), "bad_request", detail),
    }
}

/// Query parameters of type `T`; a value of the wrong type is a 422 problem
/// naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("invalid query parameters: {}", rejection.body_text()),
            )),
        }
    }
}

/// The caller of a route that needs a signed-in user: a valid access token
/// (`Authorization: Bearer`) of a session that has not ended.
impl FromRequestParts<Deps> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, deps: &Deps) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(Error::Unauthorized)?;
        Ok(accounts::authenticate(deps, token).await?)
    }
}

/// The caller of a route open to guests too: `None` without an `Authorization`
/// header. A token that is sent but invalid is refused (401), never silently
/// treated as a guest.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Deps> for MaybeCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, deps: &Deps) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeCaller(None));
        }
        Ok(MaybeCaller(Some(
            Caller::from_request_parts(parts, deps).await?,
        )))
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The browser's copy of the refresh token. `__Host-` binds it to this origin,
/// over HTTPS, on every path.
pub const REFRESH_COOKIE: &str = "__Host-refresh";

/// The answer of a completed sign-in (login, MFA, refresh, onboarding
/// activation): the token pair as JSON (for apps), and the refresh token as a
/// cookie (for browsers).
pub fn signed_in(tokens: Tokens) -> Response {
    let cookie = format!(
        "{REFRESH_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        tokens.refresh_token, tokens.session_expires_in
    );
    with_cookie(Json(tokens).into_response(), &cookie)
}

/// The request's `User-Agent`, kept with the session it starts.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `response` with a `Set-Cookie` header.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Wraps an API's routes with what every API has: the body limit and problem
/// answers for unknown routes and methods.
pub fn api(routes: Router<Deps>, deps: Deps) -> Router {
    routes
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .with_state(deps)
}

/// The answer for a path no router serves.
pub async fn no_route() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no_route", "there is no such route")
}
