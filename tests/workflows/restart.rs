//! The local runner keeps users and sessions across restarts.

use std::sync::Arc;

use local::Backend;
use platform_tests::platform::{TestPlatform, query_param};
use serde_json::json;

#[tokio::test]
async fn users_and_sessions_survive_a_restart() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (access, refresh) = {
        let p = TestPlatform::in_dir(dir.clone(), Backend::Embedded).await;
        let password = "restart me please";
        p.post(
            "/v1/auth/signup",
            json!({ "email": "kay@example.com", "password": password, "name": "Kay" }),
        )
        .await;
        // Sent before the restart, read after it: the queue and mailbox are durable too.
        let link = p.last_mail("kay@example.com", "verify_email").await.links[0].clone();
        p.post(
            "/v1/auth/verify-email",
            json!({ "token": query_param(&link, "token") }),
        )
        .await;
        let login = p
            .post(
                "/v1/auth/login",
                json!({ "email": "kay@example.com", "password": password, "device_id": "d" }),
            )
            .await;
        assert_eq!(login.status, 200);
        (
            login.body["access_token"].as_str().unwrap().to_string(),
            login.body["refresh_token"].as_str().unwrap().to_string(),
        )
    };

    let p = TestPlatform::in_dir(dir, Backend::Embedded).await;
    let me = p.authed("GET", "/v1/me", &access, None).await;
    assert_eq!(
        me.status, 200,
        "the signing key and the session survived: {me:?}"
    );
    assert_eq!(me.body["email"], "kay@example.com");
    assert_eq!(
        p.post("/v1/auth/refresh", json!({ "refresh_token": refresh }))
            .await
            .status,
        200
    );
    assert_eq!(p.mail().await.len(), 1);
}
