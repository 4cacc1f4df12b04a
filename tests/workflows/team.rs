//! The team end to end, on both backends: invitations (each role, the emailed
//! link, email mismatch, expiry, revoke, resend), the role ceiling, members,
//! role changes, removal, leaving, ownership transfer, last-owner protection,
//! and who may call which team route.

use jiff::SignedDuration;
use platform_tests::{
    on_both_backends,
    orgs::{audit_actions, register, token, user_id},
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};

on_both_backends!(
    invitations_are_emailed_accepted_and_counted,
    invitations_expire_and_can_be_revoked_or_resent,
    roles_change_within_the_ceiling_and_the_last_owner_stays,
    members_without_the_permission_and_outsiders_are_refused,
);

const PASSWORD: &str = "correct horse battery";

async fn invite(p: &TestPlatform, by: &Reply, org_id: &str, email: &str, role: &str) -> Reply {
    p.authed(
        "POST",
        &format!("/v1/orgs/{org_id}/invites"),
        &token(by),
        Some(json!({ "email": email, "role": role })),
    )
    .await
}

/// The code of the newest invite email to `email`, from its link.
async fn invite_code(p: &TestPlatform, email: &str) -> String {
    let mail = p.last_mail(email, "invite").await;
    let link = &mail.links[0];
    let (base, code) = link.rsplit_once('/').unwrap();
    assert!(base.ends_with("/invites"), "{link}");
    code.to_string()
}

async fn accept(p: &TestPlatform, login: &Reply, code: &str) -> Reply {
    p.authed(
        "POST",
        &format!("/v1/invites/{code}/accept"),
        &token(login),
        None,
    )
    .await
}

/// Signs `email` up, invites it with `role` and accepts; returns its login.
async fn join(p: &TestPlatform, owner: &Reply, org_id: &str, email: &str, role: &str) -> Reply {
    let login = p.signed_in(email, PASSWORD, "d").await;
    assert_eq!(invite(p, owner, org_id, email, role).await.status, 201);
    let accepted = accept(p, &login, &invite_code(p, email).await).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    login
}

async fn organization(p: &TestPlatform, login: &Reply, org_id: &str) -> Value {
    let reply = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(login), None)
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

