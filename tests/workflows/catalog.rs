//! The bookings catalog end to end, on both backends: services, the schedule
//! and staff (round trips, every validation rule, version conflicts, audit),
//! the public services list, and who may call which catalog route.

use platform_tests::{
    bookings::{
        add_service, add_staff, business, make_public, send_ok, service_body, weekday_hours,
    },
    on_both_backends,
    orgs::{
        add_member, assert_least_role, audit_actions, members_of_every_role, refused_fields,
        register, token, user_id,
    },
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};

on_both_backends!(
    services_are_created_listed_edited_and_archived,
    every_service_rule_names_its_field,
    the_schedule_has_defaults_and_is_replaced_whole,
    every_schedule_rule_names_its_field,
    staff_are_added_with_derived_services_and_deactivated,
    edits_of_an_older_version_conflict,
    the_public_sees_published_services_of_public_organizations,
    each_role_and_outsiders_get_what_the_matrix_says,
);

const PASSWORD: &str = "correct horse battery";

async fn owner(p: &TestPlatform) -> Reply {
    p.signed_in("owner@example.com", PASSWORD, "d1").await
}

fn ids(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_string())
        .collect()
}

async fn services_are_created_listed_edited_and_archived(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let path = format!("/v1/orgs/{org}/services");
    let created = send_ok(
        &p,
        &owner,
        "POST",
        &path,
        json!({
            "name": "  Haircut ", "description": "Wash and cut", "duration_minutes": 30,
            "buffer_minutes": 10, "price": { "amount": 2500, "currency": "eur" },
        }),
        201,
    )
    .await;
    assert_eq!(created["name"], "Haircut");
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["price"],
        json!({ "amount": 2500, "currency": "EUR" })
    );
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_string();
    let published = add_service(
        &p,
        &owner,
        &org,
        service_body("Colour", 60, json!({ "status": "published" })),
    )
    .await;

    let one = p
        .authed("GET", &format!("{path}/{id}"), &token(&owner), None)
        .await;
    assert_eq!(one.body, created);
    let all = p.authed("GET", &path, &token(&owner), None).await;
    let mut expected = vec![id.clone(), published.clone()];
    expected.sort();
    assert_eq!(ids(&all.body), expected);
    let only_published = p
        .authed(
            "GET",
            &format!("{path}?status=published"),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!(ids(&only_published.body), [published]);

    let edited = send_ok(
        &p,
        &owner,
        "PATCH",
        &format!("{path}/{id}"),
        json!({ "name": "Short cut", "description": "", "status": "published" }),
        200,
    )
    .await;
    assert_eq!(
        (
            &edited["name"],
            &edited["description"],
            &edited["status"],
            &edited["version"]
        ),
        (
            &json!("Short cut"),
            &Value::Null,
            &json!("published"),
            &json!(2)
        )
    );
    assert_eq!(edited["duration_minutes"], 30);

    let archived = send_ok(
        &p,
        &owner,
        "DELETE",
        &format!("{path}/{id}"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(archived["status"], "archived");
    // Archived, not gone: it is still read, and listed as archived.
    let again = p
        .authed("GET", &format!("{path}/{id}"), &token(&owner), None)
        .await;
    assert_eq!(again.body["status"], "archived");
    let archived_list = p
        .authed(
            "GET",
            &format!("{path}?status=archived"),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!(ids(&archived_list.body), [id]);
    let unknown = p
        .authed(
            "GET",
            &format!("{path}/no-such-service"),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!((unknown.status, unknown.problem_code()), (404, "not_found"));

    let actions = audit_actions(&p, &owner, &org).await;
    assert_eq!(
        actions[..4],
        [
            "service_archived",
            "service_updated",
            "service_created",
            "service_created"
        ]
    );
}

async fn every_service_rule_names_its_field(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let path = format!("/v1/orgs/{org}/services");
    let refused = |body: Value| {
        let p = &p;
        let owner = &owner;
        let path = &path;
        async move { refused_fields(&p.authed("POST", path, &token(owner), Some(body)).await) }
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "name": " " }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "description": "x".repeat(2001) }), "description"),
        (json!({ "duration_minutes": 4 }), "duration_minutes"),
        (json!({ "duration_minutes": 481 }), "duration_minutes"),
        (json!({ "buffer_minutes": -1 }), "buffer_minutes"),
        (json!({ "buffer_minutes": 121 }), "buffer_minutes"),
        (
            json!({ "price": { "amount": -1, "currency": "EUR" } }),
            "price",
        ),
        (
            json!({ "price": { "amount": 100, "currency": "EURO" } }),
            "price",
        ),
        (json!({ "status": "hidden" }), "status"),
        (
            json!({ "staff_ids": ["0190f2c1-7a80-7000-8000-000000000001"] }),
            "staff_ids",
        ),
    ];
    for (extra, field) in cases {
        let body = service_body("Haircut", 30, extra.clone());
        assert_eq!(refused(body).await, [field], "{extra}");
    }
    // Several problems at once are all named.
    let mut fields = refused(service_body("", 1, json!({ "status": "x" }))).await;
    fields.sort();
    assert_eq!(fields, ["duration_minutes", "name", "status"]);
    // A PATCH follows the same rules.
    let id = add_service(&p, &owner, &org, service_body("Haircut", 30, json!({}))).await;
    let patched = p
        .authed(
            "PATCH",
            &format!("{path}/{id}"),
            &token(&owner),
            Some(json!({ "duration_minutes": 500 })),
        )
        .await;
    assert_eq!(refused_fields(&patched), ["duration_minutes"]);
    // Staff of another organization are unknown here.
    let other = register(&p, &owner, "Other", "other-salon").await;
    let stranger = add_staff(&p, &owner, &other, json!({ "name": "Kim" })).await;
    let body = service_body("Haircut", 30, json!({ "staff_ids": [stranger] }));
    assert_eq!(refused(body).await, ["staff_ids"]);
}

