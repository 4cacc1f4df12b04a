//! Calendar feeds (`shared::bookings::feeds`): managing the subscription URLs,
//! and the feeds calendars poll.

use std::net::IpAddr;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, uri::Authority},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use shared::{
    Deps,
    accounts::Caller,
    bookings::{
        calendar,
        feeds::{self, NewFeed},
    },
    error::Result,
    http::{JsonBody, QueryParams},
    idempotency::idempotent,
    paging::PageParams,
};

/// Creating and rotating answer a new token, so they are not kept for
/// `Idempotency-Key` retries (a kept response would store the token).
pub fn routes(deps: &Deps) -> Router<Deps> {
    Router::new()
        .route(
            "/v1/orgs/{org_id}/calendar-feeds",
            get(list_feeds).post(create_feed),
        )
        .route(
            "/v1/orgs/{org_id}/calendar-feeds/{feed_id}",
            idempotent(delete(revoke_feed), deps),
        )
        .route(
            "/v1/orgs/{org_id}/calendar-feeds/{feed_id}/rotate",
            post(rotate_feed),
        )
        // `{feed_file}` is `<token>.ics`: API Gateway path variables are whole segments.
        .route("/v1/calendar/{feed_file}", get(feed))
}

async fn create_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    headers: HeaderMap,
    JsonBody(new): JsonBody<NewFeed>,
) -> Result<Response> {
    let base_url = api_base_url(&headers);
    let issued = feeds::create_feed(&deps, &caller, &org_id, new, base_url.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn list_feeds(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(feeds::feeds(&deps, &caller, &org_id, page).await?).into_response())
}

async fn revoke_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, feed_id)): Path<(String, String)>,
) -> Result<Response> {
    feeds::revoke_feed(&deps, &caller, &org_id, &feed_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_feed(
    State(deps): State<Deps>,
    caller: Caller,
    Path((org_id, feed_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let base_url = api_base_url(&headers);
    let issued = feeds::rotate_feed(&deps, &caller, &org_id, &feed_id, base_url.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

/// Where the client reached the API (`https://api.example.com`), for the
/// feed's full URL: the `Host` header with the scheme of `X-Forwarded-Proto`
/// (API Gateway sets both), else `http` for a loopback host (`cargo dev`)
/// and `https` for any other. `None` without a usable `Host`: the answer
/// then has only the path.
fn api_base_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority: Authority = host.parse().ok()?;
    // A host header naming a user (`user@host`) is no API address.
    if authority.as_str().contains('@') {
        return None;
    }
    // A proxy chain lists one scheme per hop; the first is the client's.
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(|scheme| scheme.trim().to_ascii_lowercase())
        .filter(|scheme| scheme == "https" || scheme == "http");
    let scheme = forwarded.unwrap_or_else(|| {
        let on_loopback = is_loopback(authority.host());
        (if on_loopback { "http" } else { "https" }).to_string()
    });
    Some(format!("{scheme}://{authority}"))
}

/// `localhost`, `127.0.0.1` and the rest of 127/8, `[::1]`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Calendar apps poll a feed; five minutes of caching spares the table
/// without delaying a booking much. Private: the URL is a credential.
const FEED_CACHE_CONTROL: &str = "private, max-age=300";

async fn feed(State(deps): State<Deps>, Path(feed_file): Path<String>) -> Result<Response> {
    let ics = feeds::feed_ics(&deps, &feed_file).await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(calendar::CONTENT_TYPE),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(FEED_CACHE_CONTROL),
        ),
    ];
    Ok((headers, ics).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request headers as (name, value) pairs.
    type Headers = &'static [(&'static str, &'static str)];

    fn base_url_of(pairs: Headers) -> Option<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        api_base_url(&headers)
    }

    #[test]
    fn the_base_url_follows_host_and_forwarded_proto() {
        let cases: [(Headers, Option<&str>); 9] = [
            (
                &[("host", "api.example.com")],
                Some("https://api.example.com"),
            ),
            (
                &[("host", "api.example.com"), ("x-forwarded-proto", "http")],
                Some("http://api.example.com"),
            ),
            (
                &[
                    ("host", "api.example.com:8443"),
                    ("x-forwarded-proto", "HTTPS, http"),
                ],
                Some("https://api.example.com:8443"),
            ),
            // An unknown scheme is ignored, as if absent.
            (
                &[("host", "api.example.com"), ("x-forwarded-proto", "gopher")],
                Some("https://api.example.com"),
            ),
            (&[("host", "127.0.0.1:3000")], Some("http://127.0.0.1:3000")),
            (&[("host", "localhost:3000")], Some("http://localhost:3000")),
            (&[("host", "[::1]:3000")], Some("http://[::1]:3000")),
            (&[("host", "evil.test/path?x")], None),
            (&[("x-forwarded-proto", "https")], None),
        ];
        for (headers, expected) in cases {
            assert_eq!(base_url_of(headers).as_deref(), expected, "{headers:?}");
        }
        assert_eq!(base_url_of(&[("host", "user@api.example.com")]), None);
    }
}
