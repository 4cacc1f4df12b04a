//! Client onboarding by invitation end to end, on both backends: a platform
//! admin creates an organization for a business, the owner gets the emailed
//! link, sees the state, activates (password, verified email, a session, every
//! onboarding token revoked), completes onboarding; an existing account's link
//! works like a password reset; the scheduled reminder goes out once, only for
//! unused links, and after a missed run too.

use jiff::{SignedDuration, Timestamp};
use platform_tests::{
    on_both_backends,
    orgs::{add_member, audit_actions, refused_fields, token, user_id},
    platform::{PLATFORM_ADMIN, Reply, TestPlatform, query_param},
};
use serde_json::{Value, json};
use shared::{
    accounts::token_hash,
    due::{self, RunReport},
    notifications::{self, Audience, NotificationType},
    organizations::client_onboarding::{REMINDER_BEFORE_EXPIRY, REMINDER_KIND},
};

on_both_backends!(
    an_invited_owner_activates_with_the_emailed_link,
    only_platform_admins_create_clients_and_fields_are_checked,
    an_existing_account_activates_like_a_password_reset,
    the_owner_completes_onboarding_once,
    one_reminder_goes_out_before_an_unused_link_expires,
    a_missed_run_still_sends_the_reminder_and_activated_links_get_none,
    a_notification_emitted_once_is_delivered_once,
);

const PASSWORD: &str = "correct horse battery";
const OWNER: &str = "olive@example.com";
const APP_URL: &str = "http://127.0.0.1:3000/_dev/app";

fn client(slug: &str, owner_email: &str) -> Value {
    json!({
        "name": "Corner Bakery", "slug": slug, "category": "bakery",
        "owner_email": owner_email, "owner_name": "Olive Owner",
    })
}

async fn create_client(p: &TestPlatform, admin: &Reply, body: Value) -> Reply {
    p.authed("POST", "/v1/admin/orgs", &token(admin), Some(body))
        .await
}

/// Creates a client organization owned by `owner_email`; returns its id and the
/// token of the emailed link.
async fn created(
    p: &TestPlatform,
    admin: &Reply,
    slug: &str,
    owner_email: &str,
) -> (String, String) {
    let reply = create_client(p, admin, client(slug, owner_email)).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let token = link_token(p, owner_email, "onboarding_invite").await;
    assert!(!reply.body.to_string().contains(&token), "{reply:?}");
    (reply.body["id"].as_str().unwrap().to_string(), token)
}

/// The token of the newest `kind` email to `email`, from its link.
async fn link_token(p: &TestPlatform, email: &str, kind: &str) -> String {
    let mail = p.last_mail(email, kind).await;
    let link = &mail.links[0];
    assert!(
        link.starts_with(&format!("{APP_URL}/onboarding?token=")),
        "{link}"
    );
    query_param(link, "token")
}

async fn state(p: &TestPlatform, token: &str) -> Reply {
    p.call("GET", &format!("/v1/onboarding/{token}"), None, &[])
        .await
}

async fn activate(p: &TestPlatform, token: &str, password: &str) -> Reply {
    p.post(
        &format!("/v1/onboarding/{token}/activate"),
        json!({ "password": password }),
    )
    .await
}

