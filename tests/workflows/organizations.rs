//! Organizations end to end, on both backends: registration and slug rules,
//! "my organizations", profile edits, the public directory, the onboarding
//! checklist, the audit log, and who may call which organization route.

use platform_tests::{
    on_both_backends,
    orgs::{add_member, refused_fields, register, token, user_id},
    platform::{PLATFORM_ADMIN, Reply, TestPlatform},
};
use serde_json::{Value, json};
use shared::organizations::{
    VerificationStatus,
    store::{self, Counter},
};

on_both_backends!(
    registration_checks_slugs_and_makes_the_caller_owner,
    my_organizations_lists_each_with_its_role,
    profile_edits_are_validated_and_refuse_protected_fields,
    only_approved_and_visible_organizations_are_public,
    onboarding_checklist_follows_the_profile_and_counters,
    audit_logs_record_each_change_newest_first,
    each_role_gets_exactly_its_documented_answer,
);

const PASSWORD: &str = "correct horse battery";

async fn registration_checks_slugs_and_makes_the_caller_owner(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let created = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(&ada),
            Some(
                json!({ "name": " Corner Bakery ", "slug": "corner-bakery", "category": "bakery" }),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let body = &created.body;
    assert_eq!(
        (
            body["name"].as_str(),
            body["status"].as_str(),
            body["verification_status"].as_str(),
            body["role"].as_str(),
            body["timezone"].as_str(),
            body["public_visible"].as_bool(),
        ),
        (
            Some("Corner Bakery"),
            Some("pending"),
            Some("not_submitted"),
            Some("owner"),
            Some("UTC"),
            Some(false)
        )
    );
    let org_id = body["id"].as_str().unwrap();
    let read = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&ada), None)
        .await;
    assert_eq!(
        (read.status, read.body["slug"].as_str()),
        (200, Some("corner-bakery"))
    );

    let bob = p.signed_in("bob@example.com", PASSWORD, "d").await;
    for taken in ["corner-bakery", "  Corner-BAKERY "] {
        let again = p
            .authed(
                "POST",
                "/v1/orgs",
                &token(&bob),
                Some(json!({ "name": "Other", "slug": taken, "category": "cafe" })),
            )
            .await;
        assert_eq!(
            (again.status, again.problem_code()),
            (409, "slug_taken"),
            "{taken}"
        );
    }
    for bad in [
        "admin",
        "www",
        "ab",
        "-bakery",
        "bakery-",
        "bak_ery",
        "bäckerei",
    ] {
        let refused = p
            .authed(
                "POST",
                "/v1/orgs",
                &token(&bob),
                Some(json!({ "name": "Other", "slug": bad, "category": "cafe" })),
            )
            .await;
        assert_eq!(refused_fields(&refused), ["slug"], "{bad}");
    }
    let bad_zone = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(&bob),
            Some(
                json!({ "name": "", "slug": "bobs", "category": "cafe", "timezone": "Mars/Base" }),
            ),
        )
        .await;
    assert_eq!(refused_fields(&bad_zone), ["name", "timezone"]);
    let bad_category = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(&bob),
            Some(json!({ "name": "Bob", "slug": "bobs", "category": "casino" })),
        )
        .await;
    assert_eq!(bad_category.status, 422, "{bad_category:?}");
    let paris = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(&bob),
            Some(json!({ "name": "Bob", "slug": "bobs", "category": "cafe", "timezone": "Europe/Paris" })),
        )
        .await;
    assert_eq!(
        (paris.status, paris.body["timezone"].as_str()),
        (201, Some("Europe/Paris"))
    );
    // A retried registration (same Idempotency-Key) gets the first answer back.
    let bearer = format!("Bearer {}", token(&bob));
    let headers = [
        ("authorization", bearer.as_str()),
        ("idempotency-key", "register-1"),
    ];
    let body = json!({ "name": "Retried", "slug": "retried", "category": "cafe" });
    let first = p
        .call("POST", "/v1/orgs", Some(body.clone()), &headers)
        .await;
    let retry = p.call("POST", "/v1/orgs", Some(body), &headers).await;
    assert_eq!(
        (
            first.status,
            retry.status,
            retry.header("idempotent-replayed")
        ),
        (201, 201, Some("true")),
        "{retry:?}"
    );
    assert_eq!(first.body["id"], retry.body["id"]);
    let anonymous = p
        .post(
            "/v1/orgs",
            json!({ "name": "X", "slug": "xyz", "category": "cafe" }),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn my_organizations_lists_each_with_its_role(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let bob = p.signed_in("bob@example.com", PASSWORD, "d").await;
    let first = register(&p, &ada, "First", "first-org").await;
    let second = register(&p, &ada, "Second", "second-org").await;
    let bobs = register(&p, &bob, "Bob's", "bobs-org").await;
    add_member(&p, &bobs, &ada, "viewer").await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/orgs?limit=2&cursor={c}"),
            None => "/v1/orgs?limit=2".to_string(),
        };
        let page = p.authed("GET", &path, &token(&ada), None).await;
        assert_eq!(page.status, 200, "{page:?}");
        for item in page.body["items"].as_array().unwrap() {
            seen.push((
                item["org_id"].as_str().unwrap().to_string(),
                item["role"].as_str().unwrap().to_string(),
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    seen.sort();
    let mut expected = vec![
        (first, "owner".to_string()),
        (second, "owner".to_string()),
        (bobs.clone(), "viewer".to_string()),
    ];
    expected.sort();
    assert_eq!(seen, expected);

    let bobs_list = p.authed("GET", "/v1/orgs", &token(&bob), None).await;
    let items = bobs_list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{bobs_list:?}");
    assert_eq!(
        (items[0]["org_name"].as_str(), items[0]["org_slug"].as_str()),
        (Some("Bob's"), Some("bobs-org"))
    );
}

async fn profile_edits_are_validated_and_refuse_protected_fields(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let path = format!("/v1/orgs/{org_id}");
    let patch = |body: Value| {
        let token = token(&ada);
        let path = path.clone();
        let p = &p;
        async move { p.authed("PATCH", &path, &token, Some(body)).await }
    };

    let edited = patch(json!({
        "description": "Bread since 1920",
        "category": "cafe",
        "address": { "street": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "fr" },
        "phone": "+33 1 23 45 67 89",
        "email": "Hello@Corner.example",
        "website": "https://corner.example",
        "social_links": { "instagram": "https://instagram.com/corner" },
        "photos": ["https://cdn.example/1.jpg"],
        "video_url": "https://video.example/tour",
    }))
    .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let body = &edited.body;
    assert_eq!(
        (
            body["category"].as_str(),
            body["phone"].as_str(),
            body["email"].as_str(),
            body["address"]["country"].as_str(),
            body["version"].as_i64(),
        ),
        (
            Some("cafe"),
            Some("+33123456789"),
            Some("hello@corner.example"),
            Some("FR"),
            Some(1)
        )
    );

    let cleared = patch(json!({ "video_url": null, "description": "Fresh bread" })).await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(
        (
            cleared.body["video_url"].clone(),
            cleared.body["description"].as_str(),
            cleared.body["website"].as_str(),
        ),
        (
            Value::Null,
            Some("Fresh bread"),
            Some("https://corner.example")
        )
    );

    let protected = patch(json!({
        "description": "x", "status": "active", "verification_status": "approved",
        "slug": "mine", "member_count": 99, "role": "owner",
    }))
    .await;
    let mut fields = refused_fields(&protected);
    fields.sort();
    assert_eq!(
        fields,
        [
            "member_count",
            "role",
            "slug",
            "status",
            "verification_status"
        ]
    );
    let unknown = patch(json!({ "colour": "red" })).await;
    assert_eq!(refused_fields(&unknown), ["body"]);
    assert!(
        unknown.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let invalid = patch(json!({
        "website": "corner.example",
        "phone": "012345",
        "photos": (0..11).map(|i| format!("https://cdn.example/{i}.jpg")).collect::<Vec<_>>(),
        "social_links": { "myspace": "https://myspace.com/corner" },
    }))
    .await;
    let mut fields = refused_fields(&invalid);
    fields.sort();
    assert_eq!(fields, ["phone", "photos", "social_links", "website"]);
    assert_eq!(patch(json!({})).await.status, 422);

    let after = p.authed("GET", &path, &token(&ada), None).await;
    assert_eq!(
        (
            after.body["version"].as_i64(),
            after.body["status"].as_str()
        ),
        (Some(2), Some("pending")),
        "refused edits change nothing"
    );
}

async fn only_approved_and_visible_organizations_are_public(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let bakery = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let cafe = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(&ada),
            Some(json!({ "name": "Coffee Corner", "slug": "coffee-corner", "category": "cafe" })),
        )
        .await;
    let cafe = cafe.body["id"].as_str().unwrap().to_string();
    let other = register(&p, &ada, "Bread Hub", "bread-hub").await;
    let table = &*p.platform.deps.table;
    let names = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };

    assert_eq!(
        p.call("GET", "/v1/public/orgs/corner-bakery", None, &[])
            .await
            .status,
        404
    );
    assert!(names(&p.call("GET", "/v1/public/orgs", None, &[]).await).is_empty());

    store::set_visibility(table, &bakery, VerificationStatus::Approved, true, vec![])
        .await
        .unwrap();
    store::set_visibility(table, &cafe, VerificationStatus::Approved, true, vec![])
        .await
        .unwrap();
    // Visible by choice but not approved: still hidden.
    store::set_visibility(table, &other, VerificationStatus::Submitted, true, vec![])
        .await
        .unwrap();

    let page = p
        .call("GET", "/v1/public/orgs/Corner-Bakery", None, &[])
        .await;
    assert_eq!(
        (
            page.status,
            page.body["name"].as_str(),
            page.body.get("version")
        ),
        (200, Some("Corner Bakery"), None),
        "{page:?}"
    );
    assert_eq!(
        p.call("GET", "/v1/public/orgs/bread-hub", None, &[])
            .await
            .status,
        404
    );
    // A slug no organization could have is not found, never a storage error
    // (DynamoDB refuses keys over 2 KB).
    let impossible = format!("/v1/public/orgs/{}", "x".repeat(3000));
    let reply = p.call("GET", &impossible, None, &[]).await;
    assert_eq!((reply.status, reply.problem_code()), (404, "not_found"));
    assert_eq!(
        names(&p.call("GET", "/v1/public/orgs", None, &[]).await),
        ["Coffee Corner", "Corner Bakery"]
    );
    assert_eq!(
        names(&p.call("GET", "/v1/public/orgs?q=CORNER", None, &[]).await),
        ["Corner Bakery"]
    );
    assert_eq!(
        names(
            &p.call("GET", "/v1/public/orgs?category=cafe", None, &[])
                .await
        ),
        ["Coffee Corner"]
    );
    assert_eq!(
        names(
            &p.call("GET", "/v1/public/orgs?category=cafe&q=corner", None, &[])
                .await
        ),
        Vec::<String>::new()
    );
    // The directory follows a category change of a public organization.
    let moved = p
        .authed(
            "PATCH",
            &format!("/v1/orgs/{bakery}"),
            &token(&ada),
            Some(json!({ "category": "cafe" })),
        )
        .await;
    assert_eq!(moved.status, 200, "{moved:?}");
    assert_eq!(
        names(
            &p.call("GET", "/v1/public/orgs?category=cafe", None, &[])
                .await
        ),
        ["Coffee Corner", "Corner Bakery"]
    );

    store::set_visibility(table, &bakery, VerificationStatus::Approved, false, vec![])
        .await
        .unwrap();
    assert_eq!(
        p.call("GET", "/v1/public/orgs/corner-bakery", None, &[])
            .await
            .status,
        404
    );
    assert_eq!(
        names(&p.call("GET", "/v1/public/orgs", None, &[]).await),
        ["Coffee Corner"]
    );
    let bad = p
        .call("GET", "/v1/public/orgs?category=casino", None, &[])
        .await;
    assert_eq!(bad.status, 422);
}

async fn checklist(p: &TestPlatform, path: &str, login: &Reply) -> Value {
    let reply = p.authed("GET", path, &token(login), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

async fn onboarding_checklist_follows_the_profile_and_counters(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let path = format!("/v1/orgs/{org_id}/onboarding");
    let fresh = checklist(&p, &path, &ada).await;
    assert_eq!(
        fresh,
        json!({
            "profile_complete": false, "contacts_complete": false, "photos_uploaded": false,
            "video_added": false, "products_added": false, "qr_created": false,
            "verification_submitted": false, "team_invited": false, "posts_published": false,
            "percentage": 0,
            "onboarding_completed_at": null,
        })
    );

    let edited = p
        .authed(
            "PATCH",
            &format!("/v1/orgs/{org_id}"),
            &token(&ada),
            Some(json!({
                "description": "Bread",
                "address": { "street": "1 Main St", "city": "Springfield", "country": "US" },
                "phone": "+1 555 010 9999",
                "photos": ["https://cdn.example/1.jpg"],
            })),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let profiled = checklist(&p, &path, &ada).await;
    assert_eq!(
        (
            profiled["profile_complete"].as_bool(),
            profiled["contacts_complete"].as_bool(),
            profiled["photos_uploaded"].as_bool(),
            profiled["percentage"].as_u64(),
        ),
        (Some(true), Some(true), Some(true), Some(6 * 100 / 13))
    );

    let table = &*p.platform.deps.table;
    store::bump_counter(table, &org_id, Counter::Products, 1)
        .await
        .unwrap();
    assert!(
        store::bump_counter(table, &org_id, Counter::Posts, -1)
            .await
            .is_err()
    );
    store::set_visibility(table, &org_id, VerificationStatus::Submitted, false, vec![])
        .await
        .unwrap();
    let later = checklist(&p, &path, &ada).await;
    assert_eq!(
        (
            later["products_added"].as_bool(),
            later["posts_published"].as_bool(),
            later["verification_submitted"].as_bool(),
            later["percentage"].as_u64(),
        ),
        (Some(true), Some(false), Some(true), Some(9 * 100 / 13))
    );
}

async fn audit_logs_record_each_change_newest_first(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let edited = p
        .authed(
            "PATCH",
            &format!("/v1/orgs/{org_id}"),
            &token(&ada),
            Some(json!({ "description": "Bread", "website": "https://corner.example" })),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");

    let log = p
        .authed(
            "GET",
            &format!("/v1/orgs/{org_id}/audit"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(log.status, 200, "{log:?}");
    let entries = log.body["items"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["summary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("profile_updated", "changed description, website"),
            (
                "organization_created",
                "registered Corner Bakery (corner-bakery)"
            ),
        ]
    );
    assert_eq!(
        entries[0]["actor_user_id"].as_str(),
        Some(user_id(&ada).as_str())
    );
    assert_eq!(
        entries[0]["target"].as_str(),
        Some(format!("organization:{org_id}").as_str())
    );

    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let everything = p
        .authed("GET", "/v1/admin/audit?limit=1", &token(&admin), None)
        .await;
    assert_eq!(everything.status, 200, "{everything:?}");
    assert_eq!(
        everything.body["items"][0]["action"].as_str(),
        Some("profile_updated")
    );
    assert!(everything.body["next_cursor"].is_string());
    let refused = p.authed("GET", "/v1/admin/audit", &token(&ada), None).await;
    assert_eq!((refused.status, refused.problem_code()), (403, "forbidden"));
}

async fn each_role_gets_exactly_its_documented_answer(p: TestPlatform) {
    let owner = p.signed_in("owner@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &owner, "Corner Bakery", "corner-bakery").await;
    let mut callers = vec![("owner", owner)];
    for role in ["admin", "manager", "editor", "analyst", "viewer"] {
        let login = p
            .signed_in(&format!("{role}@example.com"), PASSWORD, "d")
            .await;
        add_member(&p, &org_id, &login, role).await;
        callers.push((role, login));
    }
    callers.push((
        "outsider",
        p.signed_in("outsider@example.com", PASSWORD, "d").await,
    ));

    let profile = format!("/v1/orgs/{org_id}");
    let onboarding = format!("/v1/orgs/{org_id}/onboarding");
    let audit = format!("/v1/orgs/{org_id}/audit");
    let email_logs = format!("/v1/orgs/{org_id}/email-logs");
    let edit = json!({ "description": "Bread" });
    // Expected status for owner, admin, manager, editor, analyst, viewer, outsider.
    let matrix: [(&str, &str, Option<&Value>, [u16; 7]); 5] = [
        ("GET", &profile, None, [200, 200, 200, 200, 200, 200, 404]),
        (
            "GET",
            &onboarding,
            None,
            [200, 200, 200, 200, 200, 200, 404],
        ),
        (
            "PATCH",
            &profile,
            Some(&edit),
            [200, 200, 200, 200, 403, 403, 404],
        ),
        ("GET", &audit, None, [200, 200, 403, 403, 403, 403, 404]),
        (
            "GET",
            &email_logs,
            None,
            [200, 200, 403, 403, 403, 403, 404],
        ),
    ];
    for (method, path, body, expected) in matrix {
        for ((role, login), status) in callers.iter().zip(expected) {
            let reply = p.authed(method, path, &token(login), body.cloned()).await;
            assert_eq!(reply.status, status, "{role} {method} {path}: {reply:?}");
            if status >= 400 {
                reply.problem_code();
            }
        }
    }
    // An id that is not an id, or of no organization, is simply not found.
    let owner_token = token(&callers[0].1);
    for path in [
        "/v1/orgs/not%20an%20id",
        "/v1/orgs/0190f2c1-7a80-7000-8000-000000000099",
    ] {
        assert_eq!(
            p.authed("GET", path, &owner_token, None).await.status,
            404,
            "{path}"
        );
    }
}
