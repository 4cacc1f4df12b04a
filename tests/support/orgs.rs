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
