//! Every sample event in `events/` goes through the handler of its function, as
//! `cargo lambda invoke --data-file` or `sam local invoke -e` would send it.

use std::sync::Arc;

use analytics_worker::AnalyticsWorker;
use aws_lambda_events::sqs::SqsEvent;
use email_events_worker::EmailEventsWorker;
use email_worker::EmailWorker;
use notifications_worker::NotificationsWorker;
use platform_tests::platform::TestPlatform;
use serde_json::json;
use shared::{
    adapters::embedded::{mailbox::Mailbox, table::EmbeddedTable},
    clock::SystemClock,
    email::{
        events::normalize_message_id,
        log::{EmailLog, EmailStatus},
        sending::EmailSender,
        store,
    },
    keys,
    notifications::NotificationType,
    records::to_item,
    table::{Index, Query, SortKey, Table},
};

fn event(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn every_sample_event_has_a_handler_case() {
    let dir = format!("{}/../events", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // A new sample event needs a test that feeds it to its handler: below, or
    // in tests/webhooks.rs for the Mailgun webhook (signed at a fixed time).
    assert_eq!(
        names,
        [
            "analytics-worker.json",
            "auth-api.json",
            "booking-reminders.json",
            "bookings-api.json",
            "email-api.json",
            "email-events-mailgun.json",
            "email-events-ses.json",
            "email-worker.json",
            "mailgun-webhook.json",
            "notifications-api.json",
            "notifications-worker.json",
            "onboarding-reminders.json",
            "orgs-api.json",
            "outbox-relay.json"
        ]
    );
}

#[tokio::test]
async fn analytics_worker_event_counts_a_booking_once() {
    let clock = Arc::new(SystemClock);
    let table = Arc::new(EmbeddedTable::in_memory(clock.clone()).unwrap());
    let worker = AnalyticsWorker::new(table.clone(), clock);
    // Delivered twice (SQS is at least once): counted once.
    for _ in 0..2 {
        let sqs: SqsEvent = serde_json::from_str(&event("analytics-worker.json")).unwrap();
        let response = worker.handle(sqs).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let org_id = "0193a1b2-1111-7e5f-8a9b-0c1d2e3f4a5b";
    let day = table
        .get(&keys::analytics_day(org_id, "2026-12-01"))
        .await
        .unwrap()
        .expect("the day aggregate");
    assert_eq!(day["status_confirmed"], 1);
    assert_eq!(day["bookings"], 1);
    assert_eq!(day["new_customers"], 1);
    // 09:00 UTC is 10:00 in Berlin in December.
    assert_eq!(day["hour_10"], 1);
}

#[tokio::test]
async fn auth_api_event_signs_a_user_up() {
    let p = TestPlatform::embedded().await;
    let reply = p.send(api_request(&event("auth-api.json"))).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert!(reply.body["user_id"].is_string());
    let mail = p.last_mail("ada@example.com", "verify_email").await;
    assert!(mail.text.contains("Ada Lovelace"));
}

#[tokio::test]
async fn email_worker_event_sends_its_email() {
    let dir = tempfile::tempdir().unwrap();
    let mailbox = Arc::new(Mailbox::open(&dir.path().join("mailbox.sqlite3")).unwrap());
    let clock = Arc::new(SystemClock);
    let table = Arc::new(EmbeddedTable::in_memory(clock.clone()).unwrap());
    let worker = EmailWorker::new(EmailSender {
        table: table.clone(),
        mailer: mailbox.clone(),
        clock,
    });
    let sqs: SqsEvent = serde_json::from_str(&event("email-worker.json")).expect("an SQS event");
    let response = worker.handle(sqs).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sent = mailbox.list(10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].to.as_str(), sent[0].kind.as_str()),
        ("ada@example.com", "verify_email")
    );
    assert_eq!(
        sent[0].links,
        ["http://127.0.0.1:3000/verify-email?token=EXAMPLE"]
    );
    let log = store::get_log(&*table, "0190f2c1-7a80-7000-8000-000000000001")
        .await
        .unwrap()
        .expect("the email is logged");
    assert_eq!(log.status, EmailStatus::Sent);
    // Stored as provider events name it: without angle brackets.
    let message_id = normalize_message_id(&sent[0].message_id);
    assert_eq!(log.message_id, Some(message_id));

    // The same event again (SQS delivers at least once): nothing is sent twice.
    let again: SqsEvent = serde_json::from_str(&event("email-worker.json")).unwrap();
    assert!(worker.handle(again).await.batch_item_failures.is_empty());
    assert_eq!(mailbox.list(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn notifications_worker_event_fans_out_its_notification() {
    let p = TestPlatform::embedded().await;
    let deps = &p.platform.deps;
    // The account the sample notification is for.
    let user_id = "0190f2c1-7a80-7000-8000-000000000001";
    let user = json!({ "email": "ada@example.com", "name": "Ada Lovelace" });
    deps.table
        .put(to_item(&keys::user(user_id), &user, None).unwrap(), None)
        .await
        .unwrap();
    let worker = NotificationsWorker::new(deps.clone());
    let sqs: SqsEvent =
        serde_json::from_str(&event("notifications-worker.json")).expect("an SQS event");
    let response = worker.handle(sqs).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let (pk, prefix) = keys::inbox_of(user_id);
    let inbox = deps
        .table
        .query(&Query::new(Index::Table, pk).sk(SortKey::BeginsWith(prefix)))
        .await
        .unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0]["type"], "password_changed");
    let mail = p.last_mail("ada@example.com", "password_changed").await;
    assert!(mail.text.contains("Ada Lovelace"), "{mail:?}");
}

/// Logs a sent email with `message_id`, as the email worker would have.
async fn sent_email(table: &dyn Table, id: &str, to: &str, message_id: &str) {
    let now = jiff::Timestamp::now();
    let log = EmailLog::pending(id.into(), to.into(), NotificationType::Invoice, None, now);
    let log = store::open_log(table, log).await.unwrap();
    store::mark_sent(table, &log, message_id, now)
        .await
        .unwrap();
}

#[tokio::test]
async fn email_events_worker_events_update_the_log() {
    let clock = Arc::new(SystemClock);
    let table = Arc::new(EmbeddedTable::in_memory(clock.clone()).unwrap());
    let ses_id = "0102018f3e2a1b4c-7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a-000000";
    let mailgun_id = "20240503100058.2.FEDCBA9876543210@mg.example.com";
    sent_email(&*table, "email-ses", "ada@example.com", ses_id).await;
    sent_email(&*table, "email-mailgun", "ghost@example.com", mailgun_id).await;
    let worker = EmailEventsWorker::new(table.clone(), clock);
    for name in ["email-events-ses.json", "email-events-mailgun.json"] {
        let sqs: SqsEvent = serde_json::from_str(&event(name)).expect("an SQS event");
        let response = worker.handle(sqs).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "{name}: {response:?}"
        );
    }
    let delivered = store::get_log(&*table, "email-ses").await.unwrap().unwrap();
    assert_eq!(delivered.status, EmailStatus::Delivered);
    let bounced = store::get_log(&*table, "email-mailgun")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bounced.status, EmailStatus::Failed);
    assert!(bounced.failure.unwrap().permanent);
    assert!(
        store::suppression(&*table, "ghost@example.com")
            .await
            .unwrap()
            .is_some()
    );
}

