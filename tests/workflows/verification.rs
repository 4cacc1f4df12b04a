//! Verification and platform roles end to end, on both backends: an
//! organization is rejected, fixes and resubmits, is approved and goes public;
//! who may call each route; platform roles granted and revoked.

use platform_tests::{
    on_both_backends,
    orgs::{add_member, audit_actions, refused_fields, register, token, user_id},
    platform::{PLATFORM_ADMIN, Reply, TestPlatform},
};
use serde_json::{Value, json};
use shared::keys;

on_both_backends!(
    an_organization_is_rejected_then_approved_and_goes_public,
    verification_routes_answer_each_caller_as_documented,
    platform_admins_grant_and_revoke_platform_roles,
);

const PASSWORD: &str = "correct horse battery";

/// Gives `user` the platform `role` as the configured admin; the reply.
async fn set_role(p: &TestPlatform, admin: &Reply, user: &str, role: &str) -> Reply {
    p.authed(
        "PUT",
        &format!("/v1/admin/users/{user}/platform-role"),
        &token(admin),
        Some(json!({ "role": role })),
    )
    .await
}

/// A signed-in platform moderator, granted by the configured admin.
async fn moderator(p: &TestPlatform, admin: &Reply) -> Reply {
    let moderator = p.signed_in("moderator@example.com", PASSWORD, "d").await;
    let granted = set_role(p, admin, &user_id(&moderator), "moderator").await;
    assert_eq!(granted.status, 200, "{granted:?}");
    moderator
}

async fn decide(p: &TestPlatform, moderator: &Reply, org_id: &str, decision: Value) -> Reply {
    p.authed(
        "POST",
        &format!("/v1/admin/orgs/{org_id}/verification"),
        &token(moderator),
        Some(decision),
    )
    .await
}

async fn submit(p: &TestPlatform, login: &Reply, org_id: &str) -> Reply {
    let path = format!("/v1/orgs/{org_id}/verification");
    p.authed("POST", &path, &token(login), None).await
}

/// The org ids of the moderators' list of `status`.
async fn listed(p: &TestPlatform, moderator: &Reply, status: &str) -> Vec<String> {
    let path = format!("/v1/admin/verifications?status={status}");
    let reply = p.authed("GET", &path, &token(moderator), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["org_id"].as_str().unwrap().to_string())
        .collect()
}

