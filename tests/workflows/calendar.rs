//! Calendar feeds end to end, on both backends: creating, listing, rotating
//! and revoking feeds (the token is the only credential of the feed), their
//! full URLs from the request's `Host`, who may manage them, the feeds' bookings parsed as iCalendar, and the booking
//! confirmation's `.ics`.

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;
use icalendar::{Calendar, Component};
use platform_tests::{
    bookings::{Business, MONDAY_MORNING, PASSWORD, business, send_ok, weekday_hours},
    on_both_backends,
    orgs::{add_member, audit_actions, refused_fields, token},
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};
use tower::ServiceExt;

on_both_backends!(
    feeds_are_created_listed_rotated_and_revoked,
    only_managers_and_up_manage_feeds,
    feeds_hold_their_bookings_as_icalendar,
    the_confirmation_email_carries_the_booking_ics,
);

async fn owner(p: &TestPlatform) -> Reply {
    p.signed_in("owner@example.com", PASSWORD, "d1").await
}

fn feeds_path(salon: &Business) -> String {
    format!("/v1/orgs/{}/calendar-feeds", salon.org_id)
}

/// Creates a feed with `body` as `login`; returns the answer.
async fn create_feed(p: &TestPlatform, login: &Reply, salon: &Business, body: Value) -> Value {
    create_feed_with(p, login, salon, body, &[]).await
}

/// Creates a feed with `body` as `login`, sending `headers` too (`Host`,
/// `X-Forwarded-Proto`); returns the answer.
async fn create_feed_with(
    p: &TestPlatform,
    login: &Reply,
    salon: &Business,
    body: Value,
    headers: &[(&str, &str)],
) -> Value {
    let bearer = format!("Bearer {}", token(login));
    let mut headers = headers.to_vec();
    headers.push(("authorization", &bearer));
    let reply = p
        .call("POST", &feeds_path(salon), Some(body), &headers)
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body
}

