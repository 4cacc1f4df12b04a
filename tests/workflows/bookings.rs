//! Availability and booking end to end, on both backends: slots across the
//! DST changes of Europe/Berlin with their offsets, a bounded number of table
//! calls per availability request, booking as a guest and signed in, taken
//! slots (409), starts that are not offered (422), the manage token, the
//! Idempotency-Key, the calendars, tenant isolation, the emails, and 50
//! concurrent bookings that never overlap.

use std::sync::Arc;

use axum::{body::Body, http::Request};
use jiff::Timestamp;
use platform_tests::{
    bookings::{Business, PASSWORD, business, owner_and_business, send_ok},
    counting::CountingTable,
    on_both_backends,
    orgs::{add_member, refused_fields, token},
    platform::{Reply, TestPlatform, query_param, send_to},
};
use serde_json::{Value, json};
use shared::Deps;

on_both_backends!(
    slots_follow_the_dst_changes_with_their_offsets,
    availability_costs_the_same_table_calls_for_a_day_or_62,
    a_guest_books_a_slot_once_and_manages_it_with_the_token,
    a_retried_booking_with_its_key_is_the_same_booking,
    signed_in_bookings_and_the_calendars_stay_within_their_organization,
    fifty_concurrent_bookings_never_overlap,
);

async fn availability(p: &TestPlatform, slug: &str, query: &str) -> Reply {
    p.call(
        "GET",
        &format!("/v1/public/orgs/{slug}/availability?{query}"),
        None,
        &[],
    )
    .await
}

/// The slot starts of the one day of an availability reply.
fn starts(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{reply:?}");
    let days = reply.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{reply:?}");
    days[0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap().to_string())
        .collect()
}

fn guest(email: Option<&str>) -> Value {
    json!({ "name": "Chloé Martin", "phone": "+49 30 1234567", "email": email })
}

async fn book(p: &TestPlatform, slug: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
    p.call(
        "POST",
        &format!("/v1/public/orgs/{slug}/bookings"),
        Some(body),
        headers,
    )
    .await
}

fn haircut_at(b: &Business, start: &str, staff_id: Option<&str>) -> Value {
    json!({
        "service_id": b.haircut_id, "start": start, "staff_id": staff_id,
        "customer": guest(Some("chloe@example.test")), "notes": "window seat",
    })
}

async fn slots_follow_the_dst_changes_with_their_offsets(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "dst-salon").await;
    // Sundays open at night, so the hour that changes is inside the hours.
    let night = json!([{ "start": "01:00", "end": "05:00" }]);
    let schedule = json!({
        "weekly": { "sun": night }, "slot_step_minutes": 30,
        "min_notice_minutes": 0, "max_days_ahead": 365,
    });
    let path = format!("/v1/orgs/{}/schedule", b.org_id);
    send_ok(&p, &owner, "PUT", &path, schedule, 200).await;
    let alex = &b.staff_ids[0];
    let one_day = |day: &str| {
        format!(
            "service_id={}&from={day}&to={day}&staff_id={alex}",
            b.colour_id
        )
    };

    // Spring forward: 01:00+01:00 to 05:00+02:00 is three real hours.
    let spring = starts(&availability(&p, &b.slug, &one_day("2027-03-28")).await);
    assert_eq!(
        spring,
        [
            "2027-03-28T01:00:00+01:00",
            "2027-03-28T01:30:00+01:00",
            "2027-03-28T03:00:00+02:00",
            "2027-03-28T03:30:00+02:00",
            "2027-03-28T04:00:00+02:00",
        ]
    );
    // Fall back: five real hours, the repeated hour once per real instant.
    let autumn = starts(&availability(&p, &b.slug, &one_day("2027-10-31")).await);
    assert_eq!(autumn.len(), 9, "{autumn:?}");
    assert_eq!(autumn[2], "2027-10-31T02:00:00+02:00");
    assert_eq!(autumn[4], "2027-10-31T02:00:00+01:00");
    assert_eq!(autumn[8], "2027-10-31T04:00:00+01:00");

    // A range: every day listed, Sundays with slots, the rest closed.
    let week = availability(
        &p,
        &b.slug,
        &format!("service_id={}&from=2027-03-22&to=2027-03-28", b.haircut_id),
    )
    .await;
    let counts: Vec<usize> = week.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["slots"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [0, 0, 0, 0, 0, 0, 6]);
    let first = &week.body["days"][6]["slots"][0];
    assert_eq!(first["end"], "2027-03-28T01:30:00+01:00");
    assert_eq!(first["staff_ids"].as_array().unwrap().len(), 2);

    // Bad ranges and unknown or unpublished services.
    let range = |from: &str, to: &str| format!("service_id={}&from={from}&to={to}", b.haircut_id);
    let too_long = availability(&p, &b.slug, &range("2027-04-01", "2027-06-02")).await;
    assert_eq!(refused_fields(&too_long), ["to"]);
    let backwards = availability(&p, &b.slug, &range("2027-04-02", "2027-04-01")).await;
    assert_eq!(refused_fields(&backwards), ["to"]);
    let no_dates = availability(&p, &b.slug, &format!("service_id={}", b.haircut_id)).await;
    assert_eq!(refused_fields(&no_dates), ["from", "to"]);
    let draft = format!("service_id={}&from=2027-04-01&to=2027-04-01", b.draft_id);
    let draft = availability(&p, &b.slug, &draft).await;
    assert_eq!((draft.status, draft.problem_code()), (404, "not_found"));
    let nobody = availability(&p, "no-such-salon", &range("2027-04-01", "2027-04-01")).await;
    assert_eq!(nobody.status, 404);
}