async fn an_organization_is_rejected_then_approved_and_goes_public(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let moderator = moderator(&p, &admin).await;
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let earlier = register(&p, &ada, "Early Bakery", "early-bakery").await;

    let incomplete = submit(&p, &ada, &org_id).await;
    assert_eq!(
        refused_fields(&incomplete),
        ["profile", "contacts", "photos"]
    );

    let profile = json!({
        "description": "Bread and pastries since 1990.",
        "address": { "street": "1 Main St", "city": "Springfield", "country": "US" },
        "phone": "+1 555 010 0199",
        "photos": ["https://cdn.example/front.jpg"],
    });
    for id in [&earlier, &org_id] {
        let path = format!("/v1/orgs/{id}");
        let edited = p
            .authed("PATCH", &path, &token(&ada), Some(profile.clone()))
            .await;
        assert_eq!(edited.status, 200, "{edited:?}");
    }
    // Submitted first, so listed first (oldest first).
    assert_eq!(submit(&p, &ada, &earlier).await.status, 200);
    let submitted = submit(&p, &ada, &org_id).await;
    assert_eq!(submitted.status, 200, "{submitted:?}");
    assert_eq!(submitted.body["status"], "submitted");
    let again = submit(&p, &ada, &org_id).await;
    assert_eq!(
        (again.status, again.problem_code()),
        (409, "verification_pending")
    );
    assert_eq!(
        listed(&p, &moderator, "submitted").await,
        [earlier.as_str(), org_id.as_str()]
    );
    let request = p
        .last_mail("moderator@example.com", "verification_submitted")
        .await;
    assert!(
        request
            .links
            .iter()
            .any(|l| l.ends_with(&format!("/admin/verifications/{org_id}"))),
        "{request:?}"
    );

    let no_reason = decide(&p, &moderator, &org_id, json!({ "decision": "reject" })).await;
    assert_eq!(refused_fields(&no_reason), ["comment"]);
    let reason = "The photo does not show the shop front.";
    let rejected = decide(
        &p,
        &moderator,
        &org_id,
        json!({ "decision": "reject", "comment": reason }),
    )
    .await;
    assert_eq!(rejected.status, 200, "{rejected:?}");
    let rejection = p
        .last_mail("ada@example.com", "verification_rejected")
        .await;
    assert!(rejection.text.contains(reason), "{rejection:?}");
    let twice = decide(&p, &moderator, &org_id, json!({ "decision": "approve" })).await;
    assert_eq!(
        (twice.status, twice.problem_code()),
        (409, "verification_not_submitted")
    );
    assert_eq!(
        listed(&p, &moderator, "submitted").await,
        [earlier.as_str()]
    );
    assert_eq!(listed(&p, &moderator, "rejected").await, [org_id.as_str()]);
    let org = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&ada), None)
        .await;
    assert_eq!(
        (
            org.body["verification_status"].as_str(),
            org.body["verification_comment"].as_str()
        ),
        (Some("rejected"), Some(reason))
    );
    let public_path = "/v1/public/orgs/corner-bakery";
    assert_eq!(p.call("GET", public_path, None, &[]).await.status, 404);

    assert_eq!(submit(&p, &ada, &org_id).await.status, 200);
    let approved = decide(&p, &moderator, &org_id, json!({ "decision": "approve" })).await;
    assert_eq!(approved.status, 200, "{approved:?}");
    let approval = p
        .last_mail("ada@example.com", "verification_approved")
        .await;
    assert!(
        approval
            .links
            .iter()
            .any(|l| l.ends_with("/orgs/corner-bakery")),
        "{approval:?}"
    );
    let org = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&ada), None)
        .await;
    assert_eq!(
        (
            org.body["verification_status"].as_str(),
            org.body["status"].as_str(),
            org.body["public_visible"].as_bool(),
            org.body["verification_comment"].clone(),
        ),
        (Some("approved"), Some("active"), Some(true), Value::Null)
    );
    let public = p.call("GET", public_path, None, &[]).await;
    assert_eq!(
        (public.status, public.body["id"].as_str()),
        (200, Some(org_id.as_str()))
    );
    let already = submit(&p, &ada, &org_id).await;
    assert_eq!(
        (already.status, already.problem_code()),
        (409, "already_verified")
    );

    let path = format!("/v1/orgs/{org_id}/verification");
    let view = p.authed("GET", &path, &token(&ada), None).await;
    assert_eq!(view.status, 200, "{view:?}");
    let history = view.body["history"].as_array().unwrap();
    let steps: Vec<(&str, &Value, &str)> = history
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                &e["comment"],
                e["actor_user_id"].as_str().unwrap(),
            )
        })
        .collect();
    let (ada_id, moderator_id) = (user_id(&ada), user_id(&moderator));
    assert_eq!(
        steps,
        [
            ("submitted", &Value::Null, ada_id.as_str()),
            ("rejected", &json!(reason), moderator_id.as_str()),
            ("submitted", &Value::Null, ada_id.as_str()),
            ("approved", &Value::Null, moderator_id.as_str()),
        ]
    );
    assert_eq!(view.body["status"], "approved");

    let actions: Vec<String> = audit_actions(&p, &ada, &org_id)
        .await
        .into_iter()
        .take(4)
        .collect();
    assert_eq!(
        actions,
        [
            "verification_approved",
            "verification_submitted",
            "verification_rejected",
            "verification_submitted"
        ]
    );
}

