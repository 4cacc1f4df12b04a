//! A bookable business set up for a test through the platform's API: an
//! organization with a schedule, staff and services, public or not.

use serde_json::{Value, json};
use shared::organizations::{VerificationStatus, store};

use crate::{
    orgs::token,
    platform::{Reply, TestPlatform},
};

/// Monday 2027-03-22, 07:00 in Berlin (UTC+01:00 until the spring change on
/// the 28th): "now" in the booking tests.
pub const MONDAY_MORNING: &str = "2027-03-22T06:00:00Z";
/// The password of the accounts the booking tests make.
pub const PASSWORD: &str = "correct horse battery";

/// With the clock at `MONDAY_MORNING`: an owner signed in as
/// `owner@<slug>.test`, and their business (`business`) in Berlin.
pub async fn owner_and_business(p: &TestPlatform, slug: &str) -> (Reply, Business) {
    p.platform
        .clock
        .set(MONDAY_MORNING.parse().expect("a timestamp"));
    let owner = p
        .signed_in(&format!("owner@{slug}.test"), PASSWORD, "d")
        .await;
    let business = business(p, &owner, slug, "Europe/Berlin").await;
    (owner, business)
}

/// A business made by `business`.
pub struct Business {
    pub org_id: String,
    pub slug: String,
    /// Two active staff members.
    pub staff_ids: Vec<String>,
    /// Published, 30 minutes plus a 10-minute buffer, performed by everyone.
    pub haircut_id: String,
    /// Published, 60 minutes, performed by the first staff member only.
    pub colour_id: String,
    /// A draft: neither bookable nor public.
    pub draft_id: String,
}

/// Mon–Fri 09:00–12:00 and 13:00–18:00, Sat 10:00–14:00.
pub fn weekday_hours() -> Value {
    let day = json!([{ "start": "09:00", "end": "12:00" }, { "start": "13:00", "end": "18:00" }]);
    json!({
        "mon": day, "tue": day, "wed": day, "thu": day, "fri": day,
        "sat": [{ "start": "10:00", "end": "14:00" }],
    })
}

/// Sends `body` to `path` as `owner`, expecting `status`; returns the reply body.
pub async fn send_ok(
    p: &TestPlatform,
    owner: &Reply,
    method: &str,
    path: &str,
    body: Value,
    status: u16,
) -> Value {
    let reply = p.authed(method, path, &token(owner), Some(body)).await;
    assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
    reply.body
}

/// Adds a staff member; returns their id.
pub async fn add_staff(p: &TestPlatform, owner: &Reply, org_id: &str, body: Value) -> String {
    let path = format!("/v1/orgs/{org_id}/staff");
    let staff = send_ok(p, owner, "POST", &path, body, 201).await;
    staff["id"].as_str().expect("a staff id").to_string()
}

/// Adds a service; returns its id.
pub async fn add_service(p: &TestPlatform, owner: &Reply, org_id: &str, body: Value) -> String {
    let path = format!("/v1/orgs/{org_id}/services");
    let service = send_ok(p, owner, "POST", &path, body, 201).await;
    service["id"].as_str().expect("a service id").to_string()
}

/// A service body: `name`, `minutes` long, 25.00 EUR, with `extra` fields.
pub fn service_body(name: &str, minutes: i64, extra: Value) -> Value {
    let mut body = json!({
        "name": name, "duration_minutes": minutes,
        "price": { "amount": 2500, "currency": "EUR" },
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// Makes an organization public (approved and visible), as a moderator's
/// approval would.
pub async fn make_public(p: &TestPlatform, org_id: &str) {
    store::set_visibility(
        &*p.platform.deps.table,
        org_id,
        VerificationStatus::Approved,
        true,
        vec![],
    )
    .await
    .expect("the organization is made public");
}

/// A public business owned by `owner` in `timezone`: the weekday schedule,
/// two staff members and three services (see `Business`).
pub async fn business(p: &TestPlatform, owner: &Reply, slug: &str, timezone: &str) -> Business {
    let org = send_ok(
        p,
        owner,
        "POST",
        "/v1/orgs",
        json!({ "name": "Salon", "slug": slug, "category": "beauty", "timezone": timezone }),
        201,
    )
    .await;
    let org_id = org["id"].as_str().expect("an org id").to_string();
    let schedule = json!({ "weekly": weekday_hours() });
    let path = format!("/v1/orgs/{org_id}/schedule");
    send_ok(p, owner, "PUT", &path, schedule, 200).await;
    let mut staff_ids = Vec::new();
    for name in ["Alex", "Sam"] {
        staff_ids.push(add_staff(p, owner, &org_id, json!({ "name": name })).await);
    }
    let haircut = service_body(
        "Haircut",
        30,
        json!({ "status": "published", "buffer_minutes": 10 }),
    );
    let colour = service_body(
        "Colour",
        60,
        json!({ "status": "published", "staff_ids": [staff_ids[0]] }),
    );
    let haircut_id = add_service(p, owner, &org_id, haircut).await;
    let colour_id = add_service(p, owner, &org_id, colour).await;
    let draft_id = add_service(p, owner, &org_id, service_body("Beard", 15, json!({}))).await;
    make_public(p, &org_id).await;
    Business {
        org_id,
        slug: slug.to_string(),
        staff_ids,
        haircut_id,
        colour_id,
        draft_id,
    }
}

/// Books `b`'s haircut at `start` (RFC 3339 with the offset) for a customer
/// with `email`, as a guest or signed in with `access_token`; returns the
/// booking's id.
pub async fn book_haircut(
    p: &TestPlatform,
    b: &Business,
    start: &str,
    email: &str,
    access_token: Option<&str>,
) -> String {
    let body = json!({
        "service_id": b.haircut_id, "start": start,
        "customer": { "name": "Chloé Martin", "phone": "+49 30 1234567", "email": email },
    });
    let path = format!("/v1/public/orgs/{}/bookings", b.slug);
    let reply = match access_token {
        Some(token) => p.authed("POST", &path, token, Some(body)).await,
        None => p.post(&path, body).await,
    };
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["booking_id"]
        .as_str()
        .expect("a booking id")
        .to_string()
}
