//! Accounts and sessions end to end, through the routers, the queue, the email
//! worker and the mailbox, on the embedded backend and on the AWS-API endpoint.

use jiff::SignedDuration;
use platform_tests::{
    on_both_backends,
    platform::{Reply, TestPlatform, query_param},
};
use serde_json::{Value, json};

on_both_backends!(
    signup_confirm_and_login,
    new_device_needs_an_emailed_code,
    refresh_rotates_and_reuse_ends_the_session,
    lockout_after_three_failures_and_reset_lifts_it,
    password_change_and_logout_end_sessions,
    sessions_are_listed_paged_and_revocable,
    bad_input_gets_a_problem_never_a_500,
);

const PASSWORD: &str = "correct horse battery";

async fn login(p: &TestPlatform, email: &str, password: &str, device: &str) -> Reply {
    p.post(
        "/v1/auth/login",
        json!({ "email": email, "password": password, "device_id": device }),
    )
    .await
}

fn access(reply: &Reply) -> String {
    reply.body["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// `GET /v1/me` with the session's access token: 200 while the session lives.
async fn me_status(p: &TestPlatform, session: &Reply) -> u16 {
    p.authed("GET", "/v1/me", &access(session), None)
        .await
        .status
}

/// A refresh with the session's refresh token: 200 while it is unspent and its session lives.
async fn refresh_status(p: &TestPlatform, session: &Reply) -> u16 {
    p.post(
        "/v1/auth/refresh",
        json!({ "refresh_token": refresh_token(session) }),
    )
    .await
    .status
}

fn refresh_token(reply: &Reply) -> String {
    reply.body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

async fn signup_confirm_and_login(p: TestPlatform) {
    let signup = p
        .post(
            "/v1/auth/signup",
            json!({ "email": "  Ada@Example.com ", "password": PASSWORD, "name": "Ada Lovelace" }),
        )
        .await;
    assert_eq!(signup.status, 201, "{signup:?}");
    let user_id = signup.body["user_id"].as_str().unwrap().to_string();

    // The address is unique whatever its case.
    let again = p
        .post(
            "/v1/auth/signup",
            json!({ "email": "ADA@example.com", "password": PASSWORD, "name": "Eve" }),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.problem_code(), "email_taken");

    // Not confirmed yet: the right password is not enough.
    let early = login(&p, "ada@example.com", PASSWORD, "laptop").await;
    assert_eq!(early.status, 403);
    assert_eq!(early.problem_code(), "email_not_verified");

    // The confirmation link arrived through the queue and the email worker.
    let mail = p.last_mail("ada@example.com", "verify_email").await;
    assert!(mail.subject.contains("Confirm your email"), "{mail:?}");
    assert_eq!(mail.links.len(), 1, "{mail:?}");
    assert!(mail.links[0].starts_with("http://127.0.0.1:3000/_dev/app/verify-email?token="));
    let token = query_param(&mail.links[0], "token");
    assert!(token.len() >= 43, "a 256-bit token: {token}");

    let verified = p
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(verified.status, 200);
    assert_eq!(verified.body, json!({ "email_verified": true }));
    let spent = p
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    assert_eq!(spent.status, 400);
    assert_eq!(spent.problem_code(), "invalid_token");

    // Resending to a confirmed or unknown address says the same and sends nothing.
    let before = p.mail().await.len();
    for email in ["ada@example.com", "nobody@example.com"] {
        let resend = p
            .post("/v1/auth/verify-email/resend", json!({ "email": email }))
            .await;
        assert_eq!(resend.status, 202);
        assert_eq!(resend.body, json!({ "status": "accepted" }));
    }
    assert_eq!(p.mail().await.len(), before);

    let signed_in = login(&p, "ada@example.com", PASSWORD, "laptop").await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    assert_eq!(signed_in.body["token_type"], "Bearer");
    assert_eq!(signed_in.body["expires_in"], 900);
    assert_eq!(signed_in.body["user"]["id"], user_id.as_str());
    assert_eq!(signed_in.body["user"]["email"], "ada@example.com");
    assert_eq!(signed_in.body["user"]["email_verified"], true);
    let cookie = signed_in.header("set-cookie").expect("a refresh cookie");
    assert!(
        cookie.starts_with(&format!("__Host-refresh={};", refresh_token(&signed_in))),
        "{cookie}"
    );
    for attribute in [
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=7776000",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }

    let me = p.authed("GET", "/v1/me", &access(&signed_in), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["name"], "Ada Lovelace");
    assert_eq!(me.body["mfa_enabled"], false);

    let renamed = p
        .authed(
            "PATCH",
            "/v1/me",
            &access(&signed_in),
            Some(json!({ "name": " Ada King " })),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "Ada King");

    // Unknown email and wrong password give the same answer.
    let unknown = login(&p, "nobody@example.com", PASSWORD, "laptop").await;
    let wrong = login(&p, "ada@example.com", "not the password", "laptop").await;
    assert_eq!((unknown.status, wrong.status), (401, 401));
    assert_eq!(unknown.body, wrong.body);
}

async fn new_device_needs_an_emailed_code(p: TestPlatform) {
    p.confirmed_user("grace@example.com", PASSWORD, "Ada Lovelace")
        .await;
    // The first login remembers its device.
    assert_eq!(
        login(&p, "grace@example.com", PASSWORD, "laptop")
            .await
            .status,
        200
    );
    assert_eq!(
        login(&p, "grace@example.com", PASSWORD, "laptop")
            .await
            .status,
        200
    );

    // A new device gets a challenge and a code by email, not tokens.
    let challenge = login(&p, "grace@example.com", PASSWORD, "phone").await;
    assert_eq!(challenge.status, 202, "{challenge:?}");
    assert_eq!(challenge.body["mfa_required"], true);
    assert!(challenge.body.get("access_token").is_none());
    let challenge_id = challenge.body["challenge_id"].as_str().unwrap().to_string();
    let mail = p.last_mail("grace@example.com", "mfa_code").await;
    let code = mail.subject.split_whitespace().next().unwrap().to_string();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert!(mail.text.contains(&code));

    let wrong_code = if code == "000000" { "000001" } else { "000000" };
    let wrong = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": challenge_id, "code": wrong_code }),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.problem_code(), "invalid_code");

    let verified = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": challenge_id, "code": code }),
        )
        .await;
    assert_eq!(verified.status, 200, "{verified:?}");
    assert!(verified.body["access_token"].is_string());
    // A code works once.
    let reused = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": challenge_id, "code": code }),
        )
        .await;
    assert_eq!(reused.status, 401);
    assert_eq!(reused.problem_code(), "invalid_challenge");

    // The phone is remembered now; a login without a device id is challenged.
    assert_eq!(
        login(&p, "grace@example.com", PASSWORD, "phone")
            .await
            .status,
        200
    );
    let anonymous = p
        .post(
            "/v1/auth/login",
            json!({ "email": "grace@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(anonymous.status, 202);

    // Five wrong codes exhaust a challenge, even for the right code after them.
    let tablet = login(&p, "grace@example.com", PASSWORD, "tablet").await;
    let tablet_id = tablet.body["challenge_id"].as_str().unwrap().to_string();
    let tablet_code = p.last_mail("grace@example.com", "mfa_code").await.subject[..6].to_string();
    let wrong_code = if tablet_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..5 {
        let wrong = p
            .post(
                "/v1/auth/mfa/verify",
                json!({ "challenge_id": tablet_id, "code": wrong_code }),
            )
            .await;
        assert_eq!(wrong.status, 401);
    }
    let exhausted = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": tablet_id, "code": tablet_code }),
        )
        .await;
    assert_eq!(exhausted.status, 429);
    assert_eq!(exhausted.problem_code(), "too_many_attempts");

    // With MFA turned on, even a known device gets a code; codes expire in 10 minutes.
    let session = login(&p, "grace@example.com", PASSWORD, "laptop").await;
    let on = p
        .authed(
            "PATCH",
            "/v1/me",
            &access(&session),
            Some(json!({ "mfa_enabled": true })),
        )
        .await;
    assert_eq!(on.body["mfa_enabled"], true);
    let laptop = login(&p, "grace@example.com", PASSWORD, "laptop").await;
    assert_eq!(laptop.status, 202);
    let laptop_code = p.last_mail("grace@example.com", "mfa_code").await.subject[..6].to_string();
    p.platform.clock.advance(SignedDuration::from_mins(11));
    let late = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": laptop.body["challenge_id"], "code": laptop_code }),
        )
        .await;
    assert_eq!(late.status, 401);
    assert_eq!(late.problem_code(), "invalid_challenge");
}

async fn refresh_rotates_and_reuse_ends_the_session(p: TestPlatform) {
    p.confirmed_user("alan@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let first = login(&p, "alan@example.com", PASSWORD, "laptop").await;
    let first_refresh = refresh_token(&first);

    let second = p
        .post(
            "/v1/auth/refresh",
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(second.status, 200, "{second:?}");
    assert_ne!(refresh_token(&second), first_refresh);
    assert_eq!(second.body["user"]["email"], "alan@example.com");
    // Browsers send the cookie and no body.
    let cookie = format!("__Host-refresh={}", refresh_token(&second));
    let third = p
        .call("POST", "/v1/auth/refresh", None, &[("cookie", &cookie)])
        .await;
    assert_eq!(third.status, 200, "{third:?}");
    assert_eq!(me_status(&p, &third).await, 200);

    // The first token again: stolen. The whole session ends, every token of it.
    let replay = p
        .post(
            "/v1/auth/refresh",
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.problem_code(), "invalid_refresh_token");
    let latest = p
        .post(
            "/v1/auth/refresh",
            json!({ "refresh_token": refresh_token(&third) }),
        )
        .await;
    assert_eq!(latest.status, 401);
    let me = p.authed("GET", "/v1/me", &access(&third), None).await;
    assert_eq!(me.status, 401);
    assert_eq!(me.problem_code(), "unauthorized");

    // Access tokens last 15 minutes; sessions 90 days, however they are used.
    let fresh = login(&p, "alan@example.com", PASSWORD, "laptop").await;
    p.platform.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(me_status(&p, &fresh).await, 401);
    let mut token = refresh_token(&fresh);
    for _ in 0..3 {
        p.platform
            .clock
            .advance(SignedDuration::from_hours(24 * 29));
        let renewed = p
            .post("/v1/auth/refresh", json!({ "refresh_token": token }))
            .await;
        assert_eq!(renewed.status, 200, "{renewed:?}");
        token = refresh_token(&renewed);
    }
    p.platform.clock.advance(SignedDuration::from_hours(24 * 4));
    let expired = p
        .post("/v1/auth/refresh", json!({ "refresh_token": token }))
        .await;
    assert_eq!(
        expired.status, 401,
        "a session ends 90 days after its login"
    );
}

/// `Retry-After` is the lock's length, less the second that may have ticked since.
fn assert_retry_after(reply: &Reply, lock_secs: u64) {
    let secs: u64 = reply
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .unwrap();
    assert!(
        (lock_secs - 2..=lock_secs).contains(&secs),
        "Retry-After {secs}, lock {lock_secs}"
    );
}

async fn lockout_after_three_failures_and_reset_lifts_it(p: TestPlatform) {
    p.confirmed_user("linus@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let session = login(&p, "linus@example.com", PASSWORD, "laptop").await;

    for _ in 0..3 {
        assert_eq!(
            login(&p, "linus@example.com", "wrong password", "laptop")
                .await
                .status,
            401
        );
    }
    // Locked: even the right password is refused, with when to come back.
    let locked = login(&p, "linus@example.com", PASSWORD, "laptop").await;
    assert_eq!(locked.status, 429, "{locked:?}");
    assert_eq!(locked.problem_code(), "account_locked");
    assert_retry_after(&locked, 900);

    // The lock lifts after 15 minutes; the next one lasts twice as long.
    p.platform.clock.advance(SignedDuration::from_mins(15));
    for _ in 0..3 {
        assert_eq!(
            login(&p, "linus@example.com", "wrong password", "laptop")
                .await
                .status,
            401
        );
    }
    let locked_again = login(&p, "linus@example.com", PASSWORD, "laptop").await;
    assert_retry_after(&locked_again, 1800);

    // A password reset works while locked, lifts the lock and ends every session.
    let forgot = p
        .post(
            "/v1/auth/password/forgot",
            json!({ "email": "linus@example.com" }),
        )
        .await;
    assert_eq!(forgot.status, 202);
    let unknown = p
        .post(
            "/v1/auth/password/forgot",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!((unknown.status, &unknown.body), (202, &forgot.body));
    let mail = p.last_mail("linus@example.com", "password_reset").await;
    let token = query_param(&mail.links[0], "token");
    let short = p
        .post(
            "/v1/auth/password/reset",
            json!({ "token": token, "new_password": "short" }),
        )
        .await;
    assert_eq!(short.status, 422);
    assert_eq!(short.body["errors"][0]["field"], "new_password");
    let reset = p
        .post(
            "/v1/auth/password/reset",
            json!({ "token": token, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(reset.status, 200, "{reset:?}");
    assert_eq!(reset.body, json!({ "password_reset": true }));
    assert_eq!(
        p.post(
            "/v1/auth/password/reset",
            json!({ "token": token, "new_password": "another one!" })
        )
        .await
        .status,
        400
    );

    assert_eq!(me_status(&p, &session).await, 401);
    assert_eq!(
        login(&p, "linus@example.com", PASSWORD, "laptop")
            .await
            .status,
        401
    );
    assert_eq!(
        login(&p, "linus@example.com", "a brand new passphrase", "laptop")
            .await
            .status,
        200
    );
}

async fn password_change_and_logout_end_sessions(p: TestPlatform) {
    p.confirmed_user("barbara@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let laptop = login(&p, "barbara@example.com", PASSWORD, "laptop").await;
    let other = login(&p, "barbara@example.com", PASSWORD, "laptop").await;

    let wrong = p
        .authed(
            "POST",
            "/v1/auth/password/change",
            &access(&laptop),
            Some(json!({ "current_password": "nope nope", "new_password": "new secret phrase" })),
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.problem_code(), "invalid_current_password");
    let changed = p
        .authed(
            "POST",
            "/v1/auth/password/change",
            &access(&laptop),
            Some(json!({ "current_password": PASSWORD, "new_password": "new secret phrase" })),
        )
        .await;
    assert_eq!(changed.status, 204, "{changed:?}");
    // Every other session ended at once; this one goes on.
    assert_eq!(me_status(&p, &other).await, 401);
    assert_eq!(refresh_status(&p, &other).await, 401);
    assert_eq!(me_status(&p, &laptop).await, 200);
    assert_eq!(
        login(&p, "barbara@example.com", "new secret phrase", "laptop")
            .await
            .status,
        200
    );

    let logout = p
        .authed("POST", "/v1/auth/logout", &access(&laptop), None)
        .await;
    assert_eq!(logout.status, 204);
    assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(me_status(&p, &laptop).await, 401);
    assert_eq!(refresh_status(&p, &laptop).await, 401);
}

async fn sessions_are_listed_paged_and_revocable(p: TestPlatform) {
    p.confirmed_user("edsger@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let mut sessions = Vec::new();
    for _ in 0..5 {
        let reply = p
            .call("POST", "/v1/auth/login", Some(json!({ "email": "edsger@example.com", "password": PASSWORD, "device_id": "laptop" })), &[("user-agent", "TestBrowser/1.0")])
            .await;
        assert_eq!(reply.status, 200);
        sessions.push(access(&reply));
    }
    let current = sessions.last().unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/me/sessions?limit=2&cursor={c}"),
            None => "/v1/me/sessions?limit=2".to_string(),
        };
        let page = p.authed("GET", &path, current, None).await;
        assert_eq!(page.status, 200, "{page:?}");
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    // Newest first; only the caller's own session is current.
    assert_eq!(seen[0]["current"], true);
    assert!(seen[1..].iter().all(|s| s["current"] == false));
    assert!(seen.iter().all(|s| s["user_agent"] == "TestBrowser/1.0"));

    let victim = seen[4]["id"].as_str().unwrap();
    assert_eq!(
        p.authed(
            "DELETE",
            &format!("/v1/me/sessions/{victim}"),
            current,
            None
        )
        .await
        .status,
        204
    );
    let gone = p
        .authed(
            "DELETE",
            &format!("/v1/me/sessions/{victim}"),
            current,
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.problem_code(), "not_found");
    assert_eq!(
        p.authed("GET", "/v1/me", &sessions[0], None).await.status,
        401,
        "the revoked session's token stops at once"
    );

    // Another user cannot see or end these sessions.
    p.confirmed_user("mallory@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let mallory = login(&p, "mallory@example.com", PASSWORD, "x").await;
    let theirs = p
        .authed("GET", "/v1/me/sessions", &access(&mallory), None)
        .await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1);
    let other = seen[1]["id"].as_str().unwrap();
    assert_eq!(
        p.authed(
            "DELETE",
            &format!("/v1/me/sessions/{other}"),
            &access(&mallory),
            None
        )
        .await
        .status,
        404
    );

    let bad_limit = p
        .authed("GET", "/v1/me/sessions?limit=0", current, None)
        .await;
    assert_eq!(bad_limit.status, 422);
    let bad_cursor = p
        .authed("GET", "/v1/me/sessions?cursor=not-a-cursor", current, None)
        .await;
    assert_eq!(bad_cursor.status, 400);
    assert_eq!(bad_cursor.problem_code(), "invalid_cursor");
}

async fn bad_input_gets_a_problem_never_a_500(p: TestPlatform) {
    let p = &p;
    let raw = |body: &'static str, content_type: &'static str| async move {
        let request = axum::http::Request::post("/v1/auth/signup")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap();
        p.send(request).await
    };
    let malformed = raw("{\"email\": ", "application/json").await;
    assert_eq!(
        (malformed.status, malformed.problem_code()),
        (400, "malformed_json")
    );
    let not_json = raw("email=a", "application/x-www-form-urlencoded").await;
    assert_eq!(
        (not_json.status, not_json.problem_code()),
        (415, "unsupported_media_type")
    );
    let wrong_type = p
        .post(
            "/v1/auth/signup",
            json!({ "email": 42, "password": PASSWORD, "name": "A" }),
        )
        .await;
    assert_eq!(
        (wrong_type.status, wrong_type.problem_code()),
        (422, "validation_failed")
    );
    let missing = p
        .post("/v1/auth/signup", json!({ "email": "a@example.com" }))
        .await;
    assert_eq!(
        (missing.status, missing.problem_code()),
        (422, "validation_failed")
    );
    assert!(
        missing.body["detail"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{missing:?}"
    );
    let huge = p
        .post(
            "/v1/auth/signup",
            json!({ "email": "a@example.com", "password": "x".repeat(70_000), "name": "A" }),
        )
        .await;
    assert_eq!(
        (huge.status, huge.problem_code()),
        (413, "payload_too_large")
    );

    let invalid = p
        .post(
            "/v1/auth/signup",
            json!({ "email": "not an email", "password": "short", "name": " " }),
        )
        .await;
    assert_eq!(
        (invalid.status, invalid.problem_code()),
        (422, "validation_failed")
    );
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "name"]);

    let no_route = p.call("GET", "/v1/nothing-here", None, &[]).await;
    assert_eq!(
        (no_route.status, no_route.problem_code()),
        (404, "no_route")
    );
    let wrong_method = p.call("GET", "/v1/auth/login", None, &[]).await;
    assert_eq!(
        (wrong_method.status, wrong_method.problem_code()),
        (405, "method_not_allowed")
    );
    for token in ["", "garbage", "a.b.c"] {
        let reply = p
            .call(
                "GET",
                "/v1/me",
                None,
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_eq!((reply.status, reply.problem_code()), (401, "unauthorized"));
    }
    let no_auth = p.call("GET", "/v1/me", None, &[]).await;
    assert_eq!(no_auth.status, 401);
    let bad_refresh = p
        .call(
            "POST",
            "/v1/auth/refresh",
            Some(json!({ "refresh_token": 7 })),
            &[],
        )
        .await;
    assert_eq!(bad_refresh.status, 422);
    let no_refresh = p.call("POST", "/v1/auth/refresh", None, &[]).await;
    assert_eq!(
        (no_refresh.status, no_refresh.problem_code()),
        (401, "invalid_refresh_token")
    );
    let long_device = p
        .post(
            "/v1/auth/login",
            json!({ "email": "a@example.com", "password": PASSWORD, "device_id": "d".repeat(201) }),
        )
        .await;
    assert_eq!(long_device.status, 422);
    // Ids far longer than any key may be: unknown, not a storage error.
    let long_id = "x".repeat(2000);
    let long_challenge = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": long_id, "code": "123456" }),
        )
        .await;
    assert_eq!(
        (long_challenge.status, long_challenge.problem_code()),
        (401, "invalid_challenge")
    );
    p.confirmed_user("ids@example.com", PASSWORD, "Ada Lovelace")
        .await;
    let session = login(p, "ids@example.com", PASSWORD, "d").await;
    let long_session = p
        .authed(
            "DELETE",
            &format!("/v1/me/sessions/{long_id}"),
            &access(&session),
            None,
        )
        .await;
    assert_eq!(
        (long_session.status, long_session.problem_code()),
        (404, "not_found")
    );
    let bad_mfa = p
        .post(
            "/v1/auth/mfa/verify",
            json!({ "challenge_id": "nope", "code": "123456" }),
        )
        .await;
    assert_eq!(
        (bad_mfa.status, bad_mfa.problem_code()),
        (401, "invalid_challenge")
    );
    let _: Value = bad_mfa.body;
}
