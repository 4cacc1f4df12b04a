//! Organizations set up for a test through the platform's API, and members
//! seeded as invitations will add them.

use serde_json::json;
use shared::{keys, records::to_item};

use crate::platform::{Reply, TestPlatform};

/// The access token of a login reply.
pub fn token(login: &Reply) -> String {
    login.body["access_token"].as_str().unwrap().to_string()
}

/// The user id of a login reply.
pub fn user_id(login: &Reply) -> String {
    login.body["user"]["id"].as_str().unwrap().to_string()
}

/// Registers an organization as `login`; returns its id.
pub async fn register(p: &TestPlatform, login: &Reply, name: &str, slug: &str) -> String {
    let reply = p
        .authed(
            "POST",
            "/v1/orgs",
            &token(login),
            Some(json!({ "name": name, "slug": slug, "category": "bakery" })),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body["id"].as_str().unwrap().to_string()
}

/// Makes `login` a member of `org_id` with `role`, as invitations will (they
/// have no API yet), indexed in the member's "my organizations".
pub async fn add_member(p: &TestPlatform, org_id: &str, login: &Reply, role: &str) {
    let user_id = user_id(login);
    let member = json!({
        "org_id": org_id, "user_id": user_id, "role": role,
        "org_name": "Seeded", "org_slug": "seeded", "joined_at": "2026-01-01T00:00:00Z",
        "gsi1pk": keys::user_organizations(&user_id), "gsi1sk": org_id,
    });
    p.platform
        .deps
        .table
        .put(
            to_item(&keys::membership(org_id, &user_id), &member, None).unwrap(),
            None,
        )
        .await
        .unwrap();
}

/// The `field`s of a 422 reply.
pub fn refused_fields(reply: &Reply) -> Vec<String> {
    assert_eq!(
        (reply.status, reply.problem_code()),
        (422, "validation_failed")
    );
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

/// The actions of an organization's audit log (first page), newest first.
pub async fn audit_actions(p: &TestPlatform, login: &Reply, org_id: &str) -> Vec<String> {
    let audit = p
        .authed(
            "GET",
            &format!("/v1/orgs/{org_id}/audit"),
            &token(login),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let entries = audit.body["items"].as_array().expect("audit entries");
    entries
        .iter()
        .map(|e| e["action"].as_str().expect("an action").to_string())
        .collect()
}

/// Every organization role, highest first.
pub const ROLES: [&str; 6] = ["owner", "admin", "manager", "editor", "analyst", "viewer"];

/// `owner` and one new member of `org_id` for each other role (signed in with
/// `password`), highest role first.
pub async fn members_of_every_role(
    p: &TestPlatform,
    org_id: &str,
    owner: Reply,
    password: &str,
) -> Vec<(&'static str, Reply)> {
    let mut callers = vec![(ROLES[0], owner)];
    for (i, role) in ROLES.iter().enumerate().skip(1) {
        let login = p
            .signed_in(&format!("{role}@example.com"), password, &format!("r{i}"))
            .await;
        add_member(p, org_id, &login, role).await;
        callers.push((*role, login));
    }
    callers
}

/// Checks who may call `method path`: `callers` (from `members_of_every_role`)
/// down to the role `least` get a 2xx, lower roles 403, `outsider` 404 and the
/// anonymous 401.
pub async fn assert_least_role(
    p: &TestPlatform,
    callers: &[(&str, Reply)],
    outsider: &Reply,
    (method, path, body): (&str, &str, Option<serde_json::Value>),
    least: &str,
) {
    let least_rank = ROLES.iter().position(|r| *r == least).expect("a role");
    for (rank, (role, login)) in callers.iter().enumerate() {
        let reply = p.authed(method, path, &token(login), body.clone()).await;
        if rank <= least_rank {
            assert!(
                (200..300).contains(&reply.status),
                "{role} {method} {path}: {reply:?}"
            );
        } else {
            assert_eq!(
                (reply.status, reply.problem_code()),
                (403, "forbidden"),
                "{role} {method} {path}"
            );
        }
    }
    let reply = p.authed(method, path, &token(outsider), body.clone()).await;
    assert_eq!(
        (reply.status, reply.problem_code()),
        (404, "not_found"),
        "outsider {method} {path}"
    );
    let anonymous = p.call(method, path, body, &[]).await;
    assert_eq!(anonymous.status, 401, "anonymous {method} {path}");
}