async fn the_schedule_has_defaults_and_is_replaced_whole(p: TestPlatform) {
    let owner = owner(&p).await;
    let created = send_ok(
        &p,
        &owner,
        "POST",
        "/v1/orgs",
        json!({ "name": "Salon", "slug": "salon", "category": "beauty", "timezone": "Asia/Kolkata" }),
        201,
    )
    .await;
    let org = created["id"].as_str().unwrap();
    let path = format!("/v1/orgs/{org}/schedule");
    let defaults = p.authed("GET", &path, &token(&owner), None).await;
    assert_eq!(defaults.status, 200, "{defaults:?}");
    for (field, value) in [
        ("timezone", json!("Asia/Kolkata")),
        ("weekly", json!({})),
        ("closures", json!([])),
        ("min_notice_minutes", json!(60)),
        ("max_days_ahead", json!(60)),
        ("slot_step_minutes", json!(15)),
        ("cancellation_window_hours", json!(24)),
        ("auto_confirm", json!(true)),
        ("reminder_lead_minutes", json!(120)),
        ("version", json!(0)),
    ] {
        assert_eq!(defaults.body[field], value, "{field}");
    }

    let full = json!({
        "timezone": "Europe/Paris", "weekly": weekday_hours(),
        "closures": [{ "from": "2026-12-24", "to": "2026-12-26", "reason": " Christmas " }],
        "min_notice_minutes": 120, "max_days_ahead": 30, "slot_step_minutes": 30,
        "cancellation_window_hours": 48, "auto_confirm": false, "reminder_lead_minutes": 60,
    });
    let saved = send_ok(&p, &owner, "PUT", &path, full.clone(), 200).await;
    let read = p.authed("GET", &path, &token(&owner), None).await;
    assert_eq!(read.body, saved);
    assert_eq!(saved["weekly"], weekday_hours());
    assert_eq!(saved["closures"][0]["reason"], "Christmas");
    assert_eq!(
        (&saved["auto_confirm"], &saved["version"]),
        (&json!(false), &json!(1))
    );

    // A PUT replaces the whole schedule: what it leaves out is the default again.
    let replaced = send_ok(
        &p,
        &owner,
        "PUT",
        &path,
        json!({ "weekly": { "sun": [{ "start": "18:00", "end": "24:00" }] } }),
        200,
    )
    .await;
    // Except the time zone, which stays the schedule's.
    assert_eq!(replaced["timezone"], "Europe/Paris");
    assert_eq!(replaced["closures"], json!([]));
    assert_eq!(replaced["min_notice_minutes"], 60);
    assert_eq!(replaced["version"], 2);
    let actions = audit_actions(&p, &owner, org).await;
    assert_eq!(actions[..2], ["schedule_updated", "schedule_updated"]);
}

