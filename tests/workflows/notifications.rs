//! Notifications end to end: emitted onto the notifications queue, fanned out by
//! the notifications worker to each recipient's enabled channels (the inbox,
//! the email queue and worker, the mailbox), and read through the API, on the
//! embedded backend and on the AWS-API endpoint.
//!
//! Organizations have no API yet, so organizations, their members and platform
//! staff are seeded through the `Table` port, as their issues will write them.

use std::collections::{BTreeMap, BTreeSet};

use platform_tests::{on_both_backends, platform::TestPlatform};
use serde_json::{Value, json};
use shared::{
    email::{EMAIL_QUEUE, EmailJob},
    keys,
    notifications::{
        Audience, NOTIFICATIONS_QUEUE, Notification, NotificationType, emit, fanout::PAGE_SIZE,
    },
    queue::{MAX_RECEIVE_BATCH, enqueue},
    records::to_item,
    roles::{OrgRole, PlatformRole},
    table::{Index, Query, SortKey, Write},
};

on_both_backends!(
    notifications_reach_a_user_in_the_inbox_and_the_mailbox_once,
    notifications_settings_turn_a_channel_off_but_not_security_types,
    notifications_reach_an_organization_page_by_page_by_role,
    notifications_reach_platform_staff_holding_the_role,
    notifications_redelivered_change_nothing_twice,
    notifications_inbox_is_private_paged_and_keeps_read_state,
);

const PASSWORD: &str = "correct horse battery";

/// A signed-up, confirmed and signed-in user.
struct User {
    id: String,
    email: String,
    token: String,
}

async fn signed_in_user(p: &TestPlatform, email: &str) -> User {
    let id = p.confirmed_user(email, PASSWORD, "Ada Lovelace").await;
    let login = p
        .post(
            "/v1/auth/login",
            json!({ "email": email, "password": PASSWORD, "device_id": "laptop" }),
        )
        .await;
    assert_eq!(login.status, 200, "{login:?}");
    User {
        id,
        email: email.to_string(),
        token: login.body["access_token"].as_str().unwrap().to_string(),
    }
}

async fn notify(p: &TestPlatform, kind: NotificationType, audience: Audience, data: Value) {
    emit(&p.platform.deps, kind, audience, None, data)
        .await
        .expect("the notification is queued");
}

/// A password_changed notification for one user (its template needs no data).
async fn notify_user(p: &TestPlatform, user: &User) {
    notify(
        p,
        NotificationType::PasswordChanged,
        Audience::User(user.id.clone()),
        json!({}),
    )
    .await;
}

/// Runs every worker, then counts the emails of `kind` to each address.
async fn mail_counts(p: &TestPlatform, kind: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for mail in p.mail().await.into_iter().filter(|m| m.kind == kind) {
        *counts.entry(mail.to).or_default() += 1;
    }
    counts
}

