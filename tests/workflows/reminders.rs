//! Booking reminders end to end, on both backends, through the local runner's
//! clock and schedule routes: a booking days ahead gets its day-before and its
//! lead reminder once each (however often, and however concurrently, the
//! schedule runs), a booking made hours ahead no day-before reminder, a
//! cancelled booking and a rescheduled booking's old time none, and a missed
//! run catches up on bookings still ahead only.
//!
//! Cancel and reschedule go through the lifecycle routes; the send-time checks
//! are tested apart, on bookings changed by a write that left their due
//! entries behind.

use platform_tests::{
    bookings::{PASSWORD, book_haircut, owner_and_business},
    on_both_backends,
    orgs::token,
    platform::TestPlatform,
};
use serde_json::{Value, json};
use shared::{
    bookings::{booking::Booking, lifecycle::BookingStatus},
    keys, records,
    table::Write,
};

on_both_backends!(
    a_booking_days_ahead_gets_each_reminder_once,
    a_booking_made_hours_ahead_gets_no_day_before_reminder,
    a_booking_moved_into_its_last_day_gets_no_day_before_reminder,
    cancelled_bookings_and_old_times_get_no_reminder,
    a_missed_run_catches_up_on_bookings_still_ahead,
);

const KIND: &str = "booking_reminder";
/// Thursday 10:00 in Berlin: three days ahead.
const THURSDAY_TEN: &str = "2027-03-25T10:00:00+01:00";

async fn set_clock(p: &TestPlatform, now: &str) {
    let reply = p
        .call("POST", "/_dev/clock", Some(json!({ "now": now })), &[])
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// Fires the schedule as `POST /_dev/schedules/booking-reminders/run`; its report.
async fn run(p: &TestPlatform) -> Value {
    let reply = p
        .call("POST", "/_dev/schedules/booking-reminders/run", None, &[])
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["report"].clone()
}

fn report(due: usize, sent: usize, skipped: usize) -> Value {
    json!({ "due": due, "sent": sent, "skipped": skipped })
}

/// The reminder emails to `to`, oldest first, once the queues are drained.
async fn reminders_to(p: &TestPlatform, to: &str) -> Vec<String> {
    let mut subjects: Vec<String> = p
        .mail()
        .await
        .into_iter()
        .filter(|m| m.to == to && m.kind == KIND)
        .map(|m| format!("{}\n{}", m.subject, m.text))
        .collect();
    subjects.reverse();
    subjects
}

/// Changes a stored booking with a write that leaves its due entries behind,
/// so only the run's send-time checks stand between them and a reminder.
async fn change_booking(p: &TestPlatform, id: &str, change: impl FnOnce(&mut Booking)) {
    let table = &*p.platform.deps.table;
    let before: Booking = records::get(table, &keys::booking(id))
        .await
        .unwrap()
        .expect("the booking");
    let mut after = before.clone();
    change(&mut after);
    let write = Write::Put {
        item: shared::bookings::booking::booking_item(&after).unwrap(),
        condition: None,
    };
    table.transact(vec![write]).await.unwrap();
}

async fn a_booking_days_ahead_gets_each_reminder_once(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "ahead-salon").await;
    let to = "chloe@example.test";
    let id = book_haircut(&p, &b, THURSDAY_TEN, to, None).await;

    // Due Wednesday 09:00Z (24 hours before) and Thursday 07:00Z (2 hours).
    set_clock(&p, "2027-03-24T08:59:00Z").await;
    assert_eq!(run(&p).await, report(0, 0, 0));
    assert!(reminders_to(&p, to).await.is_empty());

    set_clock(&p, "2027-03-24T09:00:30Z").await;
    assert_eq!(run(&p).await, report(1, 1, 0));
    let sent = reminders_to(&p, to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("Reminder: Haircut at Salon tomorrow"),
        "{sent:?}"
    );
    assert!(sent[0].contains(THURSDAY_TEN), "{sent:?}");
    // A guest's link is the manage link, which opens the booking.
    let mail = p.last_mail(to, KIND).await;
    let link = mail
        .links
        .iter()
        .find(|l| l.contains(&format!("/bookings/{id}?token=")))
        .expect("the manage link");
    let token = platform_tests::platform::query_param(link, "token");
    let view = p
        .call(
            "GET",
            &format!("/v1/bookings/{id}?token={token}"),
            None,
            &[],
        )
        .await;
    assert_eq!(view.status, 200, "{view:?}");

    // Again: the entry is done.
    assert_eq!(run(&p).await, report(0, 0, 0));
    // The lead reminder, by two runs at once: delivered once whichever sends.
    set_clock(&p, "2027-03-25T07:00:30Z").await;
    let (first, second) = tokio::join!(run(&p), run(&p));
    let sends = first["sent"].as_u64().unwrap() + second["sent"].as_u64().unwrap();
    assert!(sends >= 1, "{first} {second}");
    let sent = reminders_to(&p, to).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].starts_with("Reminder: Haircut at Salon in 2 hours"),
        "{sent:?}"
    );
    // Later runs, up to and past the start: nothing more.
    set_clock(&p, "2027-03-25T09:30:00Z").await;
    assert_eq!(run(&p).await, report(0, 0, 0));
    assert_eq!(reminders_to(&p, to).await.len(), 2);
}

