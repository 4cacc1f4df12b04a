//! Booking analytics end to end, on both backends: booking changes go through
//! the booking-events queue to the analytics worker, and the route reads the
//! day aggregates back in day, week and month buckets. Until booking creation
//! sends them itself, the test sends changes shaped like the lifecycle's.

use platform_tests::{
    bookings::{Business, business},
    on_both_backends,
    orgs::{add_member, refused_fields, token},
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};
use shared::{
    bookings::{
        analytics::{BookingChange, Snapshot, booking_changed, change_event_id},
        lifecycle::{BookingStatus, PaymentStatus},
    },
    types::Money,
};

on_both_backends!(
    changes_are_counted_once_on_the_local_day_of_the_start,
    a_reschedule_moves_the_counts,
    bookings_made_over_http_are_counted,
    ranges_are_checked,
    analysts_and_up_read_analytics,
);

const PASSWORD: &str = "correct horse battery";
const BERLIN: &str = "Europe/Berlin";

async fn owner(p: &TestPlatform) -> Reply {
    p.signed_in("owner@example.com", PASSWORD, "d1").await
}

/// One booking of the test, as booking creation and the lifecycle describe it.
struct Booking<'a> {
    salon: &'a Business,
    id: String,
    service: (&'a str, &'a str, i64),
    new_customer: bool,
    version: i64,
    now: Snapshot,
}

impl<'a> Booking<'a> {
    /// Sends the creation of a booking starting at `start` (UTC) in `status`.
    async fn create(
        p: &TestPlatform,
        salon: &'a Business,
        service: (&'a str, &'a str, i64),
        new_customer: bool,
        start: &str,
        status: BookingStatus,
    ) -> Booking<'a> {
        let booking = Booking {
            salon,
            id: uuid::Uuid::now_v7().to_string(),
            service,
            new_customer,
            version: 1,
            now: Snapshot {
                status,
                payment_status: PaymentStatus::Pending,
                price: Money {
                    amount: service.2,
                    currency: "EUR".into(),
                },
                start: start.parse().unwrap(),
            },
        };
        let change = booking.change(None);
        booking_changed(&p.platform.deps, &change).await.unwrap();
        booking
    }

    fn change(&self, before: Option<Snapshot>) -> BookingChange {
        BookingChange {
            event_id: change_event_id(&self.id, self.version),
            org_id: self.salon.org_id.clone(),
            booking_id: self.id.clone(),
            new_customer: self.new_customer,
            service_id: self.service.0.into(),
            service_name: self.service.1.into(),
            timezone: BERLIN.into(),
            before,
            after: self.now.clone(),
        }
    }

    /// Sends a change of the booking made by `edit`.
    async fn changed(&mut self, p: &TestPlatform, edit: impl FnOnce(&mut Snapshot)) {
        let before = self.now.clone();
        edit(&mut self.now);
        self.version += 1;
        let change = self.change(Some(before));
        booking_changed(&p.platform.deps, &change).await.unwrap();
    }
}

async fn analytics(p: &TestPlatform, login: &Reply, org_id: &str, query: &str) -> Reply {
    let path = format!("/v1/orgs/{org_id}/analytics/bookings?{query}");
    p.authed("GET", &path, &token(login), None).await
}

async fn analytics_ok(p: &TestPlatform, login: &Reply, org_id: &str, query: &str) -> Value {
    let reply = analytics(p, login, org_id, query).await;
    assert_eq!(reply.status, 200, "{query}: {reply:?}");
    reply.body
}

/// `[(start, end, bookings)]` of each bucket.
fn spans(report: &Value) -> Vec<(String, String, i64)> {
    let buckets = report["buckets"].as_array().expect("buckets");
    buckets
        .iter()
        .map(|b| {
            let date = |field: &str| b[field].as_str().expect("a date").to_string();
            (date("start"), date("end"), b["bookings"].as_i64().unwrap())
        })
        .collect()
}