async fn login(p: &TestPlatform, email: &str, password: &str) -> Reply {
    p.post(
        "/v1/auth/login",
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn complete(p: &TestPlatform, login: &Reply, org_id: &str) -> Reply {
    p.authed(
        "POST",
        &format!("/v1/orgs/{org_id}/onboarding/complete"),
        &token(login),
        None,
    )
    .await
}

/// How many emails of `kind` went to `to`.
async fn mails(p: &TestPlatform, to: &str, kind: &str) -> usize {
    p.mail()
        .await
        .iter()
        .filter(|m| m.to == to && m.kind == kind)
        .count()
}

async fn run_reminders(p: &TestPlatform) -> RunReport {
    onboarding_reminders::run(&p.platform.deps)
        .await
        .expect("the reminders run")
}

async fn an_invited_owner_activates_with_the_emailed_link(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let (org_id, first) = created(&p, &admin, "corner-bakery", OWNER).await;
    let invite = p.last_mail(OWNER, "onboarding_invite").await;
    assert!(invite.text.contains("Corner Bakery"), "{invite:?}");

    let shown = state(&p, &first).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert_eq!(
        shown.body["organization"],
        json!({ "id": org_id, "name": "Corner Bakery", "slug": "corner-bakery" })
    );
    assert_eq!(
        shown.body["owner"],
        json!({ "email": OWNER, "name": "Olive Owner" })
    );
    assert_eq!(shown.body["activated"], false);
    assert!(shown.body["expires_at"].is_string());
    // No password yet: no password logs in.
    assert_eq!(login(&p, OWNER, PASSWORD).await.status, 401);

    // A second organization for the same owner: a second live token.
    let (second_org, second) = created(&p, &admin, "corner-cafe", OWNER).await;
    assert_ne!(first, second);

    let weak = activate(&p, &first, "short").await;
    assert_eq!(refused_fields(&weak), ["password"]);
    assert_eq!(state(&p, &first).await.status, 200);

    let session = activate(&p, &first, PASSWORD).await;
    assert_eq!(session.status, 200, "{session:?}");
    assert!(session.body["refresh_token"].is_string());
    assert_eq!(session.body["user"]["email"], OWNER);
    assert_eq!(session.body["user"]["email_verified"], true);
    let cookie = session.header("set-cookie").unwrap_or_default();
    assert!(cookie.starts_with("__Host-refresh="), "{cookie}");
    let me = p.authed("GET", "/v1/me", &token(&session), None).await;
    assert_eq!((me.status, &me.body["email_verified"]), (200, &json!(true)));
    let orgs = p.authed("GET", "/v1/orgs", &token(&session), None).await;
    let mut owned: Vec<(&str, &str)> = orgs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["org_id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    owned.sort();
    let mut expected = vec![(org_id.as_str(), "owner"), (second_org.as_str(), "owner")];
    expected.sort();
    assert_eq!(owned, expected);
    assert!(
        audit_actions(&p, &session, &org_id)
            .await
            .contains(&"onboarding_activated".into())
    );

    // The password is set: a login from a new device passes it and asks for a code.
    assert_eq!(login(&p, OWNER, "wrong password!").await.status, 401);
    let again = login(&p, OWNER, PASSWORD).await;
    assert_eq!(
        (again.status, &again.body["mfa_required"]),
        (202, &json!(true))
    );

    // Used, and every other onboarding token of the user revoked.
    for token in [&first, &second] {
        assert_eq!(state(&p, token).await.problem_code(), "not_found");
        assert_eq!(activate(&p, token, PASSWORD).await.status, 404);
    }
}

async fn only_platform_admins_create_clients_and_fields_are_checked(p: TestPlatform) {
    let member = p.signed_in("someone@example.com", PASSWORD, "d").await;
    let refused = create_client(&p, &member, client("corner-bakery", OWNER)).await;
    assert_eq!((refused.status, refused.problem_code()), (403, "forbidden"));
    let anonymous = p
        .post("/v1/admin/orgs", client("corner-bakery", OWNER))
        .await;
    assert_eq!(anonymous.status, 401);

    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let bad = create_client(
        &p,
        &admin,
        json!({ "name": "Corner Bakery", "slug": "No Slug", "category": "bakery",
                "owner_email": "not an email", "owner_name": "" }),
    )
    .await;
    assert_eq!(refused_fields(&bad), ["slug", "owner_email", "owner_name"]);
    created(&p, &admin, "corner-bakery", OWNER).await;
    let taken = create_client(&p, &admin, client("corner-bakery", "other@example.com")).await;
    assert_eq!((taken.status, taken.problem_code()), (409, "slug_taken"));
    assert_eq!(mails(&p, "other@example.com", "onboarding_invite").await, 0);

    assert_eq!(state(&p, "no-such-token").await.status, 404);
    assert_eq!(activate(&p, "no-such-token", PASSWORD).await.status, 404);
}

async fn an_existing_account_activates_like_a_password_reset(p: TestPlatform) {
    let existing = p.signed_in("sam@example.com", PASSWORD, "d").await;
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let (org_id, link) = created(&p, &admin, "sams-shop", "sam@example.com").await;
    let shown = state(&p, &link).await;
    // The owner's name is the one the admin gave; the account keeps its own.
    assert_eq!(shown.body["owner"]["email"], "sam@example.com");

    let new_password = "a brand new passphrase";
    let session = activate(&p, &link, new_password).await;
    assert_eq!(session.status, 200, "{session:?}");
    assert_eq!(session.body["user"]["id"], user_id(&existing));
    // The other sessions ended; the old password no longer works.
    let old = p.authed("GET", "/v1/me", &token(&existing), None).await;
    assert_eq!(old.status, 401);
    assert_eq!(login(&p, "sam@example.com", PASSWORD).await.status, 401);
    let fresh = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&session), None)
        .await;
    assert_eq!((fresh.status, &fresh.body["role"]), (200, &json!("owner")));
    assert_eq!(mails(&p, "sam@example.com", "sessions_revoked").await, 1);
}

async fn the_owner_completes_onboarding_once(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let (org_id, link) = created(&p, &admin, "corner-bakery", OWNER).await;
    let owner = activate(&p, &link, PASSWORD).await;
    let manager = p.signed_in("manager@example.com", PASSWORD, "d").await;
    add_member(&p, &org_id, &manager, "manager").await;
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "d").await;

    let not_owner = complete(&p, &manager, &org_id).await;
    assert_eq!(
        (not_owner.status, not_owner.problem_code()),
        (403, "forbidden")
    );
    let hidden = complete(&p, &outsider, &org_id).await;
    assert_eq!((hidden.status, hidden.problem_code()), (404, "not_found"));

    let done = complete(&p, &owner, &org_id).await;
    assert_eq!(done.status, 200, "{done:?}");
    let completed_at = done.body["onboarding_completed_at"].clone();
    assert!(completed_at.is_string(), "{done:?}");
    let again = complete(&p, &owner, &org_id).await;
    assert_eq!(
        (again.status, again.problem_code()),
        (409, "already_completed")
    );

    let view = p
        .authed("GET", &format!("/v1/orgs/{org_id}"), &token(&owner), None)
        .await;
    assert_eq!(view.body["onboarding_completed_at"], completed_at);
    let checklist = p
        .authed(
            "GET",
            &format!("/v1/orgs/{org_id}/onboarding"),
            &token(&owner),
            None,
        )
        .await;
    assert_eq!(checklist.body["onboarding_completed_at"], completed_at);
    let mail = p.last_mail(OWNER, "onboarding_complete").await;
    assert_eq!(mail.links, [format!("{APP_URL}/orgs/{org_id}")]);
    assert_eq!(mails(&p, OWNER, "onboarding_complete").await, 1);
    let actions = audit_actions(&p, &owner, &org_id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "onboarding_completed")
            .count(),
        1
    );
}