async fn a_booking_made_hours_ahead_gets_no_day_before_reminder(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "late-salon").await;
    let to = "chloe@late.test";
    // Five hours ahead: Tuesday 10:00 in Berlin, booked at 04:00Z, signed in.
    set_clock(&p, "2027-03-23T04:00:00Z").await;
    let customer = p.signed_in(to, PASSWORD, "phone").await;
    let start = "2027-03-23T10:00:00+01:00";
    let id = book_haircut(&p, &b, start, to, Some(&token(&customer))).await;

    set_clock(&p, "2027-03-23T06:59:00Z").await;
    assert_eq!(run(&p).await, report(0, 0, 0));
    set_clock(&p, "2027-03-23T07:00:30Z").await;
    assert_eq!(run(&p).await, report(1, 1, 0));
    let sent = reminders_to(&p, to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("in 2 hours"), "{sent:?}");
    // Signed in: the link is the booking in the app, without a token.
    let mail = p.last_mail(to, KIND).await;
    assert!(
        mail.links
            .iter()
            .any(|l| l.ends_with(&format!("/bookings/{id}"))),
        "{mail:?}"
    );
}

async fn a_booking_moved_into_its_last_day_gets_no_day_before_reminder(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "moved-late-salon").await;
    let to = "chloe@moved-late.test";
    let id = book_haircut(&p, &b, THURSDAY_TEN, to, None).await;
    // Wednesday 08:00Z, before Thursday's day-before reminder: the business
    // moves the booking to 14:00 the same day, five hours ahead.
    set_clock(&p, "2027-03-24T08:00:00Z").await;
    let owner = p.log_in("owner@moved-late-salon.test", PASSWORD, "d").await;
    let path = format!("/v1/orgs/{}/bookings/{id}/reschedule", b.org_id);
    let body = json!({ "start": "2027-03-24T14:00:00+01:00" });
    let moved = p.authed("POST", &path, &token(&owner), Some(body)).await;
    assert_eq!(moved.status, 200, "{moved:?}");

    // No "tomorrow" for a booking later today; the lead reminder at 11:00Z.
    set_clock(&p, "2027-03-24T10:59:00Z").await;
    assert_eq!(run(&p).await, report(0, 0, 0));
    set_clock(&p, "2027-03-24T11:00:30Z").await;
    assert_eq!(run(&p).await, report(1, 1, 0));
    let sent = reminders_to(&p, to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("in 2 hours"), "{sent:?}");
}