async fn availability_costs_the_same_table_calls_for_a_day_or_62(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "counted-salon").await;
    let booked = book(
        &p,
        &b.slug,
        haircut_at(&b, "2027-03-23T10:00:00+01:00", None),
        &[],
    )
    .await;
    assert_eq!(booked.status, 201, "{booked:?}");

    let counting = Arc::new(CountingTable::new(p.platform.deps.table.clone()));
    let deps = Deps {
        table: counting.clone(),
        ..p.platform.deps.clone()
    };
    let router = bookings_api::router(deps);
    let mut calls = Vec::new();
    for to in ["2027-03-23", "2027-05-23"] {
        let uri = format!(
            "/v1/public/orgs/{}/availability?service_id={}&from=2027-03-23&to={to}",
            b.slug, b.haircut_id
        );
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let reply = send_to(router.clone(), request).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let days = reply.body["days"].as_array().unwrap();
        // The booking's slot is gone for the staff member who took it.
        let ten = days[0]["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|slot| slot["start"] == "2027-03-23T10:00:00+01:00")
            .unwrap();
        assert_eq!(ten["staff_ids"].as_array().unwrap().len(), 1);
        calls.push((days.len(), counting.take_calls()));
    }
    assert_eq!(calls[0].0, 1);
    assert_eq!(calls[1].0, 62);
    assert_eq!(calls[0].1, calls[1].1, "{calls:?}");
}