async fn inbox(p: &TestPlatform, user: &User, query: &str) -> Value {
    let reply = p
        .authed(
            "GET",
            &format!("/v1/me/notifications{query}"),
            &user.token,
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

/// The ids of every entry of the user's inbox, page after page.
async fn all_inbox_ids(p: &TestPlatform, user: &User, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_query = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_string(),
        };
        let page = inbox(p, user, &page_query).await;
        for item in page["items"].as_array().unwrap() {
            ids.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
    }
}

async fn mark_read(p: &TestPlatform, user: &User, id: &str) -> u16 {
    p.authed(
        "POST",
        &format!("/v1/me/notifications/{id}/read"),
        &user.token,
        None,
    )
    .await
    .status
}

/// Writes items through the `Table` port, a transaction of up to 100 at a time.
async fn seed(p: &TestPlatform, items: Vec<(shared::table::Key, Value)>) {
    let writes: Vec<Write> = items
        .iter()
        .map(|(key, record)| Write::Put {
            item: to_item(key, record, None).unwrap(),
            condition: None,
        })
        .collect();
    for chunk in writes.chunks(100) {
        p.platform
            .deps
            .table
            .transact(chunk.to_vec())
            .await
            .unwrap();
    }
}

/// How many entries a user's inbox holds, read from the table.
async fn inbox_size(p: &TestPlatform, user_id: &str) -> usize {
    let (pk, prefix) = keys::inbox_of(user_id);
    let query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(1000);
    p.platform
        .deps
        .table
        .query(&query)
        .await
        .unwrap()
        .items
        .len()
}

async fn notifications_reach_a_user_in_the_inbox_and_the_mailbox_once(p: TestPlatform) {
    let ada = signed_in_user(&p, "ada@example.com").await;
    notify_user(&p, &ada).await;

    let mails = mail_counts(&p, "password_changed").await;
    assert_eq!(mails, BTreeMap::from([(ada.email.clone(), 1)]));
    let page = inbox(&p, &ada, "").await;
    assert_eq!(page["unread_count"], 1, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "password_changed");
    assert_eq!(
        items[0]["title"],
        "Your Local Business Platform password was changed"
    );
    assert!(
        items[0]["body"]
            .as_str()
            .unwrap()
            .contains("password was changed")
    );
    assert_eq!(items[0]["read"], false);
    assert_eq!(items[0]["org_id"], Value::Null);
    assert!(items[0]["created_at"].is_string());

    // Nothing further arrives on another run of the workers.
    assert_eq!(mail_counts(&p, "password_changed").await, mails);
    assert_eq!(inbox_size(&p, &ada.id).await, 1);
}

async fn notifications_settings_turn_a_channel_off_but_not_security_types(p: TestPlatform) {
    let ada = signed_in_user(&p, "ada@example.com").await;
    let path = "/v1/me/notification-settings";
    let put = |body: Value| p.authed("PUT", path, &ada.token, Some(body));

    let defaults = p.authed("GET", path, &ada.token, None).await;
    assert_eq!(defaults.status, 200, "{defaults:?}");
    let types = defaults.body["types"].as_object().unwrap();
    assert_eq!(types.len(), NotificationType::ALL.len());
    let on = json!({ "enabled": true, "can_change": true });
    assert_eq!(
        types["password_changed"],
        json!({ "in_app": on, "email": on })
    );
    // Security types go by email only, and always.
    assert_eq!(
        types["verify_email"],
        json!({ "email": { "enabled": true, "can_change": false } })
    );

    let changed = put(json!({ "types": { "password_changed": { "email": false } } })).await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let password_changed = &changed.body["types"]["password_changed"];
    assert_eq!(password_changed["email"]["enabled"], false);
    assert_eq!(password_changed["in_app"]["enabled"], true);
    assert_eq!(
        changed.body["types"].as_object().unwrap().len(),
        types.len()
    );

    notify_user(&p, &ada).await;
    assert_eq!(mail_counts(&p, "password_changed").await, BTreeMap::new());
    assert_eq!(
        inbox(&p, &ada, "").await["items"].as_array().unwrap().len(),
        1
    );

    // Each refusal names what it refuses, and changes nothing.
    for (body, named) in [
        (
            json!({ "verify_email": { "email": false } }),
            "verify_email",
        ),
        (json!({ "mfa_code": { "email": false } }), "mfa_code"),
        (
            json!({ "no_such_type": { "email": false } }),
            "no_such_type",
        ),
        (json!({ "verify_email": { "in_app": true } }), "in_app"),
        (json!({ "password_changed": { "pigeon": false } }), "pigeon"),
    ] {
        let refused = put(json!({ "types": body })).await;
        assert_eq!(refused.status, 422, "{refused:?}");
        assert_eq!(refused.problem_code(), "validation_failed");
        let errors = refused.body["errors"].to_string();
        assert!(errors.contains(named), "{named}: {refused:?}");
    }
    let mixed = put(json!({ "types": {
        "password_changed": { "email": true },
        "password_reset": { "email": false },
    } }))
    .await;
    assert_eq!(mixed.status, 422, "{mixed:?}");
    let not_bool = put(json!({ "types": { "password_changed": { "email": "yes" } } })).await;
    assert_eq!(not_bool.status, 422, "{not_bool:?}");
    let now = p.authed("GET", path, &ada.token, None).await;
    assert_eq!(now.body, changed.body);

    // Back on: email again.
    let back = put(json!({ "types": { "password_changed": { "email": true } } })).await;
    assert_eq!(back.body, defaults.body);
    notify_user(&p, &ada).await;
    assert_eq!(
        mail_counts(&p, "password_changed").await,
        BTreeMap::from([(ada.email.clone(), 1)])
    );
}

async fn notifications_reach_an_organization_page_by_page_by_role(p: TestPlatform) {
    let ada = signed_in_user(&p, "ada@example.com").await;
    let org_id = p.platform.deps.ids.new_id();
    let member = |user_id: &str, role: OrgRole| {
        (
            keys::membership(&org_id, user_id),
            json!({ "user_id": user_id, "role": role }),
        )
    };
    let roles = [OrgRole::Viewer, OrgRole::Manager, OrgRole::Editor];
    let mut items = vec![
        (
            keys::organization(&org_id),
            json!({ "name": "Corner Bakery" }),
        ),
        member(&ada.id, OrgRole::Owner),
    ];
    let mut expected = BTreeSet::from([ada.email.clone()]);
    let mut members: usize = 1;
    for i in 0..2 * PAGE_SIZE as usize + 30 {
        let user_id = format!("member-{i}");
        let email = format!("member-{i}@example.com");
        let role = roles[i % roles.len()];
        if role == OrgRole::Manager {
            expected.insert(email.clone());
        }
        items.push((
            keys::user(&user_id),
            json!({ "id": user_id, "email": email, "name": format!("Member {i}") }),
        ));
        items.push(member(&user_id, role));
        members += 1;
    }
    seed(&p, items).await;

    // Any type fans out the same way; this one's template names the reason.
    emit(
        &p.platform.deps,
        NotificationType::SessionsRevoked,
        Audience::Organization {
            org_id: org_id.clone(),
            roles: vec![OrgRole::Owner, OrgRole::Manager],
        },
        Some(org_id.clone()),
        json!({ "reason": "the owner ended every session" }),
    )
    .await
    .unwrap();

    // One message per page of members, each at most PAGE_SIZE of them.
    let messages = p.platform.drain_queue(NOTIFICATIONS_QUEUE).await.unwrap();
    assert_eq!(messages, members.div_ceil(PAGE_SIZE as usize));

    let mails = mail_counts(&p, "sessions_revoked").await;
    assert_eq!(mails.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert!(mails.values().all(|&count| count == 1), "{mails:?}");
    assert_eq!(inbox_size(&p, "member-1").await, 1);
    assert_eq!(inbox_size(&p, "member-0").await, 0);
    assert_eq!(inbox_size(&p, "member-2").await, 0);

    let page = inbox(&p, &ada, "").await;
    assert_eq!(page["items"][0]["org_id"], org_id.as_str());
    assert_eq!(page["unread_count"], 1);
}

async fn notifications_reach_platform_staff_holding_the_role(p: TestPlatform) {
    let admin = signed_in_user(&p, "admin@example.com").await;
    let moderator = signed_in_user(&p, "moderator@example.com").await;
    let customer = signed_in_user(&p, "customer@example.com").await;
    let staff = |user: &User, role: PlatformRole| {
        (
            keys::platform_staff(&user.id),
            json!({ "user_id": user.id, "role": role }),
        )
    };
    seed(
        &p,
        vec![
            staff(&admin, PlatformRole::Admin),
            staff(&moderator, PlatformRole::Moderator),
        ],
    )
    .await;

    let data = json!({ "user_agent": "Firefox on Linux" });
    notify(
        &p,
        NotificationType::NewDeviceSignIn,
        Audience::Platform(PlatformRole::Admin),
        data.clone(),
    )
    .await;
    assert_eq!(
        mail_counts(&p, "new_device_sign_in").await,
        BTreeMap::from([(admin.email.clone(), 1)])
    );

    notify(
        &p,
        NotificationType::NewDeviceSignIn,
        Audience::Platform(PlatformRole::Moderator),
        data,
    )
    .await;
    assert_eq!(
        mail_counts(&p, "new_device_sign_in").await,
        BTreeMap::from([(admin.email.clone(), 2), (moderator.email.clone(), 1)])
    );
    assert_eq!(inbox(&p, &admin, "").await["unread_count"], 2);
    assert_eq!(inbox(&p, &moderator, "").await["unread_count"], 1);
    assert_eq!(inbox(&p, &customer, "").await["items"], json!([]));
}

/// Every job on the email queue for now, each received once and deleted.
async fn take_email_jobs(p: &TestPlatform) -> Vec<EmailJob> {
    let queue = &p.platform.deps.queue;
    let mut jobs = Vec::new();
    loop {
        let messages = queue.receive(EMAIL_QUEUE, MAX_RECEIVE_BATCH).await.unwrap();
        if messages.is_empty() {
            return jobs;
        }
        for message in messages {
            jobs.push(serde_json::from_str(&message.body).unwrap());
            queue
                .delete(EMAIL_QUEUE, &message.receipt_handle)
                .await
                .unwrap();
        }
    }
}

async fn notifications_redelivered_change_nothing_twice(p: TestPlatform) {
    let ada = signed_in_user(&p, "ada@example.com").await;
    p.mail().await;
    let deps = &p.platform.deps;
    let to_ada = Notification {
        id: deps.ids.new_id(),
        kind: NotificationType::PasswordChanged,
        audience: Audience::User(ada.id.clone()),
        org_id: None,
        data: json!({}),
    };
    let to_guest = Notification {
        id: deps.ids.new_id(),
        audience: Audience::Email {
            email: "guest@example.com".into(),
            name: Some("Grace".into()),
        },
        ..to_ada.clone()
    };
    for notification in [&to_ada, &to_ada, &to_guest, &to_guest] {
        enqueue(&*deps.queue, NOTIFICATIONS_QUEUE, notification)
            .await
            .unwrap();
    }
    assert_eq!(
        p.platform.drain_queue(NOTIFICATIONS_QUEUE).await.unwrap(),
        4
    );

    let page = inbox(&p, &ada, "").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["unread_count"], 1);

    // Each delivery's two email jobs carry one id, the email worker's idempotency
    // key; a guest (no account, no inbox) gets email only.
    let jobs = take_email_jobs(&p).await;
    let ids: BTreeMap<&str, BTreeSet<&str>> = jobs.iter().fold(BTreeMap::new(), |mut ids, job| {
        ids.entry(job.to.as_str())
            .or_default()
            .insert(job.id.as_str());
        ids
    });
    assert_eq!(jobs.len(), 4, "{jobs:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.values().all(|job_ids| job_ids.len() == 1), "{ids:?}");
    let guest = jobs.iter().find(|j| j.to == "guest@example.com").unwrap();
    assert_eq!(guest.recipient_name.as_deref(), Some("Grace"));
}

async fn notifications_inbox_is_private_paged_and_keeps_read_state(p: TestPlatform) {
    let ada = signed_in_user(&p, "ada@example.com").await;
    let bob = signed_in_user(&p, "bob@example.com").await;
    for _ in 0..25 {
        notify_user(&p, &ada).await;
    }
    notify_user(&p, &bob).await;
    p.mail().await;

    // Newest first, 20 by default, then the rest.
    let first = inbox(&p, &ada, "").await;
    assert_eq!(first["unread_count"], 25);
    assert_eq!(first["items"].as_array().unwrap().len(), 20);
    assert!(first["next_cursor"].is_string());
    let ids = all_inbox_ids(&p, &ada, "?limit=20").await;
    assert_eq!(ids.len(), 25);
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    newest_first.dedup();
    assert_eq!(ids, newest_first);

    // Bob sees only his own, and cannot touch Ada's.
    let bobs = all_inbox_ids(&p, &bob, "?limit=5").await;
    assert_eq!(bobs.len(), 1);
    assert!(!ids.contains(&bobs[0]));
    assert_eq!(mark_read(&p, &bob, &ids[0]).await, 404);
    assert_eq!(mark_read(&p, &ada, &bobs[0]).await, 404);
    assert_eq!(mark_read(&p, &ada, "not_an_id!").await, 404);
    assert_eq!(mark_read(&p, &ada, &"a".repeat(65)).await, 404);
    assert_eq!(inbox(&p, &ada, "").await["unread_count"], 25);

    // Read one; reading it again changes nothing.
    assert_eq!(mark_read(&p, &ada, &ids[3]).await, 204);
    assert_eq!(mark_read(&p, &ada, &ids[3]).await, 204);
    let page = inbox(&p, &ada, "?limit=5").await;
    assert_eq!(page["unread_count"], 24);
    assert_eq!(page["items"][3]["read"], true);
    assert_eq!(page["items"][2]["read"], false);
    let unread = all_inbox_ids(&p, &ada, "?unread_only=true&limit=7").await;
    assert_eq!(unread.len(), 24);
    assert!(!unread.contains(&ids[3]));

    for bad in [
        "?limit=0",
        "?limit=101",
        "?limit=many",
        "?unread_only=maybe",
    ] {
        let reply = p
            .authed(
                "GET",
                &format!("/v1/me/notifications{bad}"),
                &ada.token,
                None,
            )
            .await;
        assert_eq!(reply.status, 422, "{bad}: {reply:?}");
        assert_eq!(reply.problem_code(), "validation_failed");
    }
    let anonymous = p.call("GET", "/v1/me/notifications", None, &[]).await;
    assert_eq!(anonymous.status, 401);

    // Read all: everything read, whatever came before; later ones are unread.
    let read_all = p
        .authed("POST", "/v1/me/notifications/read-all", &ada.token, None)
        .await;
    assert_eq!(read_all.status, 204, "{read_all:?}");
    let page = inbox(&p, &ada, "?limit=100").await;
    assert_eq!(page["unread_count"], 0);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["read"] == true)
    );
    assert_eq!(
        all_inbox_ids(&p, &ada, "?unread_only=true").await,
        Vec::<String>::new()
    );
    assert_eq!(mark_read(&p, &ada, &ids[0]).await, 204);
    assert_eq!(inbox(&p, &ada, "").await["unread_count"], 0);

    notify_user(&p, &ada).await;
    p.mail().await;
    let unread = all_inbox_ids(&p, &ada, "?unread_only=true").await;
    assert_eq!(unread.len(), 1);
    assert!(!ids.contains(&unread[0]));
    assert_eq!(inbox(&p, &ada, "").await["unread_count"], 1);
    assert_eq!(mark_read(&p, &ada, &unread[0]).await, 204);
    assert_eq!(inbox(&p, &ada, "").await["unread_count"], 0);

    // Bob's inbox never moved.
    assert_eq!(inbox(&p, &bob, "").await["unread_count"], 1);
}