async fn cancelled_bookings_and_old_times_get_no_reminder(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "change-salon").await;
    let emails = [
        "cancelled@x.test",
        "stale@x.test",
        "moved@x.test",
        "stale-move@x.test",
    ];
    let mut ids = Vec::new();
    // Thursday at 10:00, 11:00, 13:00 and 14:00 in Berlin (09:00Z ... 13:00Z).
    for (email, hour) in emails.iter().zip(["10", "11", "13", "14"]) {
        let start = format!("2027-03-25T{hour}:00:00+01:00");
        ids.push(book_haircut(&p, &b, &start, email, None).await);
    }
    let cancel = |booking: &mut Booking| booking.details.status = BookingStatus::Cancelled;
    let a_day_later = |booking: &mut Booking| {
        booking.start += jiff::SignedDuration::from_hours(24);
        booking.end += jiff::SignedDuration::from_hours(24);
    };
    let act = |id: &str, action: &str, body: Value| {
        let path = format!("/v1/orgs/{}/bookings/{id}/{action}", b.org_id);
        let owner = token(&owner);
        let p = &p;
        async move { p.authed("POST", &path, &owner, Some(body)).await }
    };
    // Cancelled by the business: its entries go in the same transaction.
    let cancelled = act(&ids[0], "cancel", json!({ "reason": "Closed" })).await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    // Cancelled by a write that left its entries: the run checks the state.
    change_booking(&p, &ids[1], cancel).await;
    // Rescheduled a day later: the entries move with it.
    let moved = act(
        &ids[2],
        "reschedule",
        json!({ "start": "2027-03-26T13:00:00+01:00" }),
    )
    .await;
    assert_eq!(moved.status, 200, "{moved:?}");
    // Moved by a write that left its entries: the run checks the start.
    change_booking(&p, &ids[3], a_day_later).await;

    // Wednesday 14:00Z: the old day-before times of all four have passed; the
    // two left behind are due and skipped while their bookings are still ahead.
    set_clock(&p, "2027-03-24T14:00:00Z").await;
    assert_eq!(run(&p).await, report(2, 0, 2));
    // Thursday 12:30Z: the old lead times of the same two, skipped; the moved
    // booking's day-before reminder for its new time (Friday 13:00 in Berlin).
    set_clock(&p, "2027-03-25T12:30:00Z").await;
    assert_eq!(run(&p).await, report(3, 1, 2));
    // Friday 10:30Z: its lead reminder.
    set_clock(&p, "2027-03-26T10:30:00Z").await;
    assert_eq!(run(&p).await, report(1, 1, 0));

    let [cancelled, stale, moved, stale_move] = emails;
    for to in [cancelled, stale, stale_move] {
        assert!(reminders_to(&p, to).await.is_empty(), "{to}");
    }
    let sent = reminders_to(&p, moved).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.iter().all(|m| m.contains("2027-03-26T13:00:00+01:00")),
        "{sent:?}"
    );
    assert!(
        sent[0].contains("tomorrow") && sent[1].contains("in 2 hours"),
        "{sent:?}"
    );
}

async fn a_missed_run_catches_up_on_bookings_still_ahead(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "outage-salon").await;
    let [past, ahead] = ["past@x.test", "ahead@x.test"];
    book_haircut(&p, &b, "2027-03-23T10:00:00+01:00", past, None).await;
    book_haircut(&p, &b, THURSDAY_TEN, ahead, None).await;
    // A run now sets the watermark; then no run for two days.
    assert_eq!(run(&p).await, report(0, 0, 0));

    // Wednesday 09:30Z: Tuesday's booking is over (both its reminders fell
    // due meanwhile), Thursday's day-before reminder is due.
    set_clock(&p, "2027-03-24T09:30:00Z").await;
    assert_eq!(run(&p).await, report(3, 1, 2));
    assert!(reminders_to(&p, past).await.is_empty());
    let sent = reminders_to(&p, ahead).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("tomorrow"), "{sent:?}");
}
