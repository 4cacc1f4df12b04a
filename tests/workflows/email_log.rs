//! The email log and suppressions end to end, on both backends: every email is
//! logged, provider events move it on, bounces and complaints suppress the
//! address, and only the right people can read the logs.

use jiff::Timestamp;
use platform_tests::{
    on_both_backends,
    platform::{PLATFORM_ADMIN, Reply, TestPlatform},
};
use serde_json::json;
use shared::{
    email::{
        EMAIL_QUEUE, EmailJob,
        events::{EmailEvent, EmailEventKind},
        store::{self, Applied},
    },
    keys,
    notifications::NotificationType,
    queue::enqueue,
    records::to_item,
};

on_both_backends!(
    platform_admins_read_every_email_and_others_are_refused,
    organization_admins_read_their_organization_log_only,
    provider_events_update_the_log_once_and_suppress_bounced_addresses,
    unsubscribed_addresses_still_get_security_email,
);

const PASSWORD: &str = "correct horse battery";

fn token(login: &Reply) -> String {
    login.body["access_token"].as_str().unwrap().to_string()
}

/// Sends an email job as the notifications worker does, and runs the workers.
async fn send(p: &TestPlatform, id: &str, to: &str, kind: NotificationType, org_id: Option<&str>) {
    let job = EmailJob {
        id: id.into(),
        to: to.into(),
        kind,
        recipient_name: Some("Someone".into()),
        org_id: org_id.map(str::to_string),
        org_name: org_id.map(|_| "Corner Bakery".to_string()),
        data: json!({ "amount": "€29.00", "link": "https://app.example.com/billing", "code": "123456" }),
    };
    enqueue(&*p.platform.deps.queue, EMAIL_QUEUE, &job)
        .await
        .unwrap();
    p.platform.drain_queues().await.unwrap();
}

async fn event(p: &TestPlatform, email_id: &str, event_id: &str, kind: EmailEventKind) -> Applied {
    let log = store::get_log(&*p.platform.deps.table, email_id)
        .await
        .unwrap()
        .expect("logged");
    let event = EmailEvent {
        provider: "mailgun".into(),
        event_id: event_id.into(),
        message_id: log.message_id.expect("sent"),
        recipient: log.to,
        at: Timestamp::now(),
        kind,
    };
    store::apply_event(&*p.platform.deps.table, &event, Timestamp::now())
        .await
        .unwrap()
}

async fn platform_admins_read_every_email_and_others_are_refused(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    assert_eq!(admin.body["user"]["platform_role"], "admin");
    let user = p.signed_in("user@example.com", PASSWORD, "d").await;
    assert_eq!(user.body["user"]["platform_role"], json!(null));

    let all = p
        .authed("GET", "/v1/admin/email-logs", &token(&admin), None)
        .await;
    assert_eq!(all.status, 200, "{all:?}");
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "two confirmation emails: {all:?}");
    // Newest first, sent, with the provider's message id.
    assert_eq!(items[0]["to"], "user@example.com");
    assert_eq!(items[1]["to"], PLATFORM_ADMIN);
    assert!(items.iter().all(|i| i["status"] == "sent"
        && i["type"] == "verify_email"
        && i["message_id"].is_string()));

    let filtered = p
        .authed(
            "GET",
            "/v1/admin/email-logs?recipient=USER@example.com&status=sent&type=verify_email",
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);
    let none = p
        .authed(
            "GET",
            "/v1/admin/email-logs?status=delivered",
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(none.body["items"], json!([]));
    let first = p
        .authed("GET", "/v1/admin/email-logs?limit=1", &token(&admin), None)
        .await;
    let cursor = first.body["next_cursor"].as_str().expect("a second page");
    let second = p
        .authed(
            "GET",
            &format!("/v1/admin/email-logs?limit=1&cursor={cursor}"),
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(second.body["items"][0]["to"], PLATFORM_ADMIN);
    let bad = p
        .authed(
            "GET",
            "/v1/admin/email-logs?status=lost",
            &token(&admin),
            None,
        )
        .await;
    assert_eq!((bad.status, bad.problem_code()), (422, "validation_failed"));

    for path in ["/v1/admin/email-logs", "/v1/admin/suppressions"] {
        let refused = p.authed("GET", path, &token(&user), None).await;
        assert_eq!(
            (refused.status, refused.problem_code()),
            (403, "forbidden"),
            "{path}"
        );
    }
    assert_eq!(
        p.call("GET", "/v1/admin/email-logs", None, &[])
            .await
            .status,
        401
    );
}

async fn organization_admins_read_their_organization_log_only(p: TestPlatform) {
    let owner = p.signed_in("owner@example.com", PASSWORD, "d").await;
    let viewer = p.signed_in("viewer@example.com", PASSWORD, "d").await;
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "d").await;
    // Organizations have no API until the organizations issue; seed one as it will store it.
    let org_id = "0190f2c1-7a80-7000-8000-00000000000a";
    let table = &p.platform.deps.table;
    for (login, role) in [(&owner, "owner"), (&viewer, "viewer")] {
        let user_id = login.body["user"]["id"].as_str().unwrap();
        let member = json!({ "user_id": user_id, "role": role });
        table
            .put(
                to_item(&keys::membership(org_id, user_id), &member, None).unwrap(),
                None,
            )
            .await
            .unwrap();
    }
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000e1",
        "owner@example.com",
        NotificationType::Invoice,
        Some(org_id),
    )
    .await;
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000e2",
        "owner@example.com",
        NotificationType::Invoice,
        Some("0190f2c1-7a80-7000-8000-00000000000b"),
    )
    .await;

    let path = format!("/v1/orgs/{org_id}/email-logs");
    let log = p.authed("GET", &path, &token(&owner), None).await;
    assert_eq!(log.status, 200, "{log:?}");
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only this organization's email: {log:?}");
    assert_eq!(
        (items[0]["type"].as_str(), items[0]["org_id"].as_str()),
        (Some("invoice"), Some(org_id))
    );
    assert!(
        p.last_mail("owner@example.com", "invoice")
            .await
            .subject
            .contains("Corner Bakery")
    );

    let viewer_reply = p.authed("GET", &path, &token(&viewer), None).await;
    assert_eq!(
        (viewer_reply.status, viewer_reply.problem_code()),
        (403, "forbidden")
    );
    let outsider_reply = p.authed("GET", &path, &token(&outsider), None).await;
    assert_eq!(
        (outsider_reply.status, outsider_reply.problem_code()),
        (404, "not_found")
    );
}

