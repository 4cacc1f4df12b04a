//! The Mailgun webhook function on both backends: a signed, recent webhook is
//! taken in once and queued on email-events; anything else is refused with 406
//! (so Mailgun stops retrying) and queues nothing.

use axum::{body::Body, http::Request};
use jiff::{SignedDuration, Timestamp};
use platform_tests::on_both_backends;
use platform_tests::platform::{Reply, TestPlatform, send_to};
use serde_json::json;
use shared::email::events::EMAIL_EVENTS_QUEUE;
use shared::email::webhook::mailgun_signature;
use tower::ServiceExt;

const SIGNING_KEY: &[u8] = b"webhook-test-signing-key-0123456789";

/// A Mailgun `delivered` webhook body signed with `key` at `at`.
fn webhook(key: &[u8], at: Timestamp, token: &str) -> String {
    let timestamp = at.as_second().to_string();
    json!({
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": mailgun_signature(key, &timestamp, token)
        },
        "event-data": {
            "event": "delivered",
            "id": format!("event-{token}"),
            "timestamp": at.as_second(),
            "recipient": "ada@example.com",
            "message": { "headers": { "message-id": "20240503100000.1.1@mg.platform.test" } }
        }
    })
    .to_string()
}

/// A fresh token, as Mailgun sends with each webhook.
fn token() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn now(p: &TestPlatform) -> Timestamp {
    p.platform.deps.clock.now()
}

/// Posts `body` to the webhook function as Mailgun would.
async fn post(p: &TestPlatform, body: &str) -> Reply {
    let router = mailgun_webhook::router(p.platform.deps.clone(), SIGNING_KEY.to_vec());
    let request = Request::post(mailgun_webhook::PATH)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("a valid request");
    send_to(router, request).await
}

/// The bodies waiting on the email-events queue, taken off it.
async fn queued(p: &TestPlatform) -> Vec<String> {
    let queue = &p.platform.deps.queue;
    let messages = queue
        .receive(EMAIL_EVENTS_QUEUE, 10)
        .await
        .expect("receive from email-events");
    let mut bodies = Vec::new();
    for message in messages {
        queue
            .delete(EMAIL_EVENTS_QUEUE, &message.receipt_handle)
            .await
            .expect("delete from email-events");
        bodies.push(message.body);
    }
    bodies
}

async fn a_signed_webhook_is_queued_as_sent(p: TestPlatform) {
    let body = webhook(SIGNING_KEY, now(&p), &token());
    let reply = post(&p, &body).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body, json!({ "status": "accepted" }));
    assert_eq!(queued(&p).await, [body]);
}

async fn a_forged_webhook_is_refused(p: TestPlatform) {
    let body = webhook(b"somebody-elses-key", now(&p), &token());
    let reply = post(&p, &body).await;
    assert_eq!(reply.status, 406, "{reply:?}");
    assert_eq!(reply.problem_code(), "invalid_signature");
    assert!(queued(&p).await.is_empty());
}

async fn a_stale_webhook_is_refused(p: TestPlatform) {
    let ten_minutes_ago = now(&p) - SignedDuration::from_mins(10);
    let reply = post(&p, &webhook(SIGNING_KEY, ten_minutes_ago, &token())).await;
    assert_eq!(reply.status, 406, "{reply:?}");
    assert_eq!(reply.problem_code(), "stale_webhook");
    assert!(queued(&p).await.is_empty());
}

async fn a_replayed_webhook_is_refused(p: TestPlatform) {
    let body = webhook(SIGNING_KEY, now(&p), &token());
    assert_eq!(post(&p, &body).await.status, 200);
    let again = post(&p, &body).await;
    assert_eq!(again.status, 406, "{again:?}");
    assert_eq!(again.problem_code(), "replayed_webhook");
    assert_eq!(
        queued(&p).await,
        std::slice::from_ref(&body),
        "only the first is queued"
    );

    // Once its token is forgotten, the replay is refused as stale.
    p.platform.clock.advance(SignedDuration::from_mins(11));
    let later = post(&p, &body).await;
    assert_eq!(later.status, 406, "{later:?}");
    assert_eq!(later.problem_code(), "stale_webhook");
    assert!(queued(&p).await.is_empty());
}

async fn an_unreadable_body_is_refused(p: TestPlatform) {
    for body in ["not json", r#"{"event-data":{"event":"delivered"}}"#] {
        let reply = post(&p, body).await;
        assert_eq!(reply.status, 406, "{body}: {reply:?}");
        assert_eq!(reply.problem_code(), "malformed_webhook");
    }
    assert!(queued(&p).await.is_empty());
}

on_both_backends!(
    a_signed_webhook_is_queued_as_sent,
    a_forged_webhook_is_refused,
    a_stale_webhook_is_refused,
    a_replayed_webhook_is_refused,
    an_unreadable_body_is_refused,
);

fn sample(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The sample's key, as the README documents it.
const SAMPLE_SIGNING_KEY: &[u8] = b"sample-signing-key-0123456789abcdef";

/// `events/mailgun-webhook.json` is a function URL request the function
/// takes in, once its clock is at the sample's time.
#[tokio::test]
async fn the_sample_webhook_request_is_accepted_at_its_time() {
    let p = TestPlatform::embedded().await;
    let signed_at = Timestamp::from_second(1_714_730_400).expect("a valid time");
    p.platform.clock.advance(signed_at.duration_since(now(&p)));

    let request = lambda_http::request::from_str(&sample("mailgun-webhook.json"))
        .expect("a function URL event");
    let (parts, body) = request.into_parts();
    assert_eq!(parts.uri.path(), mailgun_webhook::PATH);
    let body = String::from_utf8(body.to_vec()).expect("a text body");
    let router = mailgun_webhook::router(p.platform.deps.clone(), SAMPLE_SIGNING_KEY.to_vec());
    let response = router
        .oneshot(Request::from_parts(parts, Body::from(body.clone())))
        .await
        .expect("the router answers");
    assert_eq!(response.status(), 200);
    assert_eq!(queued(&p).await, [body]);
}

/// The email-events samples are SQS events whose bodies parse into the
/// events they show.
#[test]
fn the_email_events_samples_parse() {
    use aws_lambda_events::sqs::SqsEvent;
    use shared::email::events::{self, EmailEventKind};

    let body_of = |name: &str| {
        let event: SqsEvent = serde_json::from_str(&sample(name)).expect("an SQS event");
        event.records[0].body.clone().expect("a body")
    };
    let ses = events::parse(&body_of("email-events-ses.json"))
        .expect("parses")
        .expect("an event");
    assert_eq!(
        (ses.provider.as_str(), ses.kind),
        ("ses", EmailEventKind::Delivered)
    );
    assert_eq!(ses.recipient, "ada@example.com");

    let mailgun = events::parse(&body_of("email-events-mailgun.json"))
        .expect("parses")
        .expect("an event");
    assert_eq!(mailgun.provider, "mailgun");
    assert_eq!(
        mailgun.message_id,
        "20240503100058.2.FEDCBA9876543210@mg.example.com"
    );
    assert!(matches!(
        mailgun.kind,
        EmailEventKind::Failed {
            permanent: true,
            ..
        }
    ));
}
