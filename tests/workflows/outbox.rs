//! The bookings' outbox: a change keeps its messages (notifications, the
//! analytics event) in its own transaction, so a change that committed never
//! loses them. When sending right after the commit fails, the outbox-relay
//! schedule relays them once they fall due, and every message still takes
//! effect once.

use std::sync::Arc;

use jiff::SignedDuration;
use local::Backend;
use platform_tests::{
    aws,
    bookings::{MONDAY_MORNING, PASSWORD, book_haircut, owner_and_business},
    on_both_backends,
    orgs::token,
    outbox::commit_unsent,
    platform::TestPlatform,
};
use serde_json::{Value, json};
use shared::{
    clock::Clock,
    due,
    outbox::{self, RELAY_AFTER},
};

on_both_backends!(
    an_outbox_left_unsent_is_relayed_once,
    an_outbox_that_does_not_open_is_dropped_and_holds_up_none,
);

const RELAYED_LATER: SignedDuration = RELAY_AFTER
    .checked_add(SignedDuration::from_secs(1))
    .unwrap();

/// Fires the outbox-relay schedule; its report.
async fn relay(p: &TestPlatform) -> Value {
    let reply = p
        .call("POST", "/_dev/schedules/outbox-relay/run", None, &[])
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["report"].clone()
}

fn report(due: usize, sent: usize) -> Value {
    json!({ "due": due, "sent": sent, "skipped": 0 })
}

async fn mails_of(p: &TestPlatform, to: &str, kind: &str) -> usize {
    p.mail()
        .await
        .iter()
        .filter(|mail| mail.to == to && mail.kind == kind)
        .count()
}

async fn an_outbox_left_unsent_is_relayed_once(p: TestPlatform) {
    p.platform.clock.set(MONDAY_MORNING.parse().unwrap());
    let to = "chloe@example.test";
    // The change commits with its outbox; its function stops before sending.
    commit_unsent(&p.platform.deps, to).await;

    // Until it falls due, a request may still be sending it: left alone.
    assert_eq!(relay(&p).await, report(0, 0));
    p.platform.clock.advance(RELAYED_LATER);
    // The table keeps the messages sealed: none of their text shows.
    let [entry] = due::take_due(&p.platform.deps, outbox::KIND)
        .await
        .unwrap()
        .entries
        .try_into()
        .unwrap();
    let stored = entry.payload.to_string();
    assert!(entry.payload["sealed"].is_string(), "{stored}");
    for text in ["Alex is ill", "chloe@example.test", "booking_cancelled"] {
        assert!(!stored.contains(text), "{text} in {stored}");
    }
    assert_eq!(relay(&p).await, report(1, 1));
    assert_eq!(relay(&p).await, report(0, 0));
    assert_eq!(mails_of(&p, to, "booking_cancelled").await, 1);
}

async fn an_outbox_that_does_not_open_is_dropped_and_holds_up_none(p: TestPlatform) {
    p.platform.clock.set(MONDAY_MORNING.parse().unwrap());
    let deps = &p.platform.deps;
    // Sealed under a key since rotated: it can never be read.
    let now = MONDAY_MORNING.parse().unwrap();
    let unreadable = due::put(
        outbox::KIND,
        now,
        "sealed-elsewhere",
        json!({ "sealed": "bm9wZQ==" }),
    );
    deps.table
        .transact(vec![unreadable.unwrap()])
        .await
        .unwrap();
    let to = "chloe@example.test";
    commit_unsent(deps, to).await;

    p.platform.clock.advance(RELAYED_LATER);
    assert_eq!(
        relay(&p).await,
        json!({ "due": 2, "sent": 1, "skipped": 1 })
    );
    assert_eq!(relay(&p).await, report(0, 0));
    assert_eq!(mails_of(&p, to, "booking_cancelled").await, 1);
}

/// A real failure on the AWS backend: the booking-events queue is deleted, so
/// a cancel commits but cannot send its analytics event. The cancel still
/// answers 200; once the queue is back (a restart creates missing queues), the
/// relay sends the whole outbox: the analytics worker counts the cancel once,
/// and the customer's email, sent before the failure and again by the relay,
/// arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_messages_fail_to_send_is_relayed_later() {
    aws::endpoint();
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let queue_prefix = aws::unique_name("q");
    let backend = Backend::Aws {
        table_name: aws::unique_name("table"),
        queue_prefix: queue_prefix.clone(),
        mail_from: "no-reply@platform.test".into(),
    };
    let p = TestPlatform::in_dir(dir.clone(), backend.clone()).await;
    let (owner, salon) = owner_and_business(&p, "outbox-salon").await;
    let to = "chloe@example.test";
    let id = book_haircut(&p, &salon, "2027-03-23T09:00:00+01:00", to, None).await;
    p.platform.drain_queues().await.unwrap();

    let sqs = aws_sdk_sqs::Client::new(&aws::sdk_config().await);
    let events_queue = sqs
        .get_queue_url()
        .queue_name(format!("{queue_prefix}-booking-events"))
        .send()
        .await
        .unwrap();
    sqs.delete_queue()
        .queue_url(events_queue.queue_url().unwrap())
        .send()
        .await
        .unwrap();
    let path = format!("/v1/orgs/{}/bookings/{id}/cancel", salon.org_id);
    let body = json!({ "reason": "Alex is ill" });
    let cancelled = p.authed("POST", &path, &token(&owner), Some(body)).await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert_eq!(cancelled.body["status"], "cancelled");

    // Time goes on from the cancel, in the restarted platform too.
    let cancelled_at = p.platform.clock.now();
    let p = TestPlatform::in_dir(dir, backend).await;
    p.platform.clock.set(cancelled_at);
    p.platform.clock.advance(RELAYED_LATER);
    assert_eq!(relay(&p).await, report(1, 1));
    assert_eq!(relay(&p).await, report(0, 0));
    assert_eq!(mails_of(&p, to, "booking_cancelled").await, 1);
    let owner = p.log_in("owner@outbox-salon.test", PASSWORD, "d").await;
    let analytics = p
        .authed(
            "GET",
            &format!(
                "/v1/orgs/{}/analytics/bookings?from=2027-03-23&to=2027-03-23",
                salon.org_id
            ),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!(analytics.status, 200, "{analytics:?}");
    let counts = &analytics.body["buckets"][0]["counts_by_status"];
    assert_eq!(
        (&counts["cancelled"], &counts["confirmed"]),
        (&json!(1), &json!(0)),
        "{}",
        analytics.body
    );
}