async fn a_guest_books_a_slot_once_and_manages_it_with_the_token(p: TestPlatform) {
    let (_owner, b) = owner_and_business(&p, "guest-salon").await;
    let [alex, sam] = [&b.staff_ids[0], &b.staff_ids[1]];
    let nine = "2027-03-23T09:00:00+01:00";

    let first = book(&p, &b.slug, haircut_at(&b, nine, None), &[]).await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.body["status"], "confirmed");
    assert_eq!(first.body["start"], nine);
    assert_eq!(first.body["end"], "2027-03-23T09:30:00+01:00");
    // "Any available": the first staff member in a stable order.
    assert_eq!(first.body["staff_id"], alex.as_str());
    assert_eq!(first.body["payment_status"], "pending");
    assert_eq!(first.body["price"]["amount"], 2500);
    let booking_id = first.body["booking_id"].as_str().unwrap().to_string();
    let manage_token = first.body["manage_token"].as_str().unwrap().to_string();

    // Alex's 09:00 is taken; the same start with anyone goes to Sam, then
    // nobody is left.
    let taken = book(&p, &b.slug, haircut_at(&b, nine, Some(alex)), &[]).await;
    assert_eq!((taken.status, taken.problem_code()), (409, "slot_taken"));
    let second = book(&p, &b.slug, haircut_at(&b, nine, None), &[]).await;
    assert_eq!(second.status, 201, "{second:?}");
    assert_eq!(second.body["staff_id"], sam.as_str());
    let third = book(&p, &b.slug, haircut_at(&b, nine, None), &[]).await;
    assert_eq!((third.status, third.problem_code()), (409, "slot_taken"));
    // The buffer (10 minutes) holds Alex's and Sam's 09:30 too.
    let nine_thirty = book(
        &p,
        &b.slug,
        haircut_at(&b, "2027-03-23T09:30:00+01:00", None),
        &[],
    );
    assert_eq!(nine_thirty.await.status, 409);
    let day = format!("service_id={}&from=2027-03-23&to=2027-03-23", b.haircut_id);
    let left = starts(&availability(&p, &b.slug, &day).await);
    assert_eq!(left[0], "2027-03-23T09:45:00+01:00");

    // Not offered: off the step, outside the hours, past, or malformed.
    for start in [
        "2027-03-23T09:50:00+01:00",
        "2027-03-23T12:00:00+01:00",
        "2027-03-28T10:00:00+02:00",
        "2027-03-19T10:00:00+01:00",
    ] {
        let refused = book(&p, &b.slug, haircut_at(&b, start, None), &[]).await;
        assert_eq!(refused_fields(&refused), ["start"], "{start}");
    }
    let mut invalid = haircut_at(&b, "tomorrow at nine", None);
    invalid["customer"] = json!({ "name": " ", "phone": "12", "email": "nope" });
    let fields = refused_fields(&book(&p, &b.slug, invalid, &[]).await);
    assert_eq!(
        fields,
        ["start", "customer.name", "customer.phone", "customer.email"]
    );
    // A service Sam does not perform, with Sam.
    let mut colour = haircut_at(&b, "2027-03-23T10:00:00+01:00", Some(sam));
    colour["service_id"] = json!(b.colour_id);
    assert_eq!(
        refused_fields(&book(&p, &b.slug, colour, &[]).await),
        ["staff_id"]
    );
    // An invalid bearer token is refused, not taken for a guest.
    let bad_token = book(
        &p,
        &b.slug,
        haircut_at(&b, "2027-03-23T11:00:00+01:00", None),
        &[("authorization", "Bearer not-a-token")],
    )
    .await;
    assert_eq!(bad_token.status, 401);

    // The guest's view: the right token, else as unknown.
    let view = p
        .call(
            "GET",
            &format!("/v1/bookings/{booking_id}?token={manage_token}"),
            None,
            &[],
        )
        .await;
    assert_eq!(view.status, 200, "{view:?}");
    assert_eq!(view.body["start"], nine);
    assert_eq!(view.body["customer"]["name"], "Chloé Martin");
    assert!(view.body.get("manage_token_hash").is_none());
    let other_token = second.body["manage_token"].as_str().unwrap();
    for query in [format!("?token={other_token}"), String::new()] {
        let wrong = p
            .call(
                "GET",
                &format!("/v1/bookings/{booking_id}{query}"),
                None,
                &[],
            )
            .await;
        assert_eq!((wrong.status, wrong.problem_code()), (404, "not_found"));
    }

    // The guest got a confirmation with the manage link; the owner a notice.
    let mails = p.mail().await;
    let (mail, link) = mails
        .iter()
        .filter(|m| m.to == "chloe@example.test" && m.kind == "booking_confirmed")
        .find_map(|m| Some((m, m.links.iter().find(|l| l.contains(&booking_id))?)))
        .expect("a confirmation with the manage link");
    assert_eq!(query_param(link, "token"), manage_token);
    assert!(mail.text.contains(nine), "{}", mail.text);
    let ics = &mail.attachments[0];
    assert_eq!(ics.filename, "booking.ics");
    assert!(
        ics.content.contains(&format!("UID:{booking_id}")),
        "{}",
        ics.content
    );
    assert!(
        ics.content.contains("DTSTART:20270323T080000Z"),
        "{}",
        ics.content
    );
    let notice = p
        .last_mail("owner@guest-salon.test", "booking_requested")
        .await;
    assert!(notice.text.contains("Chloé Martin"), "{}", notice.text);
}

