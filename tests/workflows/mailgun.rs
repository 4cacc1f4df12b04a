//! Mailgun end to end through the platform: its signed webhooks update the
//! email log over HTTP (forged, stale and replayed ones are refused), and email
//! sent through it survives an outage. Plus the security notices that reach a
//! user by email and in-app.

use jiff::{SignedDuration, Timestamp};
use platform_tests::{
    fake_mailgun::{Behaviour, FakeMailgun},
    on_both_backends,
    platform::{MAILGUN_WEBHOOK_KEY, PLATFORM_ADMIN, Reply, TestPlatform, query_param},
};
use serde_json::{Value, json};
use shared::email::webhook::mailgun_signature;

on_both_backends!(
    mailgun_webhooks_update_the_email_log_once,
    security_events_reach_the_user_by_email_and_in_app,
);

const PASSWORD: &str = "correct horse battery";

fn token(login: &Reply) -> String {
    login.body["access_token"].as_str().unwrap().to_string()
}

/// A Mailgun webhook body about `message_id`, signed at `at` with `key`.
fn webhook(key: &str, at: Timestamp, token: &str, event: &str, message_id: &str) -> String {
    let timestamp = at.as_second().to_string();
    json!({
        "signature": { "timestamp": timestamp, "token": token, "signature": mailgun_signature(key.as_bytes(), &timestamp, token) },
        "event-data": {
            "event": event,
            "id": format!("event-{token}"),
            "timestamp": at.as_second(),
            "recipient": "ada@example.com",
            "message": { "headers": { "message-id": message_id } }
        }
    })
    .to_string()
}

async fn post_webhook(p: &TestPlatform, body: String) -> Reply {
    p.call(
        "POST",
        "/webhooks/mailgun",
        Some(serde_json::from_str(&body).unwrap()),
        &[],
    )
    .await
}

async fn admin_log_of(p: &TestPlatform, admin: &str, to: &str) -> Value {
    let logs = p
        .authed(
            "GET",
            &format!("/v1/admin/email-logs?recipient={to}"),
            admin,
            None,
        )
        .await;
    logs.body["items"][0].clone()
}

async fn mailgun_webhooks_update_the_email_log_once(p: TestPlatform) {
    let admin = token(&p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await);
    p.confirmed_user("ada@example.com", PASSWORD, "Ada").await;
    let sent = admin_log_of(&p, &admin, "ada@example.com").await;
    assert_eq!(sent["status"], "sent");
    let message_id = sent["message_id"].as_str().unwrap().to_string();
    assert!(
        !message_id.starts_with('<'),
        "stored as events name it: {message_id}"
    );
    let now = p.platform.deps.clock.now();

    let delivered = post_webhook(
        &p,
        webhook(
            MAILGUN_WEBHOOK_KEY,
            now,
            "t-1",
            "delivered",
            &format!("<{message_id}>"),
        ),
    )
    .await;
    assert_eq!(delivered.status, 200, "{delivered:?}");
    let opened_body = webhook(MAILGUN_WEBHOOK_KEY, now, "t-2", "opened", &message_id);
    assert_eq!(post_webhook(&p, opened_body.clone()).await.status, 200);
    p.mail().await;
    let log = admin_log_of(&p, &admin, "ada@example.com").await;
    assert_eq!(log["status"], "delivered");
    assert_eq!(log["opened"]["count"], 1);

    // Replayed, forged, stale: 406, and the log does not move.
    let replay = post_webhook(&p, opened_body).await;
    assert_eq!(
        (replay.status, replay.problem_code()),
        (406, "replayed_webhook")
    );
    let forged = post_webhook(
        &p,
        webhook(
            "not-the-key-at-all-0123456789",
            now,
            "t-3",
            "opened",
            &message_id,
        ),
    )
    .await;
    assert_eq!(
        (forged.status, forged.problem_code()),
        (406, "invalid_signature")
    );
    let stale_at = now.checked_sub(SignedDuration::from_mins(6)).unwrap();
    let stale = post_webhook(
        &p,
        webhook(MAILGUN_WEBHOOK_KEY, stale_at, "t-4", "opened", &message_id),
    )
    .await;
    assert_eq!((stale.status, stale.problem_code()), (406, "stale_webhook"));
    // About an email that is not ours: acknowledged, ignored.
    let unknown = post_webhook(
        &p,
        webhook(
            MAILGUN_WEBHOOK_KEY,
            now,
            "t-5",
            "delivered",
            "someone-else@mg.example.com",
        ),
    )
    .await;
    assert_eq!(unknown.status, 200);
    p.mail().await;
    assert_eq!(
        admin_log_of(&p, &admin, "ada@example.com").await["opened"]["count"],
        1
    );

    // A permanent failure suppresses the address.
    let failed = webhook(MAILGUN_WEBHOOK_KEY, now, "t-6", "failed", &message_id).replace(
        r#""event":"failed""#,
        r#""event":"failed","severity":"permanent","reason":"bounce""#,
    );
    assert_eq!(post_webhook(&p, failed).await.status, 200);
    p.mail().await;
    let suppressed = p
        .authed("GET", "/v1/admin/suppressions", &admin, None)
        .await;
    assert_eq!(
        suppressed.body["items"][0]["email"], "ada@example.com",
        "{suppressed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_sent_through_mailgun_survives_an_outage() {
    let mailgun = FakeMailgun::start().await;
    let p = TestPlatform::with_mailgun(mailgun.settings()).await;
    mailgun.behave(Behaviour::Outage);
    let signup = p
        .post(
            "/v1/auth/signup",
            json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada" }),
        )
        .await;
    assert_eq!(signup.status, 201);
    assert!(
        p.mail().await.is_empty(),
        "nothing sent while Mailgun is down"
    );
    assert_eq!(mailgun.requests().len(), 1);

    mailgun.behave(Behaviour::Accept);
    p.platform.clock.advance(SignedDuration::from_mins(4));
    let mail = p.mail().await;
    assert_eq!(mail.len(), 1, "sent once Mailgun is back");
    assert_eq!(mail[0].kind, "verify_email");
    let requests = mailgun.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].field("o:tag"), Some("verify_email"));
    let link = &mail[0].links[0];
    assert_eq!(
        p.post(
            "/v1/auth/verify-email",
            json!({ "token": query_param(link, "token") })
        )
        .await
        .status,
        200
    );
    p.platform.clock.advance(SignedDuration::from_mins(4));
    p.mail().await;
    assert_eq!(mailgun.requests().len(), 2, "never sent twice");
}