async fn every_schedule_rule_names_its_field(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let path = format!("/v1/orgs/{org}/schedule");
    let range = |start: &str, end: &str| json!({ "start": start, "end": end });
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "timezone": "Mars/Olympus" }), "timezone"),
        (
            json!({ "weekly": { "mon": [range("9:00", "12:00")] } }),
            "weekly.mon[0].start",
        ),
        (
            json!({ "weekly": { "mon": [range("24:00", "24:00")] } }),
            "weekly.mon[0].start",
        ),
        (
            json!({ "weekly": { "tue": [range("09:00", "24:30")] } }),
            "weekly.tue[0].end",
        ),
        (
            json!({ "weekly": { "wed": [range("12:00", "09:00")] } }),
            "weekly.wed[0].end",
        ),
        (
            json!({ "weekly": { "mon": [range("09:00", "13:00"), range("12:00", "18:00")] } }),
            "weekly.mon[1].start",
        ),
        (
            json!({ "weekly": { "fri": [range("13:00", "18:00"), range("09:00", "12:00")] } }),
            "weekly.fri[1].start",
        ),
        (
            json!({ "weekly": { "sat": (0..7).map(|h| range(&format!("0{h}:00"), &format!("0{h}:30"))).collect::<Vec<_>>() } }),
            "weekly.sat",
        ),
        (
            json!({ "closures": [{ "from": "2026-05-02", "to": "2026-05-01" }] }),
            "closures[0].to",
        ),
        (
            json!({ "closures": [{ "from": "2026-05-01", "to": "2026-05-01", "reason": "x".repeat(201) }] }),
            "closures[0].reason",
        ),
        (
            json!({ "closures": vec![json!({ "from": "2026-05-01", "to": "2026-05-01" }); 101] }),
            "closures",
        ),
        (json!({ "min_notice_minutes": -1 }), "min_notice_minutes"),
        (
            json!({ "min_notice_minutes": 10_081 }),
            "min_notice_minutes",
        ),
        (json!({ "max_days_ahead": 0 }), "max_days_ahead"),
        (json!({ "max_days_ahead": 366 }), "max_days_ahead"),
        (json!({ "slot_step_minutes": 20 }), "slot_step_minutes"),
        (json!({ "slot_step_minutes": 0 }), "slot_step_minutes"),
        (json!({ "slot_step_minutes": 255 }), "slot_step_minutes"),
        (
            json!({ "cancellation_window_hours": 721 }),
            "cancellation_window_hours",
        ),
        (
            json!({ "reminder_lead_minutes": 14 }),
            "reminder_lead_minutes",
        ),
        (
            json!({ "reminder_lead_minutes": 1440 }),
            "reminder_lead_minutes",
        ),
    ];
    for (body, field) in cases {
        let reply = p
            .authed("PUT", &path, &token(&owner), Some(body.clone()))
            .await;
        let fields = refused_fields(&reply);
        assert!(fields.iter().all(|f| f == field), "{body}: {fields:?}");
        assert!(!fields.is_empty());
    }
    // Nothing was saved.
    let schedule = p.authed("GET", &path, &token(&owner), None).await;
    assert_eq!(schedule.body["version"], 0);
}

