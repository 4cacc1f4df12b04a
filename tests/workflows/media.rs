//! Media uploads end to end: upload URLs for photos and videos on both
//! backends, the refusals naming what is allowed, who may ask, and on the
//! embedded backend the whole round trip through the runner's upload URLs
//! (PUT, GET back, tampered, expired, wrong type or size).

use axum::{
    body::Body,
    http::{Request, header},
};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use platform_tests::{
    on_both_backends,
    orgs::{add_member, audit_actions, register, token},
    platform::{RUNNER_URL, Reply, TestPlatform},
};
use serde_json::{Value, json};
use tower::ServiceExt;

on_both_backends!(
    photos_and_videos_get_upload_urls_in_their_organization_folder,
    refusals_name_what_is_allowed,
    viewers_are_forbidden_and_outsiders_see_nothing,
);

const PASSWORD: &str = "correct horse battery";
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n not really a png, but bytes";

async fn request_upload(p: &TestPlatform, login: &Reply, org_id: &str, body: Value) -> Reply {
    p.authed(
        "POST",
        &format!("/v1/orgs/{org_id}/media/uploads"),
        &token(login),
        Some(body),
    )
    .await
}

async fn owner_and_org(p: &TestPlatform) -> (Reply, String) {
    let owner = p.signed_in("owner@bakery.test", PASSWORD, "d").await;
    let org_id = register(p, &owner, "Corner Bakery", "corner-bakery").await;
    (owner, org_id)
}

async fn photos_and_videos_get_upload_urls_in_their_organization_folder(p: TestPlatform) {
    let (owner, org_id) = owner_and_org(&p).await;
    let audit_before = audit_actions(&p, &owner, &org_id).await;

    for (kind, content_type, size, extension) in [
        ("photo", "image/jpeg", 1, "jpg"),
        ("photo", "image/png", 10_000_000, "png"),
        ("photo", "image/webp", 2048, "webp"),
        ("video", "video/mp4", 200_000_000, "mp4"),
    ] {
        let reply = request_upload(
            &p,
            &owner,
            &org_id,
            json!({ "kind": kind, "content_type": content_type, "size": size }),
        )
        .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        let key = reply.body["key"].as_str().unwrap();
        let name = key
            .strip_prefix(&format!("orgs/{org_id}/{kind}/"))
            .unwrap_or_else(|| panic!("{key} is not in the organization's {kind} folder"));
        assert!(name.ends_with(&format!(".{extension}")), "{key}");
        let upload = &reply.body["upload"];
        assert_eq!(upload["method"], "PUT");
        assert_eq!(
            upload["headers"],
            json!({ "content-type": content_type, "content-length": size.to_string() })
        );
        assert!(upload["url"].as_str().unwrap().contains(key), "{upload}");
        let public_url = reply.body["public_url"].as_str().unwrap();
        assert!(public_url.ends_with(key), "{public_url}");
        let expires_at: Timestamp = upload["expires_at"].as_str().unwrap().parse().unwrap();
        assert!(expires_at > p.platform.deps.clock.now());
    }

    // Asking for URLs changes nothing in the organization.
    assert_eq!(audit_actions(&p, &owner, &org_id).await, audit_before);
}

async fn refusals_name_what_is_allowed(p: TestPlatform) {
    let (owner, org_id) = owner_and_org(&p).await;
    let photos = "photos must be image/jpeg, image/png or image/webp, at most 10 MB";
    let videos = "videos must be video/mp4, at most 200 MB";
    for (kind, content_type, size, allowed) in [
        ("photo", "image/gif", 10, photos),
        ("photo", "video/mp4", 10, photos),
        ("video", "image/png", 10, videos),
        ("audio", "audio/mpeg", 10, "kind must be photo or video"),
        ("photo", "image/png", 0, photos),
        ("photo", "image/png", 10_000_001, photos),
        ("video", "video/mp4", 200_000_001, videos),
    ] {
        let body = json!({ "kind": kind, "content_type": content_type, "size": size });
        let reply = request_upload(&p, &owner, &org_id, body.clone()).await;
        assert_eq!(
            (reply.status, reply.problem_code()),
            (422, "media_not_allowed"),
            "{body}"
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(allowed), "{body}: {detail}");
    }
}