async fn security_events_reach_the_user_by_email_and_in_app(p: TestPlatform) {
    let laptop = p.signed_in("grace@example.com", PASSWORD, "laptop").await;
    let changed = p
        .authed(
            "POST",
            "/v1/auth/password/change",
            &token(&laptop),
            Some(json!({ "current_password": PASSWORD, "new_password": "a newer passphrase" })),
        )
        .await;
    assert_eq!(changed.status, 204);
    p.last_mail("grace@example.com", "password_changed").await;

    let challenge = p.post("/v1/auth/login", json!({ "email": "grace@example.com", "password": "a newer passphrase", "device_id": "phone" })).await;
    assert_eq!(challenge.status, 202);
    let code = p.last_mail("grace@example.com", "mfa_code").await.subject[..6].to_string();
    let phone = p
        .call(
            "POST",
            "/v1/auth/mfa/verify",
            Some(json!({ "challenge_id": challenge.body["challenge_id"], "code": code })),
            &[("user-agent", "Phone Browser 2.0")],
        )
        .await;
    assert_eq!(phone.status, 200);
    let notice = p.last_mail("grace@example.com", "new_device_sign_in").await;
    assert!(
        notice.text.contains("an unknown device") || notice.text.contains("Phone"),
        "{notice:?}"
    );

    let inbox = p
        .authed("GET", "/v1/me/notifications", &token(&phone), None)
        .await;
    let types: Vec<&str> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["new_device_sign_in", "password_changed"],
        "{inbox:?}"
    );
    // Codes and links go by email only, never into the inbox.
    assert_eq!(inbox.body["unread_count"], 2);

    assert_eq!(
        p.post(
            "/v1/auth/password/forgot",
            json!({ "email": "grace@example.com" })
        )
        .await
        .status,
        202
    );
    let link = p
        .last_mail("grace@example.com", "password_reset")
        .await
        .links[0]
        .clone();
    let reset = p.post("/v1/auth/password/reset", json!({ "token": query_param(&link, "token"), "new_password": "the newest passphrase" })).await;
    assert_eq!(reset.status, 200);
    let revoked = p.last_mail("grace@example.com", "sessions_revoked").await;
    assert!(revoked.text.contains("your password was reset"));
}
