//! Changing bookings over HTTP: the business's actions and the customer's
//! cancel and reschedule, with the state machine's refusals, the customer's
//! deadline, lock cells released and moved, the other side told, and the
//! booking's history.

use platform_tests::{
    bookings::{Business, PASSWORD, owner_and_business, send_ok, weekday_hours},
    on_both_backends,
    orgs::{add_member, token, user_id},
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};
use shared::adapters::embedded::mailbox::MailboxEntry;

on_both_backends!(
    the_business_moves_a_booking_through_its_life,
    a_pending_booking_is_confirmed_or_declined,
    the_customer_changes_a_booking_until_the_deadline,
    only_the_business_managers_change_its_bookings,
    the_history_tells_the_whole_story,
);

const NINE: &str = "2027-03-23T09:00:00+01:00";
/// An hour later, on the same morning (the clock never goes back past a
/// message sent, which would hide it until the clock catches up).
const MONDAY_LATER: &str = "2027-03-22T07:00:00Z";
const TEN: &str = "2027-03-23T10:00:00+01:00";

/// A guest's haircut at `start` with the first staff member; the reply body.
async fn book(p: &TestPlatform, b: &Business, start: &str) -> Reply {
    let body = json!({
        "service_id": b.haircut_id, "start": start, "staff_id": b.staff_ids[0],
        "customer": { "name": "Chloé Martin", "phone": "+49 30 1234567", "email": "chloe@example.test" },
    });
    p.post(&format!("/v1/public/orgs/{}/bookings", b.slug), body)
        .await
}

async fn act(
    p: &TestPlatform,
    owner: &Reply,
    b: &Business,
    id: &str,
    action: &str,
    body: Value,
) -> Reply {
    let path = format!("/v1/orgs/{}/bookings/{id}/{action}", b.org_id);
    p.authed("POST", &path, &token(owner), Some(body)).await
}

fn id_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["booking_id"].as_str().unwrap().to_string()
}