/// Feeds an API Gateway sample event, signed in as `email`, through the
/// platform's router (the same routers the Lambdas run).
async fn api_event(p: &TestPlatform, name: &str, email: &str) -> platform_tests::platform::Reply {
    let login = p.signed_in(email, "correct horse battery", "d").await;
    let token = login.body["access_token"].as_str().unwrap();
    p.send(api_request(
        &event(name).replace("REPLACE_WITH_ACCESS_TOKEN", token),
    ))
    .await
}

/// The request an API Gateway (HTTP API, payload 2.0) sample event carries.
fn api_request(sample: &str) -> axum::http::Request<axum::body::Body> {
    let request = lambda_http::request::from_str(sample).expect("an API Gateway event");
    let (parts, body) = request.into_parts();
    axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()))
}

#[tokio::test]
async fn email_api_event_lists_the_email_log() {
    let p = TestPlatform::embedded().await;
    let reply = api_event(
        &p,
        "email-api.json",
        platform_tests::platform::PLATFORM_ADMIN,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["items"][0]["type"], "verify_email");
}

#[tokio::test]
async fn notifications_api_event_lists_the_inbox() {
    let p = TestPlatform::embedded().await;
    let reply = api_event(&p, "notifications-api.json", "ada@example.com").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["unread_count"], 0);
}

