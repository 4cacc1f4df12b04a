//! `Idempotency-Key`: a retried request gets the first response instead of
//! running twice; keys belong to their caller; routes answering with tokens
//! never keep a response.

use platform_tests::{
    on_both_backends,
    platform::{PLATFORM_ADMIN, Reply, TestPlatform},
};
use serde_json::json;

on_both_backends!(
    idempotency_a_retried_signup_runs_once,
    idempotency_keys_belong_to_their_caller,
    idempotency_token_routes_keep_nothing,
    idempotency_covers_admin_and_team_writes,
);

const PASSWORD: &str = "correct horse battery";

async fn with_key(
    p: &TestPlatform,
    method: &str,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("idempotency-key", key)];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    p.call(method, path, Some(body), &headers).await
}

async fn idempotency_a_retried_signup_runs_once(p: TestPlatform) {
    let body = json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada" });
    let first = with_key(
        &p,
        "POST",
        "/v1/auth/signup",
        "signup-1",
        None,
        body.clone(),
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = with_key(
        &p,
        "POST",
        "/v1/auth/signup",
        "signup-1",
        None,
        body.clone(),
    )
    .await;
    assert_eq!(
        (retry.status, &retry.body),
        (201, &first.body),
        "the same answer, not a 409"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        p.mail().await.len(),
        1,
        "one account, one confirmation email"
    );

    let other_body = json!({ "email": "eve@example.com", "password": PASSWORD, "name": "Eve" });
    let reused = with_key(&p, "POST", "/v1/auth/signup", "signup-1", None, other_body).await;
    assert_eq!(
        (reused.status, reused.problem_code()),
        (422, "idempotency_key_reused")
    );
    // Without a key, the retry runs and meets the guard item.
    assert_eq!(p.post("/v1/auth/signup", body).await.status, 409);
    let long = with_key(
        &p,
        "POST",
        "/v1/auth/signup",
        &"k".repeat(300),
        None,
        json!({}),
    )
    .await;
    assert_eq!(
        (long.status, long.problem_code()),
        (400, "invalid_idempotency_key")
    );
}

async fn idempotency_keys_belong_to_their_caller(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let eve = p.signed_in("eve@example.com", PASSWORD, "d").await;
    let token = |r: &Reply| r.body["access_token"].as_str().unwrap().to_string();
    let rename = json!({ "name": "Renamed" });
    let by_ada = with_key(
        &p,
        "PATCH",
        "/v1/me",
        "rename",
        Some(&token(&ada)),
        rename.clone(),
    )
    .await;
    assert_eq!(by_ada.body["email"], "ada@example.com");
    // Eve's request with the same key and body is hers: it runs, and shows her.
    let by_eve = with_key(
        &p,
        "PATCH",
        "/v1/me",
        "rename",
        Some(&token(&eve)),
        rename.clone(),
    )
    .await;
    assert_eq!(by_eve.status, 200);
    assert_eq!(by_eve.body["email"], "eve@example.com");
    assert_eq!(by_eve.header("idempotent-replayed"), None);
    let ada_again = with_key(&p, "PATCH", "/v1/me", "rename", Some(&token(&ada)), rename).await;
    assert_eq!(ada_again.header("idempotent-replayed"), Some("true"));
    assert_eq!(ada_again.body["email"], "ada@example.com");
}

async fn idempotency_token_routes_keep_nothing(p: TestPlatform) {
    p.confirmed_user("ada@example.com", PASSWORD, "Ada").await;
    let login = json!({ "email": "ada@example.com", "password": PASSWORD, "device_id": "d" });
    let first = with_key(&p, "POST", "/v1/auth/login", "login", None, login.clone()).await;
    let second = with_key(&p, "POST", "/v1/auth/login", "login", None, login).await;
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(second.header("idempotent-replayed"), None);
    assert_ne!(
        first.body["refresh_token"], second.body["refresh_token"],
        "each login is its own session"
    );
}

async fn idempotency_covers_admin_and_team_writes(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let bob = p.signed_in("bob@example.com", PASSWORD, "d").await;
    let path = format!(
        "/v1/admin/users/{}/platform-role",
        bob.body["user"]["id"].as_str().unwrap()
    );
    let token = admin.body["access_token"].as_str().unwrap().to_string();
    let first = with_key(
        &p,
        "PUT",
        &path,
        "grant-bob",
        Some(&token),
        json!({ "role": "moderator" }),
    )
    .await;
    assert_eq!(first.status, 200, "{first:?}");
    let retry = with_key(
        &p,
        "PUT",
        &path,
        "grant-bob",
        Some(&token),
        json!({ "role": "moderator" }),
    )
    .await;
    assert_eq!((retry.status, &retry.body), (200, &first.body));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
}
