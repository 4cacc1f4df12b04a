//! `Idempotency-Key` for state-changing routes a client may retry: the first
//! request with a key runs and its response is kept for 24 hours; a retry with
//! the same key and the same request gets that response again (with
//! `Idempotent-Replayed: true`) instead of running twice.
//!
//! Keys belong to the caller (the verified user of the access token, or the
//! public), so nobody can replay another user's response. The same key with a
//! different request is refused (422); a retry while the first is still
//! running gets 409. A server error is not kept, so its retry runs again.
//! Routes whose responses carry secrets (login, MFA, refresh) do not take part:
//! keeping their response would store a token.

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    Deps,
    accounts::verify_access_token,
    error::Error,
    http::{MAX_BODY_BYTES, Problem},
    keys,
    records::{from_item, to_item},
    table::{Condition, TableError},
};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a response is kept for retries.
pub const KEEP_FOR: SignedDuration = SignedDuration::from_hours(24);
const MAX_KEY_LEN: usize = 255;

/// Makes a route honour `Idempotency-Key`.
pub fn idempotent(route: MethodRouter<Deps>, deps: &Deps) -> MethodRouter<Deps> {
    route.layer(middleware::from_fn_with_state(deps.clone(), honour_key))
}

#[derive(Serialize, Deserialize)]
struct Kept {
    /// Hash of the request the key was first used with.
    fingerprint: String,
    /// `None` while the first request is still running.
    response: Option<KeptResponse>,
}

#[derive(Serialize, Deserialize)]
struct KeptResponse {
    status: u16,
    content_type: Option<String>,
    /// Base64 of the body.
    body: String,
}

fn hex_sha256(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whose key this is: the verified user of the bearer token, else the public.
fn scope(deps: &Deps, headers: &HeaderMap) -> String {
    let user_id = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| {
            verify_access_token(
                &deps.secrets.token_signing_key,
                token.trim(),
                deps.clock.now(),
            )
            .ok()
        })
        .map(|claims| claims.sub);
    caller_scope(user_id.as_deref())
}

/// The owner of keys sent by `user_id`, or by the public when signed out.
pub fn caller_scope(user_id: Option<&str>) -> String {
    user_id.map_or_else(|| "public".to_string(), |id| format!("user:{id}"))
}

/// The `Idempotency-Key` of a request, if it sent one that is valid.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, Error> {
    let Some(key) = headers.get(HEADER) else {
        return Ok(None);
    };
    match key.to_str() {
        Ok(key) if (1..=MAX_KEY_LEN).contains(&key.len()) => Ok(Some(key.to_string())),
        _ => Err(Error::InvalidIdempotencyKey),
    }
}

/// What makes two requests "the same" for a key: method, path with query, body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    hex_sha256(&[method.as_bytes(), path.as_bytes(), body])
}

/// The item of `key` sent by `scope` (`caller_scope`) for `purpose` ("" for
/// kept responses, a route's own name when it guards its own writes).
pub fn guard_key(purpose: &str, scope: &str, key: &str) -> crate::table::Key {
    keys::idempotency_key(&hex_sha256(&[
        purpose.as_bytes(),
        scope.as_bytes(),
        key.as_bytes(),
    ]))
}

async fn honour_key(State(deps): State<Deps>, request: Request, next: Next) -> Response {
    let key = match key_of(request.headers()) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(request).await,
        Err(e) => return Problem::from(e).into_response(),
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let fingerprint = fingerprint(parts.method.as_str(), path, &body);
    let item_key = guard_key("", &scope(&deps, &parts.headers), &key);
    let expires = deps
        .clock
        .now()
        .saturating_add(KEEP_FOR)
        .unwrap_or(jiff::Timestamp::MAX)
        .as_second();

    let claim = Kept {
        fingerprint: fingerprint.clone(),
        response: None,
    };
    let claimed = match to_item(&item_key, &claim, Some(expires)) {
        Ok(item) => deps.table.put(item, Some(Condition::NotExists)).await,
        Err(e) => Err(e),
    };
    match claimed {
        Ok(()) => {}
        Err(TableError::ConditionFailed) => return replay(&deps, &item_key, &fingerprint).await,
        Err(e) => return Problem::from(Error::from(e)).into_response(),
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    if parts.status.is_server_error() {
        // Let the retry run again rather than replay a failure.
        if let Err(e) = deps.table.delete(&item_key, None).await {
            tracing::error!(error = %e, "could not release an idempotency key");
        }
    } else {
        let kept = Kept {
            fingerprint,
            response: Some(KeptResponse {
                status: parts.status.as_u16(),
                content_type: parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: B64.encode(&body),
            }),
        };
        let stored = match to_item(&item_key, &kept, Some(expires)) {
            Ok(item) => deps.table.put(item, None).await,
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, "could not keep a response for its idempotency key");
        }
    }
    Response::from_parts(parts, Body::from(body))
}

/// The answer to a request whose key was used before.
async fn replay(deps: &Deps, item_key: &crate::table::Key, fingerprint: &str) -> Response {
    let kept: Kept = match deps
        .table
        .get(item_key)
        .await
        .map(|item| item.map(from_item))
    {
        Ok(Some(Ok(kept))) => kept,
        Ok(Some(Err(e))) | Err(e) => {
            return Problem::from(Error::from(e)).into_response();
        }
        // Released meanwhile (its first request failed): the client may retry.
        Ok(None) => {
            return Problem::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "retry this request in a moment",
            )
            .into_response();
        }
    };
    if kept.fingerprint != fingerprint {
        return Problem::from(Error::IdempotencyKeyReused).into_response();
    }
    let Some(response) = kept.response else {
        return Problem::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "the first request with this Idempotency-Key is still running; retry in a moment",
        )
        .into_response();
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let mut replayed = (
        status,
        Body::from(B64.decode(response.body).unwrap_or_default()),
    )
        .into_response();
    let headers = replayed.headers_mut();
    if let Some(content_type) = response
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    replayed
}