async fn the_business_moves_a_booking_through_its_life(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "life-salon").await;
    let id = id_of(&book(&p, &b, NINE).await);

    // The state machine's refusals, each with its code.
    let again = act(&p, &owner, &b, &id, "confirm", json!({})).await;
    assert_eq!(
        (again.status, again.problem_code()),
        (409, "invalid_transition")
    );
    let early = act(&p, &owner, &b, &id, "complete", json!({})).await;
    assert_eq!((early.status, early.problem_code()), (409, "too_early"));
    let unpaid = act(&p, &owner, &b, &id, "mark-paid", json!({})).await;
    assert_eq!(unpaid.status, 422, "{unpaid:?}");
    let unknown = act(&p, &owner, &b, &id, "archive", json!({})).await;
    assert_eq!(unknown.status, 404);

    // Rescheduled to 10:00: the 09:00 cells are free again, the 10:00 ones held.
    let moved = act(&p, &owner, &b, &id, "reschedule", json!({ "start": TEN })).await;
    assert_eq!(moved.status, 200, "{moved:?}");
    assert_eq!(moved.body["start"], TEN);
    assert_eq!(moved.body["id"], id.as_str());
    assert_eq!(moved.body["status"], "confirmed");
    assert_eq!(book(&p, &b, TEN).await.problem_code(), "slot_taken");
    let nine_again = id_of(&book(&p, &b, NINE).await);
    let onto_taken = act(
        &p,
        &owner,
        &b,
        &id,
        "reschedule",
        json!({ "start": NINE, "staff_id": b.staff_ids[0] }),
    )
    .await;
    assert_eq!(
        (onto_taken.status, onto_taken.problem_code()),
        (409, "slot_taken")
    );
    let off_slot = act(
        &p,
        &owner,
        &b,
        &id,
        "reschedule",
        json!({ "start": "2027-03-23T12:30:00+01:00" }),
    )
    .await;
    assert_eq!(off_slot.status, 422, "{off_slot:?}");

    // Paid in cash, then completed once it began; paying twice is refused.
    let paid = act(
        &p,
        &owner,
        &b,
        &id,
        "mark-paid",
        json!({ "method": "cash" }),
    )
    .await;
    assert_eq!(paid.status, 200, "{paid:?}");
    assert_eq!(
        (
            paid.body["payment_status"].as_str(),
            paid.body["payment_method"].as_str()
        ),
        (Some("paid"), Some("cash"))
    );
    p.platform
        .clock
        .set("2027-03-23T09:10:00Z".parse().unwrap());
    // A day later the access token has expired: sign in again.
    let owner = p.log_in("owner@life-salon.test", PASSWORD, "d").await;
    let done = act(&p, &owner, &b, &id, "complete", json!({})).await;
    assert_eq!(
        (done.status, done.body["status"].as_str()),
        (200, Some("completed"))
    );
    let twice = act(
        &p,
        &owner,
        &b,
        &id,
        "mark-paid",
        json!({ "method": "card" }),
    )
    .await;
    assert_eq!(twice.problem_code(), "invalid_transition");
    // What the business records itself reaches the customer too (sent before
    // the clock goes back, which would hide these messages).
    p.platform.drain_queues().await.unwrap();
    let paid = p.last_mail("chloe@example.test", "booking_paid").await;
    assert!(
        paid.text.contains("25.00 EUR") && paid.text.contains("cash"),
        "{}",
        paid.text
    );
    let thanks = p.last_mail("chloe@example.test", "booking_completed").await;
    assert!(thanks.subject.contains("Thank you"), "{}", thanks.subject);

    // The business cancels only with a reason; the cells are released and the
    // customer is told why.
    let no_reason = act(&p, &owner, &b, &nine_again, "cancel", json!({})).await;
    assert_eq!(no_reason.status, 422);
    p.platform.clock.set(MONDAY_LATER.parse().unwrap());
    let owner = p.log_in("owner@life-salon.test", PASSWORD, "d").await;
    let cancelled = act(
        &p,
        &owner,
        &b,
        &nine_again,
        "cancel",
        json!({ "reason": "Alex is ill" }),
    )
    .await;
    assert_eq!(
        (cancelled.status, cancelled.body["status"].as_str()),
        (200, Some("cancelled"))
    );
    assert_eq!(cancelled.body["status_reason"], "Alex is ill");
    id_of(&book(&p, &b, NINE).await);
    p.platform.drain_queues().await.unwrap();
    let email = p.last_mail("chloe@example.test", "booking_cancelled").await;
    assert!(email.text.contains("Alex is ill"), "{}", email.text);
    assert_ics(&email, "20270323T080000Z", "CANCELLED");
    let rescheduled = p
        .last_mail("chloe@example.test", "booking_rescheduled")
        .await;
    assert!(rescheduled.text.contains("10:00"), "{}", rescheduled.text);
    // The calendar that imported the 09:00 booking moves it to 10:00.
    assert_ics(&rescheduled, "20270323T090000Z", "CONFIRMED");

    // Every change is in the audit log.
    let audit = send_ok(
        &p,
        &owner,
        "GET",
        &format!("/v1/orgs/{}/audit?limit=100", b.org_id),
        json!(null),
        200,
    )
    .await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "booking_changed")
        .count();
    assert_eq!(changes, 4, "{audit}");
}

async fn a_pending_booking_is_confirmed_or_declined(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "pending-salon").await;
    let schedule = json!({ "weekly": weekday_hours(), "auto_confirm": false });
    send_ok(
        &p,
        &owner,
        "PUT",
        &format!("/v1/orgs/{}/schedule", b.org_id),
        schedule,
        200,
    )
    .await;
    let first = book(&p, &b, NINE).await;
    assert_eq!(first.body["status"], "pending");
    let second = id_of(&book(&p, &b, TEN).await);

    let confirmed = act(&p, &owner, &b, &id_of(&first), "confirm", json!({})).await;
    assert_eq!(confirmed.body["status"], "confirmed", "{confirmed:?}");
    let declined = act(
        &p,
        &owner,
        &b,
        &second,
        "decline",
        json!({ "reason": "Fully booked" }),
    )
    .await;
    assert_eq!(declined.body["status"], "declined", "{declined:?}");
    // A declined booking holds no time.
    assert_eq!(book(&p, &b, TEN).await.status, 201);
    p.platform.drain_queues().await.unwrap();
    // A request's calendar event is tentative (the 10:00 one's is the last
    // request); the answers update it.
    let requested = p.last_mail("chloe@example.test", "booking_requested").await;
    assert_ics(&requested, "20270323T090000Z", "TENTATIVE");
    let confirmed = p.last_mail("chloe@example.test", "booking_confirmed").await;
    assert_ics(&confirmed, "20270323T080000Z", "CONFIRMED");
    let declined = p.last_mail("chloe@example.test", "booking_declined").await;
    assert_ics(&declined, "20270323T090000Z", "CANCELLED");

    // Nobody came to the confirmed 09:00: the customer hears of it.
    p.platform
        .clock
        .set("2027-03-23T08:40:00Z".parse().unwrap());
    let owner = p.log_in("owner@pending-salon.test", PASSWORD, "d").await;
    let missed = act(&p, &owner, &b, &id_of(&first), "no-show", json!({})).await;
    assert_eq!(missed.body["status"], "no_show", "{missed:?}");
    p.platform.drain_queues().await.unwrap();
    let no_show = p.last_mail("chloe@example.test", "booking_no_show").await;
    assert!(no_show.text.contains("nobody came"), "{}", no_show.text);
}