async fn staff_are_added_with_derived_services_and_deactivated(p: TestPlatform) {
    let owner = owner(&p).await;
    let stylist = p.signed_in("stylist@example.com", PASSWORD, "d2").await;
    let org = register(&p, &owner, "Salon", "salon").await;
    add_member(&p, &org, &stylist, "viewer").await;
    let path = format!("/v1/orgs/{org}/staff");
    let own_hours = json!({ "mon": [{ "start": "10:00", "end": "14:00" }] });
    let alex = send_ok(
        &p,
        &owner,
        "POST",
        &path,
        json!({ "name": "Alex", "user_id": user_id(&stylist), "weekly": own_hours }),
        201,
    )
    .await;
    assert_eq!(
        (&alex["active"], &alex["weekly"], &alex["service_ids"]),
        (&json!(true), &own_hours, &json!([]))
    );
    let alex_id = alex["id"].as_str().unwrap().to_string();
    let sam_id = add_staff(&p, &owner, &org, json!({ "name": "Sam" })).await;
    let everyone = add_service(&p, &owner, &org, service_body("Haircut", 30, json!({}))).await;
    let alex_only = service_body(
        "Colour",
        60,
        json!({ "staff_ids": [alex_id], "status": "published" }),
    );
    let colour = add_service(&p, &owner, &org, alex_only).await;
    let archived = add_service(
        &p,
        &owner,
        &org,
        service_body("Old", 30, json!({ "status": "archived" })),
    )
    .await;

    let listed = p.authed("GET", &path, &token(&owner), None).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let services_of = |id: &str| {
        let member = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .expect("listed");
        let mut ids: Vec<String> = member["service_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![everyone.clone(), colour.clone()];
    both.sort();
    assert_eq!(services_of(&alex_id), both);
    assert_eq!(services_of(&sam_id), [everyone]);
    assert!(!services_of(&alex_id).contains(&archived));

    // Back to the business's hours, and deactivated.
    let edited = send_ok(
        &p,
        &owner,
        "PATCH",
        &format!("{path}/{alex_id}"),
        json!({ "weekly": null, "name": "Alex B." }),
        200,
    )
    .await;
    assert_eq!(
        (&edited["weekly"], &edited["name"]),
        (&Value::Null, &json!("Alex B."))
    );
    let gone = send_ok(
        &p,
        &owner,
        "DELETE",
        &format!("{path}/{alex_id}"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(gone["active"], false);
    let read = p
        .authed("GET", &format!("{path}/{alex_id}"), &token(&owner), None)
        .await;
    assert_eq!(
        (read.body["active"].clone(), read.body["version"].clone()),
        (json!(false), json!(3))
    );

    // A user who is not a member, and hours breaking the schedule's rules.
    let outsider = p.signed_in("out@example.com", PASSWORD, "d3").await;
    let bad_user = json!({ "name": "Kim", "user_id": user_id(&outsider) });
    let reply = p
        .authed("POST", &path, &token(&owner), Some(bad_user))
        .await;
    assert_eq!(refused_fields(&reply), ["user_id"]);
    let bad_hours =
        json!({ "name": "", "weekly": { "thu": [{ "start": "18:00", "end": "09:00" }] } });
    let reply = p
        .authed("POST", &path, &token(&owner), Some(bad_hours))
        .await;
    let mut fields = refused_fields(&reply);
    fields.sort();
    assert_eq!(fields, ["name", "weekly.thu[0].end"]);

    let actions = audit_actions(&p, &owner, &org).await;
    assert_eq!(actions[..2], ["staff_deactivated", "staff_updated"]);
    assert_eq!(actions.iter().filter(|a| *a == "staff_added").count(), 2);
}

async fn edits_of_an_older_version_conflict(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let service = add_service(&p, &owner, &org, service_body("Haircut", 30, json!({}))).await;
    let staff = add_staff(&p, &owner, &org, json!({ "name": "Alex" })).await;
    for (method, path, change) in [
        (
            "PATCH",
            format!("/v1/orgs/{org}/services/{service}"),
            json!({ "name": "Cut" }),
        ),
        (
            "PATCH",
            format!("/v1/orgs/{org}/staff/{staff}"),
            json!({ "name": "Alex B." }),
        ),
        (
            "PUT",
            format!("/v1/orgs/{org}/schedule"),
            json!({ "max_days_ahead": 30 }),
        ),
    ] {
        let read = p.authed("GET", &path, &token(&owner), None).await;
        let version = read.body["version"].as_i64().unwrap();
        let with_version = |v: i64| {
            let mut body = change.clone();
            body["version"] = json!(v);
            body
        };
        // One editor saves the version both read; the other's save then conflicts.
        send_ok(&p, &owner, method, &path, with_version(version), 200).await;
        let late = p
            .authed(method, &path, &token(&owner), Some(with_version(version)))
            .await;
        assert_eq!(
            (late.status, late.problem_code()),
            (409, "edit_conflict"),
            "{path}"
        );
        let after = p.authed("GET", &path, &token(&owner), None).await;
        assert_eq!(after.body["version"], version + 1, "{path}");
    }
}

async fn the_public_sees_published_services_of_public_organizations(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "Europe/Paris").await;
    let reply = p
        .call(
            "GET",
            &format!("/v1/public/orgs/{}/services", salon.slug),
            None,
            &[],
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let mut expected = vec![salon.haircut_id.clone(), salon.colour_id.clone()];
    expected.sort();
    assert_eq!(ids(&reply.body), expected);
    assert!(!ids(&reply.body).contains(&salon.draft_id));
    // The public does not see the business's bookkeeping.
    assert!(reply.body["items"][0].get("version").is_none());
    assert!(reply.body["items"][0].get("buffer_minutes").is_none());

    // Archiving takes a service off the public list.
    let path = format!("/v1/orgs/{}/services/{}", salon.org_id, salon.colour_id);
    send_ok(&p, &owner, "DELETE", &path, Value::Null, 200).await;
    let reply = p
        .call("GET", "/v1/public/orgs/salon/services", None, &[])
        .await;
    assert_eq!(ids(&reply.body), [salon.haircut_id]);

    // A registered but not public organization, and an unknown slug: not found.
    let hidden = register(&p, &owner, "Hidden", "hidden-salon").await;
    add_service(
        &p,
        &owner,
        &hidden,
        service_body("Cut", 30, json!({ "status": "published" })),
    )
    .await;
    for slug in ["hidden-salon", "no-such-salon", "x"] {
        let reply = p
            .call(
                "GET",
                &format!("/v1/public/orgs/{slug}/services"),
                None,
                &[],
            )
            .await;
        assert_eq!(
            (reply.status, reply.problem_code()),
            (404, "not_found"),
            "{slug}"
        );
    }
    make_public(&p, &hidden).await;
    let reply = p
        .call("GET", "/v1/public/orgs/hidden-salon/services", None, &[])
        .await;
    assert_eq!(reply.body["items"].as_array().unwrap().len(), 1);
}

async fn each_role_and_outsiders_get_what_the_matrix_says(p: TestPlatform) {
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "UTC").await;
    let org = &salon.org_id;
    let callers = members_of_every_role(&p, org, owner, PASSWORD).await;
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "o").await;
    let service = format!("/v1/orgs/{org}/services/{}", salon.haircut_id);
    let staff = format!("/v1/orgs/{org}/staff/{}", salon.staff_ids[1]);
    // (method, path, body, the least role allowed)
    let routes: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("GET", format!("/v1/orgs/{org}/services"), None, "viewer"),
        (
            "POST",
            format!("/v1/orgs/{org}/services"),
            Some(service_body("New", 30, json!({}))),
            "editor",
        ),
        ("GET", service.clone(), None, "viewer"),
        (
            "PATCH",
            service.clone(),
            Some(json!({ "buffer_minutes": 5 })),
            "editor",
        ),
        ("DELETE", service.clone(), None, "editor"),
        ("GET", format!("/v1/orgs/{org}/schedule"), None, "viewer"),
        (
            "PUT",
            format!("/v1/orgs/{org}/schedule"),
            Some(json!({ "weekly": weekday_hours() })),
            "manager",
        ),
        ("GET", format!("/v1/orgs/{org}/staff"), None, "viewer"),
        (
            "POST",
            format!("/v1/orgs/{org}/staff"),
            Some(json!({ "name": "New" })),
            "manager",
        ),
        ("GET", staff.clone(), None, "viewer"),
        (
            "PATCH",
            staff.clone(),
            Some(json!({ "name": "Sam B." })),
            "manager",
        ),
        ("DELETE", staff.clone(), None, "manager"),
    ];
    for (method, path, body, least) in routes {
        assert_least_role(&p, &callers, &outsider, (method, &path, body), least).await;
    }
}