async fn one_reminder_goes_out_before_an_unused_link_expires(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let (_, first) = created(&p, &admin, "corner-bakery", OWNER).await;

    // Due 48 hours before the 7-day link expires: not after 4 days.
    assert_eq!(run_reminders(&p).await.sent, 0);
    p.platform.clock.advance(SignedDuration::from_hours(4 * 24));
    assert_eq!(run_reminders(&p).await, RunReport::default());
    assert_eq!(mails(&p, OWNER, "onboarding_reminder").await, 0);

    p.platform
        .clock
        .advance(SignedDuration::from_hours(24) + SignedDuration::from_mins(5));
    let report = run_reminders(&p).await;
    assert_eq!((report.due, report.sent), (1, 1));
    assert_eq!(mails(&p, OWNER, "onboarding_reminder").await, 1);
    // The reminder's link is a new token for the same onboarding; both open it.
    let reminded = link_token(&p, OWNER, "onboarding_reminder").await;
    assert_ne!(reminded, first);
    assert_eq!(state(&p, &reminded).await.status, 200);
    assert_eq!(state(&p, &first).await.status, 200);

    // Another run, and two at once: nothing more is sent.
    assert_eq!(run_reminders(&p).await.due, 0);
    let (one, two) = tokio::join!(run_reminders(&p), run_reminders(&p));
    assert_eq!(one.sent + two.sent, 0);
    assert_eq!(mails(&p, OWNER, "onboarding_reminder").await, 1);

    // A run that crashed before deleting its entry is done again, alone and
    // twice at once: the reminder is emitted again, and still delivered once.
    let expires_at: Timestamp = state(&p, &first).await.body["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let due_at = expires_at - REMINDER_BEFORE_EXPIRY;
    let redo = || async {
        let entry = due::put(REMINDER_KIND, due_at, &token_hash(&first), json!({})).unwrap();
        p.platform.deps.table.transact(vec![entry]).await.unwrap();
    };
    redo().await;
    assert_eq!(run_reminders(&p).await.sent, 1);
    redo().await;
    let (one, two) = tokio::join!(run_reminders(&p), run_reminders(&p));
    assert!(one.sent + two.sent >= 1, "{one:?} {two:?}");
    assert_eq!(mails(&p, OWNER, "onboarding_reminder").await, 1);

    // Activating with the reminder's link revokes the first one too.
    assert_eq!(activate(&p, &reminded, PASSWORD).await.status, 200);
    assert_eq!(state(&p, &first).await.status, 404);
    assert_eq!(state(&p, &reminded).await.status, 404);
}

async fn a_missed_run_still_sends_the_reminder_and_activated_links_get_none(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    created(&p, &admin, "corner-bakery", OWNER).await;
    let (_, activated) = created(&p, &admin, "other-bakery", "activated@example.com").await;
    assert_eq!(activate(&p, &activated, PASSWORD).await.status, 200);
    assert_eq!(run_reminders(&p).await.sent, 0);

    // No run for 6 days (due after 5, expiring after 7): the next one catches
    // up. The activated link's reminder was cancelled with it.
    p.platform.clock.advance(SignedDuration::from_hours(6 * 24));
    let report = run_reminders(&p).await;
    assert_eq!((report.due, report.sent, report.skipped), (1, 1, 0));
    assert_eq!(mails(&p, OWNER, "onboarding_reminder").await, 1);
    assert_eq!(
        mails(&p, "activated@example.com", "onboarding_reminder").await,
        0
    );

    // A link that expired before any run reached its reminder gets none.
    let admin = p
        .post(
            "/v1/auth/login",
            json!({ "email": PLATFORM_ADMIN, "password": PASSWORD, "device_id": "d" }),
        )
        .await;
    created(&p, &admin, "late-bakery", "late@example.com").await;
    p.platform
        .clock
        .advance(SignedDuration::from_hours(7 * 24 + 1));
    let report = run_reminders(&p).await;
    assert_eq!((report.due, report.sent, report.skipped), (1, 0, 1));
    assert_eq!(
        mails(&p, "late@example.com", "onboarding_reminder").await,
        0
    );
}

async fn a_notification_emitted_once_is_delivered_once(p: TestPlatform) {
    let login = p.signed_in("ada@example.com", PASSWORD, "d").await;
    let deps = &p.platform.deps;
    let due_at = deps.clock.now();
    let emit = || {
        notifications::emit_once(
            deps,
            "test:reminder-1",
            due_at,
            NotificationType::OnboardingComplete,
            Audience::User(user_id(&login)),
            None,
            json!({ "link": "https://example.com/dashboard" }),
        )
    };
    // Two runs one after the other, then two at once.
    emit().await.unwrap();
    emit().await.unwrap();
    let (one, two) = tokio::join!(emit(), emit());
    one.unwrap();
    two.unwrap();
    assert_eq!(mails(&p, "ada@example.com", "onboarding_complete").await, 1);
    let inbox = p
        .authed("GET", "/v1/me/notifications", &token(&login), None)
        .await;
    assert_eq!(inbox.status, 200, "{inbox:?}");
    assert_eq!(
        inbox.body["items"].as_array().unwrap().len(),
        1,
        "{inbox:?}"
    );
}