async fn viewers_are_forbidden_and_outsiders_see_nothing(p: TestPlatform) {
    let (_, org_id) = owner_and_org(&p).await;
    let photo = json!({ "kind": "photo", "content_type": "image/png", "size": 10 });

    let editor = p.signed_in("editor@bakery.test", PASSWORD, "d").await;
    add_member(&p, &org_id, &editor, "editor").await;
    assert_eq!(
        request_upload(&p, &editor, &org_id, photo.clone())
            .await
            .status,
        201
    );

    let viewer = p.signed_in("viewer@bakery.test", PASSWORD, "d").await;
    add_member(&p, &org_id, &viewer, "viewer").await;
    let refused = request_upload(&p, &viewer, &org_id, photo.clone()).await;
    assert_eq!((refused.status, refused.problem_code()), (403, "forbidden"));

    let outsider = p.signed_in("outsider@other.test", PASSWORD, "d").await;
    let hidden = request_upload(&p, &outsider, &org_id, photo).await;
    assert_eq!((hidden.status, hidden.problem_code()), (404, "not_found"));
}

/// A raw request through the router: status, content type and body bytes.
async fn raw(
    p: &TestPlatform,
    method: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let path = url
        .strip_prefix(RUNNER_URL)
        .unwrap_or_else(|| panic!("{url} does not point at the runner"));
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .unwrap();
    let response = p.platform.router().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let served_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, served_type, bytes.to_vec())
}

/// The `code` of a problem body.
fn problem_code(body: &[u8]) -> String {
    let problem: Value = serde_json::from_slice(body).expect("a problem body");
    problem["code"].as_str().unwrap().to_string()
}

/// An upload URL for `PHOTO` as a PNG.
async fn png_upload(p: &TestPlatform, login: &Reply, org_id: &str) -> Reply {
    let body = json!({ "kind": "photo", "content_type": "image/png", "size": PHOTO.len() });
    let reply = request_upload(p, login, org_id, body).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_round_trip_through_the_local_runner() {
    let p = TestPlatform::embedded().await;
    let (owner, org_id) = owner_and_org(&p).await;
    let size = PHOTO.len();
    let reply = png_upload(&p, &owner, &org_id).await;
    let url = reply.body["upload"]["url"].as_str().unwrap();
    let public_url = reply.body["public_url"].as_str().unwrap();

    // Refused: another type, more or fewer bytes, a tampered signature.
    let (status, _, body) = raw(&p, "PUT", url, "image/jpeg", PHOTO).await;
    assert_eq!(
        (status, problem_code(&body)),
        (400, "wrong_content_type".into())
    );
    let mut longer = PHOTO.to_vec();
    longer.push(0);
    let (status, _, body) = raw(&p, "PUT", url, "image/png", &longer).await;
    assert_eq!(
        (status, problem_code(&body)),
        (413, "upload_too_large".into())
    );
    let (status, _, body) = raw(&p, "PUT", url, "image/png", &PHOTO[1..]).await;
    assert_eq!(
        (status, problem_code(&body)),
        (400, "wrong_upload_size".into())
    );
    let bigger = url.replace(&format!("size={size}"), &format!("size={}", size + 1));
    let (status, _, body) = raw(&p, "PUT", &bigger, "image/png", &longer).await;
    assert_eq!(
        (status, problem_code(&body)),
        (403, "invalid_upload_signature".into())
    );
    let (status, ..) = raw(&p, "GET", public_url, "", b"").await;
    assert_eq!(status, 404, "nothing was stored");

    // Accepted with exactly the returned headers, then served back.
    let (status, _, body) = raw(&p, "PUT", url, "image/png", PHOTO).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, served_type, body) = raw(&p, "GET", public_url, "", b"").await;
    assert_eq!((status, served_type.as_str()), (200, "image/png"));
    assert_eq!(body, PHOTO);
    assert!(
        p.dir
            .path()
            .join("uploads")
            .join(reply.body["key"].as_str().unwrap())
            .is_file()
    );

    // The profile takes the public URL.
    let patched = p
        .authed(
            "PATCH",
            &format!("/v1/orgs/{org_id}"),
            &token(&owner),
            Some(json!({ "photos": [public_url] })),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");

    // A URL not used in time expires.
    let late = png_upload(&p, &owner, &org_id).await;
    p.platform.clock.advance(SignedDuration::from_mins(16));
    let late_url = late.body["upload"]["url"].as_str().unwrap();
    let (status, _, body) = raw(&p, "PUT", late_url, "image/png", PHOTO).await;
    assert_eq!(
        (status, problem_code(&body)),
        (403, "upload_url_expired".into())
    );
}