async fn changes_are_counted_once_on_the_local_day_of_the_start(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", BERLIN).await;
    let haircut = (salon.haircut_id.as_str(), "Haircut", 2500);
    let colour = (salon.colour_id.as_str(), "Colour", 6000);
    use BookingStatus::*;

    // Monday 2 March, 10:00 in Berlin: made, completed, paid; its creation
    // is delivered twice.
    let mut cut =
        Booking::create(&p, &salon, haircut, true, "2026-03-02T09:00:00Z", Confirmed).await;
    p.platform.drain_queues().await.unwrap();
    booking_changed(&p.platform.deps, &cut.change(None))
        .await
        .unwrap();
    cut.changed(&p, |b| b.status = Completed).await;
    cut.changed(&p, |b| b.payment_status = PaymentStatus::Paid)
        .await;
    // Wednesday 4 March, 15:00: made pending, then cancelled.
    let mut cancelled =
        Booking::create(&p, &salon, colour, false, "2026-03-04T14:00:00Z", Pending).await;
    cancelled.changed(&p, |b| b.status = Cancelled).await;
    // Monday 9 March, 10:00 again.
    Booking::create(
        &p,
        &salon,
        haircut,
        false,
        "2026-03-09T09:00:00Z",
        Confirmed,
    )
    .await;
    // 23:30 UTC on Saturday 28 March is 00:30 on Sunday 29 March in Berlin,
    // the night its clocks go forward.
    Booking::create(&p, &salon, haircut, true, "2026-03-28T23:30:00Z", Confirmed).await;
    // One message per change sent since the first drain: the duplicate, 2, 2, 1 and 1.
    assert_eq!(p.platform.drain_queues().await.unwrap(), 7);

    let org = &salon.org_id;
    let month = analytics_ok(
        &p,
        &owner,
        org,
        "from=2026-02-15&to=2026-04-10&granularity=month",
    )
    .await;
    assert_eq!(
        spans(&month),
        [
            ("2026-02-15".into(), "2026-02-28".into(), 0),
            ("2026-03-01".into(), "2026-03-31".into(), 4),
            ("2026-04-01".into(), "2026-04-10".into(), 0),
        ]
    );
    let march = &month["buckets"][1];
    assert_eq!(
        march["counts_by_status"],
        json!({ "pending": 0, "confirmed": 2, "declined": 0, "cancelled": 1, "completed": 1, "no_show": 0 })
    );
    assert_eq!(
        march["paid_revenue"],
        json!([{ "amount": 2500, "currency": "EUR" }])
    );
    assert_eq!(
        (&march["new_customers"], &march["returning_customers"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(month["buckets"][0]["paid_revenue"], json!([]));
    assert_eq!(
        month["popular_services"],
        json!([
            { "service_id": salon.haircut_id, "service_name": "Haircut", "bookings": 3 },
            { "service_id": salon.colour_id, "service_name": "Colour", "bookings": 1 },
        ])
    );
    // The cancelled booking gave its time back.
    assert_eq!(
        month["peak_hours"],
        json!([
            { "weekday": "mon", "hour": 10, "bookings": 2 },
            { "weekday": "sun", "hour": 0, "bookings": 1 },
        ])
    );

    // ISO weeks from Monday; 1 March is a Sunday, the last bucket is clipped.
    let weeks = analytics_ok(
        &p,
        &owner,
        org,
        "from=2026-03-01&to=2026-03-31&granularity=week",
    )
    .await;
    assert_eq!(
        spans(&weeks),
        [
            ("2026-03-01".into(), "2026-03-01".into(), 0),
            ("2026-03-02".into(), "2026-03-08".into(), 2),
            ("2026-03-09".into(), "2026-03-15".into(), 1),
            ("2026-03-16".into(), "2026-03-22".into(), 0),
            ("2026-03-23".into(), "2026-03-29".into(), 1),
            ("2026-03-30".into(), "2026-03-31".into(), 0),
        ]
    );
    let first_week = &weeks["buckets"][1];
    assert_eq!(first_week["counts_by_status"]["completed"], 1);
    assert_eq!(first_week["counts_by_status"]["cancelled"], 1);
    assert_eq!(
        first_week["paid_revenue"],
        json!([{ "amount": 2500, "currency": "EUR" }])
    );

    // The DST-night booking is on its local date, not its UTC one.
    let days = analytics_ok(
        &p,
        &owner,
        org,
        "from=2026-03-28&to=2026-03-29&granularity=day",
    )
    .await;
    assert_eq!(
        spans(&days),
        [
            ("2026-03-28".into(), "2026-03-28".into(), 0),
            ("2026-03-29".into(), "2026-03-29".into(), 1),
        ]
    );
    assert_eq!(days["buckets"][1]["counts_by_status"]["confirmed"], 1);
    assert_eq!(days["popular_services"][0]["bookings"], 1);
    assert_eq!(
        days["peak_hours"],
        json!([{ "weekday": "sun", "hour": 0, "bookings": 1 }])
    );

    // Day is the default granularity.
    let default = analytics_ok(&p, &owner, org, "from=2026-03-02&to=2026-03-02").await;
    assert_eq!(
        spans(&default),
        [("2026-03-02".into(), "2026-03-02".into(), 1)]
    );
}

async fn a_reschedule_moves_the_counts(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", BERLIN).await;
    let haircut = (salon.haircut_id.as_str(), "Haircut", 2500);
    let mut booking = Booking::create(
        &p,
        &salon,
        haircut,
        true,
        "2026-03-10T09:00:00Z",
        BookingStatus::Confirmed,
    )
    .await;
    // To Thursday 12 March, 16:00 in Berlin.
    booking
        .changed(&p, |b| b.start = "2026-03-12T15:00:00Z".parse().unwrap())
        .await;
    p.platform.drain_queues().await.unwrap();

    let query = "from=2026-03-10&to=2026-03-12";
    let days = analytics_ok(&p, &owner, &salon.org_id, query).await;
    assert_eq!(
        spans(&days),
        [
            ("2026-03-10".into(), "2026-03-10".into(), 0),
            ("2026-03-11".into(), "2026-03-11".into(), 0),
            ("2026-03-12".into(), "2026-03-12".into(), 1),
        ]
    );
    assert_eq!(days["buckets"][0]["counts_by_status"]["confirmed"], 0);
    assert_eq!(days["buckets"][2]["counts_by_status"]["confirmed"], 1);
    assert_eq!(days["buckets"][2]["new_customers"], 1);
    assert_eq!(
        days["peak_hours"],
        json!([{ "weekday": "thu", "hour": 16, "bookings": 1 }])
    );
}

async fn bookings_made_over_http_are_counted(p: TestPlatform) {
    p.platform
        .clock
        .set("2027-03-22T06:00:00Z".parse().unwrap());
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", BERLIN).await;
    // The same guest twice (the email's case aside): new, then returning.
    for (start, email) in [
        ("2027-03-23T10:00:00+01:00", "Chloe@Example.test"),
        ("2027-03-23T14:00:00+01:00", "chloe@example.test"),
    ] {
        let body = json!({
            "service_id": salon.haircut_id, "start": start,
            "customer": { "name": "Chloé Martin", "phone": "+49 30 1234567", "email": email },
        });
        let path = format!("/v1/public/orgs/{}/bookings", salon.slug);
        let booked = p.post(&path, body).await;
        assert_eq!(booked.status, 201, "{booked:?}");
    }
    p.platform.drain_queues().await.unwrap();

    let day = analytics_ok(&p, &owner, &salon.org_id, "from=2027-03-23&to=2027-03-23").await;
    let bucket = &day["buckets"][0];
    assert_eq!(bucket["bookings"], 2);
    assert_eq!(bucket["counts_by_status"]["confirmed"], 2);
    assert_eq!(
        (&bucket["new_customers"], &bucket["returning_customers"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        day["popular_services"],
        json!([{ "service_id": salon.haircut_id, "service_name": "Haircut", "bookings": 2 }])
    );
    assert_eq!(
        day["peak_hours"],
        json!([
            { "weekday": "tue", "hour": 10, "bookings": 1 },
            { "weekday": "tue", "hour": 14, "bookings": 1 },
        ])
    );
}

async fn ranges_are_checked(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", BERLIN).await;
    let org = &salon.org_id;
    // 366 days (a leap year's worth) is the most one request reads.
    let year = analytics_ok(
        &p,
        &owner,
        org,
        "from=2026-01-01&to=2027-01-01&granularity=month",
    )
    .await;
    assert_eq!(year["buckets"].as_array().unwrap().len(), 13);
    for (query, field) in [
        ("from=2026-01-01&to=2027-01-02", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
    ] {
        let reply = analytics(&p, &owner, org, query).await;
        assert_eq!(refused_fields(&reply), [field], "{query}");
    }
    for query in [
        "from=2026-13-01&to=2026-12-31",
        "from=2026-01-01",
        "from=2026-01-01&to=2026-01-31&granularity=year",
    ] {
        let reply = analytics(&p, &owner, org, query).await;
        assert_eq!(
            (reply.status, reply.problem_code()),
            (422, "validation_failed"),
            "{query}"
        );
    }
}

async fn analysts_and_up_read_analytics(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", BERLIN).await;
    let org = &salon.org_id;
    let query = "from=2026-03-01&to=2026-03-31";
    assert_eq!(analytics(&p, &owner, org, query).await.status, 200);
    for (i, (role, status)) in [
        ("admin", 200),
        ("manager", 200),
        ("editor", 200),
        ("analyst", 200),
        ("viewer", 403),
    ]
    .into_iter()
    .enumerate()
    {
        let login = p
            .signed_in(&format!("{role}@example.com"), PASSWORD, &format!("r{i}"))
            .await;
        add_member(&p, org, &login, role).await;
        let reply = analytics(&p, &login, org, query).await;
        assert_eq!(reply.status, status, "{role}: {reply:?}");
    }
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "o").await;
    let reply = analytics(&p, &outsider, org, query).await;
    assert_eq!((reply.status, reply.problem_code()), (404, "not_found"));
}