#[tokio::test]
async fn orgs_api_event_lists_my_organizations() {
    let p = TestPlatform::embedded().await;
    let reply = api_event(&p, "orgs-api.json", "owner@example.com").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["items"], json!([]));
}

#[tokio::test]
async fn bookings_api_event_lists_public_services() {
    let p = TestPlatform::embedded().await;
    let reply = p.send(api_request(&event("bookings-api.json"))).await;
    // No organization has that slug yet: the public list is not found.
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(reply.problem_code(), "not_found");
}

#[tokio::test]
async fn onboarding_reminders_event_runs_the_due_reminders() {
    let p = TestPlatform::embedded().await;
    let admin = p
        .signed_in(
            platform_tests::platform::PLATFORM_ADMIN,
            "correct horse battery",
            "d",
        )
        .await;
    let client = json!({
        "name": "Corner Bakery", "slug": "corner-bakery", "category": "bakery",
        "owner_email": "olive@example.com", "owner_name": "Olive Owner",
    });
    let token = admin.body["access_token"].as_str().unwrap();
    let created = p
        .authed("POST", "/v1/admin/orgs", token, Some(client))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    // Past the reminder's due time (48 h before the 7-day link expires).
    p.platform
        .clock
        .advance(jiff::SignedDuration::from_hours(5 * 24 + 1));
    let scheduled: shared::due::ScheduledEvent =
        serde_json::from_str(&event("onboarding-reminders.json")).expect("a scheduled event");
    let report = onboarding_reminders::handle(&p.platform.deps, scheduled)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    p.last_mail("olive@example.com", "onboarding_reminder")
        .await;
}

#[tokio::test]
async fn booking_reminders_event_runs_the_due_reminders() {
    let p = TestPlatform::embedded().await;
    p.platform
        .clock
        .set("2027-03-22T06:00:00Z".parse().unwrap());
    let owner = p
        .signed_in("owner@reminded.test", "correct horse battery", "d")
        .await;
    let salon =
        platform_tests::bookings::business(&p, &owner, "reminded-salon", "Europe/Berlin").await;
    let start = "2027-03-23T10:00:00+01:00";
    let to = "chloe@example.test";
    platform_tests::bookings::book_haircut(&p, &salon, start, to, None).await;
    // Past the day-before reminder (09:00Z on Monday).
    p.platform
        .clock
        .set("2027-03-22T09:01:00Z".parse().unwrap());
    let scheduled: shared::due::ScheduledEvent =
        serde_json::from_str(&event("booking-reminders.json")).expect("a scheduled event");
    let report = booking_reminders::handle(&p.platform.deps, scheduled)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let mail = p.last_mail(to, "booking_reminder").await;
    assert!(mail.text.contains(start), "{mail:?}");
}

#[tokio::test]
async fn outbox_relay_event_sends_an_outbox_left_unsent() {
    let p = TestPlatform::embedded().await;
    let deps = &p.platform.deps;
    // Committed, never sent: the relay sends it once it falls due.
    platform_tests::outbox::commit_unsent(deps, "chloe@example.test").await;
    p.platform.clock.advance(shared::outbox::RELAY_AFTER);
    let scheduled: shared::due::ScheduledEvent =
        serde_json::from_str(&event("outbox-relay.json")).expect("a scheduled event");
    let report = outbox_relay::handle(deps, scheduled).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    p.last_mail("chloe@example.test", "booking_cancelled").await;
}