async fn a_retried_booking_with_its_key_is_the_same_booking(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "retry-salon").await;
    let body = haircut_at(&b, "2027-03-24T13:00:00+01:00", None);
    let key = [("idempotency-key", "booking-attempt-1")];
    let first = book(&p, &b.slug, body.clone(), &key).await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = book(&p, &b.slug, body.clone(), &key).await;
    assert_eq!(again.status, 201, "{again:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["booking_id"], first.body["booking_id"]);
    assert_eq!(again.body["manage_token"], first.body["manage_token"]);

    let mut other = body.clone();
    other["start"] = json!("2027-03-24T14:00:00+01:00");
    let reused = book(&p, &b.slug, other, &key).await;
    assert_eq!(
        (reused.status, reused.problem_code()),
        (422, "idempotency_key_reused")
    );
    // Without a key, the same request is a new booking (of the other staff member).
    let fresh = book(&p, &b.slug, body, &[]).await;
    assert_eq!(fresh.status, 201);
    assert_ne!(fresh.body["staff_id"], first.body["staff_id"]);

    let calendar = p
        .authed(
            "GET",
            &format!(
                "/v1/orgs/{}/bookings?from=2027-03-24&to=2027-03-24",
                b.org_id
            ),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!(calendar.body["items"].as_array().unwrap().len(), 2);
}

async fn signed_in_bookings_and_the_calendars_stay_within_their_organization(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "calendar-salon").await;
    let customer = p.signed_in("customer@example.test", PASSWORD, "c").await;
    let mut body = haircut_at(&b, "2027-03-25T15:00:00+01:00", Some(&b.staff_ids[1]));
    body["customer"] = guest(None);
    let bearer = format!("Bearer {}", token(&customer));
    let mine = book(&p, &b.slug, body, &[("authorization", &bearer)]).await;
    assert_eq!(mine.status, 201, "{mine:?}");
    let booking_id = mine.body["booking_id"].as_str().unwrap().to_string();
    let guest_booking = book(
        &p,
        &b.slug,
        haircut_at(&b, "2027-03-26T09:00:00+01:00", None),
        &[],
    );
    let guest_booking = guest_booking.await;
    assert_eq!(guest_booking.status, 201);

    let my_list = p
        .authed("GET", "/v1/me/bookings", &token(&customer), None)
        .await;
    assert_eq!(my_list.status, 200, "{my_list:?}");
    let items = my_list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], booking_id.as_str());
    assert_eq!(items[0]["start"], "2027-03-25T15:00:00+01:00");
    // Signed in, the confirmation reaches the customer's account.
    p.last_mail("customer@example.test", "booking_confirmed")
        .await;

    let calendar = |query: String| {
        let path = format!("/v1/orgs/{}/bookings?{query}", b.org_id);
        let owner = token(&owner);
        let p = &p;
        async move { p.authed("GET", &path, &owner, None).await }
    };
    let week = calendar("from=2027-03-22&to=2027-03-28".into()).await;
    assert_eq!(week.status, 200, "{week:?}");
    let starts: Vec<&str> = week.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        ["2027-03-25T15:00:00+01:00", "2027-03-26T09:00:00+01:00"]
    );
    let thursday = calendar("from=2027-03-25&to=2027-03-25".into()).await;
    assert_eq!(thursday.body["items"].as_array().unwrap().len(), 1);
    let alex_only = calendar(format!(
        "from=2027-03-22&to=2027-03-28&staff_id={}",
        b.staff_ids[0]
    ))
    .await;
    assert_eq!(alex_only.body["items"].as_array().unwrap().len(), 1);
    let bad_range = calendar("from=2027-03-28&to=2027-03-22".into()).await;
    assert_eq!(refused_fields(&bad_range), ["to"]);

    // Any member reads the calendar; outsiders and other organizations cannot.
    let viewer = p.signed_in("viewer@example.test", PASSWORD, "v").await;
    add_member(&p, &b.org_id, &viewer, "viewer").await;
    let one = format!("/v1/orgs/{}/bookings/{booking_id}", b.org_id);
    let seen = p.authed("GET", &one, &token(&viewer), None).await;
    assert_eq!(seen.status, 200, "{seen:?}");
    assert_eq!(seen.body["customer"]["email"], Value::Null);
    let outsider = p.authed("GET", &one, &token(&customer), None).await;
    assert_eq!(outsider.status, 404);
    let other_owner = p.signed_in("other@example.test", PASSWORD, "o").await;
    let other = business(&p, &other_owner, "other-salon", "Europe/Berlin").await;
    let across = format!("/v1/orgs/{}/bookings/{booking_id}", other.org_id);
    let across = p.authed("GET", &across, &token(&other_owner), None).await;
    assert_eq!((across.status, across.problem_code()), (404, "not_found"));
    let their_calendar = format!(
        "/v1/orgs/{}/bookings?from=2027-03-22&to=2027-03-28",
        other.org_id
    );
    let theirs = p
        .authed("GET", &their_calendar, &token(&other_owner), None)
        .await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);
    let peek = format!(
        "/v1/orgs/{}/bookings?from=2027-03-22&to=2027-03-28",
        b.org_id
    );
    let peek = p.authed("GET", &peek, &token(&other_owner), None).await;
    assert_eq!(peek.status, 404);
    let anonymous = p.call("GET", "/v1/me/bookings", None, &[]).await;
    assert_eq!(anonymous.status, 401);
}

