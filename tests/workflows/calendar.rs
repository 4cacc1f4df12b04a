//! Calendar feeds end to end, on both backends: creating, listing, rotating
//! and revoking feeds (the token is the only credential of the feed), and who
//! may manage them.

use platform_tests::{
    bookings::{Business, business},
    on_both_backends,
    orgs::{add_member, audit_actions, refused_fields, token},
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};

on_both_backends!(
    feeds_are_created_listed_rotated_and_revoked,
    only_managers_and_up_manage_feeds,
);

const PASSWORD: &str = "correct horse battery";

async fn owner(p: &TestPlatform) -> Reply {
    p.signed_in("owner@example.com", PASSWORD, "d1").await
}

fn feeds_path(salon: &Business) -> String {
    format!("/v1/orgs/{}/calendar-feeds", salon.org_id)
}

/// Creates a feed with `body` as `login`; returns the answer.
async fn create_feed(p: &TestPlatform, login: &Reply, salon: &Business, body: Value) -> Value {
    let reply = p
        .authed("POST", &feeds_path(salon), &token(login), Some(body))
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body
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
    let rotated = p
        .authed("POST", &format!("{feed_path}/rotate"), &token(&owner), None)
        .await;
    assert_eq!(rotated.status, 201, "{rotated:?}");
    assert_eq!(rotated.body["feed_id"], whole["feed_id"]);
    assert_eq!(rotated.body["staff_id"], Value::Null);
    assert_ne!(rotated.body["path"], whole["path"]);

    let revoked = p.authed("DELETE", &feed_path, &token(&owner), None).await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
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