/// user id → role of every member.
async fn roles(p: &TestPlatform, login: &Reply, org_id: &str) -> Vec<(String, String)> {
    let reply = p
        .authed(
            "GET",
            &format!("/v1/orgs/{org_id}/members"),
            &token(login),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let mut roles: Vec<(String, String)> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    roles.sort();
    roles
}

async fn invitations_are_emailed_accepted_and_counted(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    for role in ["admin", "manager", "editor", "analyst", "viewer"] {
        let email = format!("{role}@example.com");
        let created = invite(&p, &ada, &org_id, &email, role).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(
            (
                created.body["email"].as_str(),
                created.body["role"].as_str()
            ),
            (Some(email.as_str()), Some(role))
        );
        assert!(created.body["invite_id"].is_string() && created.body["expires_at"].is_string());
        let mail = p.last_mail(&email, "invite").await;
        assert!(
            mail.text.contains("Test User") && mail.text.contains(role),
            "{mail:?}"
        );
        let login = p.signed_in(&email, PASSWORD, "d").await;
        let code = invite_code(&p, &email).await;
        let accepted = accept(&p, &login, &code).await;
        assert_eq!(
            (accepted.status, accepted.body["role"].as_str()),
            (200, Some(role)),
            "{accepted:?}"
        );
        // The new member sees the organization in their list.
        let mine = p.authed("GET", "/v1/orgs", &token(&login), None).await;
        assert_eq!(
            mine.body["items"][0]["org_id"].as_str(),
            Some(org_id.as_str())
        );
        // The code is spent.
        let again = accept(&p, &login, &code).await;
        assert_eq!((again.status, again.problem_code()), (410, "invite_gone"));
    }
    assert_eq!(organization(&p, &ada, &org_id).await["member_count"], 6);
    assert_eq!(roles(&p, &ada, &org_id).await.len(), 6);

    // Owners are not invited, a pending invitation is not doubled, and members rejoin not.
    let owner = invite(&p, &ada, &org_id, "olga@example.com", "owner").await;
    assert_eq!(owner.status, 422, "{owner:?}");
    assert_eq!(
        invite(&p, &ada, &org_id, "eve@example.com", "viewer")
            .await
            .status,
        201
    );
    let twice = invite(&p, &ada, &org_id, "EVE@example.com", "editor").await;
    assert_eq!(
        (twice.status, twice.problem_code()),
        (409, "invite_pending")
    );
    assert_eq!(
        invite(&p, &ada, &org_id, "viewer@example.com", "viewer")
            .await
            .status,
        201
    );
    let viewer = p.log_in("viewer@example.com", PASSWORD, "d").await;
    let rejoin = accept(&p, &viewer, &invite_code(&p, "viewer@example.com").await).await;
    assert_eq!(
        (rejoin.status, rejoin.problem_code()),
        (409, "already_member")
    );

    // Another account cannot take Eve's invitation; an unknown code is not found.
    let eve_code = invite_code(&p, "eve@example.com").await;
    let mallory = p.signed_in("mallory@example.com", PASSWORD, "d").await;
    let stolen = accept(&p, &mallory, &eve_code).await;
    assert_eq!(
        (stolen.status, stolen.problem_code()),
        (403, "invite_email_mismatch")
    );
    assert_eq!(accept(&p, &mallory, "no-such-code").await.status, 404);
    // Someone without an account signs up first, then accepts.
    let eve = p.signed_in("eve@example.com", PASSWORD, "d").await;
    assert_eq!(accept(&p, &eve, &eve_code).await.status, 200);

    let actions = audit_actions(&p, &ada, &org_id).await;
    assert_eq!(actions.iter().filter(|a| *a == "member_joined").count(), 6);
    assert_eq!(actions.iter().filter(|a| *a == "member_invited").count(), 7);
}

async fn invitations_expire_and_can_be_revoked_or_resent(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    p.signed_in("bob@example.com", PASSWORD, "d").await;
    let invites = format!("/v1/orgs/{org_id}/invites");

    // Expiry: after 7 days the code is gone, and a new invitation may be sent.
    assert_eq!(
        invite(&p, &ada, &org_id, "bob@example.com", "editor")
            .await
            .status,
        201
    );
    let code = invite_code(&p, "bob@example.com").await;
    p.platform
        .clock
        .advance(SignedDuration::from_hours(7 * 24 + 1));
    // Access tokens expired with the invitation: both sign in again.
    let (ada, bob) = (
        p.log_in("ada@example.com", PASSWORD, "d").await,
        p.log_in("bob@example.com", PASSWORD, "d").await,
    );
    let late = accept(&p, &bob, &code).await;
    assert_eq!((late.status, late.problem_code()), (410, "invite_gone"));

    // Revoke: the code stops working and the invitation leaves the list.
    let created = invite(&p, &ada, &org_id, "bob@example.com", "editor").await;
    assert_eq!(created.status, 201, "{created:?}");
    let invite_id = created.body["invite_id"].as_str().unwrap().to_string();
    let code = invite_code(&p, "bob@example.com").await;
    let revoked = p
        .authed(
            "DELETE",
            &format!("{invites}/{invite_id}"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    assert_eq!(accept(&p, &bob, &code).await.status, 404);
    let listed = p.authed("GET", &invites, &token(&ada), None).await;
    let listed_ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["invite_id"].as_str().unwrap())
        .collect();
    assert!(!listed_ids.contains(&invite_id.as_str()), "{listed:?}");
    let revoked_again = p
        .authed(
            "DELETE",
            &format!("{invites}/{invite_id}"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(revoked_again.status, 404);

    // Resend: a new code works, the old one is dead.
    let created = invite(&p, &ada, &org_id, "bob@example.com", "analyst").await;
    let invite_id = created.body["invite_id"].as_str().unwrap().to_string();
    let listed = p.authed("GET", &invites, &token(&ada), None).await;
    assert!(
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["invite_id"] == invite_id.as_str())
    );
    let old_code = invite_code(&p, "bob@example.com").await;
    let resent = p
        .authed(
            "POST",
            &format!("{invites}/{invite_id}/resend"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(resent.status, 200, "{resent:?}");
    let new_code = invite_code(&p, "bob@example.com").await;
    assert_ne!(old_code, new_code);
    assert_eq!(accept(&p, &bob, &old_code).await.status, 404);
    let accepted = accept(&p, &bob, &new_code).await;
    assert_eq!(
        (accepted.status, accepted.body["role"].as_str()),
        (200, Some("analyst"))
    );
}

async fn roles_change_within_the_ceiling_and_the_last_owner_stays(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let members = format!("/v1/orgs/{org_id}/members");
    let admin = join(&p, &ada, &org_id, "admin@example.com", "admin").await;
    let carl = join(&p, &ada, &org_id, "carl@example.com", "viewer").await;
    let dora = join(&p, &ada, &org_id, "dora@example.com", "editor").await;

    // An admin invites and promotes up to admin, never to owner, never touches the owner.
    let above = invite(&p, &admin, &org_id, "x@example.com", "owner").await;
    assert_eq!(above.status, 422);
    let promote = |login: &Reply, who: &Reply, role: &str| {
        let path = format!("{members}/{}", user_id(who));
        let token = token(login);
        let role = role.to_string();
        let p = &p;
        async move {
            p.authed("PATCH", &path, &token, Some(json!({ "role": role })))
                .await
        }
    };
    let to_owner = promote(&admin, &carl, "owner").await;
    assert_eq!(
        (to_owner.status, to_owner.problem_code()),
        (403, "forbidden")
    );
    let demote_owner = promote(&admin, &ada, "viewer").await;
    assert_eq!(demote_owner.status, 403);
    let to_manager = promote(&admin, &carl, "manager").await;
    assert_eq!(
        (to_manager.status, to_manager.body["role"].as_str()),
        (200, Some("manager"))
    );
    let remove_owner = p
        .authed(
            "DELETE",
            &format!("{members}/{}", user_id(&ada)),
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(remove_owner.status, 403);

    // The last owner can be neither demoted, removed, nor leave.
    let demote_self = promote(&ada, &ada, "admin").await;
    assert_eq!(
        (demote_self.status, demote_self.problem_code()),
        (409, "last_owner")
    );
    let remove_self = p
        .authed(
            "DELETE",
            &format!("{members}/{}", user_id(&ada)),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(
        (remove_self.status, remove_self.problem_code()),
        (409, "last_owner")
    );
    let leave = p
        .authed(
            "POST",
            &format!("/v1/orgs/{org_id}/leave"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!((leave.status, leave.problem_code()), (409, "last_owner"));

    // Removing and leaving.
    let removed = p
        .authed(
            "DELETE",
            &format!("{members}/{}", user_id(&dora)),
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");
    let carl_leaves = p
        .authed(
            "POST",
            &format!("/v1/orgs/{org_id}/leave"),
            &token(&carl),
            None,
        )
        .await;
    assert_eq!(carl_leaves.status, 204, "{carl_leaves:?}");
    let gone = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&carl), None)
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(organization(&p, &ada, &org_id).await["member_count"], 2);

    // Transfer: only to a member; the old owner becomes admin, then may leave.
    let transfer = format!("/v1/orgs/{org_id}/transfer-ownership");
    let to_outsider = p
        .authed(
            "POST",
            &transfer,
            &token(&ada),
            Some(json!({ "user_id": user_id(&carl) })),
        )
        .await;
    assert_eq!(to_outsider.status, 404);
    let by_admin = p
        .authed(
            "POST",
            &transfer,
            &token(&admin),
            Some(json!({ "user_id": user_id(&admin) })),
        )
        .await;
    assert_eq!(by_admin.status, 403);
    let handed = p
        .authed(
            "POST",
            &transfer,
            &token(&ada),
            Some(json!({ "user_id": user_id(&admin) })),
        )
        .await;
    assert_eq!(
        (handed.status, handed.body["role"].as_str()),
        (200, Some("owner")),
        "{handed:?}"
    );
    let mut expected = vec![
        (user_id(&ada), "admin".to_string()),
        (user_id(&admin), "owner".to_string()),
    ];
    expected.sort();
    assert_eq!(roles(&p, &ada, &org_id).await, expected);
    let ada_leaves = p
        .authed(
            "POST",
            &format!("/v1/orgs/{org_id}/leave"),
            &token(&ada),
            None,
        )
        .await;
    assert_eq!(ada_leaves.status, 204);
    let organization = organization(&p, &admin, &org_id).await;
    assert_eq!(
        (
            organization["member_count"].clone(),
            organization["owner_count"].clone()
        ),
        (json!(1), json!(1))
    );
}

async fn members_without_the_permission_and_outsiders_are_refused(p: TestPlatform) {
    let ada = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let org_id = register(&p, &ada, "Corner Bakery", "corner-bakery").await;
    let manager = join(&p, &ada, &org_id, "manager@example.com", "manager").await;
    let viewer = join(&p, &ada, &org_id, "viewer@example.com", "viewer").await;
    let outsider = p.signed_in("out@example.com", PASSWORD, "d").await;
    let created = invite(&p, &ada, &org_id, "new@example.com", "viewer").await;
    let invite_id = created.body["invite_id"].as_str().unwrap().to_string();
    let base = format!("/v1/orgs/{org_id}");
    let target = user_id(&viewer);
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            format!("{base}/invites"),
            Some(json!({ "email": "z@example.com", "role": "viewer" })),
        ),
        ("GET", format!("{base}/invites"), None),
        ("DELETE", format!("{base}/invites/{invite_id}"), None),
        ("POST", format!("{base}/invites/{invite_id}/resend"), None),
        (
            "PATCH",
            format!("{base}/members/{target}"),
            Some(json!({ "role": "editor" })),
        ),
        ("DELETE", format!("{base}/members/{target}"), None),
        (
            "POST",
            format!("{base}/transfer-ownership"),
            Some(json!({ "user_id": target })),
        ),
    ];
    for (method, path, body) in &routes {
        let member = p.authed(method, path, &token(&manager), body.clone()).await;
        assert_eq!(member.status, 403, "manager {method} {path}: {member:?}");
        let stranger = p
            .authed(method, path, &token(&outsider), body.clone())
            .await;
        assert_eq!(
            stranger.status, 404,
            "outsider {method} {path}: {stranger:?}"
        );
    }
    for (method, path) in [
        ("GET", format!("{base}/members")),
        ("POST", format!("{base}/leave")),
    ] {
        let stranger = p.authed(method, &path, &token(&outsider), None).await;
        assert_eq!(stranger.status, 404, "outsider {method} {path}");
    }
    assert_eq!(roles(&p, &viewer, &org_id).await.len(), 3);
    let unsigned = p.post("/v1/invites/whatever/accept", json!({})).await;
    assert_eq!(unsigned.status, 401);
}