/// Fifty bookings of overlapping slots, `in_flight` at a time.
/// Fifty bookings in flight at once (on moto too: `cargo xtask test` runs it
/// with DynamoDB's isolation, `infra/xtask/moto_server.py`).
async fn fifty_concurrent_bookings_never_overlap(p: TestPlatform) {
    let (owner, b) = owner_and_business(&p, "busy-salon").await;
    let p = Arc::new(p);
    // A 60-minute service of Alex alone, at five starts 30 minutes apart:
    // each start overlaps its neighbours.
    let starts = [
        "2027-03-23T09:00:00+01:00",
        "2027-03-23T09:30:00+01:00",
        "2027-03-23T10:00:00+01:00",
        "2027-03-23T10:30:00+01:00",
        "2027-03-23T11:00:00+01:00",
    ];
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..50 {
        let p = p.clone();
        let mut body = haircut_at(&b, starts[i % starts.len()], None);
        body["service_id"] = json!(b.colour_id);
        let slug = b.slug.clone();
        requests.spawn(async move { book(&p, &slug, body, &[]).await });
    }
    let replies = requests.join_all().await;
    assert_eq!(replies.len(), 50);
    let mut created = 0;
    for reply in replies {
        match reply.status {
            201 => created += 1,
            409 => assert_eq!(reply.problem_code(), "slot_taken"),
            other => panic!("{other}: {reply:?}"),
        }
    }
    let calendar = p
        .authed(
            "GET",
            &format!(
                "/v1/orgs/{}/bookings?from=2027-03-23&to=2027-03-23",
                b.org_id
            ),
            &token(&owner),
            None,
        )
        .await;
    let booked: Vec<(Timestamp, Timestamp)> = calendar.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let at = |field: &str| b[field].as_str().unwrap().parse::<Timestamp>().unwrap();
            (at("start"), at("end"))
        })
        .collect();
    assert_eq!(booked.len(), created);
    // No two bookings overlap, so each start was booked at most once ...
    for (i, a) in booked.iter().enumerate() {
        for b in &booked[i + 1..] {
            assert!(a.1 <= b.0 || b.1 <= a.0, "{a:?} overlaps {b:?}");
        }
    }
    // ... and every start left unbooked overlaps one that was: each request
    // was refused only for a booking that won its time.
    for start in starts {
        let start: Timestamp = start.parse().unwrap();
        let end = start + jiff::SignedDuration::from_mins(60);
        assert!(
            booked.iter().any(|(s, e)| *s < end && start < *e),
            "{start} was free"
        );
    }
    assert!((2..=3).contains(&created), "{created}");
}