async fn verification_routes_answer_each_caller_as_documented(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let org_admin = p.signed_in("admin@example.com", PASSWORD, "d").await;
    let viewer = p.signed_in("viewer@example.com", PASSWORD, "d").await;
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "d").await;
    add_member(&p, &org_id, &org_admin, "admin").await;
    add_member(&p, &org_id, &viewer, "viewer").await;
    let path = format!("/v1/orgs/{org_id}/verification");

    // An admin may submit (here refused only for the missing steps); a viewer may not.
    assert_eq!(submit(&p, &org_admin, &org_id).await.status, 422);
    let by_viewer = submit(&p, &viewer, &org_id).await;
    assert_eq!(
        (by_viewer.status, by_viewer.problem_code()),
        (403, "forbidden")
    );
    let view = p.authed("GET", &path, &token(&viewer), None).await;
    assert_eq!(
        (
            view.status,
            view.body["status"].as_str(),
            view.body["history"].clone()
        ),
        (200, Some("not_submitted"), json!([]))
    );
    for method in ["GET", "POST"] {
        let hidden = p.authed(method, &path, &token(&outsider), None).await;
        assert_eq!((hidden.status, hidden.problem_code()), (404, "not_found"));
    }

    // Organization roles count for nothing on platform routes.
    let admin_routes = [
        ("GET", "/v1/admin/verifications".to_string(), None),
        (
            "POST",
            format!("/v1/admin/orgs/{org_id}/verification"),
            Some(json!({ "decision": "approve" })),
        ),
        (
            "PUT",
            format!("/v1/admin/users/{}/platform-role", user_id(&ada)),
            Some(json!({ "role": "admin" })),
        ),
    ];
    for (method, route, body) in admin_routes {
        let refused = p.authed(method, &route, &token(&ada), body.clone()).await;
        assert_eq!(
            (refused.status, refused.problem_code()),
            (403, "forbidden"),
            "{method} {route}"
        );
        let anonymous = p.call(method, &route, body, &[]).await;
        assert_eq!(anonymous.status, 401, "{method} {route}");
    }
}

async fn platform_admins_grant_and_revoke_platform_roles(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let moderator = moderator(&p, &admin).await;
    let moderator_id = user_id(&moderator);
    let me = p.authed("GET", "/v1/me", &token(&moderator), None).await;
    assert_eq!(me.body["platform_role"], "moderator", "{me:?}");
    let queue = p
        .authed("GET", "/v1/admin/verifications", &token(&moderator), None)
        .await;
    assert_eq!(
        (queue.status, queue.body["items"].clone()),
        (200, json!([]))
    );
    let staff = &p.platform.deps.table;
    let entry = staff
        .get(&keys::platform_staff(&moderator_id))
        .await
        .unwrap();
    assert_eq!(entry.unwrap()["role"], "moderator");

    // Moderators do not manage roles; admins do.
    let by_moderator = set_role(&p, &moderator, &moderator_id, "admin").await;
    assert_eq!(by_moderator.status, 403);
    let promoted = set_role(&p, &admin, &moderator_id, "admin").await;
    assert_eq!(
        (promoted.status, promoted.body["platform_role"].as_str()),
        (200, Some("admin"))
    );
    let audit = p
        .authed("GET", "/v1/admin/audit", &token(&moderator), None)
        .await;
    assert_eq!(audit.status, 200, "an admin now: {audit:?}");

    let own = set_role(&p, &moderator, &moderator_id, "none").await;
    assert_eq!((own.status, own.problem_code()), (409, "own_admin_role"));
    let revoked = set_role(&p, &admin, &moderator_id, "none").await;
    assert_eq!(
        (revoked.status, revoked.body["platform_role"].clone()),
        (200, Value::Null)
    );
    let me = p.authed("GET", "/v1/me", &token(&moderator), None).await;
    assert_eq!(me.body["platform_role"], Value::Null, "{me:?}");
    let entry = staff
        .get(&keys::platform_staff(&moderator_id))
        .await
        .unwrap();
    assert_eq!(entry, None);
    let queue = p
        .authed("GET", "/v1/admin/verifications", &token(&moderator), None)
        .await;
    assert_eq!(queue.status, 403);

    let unknown = set_role(
        &p,
        &admin,
        "0190f2c1-7a80-7000-8000-000000000001",
        "moderator",
    )
    .await;
    assert_eq!((unknown.status, unknown.problem_code()), (404, "not_found"));
    let invalid = set_role(&p, &admin, &moderator_id, "owner").await;
    assert_eq!(invalid.status, 422, "{invalid:?}");
}