/// The `url` and `webcal_url` of an issued feed, which must be `base` (and
/// `base` with the `webcal` scheme) followed by the feed's `path`.
fn feed_urls(issued: &Value, base: &str) -> (String, String) {
    let path = issued["path"].as_str().expect("a path");
    let (_, rest) = base.split_once("://").expect("a scheme");
    let urls = (
        issued["url"].as_str().unwrap_or_default().to_string(),
        issued["webcal_url"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    assert_eq!(
        urls,
        (format!("{base}{path}"), format!("webcal://{rest}{path}")),
        "{issued}"
    );
    urls
}

/// A feed as a calendar app fetches it: status, headers and text.
async fn fetch_feed(p: &TestPlatform, path: &str) -> (u16, axum::http::HeaderMap, String) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = p.platform.router().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The status of fetching the feed at `path`.
async fn feed_status(p: &TestPlatform, path: &Value) -> u16 {
    fetch_feed(p, path.as_str().unwrap()).await.0
}

/// (UID, DTSTART, STATUS, SUMMARY) of each event of an iCalendar text, which must parse.
fn events(ics: &str) -> Vec<[String; 4]> {
    let calendar: Calendar = ics.parse().unwrap_or_else(|e| panic!("{e}: {ics}"));
    calendar
        .events()
        .map(|event| {
            ["UID", "DTSTART", "STATUS", "SUMMARY"]
                .map(|name| event.property_value(name).unwrap_or_default().to_string())
        })
        .collect()
}

fn feed_ids(page: &Value) -> Vec<&str> {
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .map(|f| f["feed_id"].as_str().unwrap())
        .collect()
}

async fn feeds_are_created_listed_rotated_and_revoked(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "Europe/Berlin").await;
    let whole = create_feed(&p, &owner, &salon, json!({})).await;
    assert_eq!(whole["staff_id"], Value::Null);
    // Without a `Host` header nobody knows the API's address: the path only.
    assert_eq!(
        (whole.get("url"), whole.get("webcal_url")),
        (None, None),
        "{whole}"
    );
    let path = whole["path"].as_str().unwrap();
    assert!(
        path.starts_with("/v1/calendar/") && path.ends_with(".ics"),
        "{whole}"
    );
    let alex = &salon.staff_ids[0];
    let staff = create_feed(&p, &owner, &salon, json!({ "staff_id": alex })).await;
    assert_eq!(staff["staff_id"], json!(alex));
    assert_ne!(staff["path"], whole["path"]);

    let unknown_staff = p
        .authed(
            "POST",
            &feeds_path(&salon),
            &token(&owner),
            Some(json!({ "staff_id": "0190f2c1-7a80-7000-8000-000000000001" })),
        )
        .await;
    assert_eq!(refused_fields(&unknown_staff), ["staff_id"]);

    let listed = p
        .authed("GET", &feeds_path(&salon), &token(&owner), None)
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let mut expected = vec![
        whole["feed_id"].as_str().unwrap(),
        staff["feed_id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(feed_ids(&listed.body), expected);
    // The list never shows a token, nor its hash.
    let listed_text = listed.body.to_string();
    for feed in [&whole, &staff] {
        let token = feed["path"].as_str().unwrap();
        let token = &token["/v1/calendar/".len()..token.len() - ".ics".len()];
        assert!(!listed_text.contains(token), "{listed_text}");
    }
    assert!(!listed_text.contains("token_hash"), "{listed_text}");

    let feed_path = format!(
        "{}/{}",
        feeds_path(&salon),
        whole["feed_id"].as_str().unwrap()
    );
    // `cargo dev` on loopback speaks plain HTTP.
    let bearer = format!("Bearer {}", token(&owner));
    let on_loopback = [
        ("authorization", bearer.as_str()),
        ("host", "localhost:3000"),
    ];
    let rotated = p
        .call("POST", &format!("{feed_path}/rotate"), None, &on_loopback)
        .await;
    assert_eq!(rotated.status, 201, "{rotated:?}");
    feed_urls(&rotated.body, "http://localhost:3000");
    assert_eq!(rotated.body["feed_id"], whole["feed_id"]);
    assert_eq!(rotated.body["staff_id"], Value::Null);
    assert_ne!(rotated.body["path"], whole["path"]);
    assert_eq!(feed_status(&p, &whole["path"]).await, 404);
    assert_eq!(feed_status(&p, &rotated.body["path"]).await, 200);

    let revoked = p.authed("DELETE", &feed_path, &token(&owner), None).await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let (status, _, text) = fetch_feed(&p, rotated.body["path"].as_str().unwrap()).await;
    assert_eq!(status, 404);
    assert!(text.contains("not_found"), "{text}");
    assert_eq!(feed_status(&p, &staff["path"]).await, 200);
    // Not a token at all, or without `.ics`.
    assert_eq!(
        feed_status(&p, &json!("/v1/calendar/nothing.ics")).await,
        404
    );
    let bare = staff["path"].as_str().unwrap().trim_end_matches(".ics");
    assert_eq!(feed_status(&p, &json!(bare)).await, 404);
    for (method, path) in [
        ("DELETE", feed_path.clone()),
        ("POST", format!("{feed_path}/rotate")),
    ] {
        let gone = p.authed(method, &path, &token(&owner), None).await;
        assert_eq!((gone.status, gone.problem_code()), (404, "not_found"));
    }
    let listed = p
        .authed("GET", &feeds_path(&salon), &token(&owner), None)
        .await;
    assert_eq!(feed_ids(&listed.body), [staff["feed_id"].as_str().unwrap()]);

    let actions = audit_actions(&p, &owner, &salon.org_id).await;
    assert_eq!(
        actions[..4],
        [
            "calendar_feed_revoked",
            "calendar_feed_rotated",
            "calendar_feed_created",
            "calendar_feed_created"
        ]
    );
}

async fn only_managers_and_up_manage_feeds(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "UTC").await;
    let feed = create_feed(&p, &owner, &salon, json!({})).await;
    let feed_path = format!(
        "{}/{}",
        feeds_path(&salon),
        feed["feed_id"].as_str().unwrap()
    );
    let routes = [
        ("GET", feeds_path(&salon), None),
        ("POST", feeds_path(&salon), Some(json!({}))),
        ("POST", format!("{feed_path}/rotate"), None),
        ("DELETE", feed_path.clone(), None),
    ];
    let mut refused = Vec::new();
    for (i, role) in ["editor", "analyst", "viewer"].into_iter().enumerate() {
        let login = p
            .signed_in(&format!("{role}@example.com"), PASSWORD, &format!("r{i}"))
            .await;
        add_member(&p, &salon.org_id, &login, role).await;
        refused.push((role, login));
    }
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "o").await;
    for (method, path, body) in &routes {
        for (role, login) in &refused {
            let reply = p.authed(method, path, &token(login), body.clone()).await;
            assert_eq!(
                (reply.status, reply.problem_code()),
                (403, "forbidden"),
                "{role} {method} {path}"
            );
        }
        let reply = p
            .authed(method, path, &token(&outsider), body.clone())
            .await;
        assert_eq!(
            (reply.status, reply.problem_code()),
            (404, "not_found"),
            "outsider {method} {path}"
        );
    }
    // A manager does it all; the revocation comes last.
    let manager = p.signed_in("manager@example.com", PASSWORD, "m").await;
    add_member(&p, &salon.org_id, &manager, "manager").await;
    for (method, path, body) in &routes {
        let reply = p.authed(method, path, &token(&manager), body.clone()).await;
        assert!(
            (200..300).contains(&reply.status),
            "manager {method} {path}: {reply:?}"
        );
    }
}

/// Books a 30-minute haircut as a guest; returns the booking id.
async fn book_haircut(
    p: &TestPlatform,
    salon: &Business,
    start: &str,
    staff_id: &str,
    who: &str,
) -> String {
    let body = json!({
        "service_id": salon.haircut_id, "start": start, "staff_id": staff_id,
        "customer": { "name": who, "phone": "+49 30 1234567", "email": format!("{}@example.test", who.to_lowercase()) },
    });
    let path = format!("/v1/public/orgs/{}/bookings", salon.slug);
    let booked = p.call("POST", &path, Some(body), &[]).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    booked.body["booking_id"].as_str().unwrap().to_string()
}

fn event(uid: &str, dtstart: &str, status: &str, summary: &str) -> [String; 4] {
    [uid, dtstart, status, summary].map(str::to_string)
}

async fn feeds_hold_their_bookings_as_icalendar(p: TestPlatform) {
    p.platform.clock.set(MONDAY_MORNING.parse().unwrap());
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "Europe/Berlin").await;
    let [alex, sam] = [&salon.staff_ids[0], &salon.staff_ids[1]];
    let with_alex = book_haircut(&p, &salon, "2027-03-23T09:00:00+01:00", alex, "Chloe").await;
    let with_sam = book_haircut(&p, &salon, "2027-03-23T10:00:00+01:00", sam, "Noah").await;
    // A request the business has yet to confirm is tentative.
    let schedule = format!("/v1/orgs/{}/schedule", salon.org_id);
    let manual = json!({ "weekly": weekday_hours(), "auto_confirm": false });
    send_ok(&p, &owner, "PUT", &schedule, manual, 200).await;
    let requested = book_haircut(&p, &salon, "2027-03-24T09:00:00+01:00", alex, "Mia").await;

    // As API Gateway forwards it: the feed's full URL is the API's.
    let behind_gateway = [("host", "api.salon.test"), ("x-forwarded-proto", "https")];
    let whole = create_feed_with(&p, &owner, &salon, json!({}), &behind_gateway).await;
    let (url, _) = feed_urls(&whole, "https://api.salon.test");
    let url_path = url.strip_prefix("https://api.salon.test").unwrap();
    let (status, headers, ics) = fetch_feed(&p, url_path).await;
    assert_eq!(status, 200, "{ics}");
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(headers["cache-control"], "private, max-age=300");
    assert!(ics.contains("X-WR-CALNAME:Salon\r\n"), "{ics}");
    let chloe = event(
        &with_alex,
        "20270323T080000Z",
        "CONFIRMED",
        "Haircut — Chloe",
    );
    let noah = event(&with_sam, "20270323T090000Z", "CONFIRMED", "Haircut — Noah");
    let mia = event(&requested, "20270324T080000Z", "TENTATIVE", "Haircut — Mia");
    assert_eq!(events(&ics), [chloe.clone(), noah, mia.clone()]);
    assert!(ics.contains("DESCRIPTION:Phone: +4930"), "{ics}");

    // Without the proto header an address that is not loopback is HTTPS.
    let alex_feed = create_feed_with(
        &p,
        &owner,
        &salon,
        json!({ "staff_id": alex }),
        &[("host", "api.salon.test")],
    )
    .await;
    feed_urls(&alex_feed, "https://api.salon.test");
    let (status, _, ics) = fetch_feed(&p, alex_feed["path"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{ics}");
    assert!(ics.contains("X-WR-CALNAME:Salon — Alex\r\n"), "{ics}");
    assert_eq!(events(&ics), [chloe, mia]);

    // Eight days later the bookings are more than a week past: out of the feed.
    p.platform
        .clock
        .set("2027-04-01T09:00:00Z".parse().unwrap());
    let (status, _, ics) = fetch_feed(&p, whole["path"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{ics}");
    assert_eq!(events(&ics), Vec::<[String; 4]>::new());
}

async fn the_confirmation_email_carries_the_booking_ics(p: TestPlatform) {
    p.platform.clock.set(MONDAY_MORNING.parse().unwrap());
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "Europe/Berlin").await;
    let booking_id = book_haircut(
        &p,
        &salon,
        "2027-03-23T09:00:00+01:00",
        &salon.staff_ids[0],
        "Chloe",
    )
    .await;
    let mail = p.last_mail("chloe@example.test", "booking_confirmed").await;
    assert_eq!(mail.attachments.len(), 1, "{mail:?}");
    let ics = &mail.attachments[0];
    assert_eq!(ics.filename, "booking.ics");
    assert_eq!(ics.content_type, "text/calendar; charset=utf-8");
    let expected = event(
        &booking_id,
        "20270323T080000Z",
        "CONFIRMED",
        "Haircut at Salon",
    );
    assert_eq!(events(&ics.content), [expected]);
}