async fn provider_events_update_the_log_once_and_suppress_bounced_addresses(p: TestPlatform) {
    let admin = p.signed_in(PLATFORM_ADMIN, PASSWORD, "d").await;
    let id = "0190f2c1-7a80-7000-8000-0000000000f1";
    send(&p, id, "gone@example.com", NotificationType::Invoice, None).await;
    assert_eq!(
        event(&p, id, "ev-1", EmailEventKind::Opened).await,
        Applied::Updated
    );
    assert_eq!(
        event(&p, id, "ev-1", EmailEventKind::Opened).await,
        Applied::AlreadyApplied
    );
    let bounce = EmailEventKind::Failed {
        permanent: true,
        reason: "550 no such mailbox".into(),
    };
    assert_eq!(event(&p, id, "ev-2", bounce).await, Applied::Updated);

    let logs = p
        .authed(
            "GET",
            "/v1/admin/email-logs?recipient=gone@example.com",
            &token(&admin),
            None,
        )
        .await;
    let log = &logs.body["items"][0];
    assert_eq!(log["status"], "failed");
    assert_eq!(
        log["failure"],
        json!({ "permanent": true, "reason": "550 no such mailbox" })
    );
    assert_eq!(log["opened"]["count"], 1, "the replayed open counted once");

    let suppressions = p
        .authed("GET", "/v1/admin/suppressions", &token(&admin), None)
        .await;
    assert_eq!(suppressions.body["items"][0]["email"], "gone@example.com");
    assert_eq!(suppressions.body["items"][0]["reason"], "bounced");

    // A later email is logged as suppressed and never reaches the provider.
    let before = p.mail().await.len();
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000f2",
        "gone@example.com",
        NotificationType::PasswordReset,
        None,
    )
    .await;
    assert_eq!(p.mail().await.len(), before);
    let suppressed = store::get_log(
        &*p.platform.deps.table,
        "0190f2c1-7a80-7000-8000-0000000000f2",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(format!("{:?}", suppressed.status), "Suppressed");

    let lifted = p
        .authed(
            "DELETE",
            "/v1/admin/suppressions/gone@example.com",
            &token(&admin),
            None,
        )
        .await;
    assert_eq!(lifted.status, 204);
    let again = p
        .authed(
            "DELETE",
            "/v1/admin/suppressions/gone@example.com",
            &token(&admin),
            None,
        )
        .await;
    assert_eq!((again.status, again.problem_code()), (404, "not_found"));
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000f3",
        "gone@example.com",
        NotificationType::Invoice,
        None,
    )
    .await;
    assert_eq!(p.mail().await.len(), before + 1);
}

async fn unsubscribed_addresses_still_get_security_email(p: TestPlatform) {
    let id = "0190f2c1-7a80-7000-8000-0000000000d1";
    send(&p, id, "quiet@example.com", NotificationType::Invoice, None).await;
    assert_eq!(
        event(&p, id, "ev-u", EmailEventKind::Unsubscribed).await,
        Applied::Updated
    );
    let before = p.mail().await.len();
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000d2",
        "quiet@example.com",
        NotificationType::Invoice,
        None,
    )
    .await;
    assert_eq!(p.mail().await.len(), before, "no more notifications");
    send(
        &p,
        "0190f2c1-7a80-7000-8000-0000000000d3",
        "quiet@example.com",
        NotificationType::MfaCode,
        None,
    )
    .await;
    assert_eq!(
        p.mail().await.len(),
        before + 1,
        "security email still goes out"
    );
}