/// The email's `.ics` holds the booking at `dtstart` (UTC) with `status`.
fn assert_ics(mail: &MailboxEntry, dtstart: &str, status: &str) {
    let [ics] = mail.attachments.as_slice() else {
        panic!("one attachment expected: {mail:?}");
    };
    assert_eq!(ics.filename, "booking.ics");
    let content = &ics.content;
    assert!(
        content.contains(&format!("DTSTART:{dtstart}\r\n")),
        "{content}"
    );
    assert!(
        content.contains(&format!("STATUS:{status}\r\n")),
        "{content}"
    );
}

async fn the_customer_changes_a_booking_until_the_deadline(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "guest-changes").await;
    let booked = book(&p, &b, NINE).await;
    let id = id_of(&booked);
    let token = booked.body["manage_token"].as_str().unwrap().to_string();
    let customer = |action: &str, token: &str| format!("/v1/bookings/{id}/{action}?token={token}");

    // Without the token it is an unknown booking; the business's actions are not theirs.
    let wrong = p.post(&customer("cancel", "nope"), json!({})).await;
    assert_eq!(wrong.status, 404);
    let confirm = p.post(&customer("confirm", &token), json!({})).await;
    assert_eq!(confirm.status, 404);

    let moved = p
        .post(&customer("reschedule", &token), json!({ "start": TEN }))
        .await;
    assert_eq!(
        (moved.status, moved.body["start"].as_str()),
        (200, Some(TEN)),
        "{moved:?}"
    );

    // 24 hours before the start the deadline has passed; the answer says when it was.
    p.platform
        .clock
        .set("2027-03-22T09:30:00Z".parse().unwrap());
    let late = p.post(&customer("cancel", &token), json!({})).await;
    assert_eq!(
        (late.status, late.problem_code()),
        (409, "change_deadline_passed")
    );
    assert_eq!(late.body["deadline"], "2027-03-22T09:00:00Z");

    p.platform.clock.set(MONDAY_LATER.parse().unwrap());
    let cancelled = p.post(&customer("cancel", &token), json!({})).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{cancelled:?}");
    assert_eq!(book(&p, &b, TEN).await.status, 201);
    p.platform.drain_queues().await.unwrap();
    let told = p
        .last_mail(&format!("owner@{}.test", b.slug), "booking_cancelled")
        .await;
    assert!(told.text.contains("Chloé Martin"), "{}", told.text);
}

async fn only_the_business_managers_change_its_bookings(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "guarded-salon").await;
    let id = id_of(&book(&p, &b, NINE).await);
    let outsider = p.signed_in("outsider@example.test", PASSWORD, "d").await;
    let path = format!("/v1/orgs/{}/bookings/{id}/cancel", b.org_id);
    let denied = p
        .authed(
            "POST",
            &path,
            &token(&outsider),
            Some(json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(denied.status, 404);
    // Another organization's path does not reach this booking.
    let (other_owner, other) = owner_and_business(&p, "other-salon").await;
    let elsewhere = format!("/v1/orgs/{}/bookings/{id}/cancel", other.org_id);
    let foreign = p
        .authed(
            "POST",
            &elsewhere,
            &token(&other_owner),
            Some(json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(foreign.status, 404);
    // Confirm takes no body at all.
    let bare = p
        .call(
            "POST",
            &format!("/v1/orgs/{}/bookings/{id}/confirm", b.org_id),
            None,
            &[("authorization", &format!("Bearer {}", token(&owner)))],
        )
        .await;
    assert_eq!(bare.problem_code(), "invalid_transition");
}

async fn the_history_tells_the_whole_story(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "history-salon").await;
    let schedule = json!({ "weekly": weekday_hours(), "auto_confirm": false });
    let schedule_path = format!("/v1/orgs/{}/schedule", b.org_id);
    send_ok(&p, &owner, "PUT", &schedule_path, schedule, 200).await;
    let id = id_of(&book(&p, &b, NINE).await);
    let changes = [
        ("confirm", json!({})),
        ("reschedule", json!({ "start": TEN })),
        ("cancel", json!({ "reason": "Alex is ill" })),
    ];
    for (action, body) in changes {
        let changed = act(&p, &owner, &b, &id, action, body).await;
        assert_eq!(changed.status, 200, "{action}: {changed:?}");
    }

    let path = format!("/v1/orgs/{}/bookings/{id}/history", b.org_id);
    let history = send_ok(&p, &owner, "GET", &path, json!(null), 200).await;
    let entries = history["items"].as_array().expect("items");
    assert_eq!(history["next_cursor"], Value::Null, "{history}");
    // The guest booked it; the owner did the rest. Times carry Berlin's offset.
    let owner_id = user_id(&owner);
    let expected = [
        ("book", "customer", "pending", "pending", NINE, NINE, None),
        (
            "confirm",
            &owner_id,
            "pending",
            "confirmed",
            NINE,
            NINE,
            None,
        ),
        (
            "reschedule",
            &owner_id,
            "confirmed",
            "confirmed",
            NINE,
            TEN,
            None,
        ),
        (
            "cancel",
            &owner_id,
            "confirmed",
            "cancelled",
            TEN,
            TEN,
            Some("Alex is ill"),
        ),
    ];
    assert_eq!(entries.len(), expected.len(), "{history}");
    let mut previous_at = jiff::Timestamp::MIN;
    for (entry, (action, actor, from, to, from_start, to_start, reason)) in
        entries.iter().zip(expected)
    {
        let at = entry["at"].as_str().expect("at");
        let wanted = json!({
            "action": action, "actor": actor, "from_status": from, "to_status": to,
            "from_start": from_start, "to_start": to_start, "reason": reason, "at": at,
        });
        assert_eq!(entry, &wanted);
        assert!(
            at.starts_with("2027-03-22T07:") && at.ends_with("+01:00"),
            "{at}"
        );
        let at: jiff::Timestamp = at.parse().expect("RFC 3339");
        assert!(at >= previous_at, "{history}");
        previous_at = at;
    }

    // Two at a time, in the same order.
    let first = send_ok(
        &p,
        &owner,
        "GET",
        &format!("{path}?limit=2"),
        json!(null),
        200,
    )
    .await;
    assert_eq!(first["items"], json!(entries[..2]), "{first}");
    let cursor = first["next_cursor"].as_str().expect("more");
    let rest_path = format!("{path}?limit=2&cursor={cursor}");
    let rest = send_ok(&p, &owner, "GET", &rest_path, json!(null), 200).await;
    assert_eq!(rest["items"], json!(entries[2..]), "{rest}");

    // Whoever may read the booking (any member, viewers too) reads its history.
    let viewer = p
        .signed_in("viewer@history-salon.test", PASSWORD, "v")
        .await;
    add_member(&p, &b.org_id, &viewer, "viewer").await;
    let seen = send_ok(&p, &viewer, "GET", &path, json!(null), 200).await;
    assert_eq!(seen["items"], history["items"]);
    let outsider = p
        .signed_in("outsider@history-salon.test", PASSWORD, "o")
        .await;
    let denied = p.authed("GET", &path, &token(&outsider), None).await;
    assert_eq!((denied.status, denied.problem_code()), (404, "not_found"));
    let anonymous = p.call("GET", &path, None, &[]).await;
    assert_eq!(anonymous.status, 401);
    // Another organization's owner, on their own organization's path: not found.
    let (other_owner, other) = owner_and_business(&p, "other-history-salon").await;
    let elsewhere = format!("/v1/orgs/{}/bookings/{id}/history", other.org_id);
    let foreign = p
        .authed("GET", &elsewhere, &token(&other_owner), None)
        .await;
    assert_eq!((foreign.status, foreign.problem_code()), (404, "not_found"));
}
