//! The whole platform as `cargo dev` builds it, on either backend, driven
//! through its router as a client would over HTTP.

use std::sync::Arc;

use axum::{Router, body::Body, http::Request};
use http_body_util::BodyExt;
use local::{Backend, Options, Platform};
use serde_json::Value;
use shared::{
    Config,
    adapters::{embedded::mailbox::MailboxEntry, mailgun::MailgunSettings},
};
use tempfile::TempDir;
use tower::ServiceExt;

/// The Mailgun webhook signing key of every test platform.
pub const MAILGUN_WEBHOOK_KEY: &str = "test-mailgun-webhook-signing-key";

/// The address every test platform believes it runs at (upload URLs name it).
pub const RUNNER_URL: &str = "http://127.0.0.1:3000";

/// The platform admin every test platform is configured with (`PLATFORM_ADMINS`).
pub const PLATFORM_ADMIN: &str = "admin@platform.test";

pub struct TestPlatform {
    pub platform: Arc<Platform>,
    router: Router,
    pub dir: Arc<TempDir>,
}

/// One response: status, headers and the JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `code` of a problem-details body, checking it is one.
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["status"], self.status, "{self:?}");
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{self:?}"
        );
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl TestPlatform {
    /// On embedded state in a fresh directory.
    pub async fn embedded() -> Self {
        Self::in_dir(
            Arc::new(tempfile::tempdir().expect("temp dir")),
            Backend::Embedded,
        )
        .await
    }

    /// On the AWS-API endpoint, with a table and queues of its own.
    pub async fn aws() -> Self {
        crate::aws::endpoint();
        let backend = Backend::Aws {
            table_name: crate::aws::unique_name("table"),
            queue_prefix: crate::aws::unique_name("q"),
            mail_from: "no-reply@platform.test".into(),
        };
        Self::in_dir(Arc::new(tempfile::tempdir().expect("temp dir")), backend).await
    }

    /// A platform on `dir`: a second one on the same directory is a restart.
    pub async fn in_dir(dir: Arc<TempDir>, backend: Backend) -> Self {
        Self::start(dir, backend, None).await
    }

    /// A platform sending through Mailgun (`settings` point at a fake one).
    pub async fn with_mailgun(settings: MailgunSettings) -> Self {
        Self::start(
            Arc::new(tempfile::tempdir().expect("temp dir")),
            Backend::Embedded,
            Some(settings),
        )
        .await
    }

    async fn start(dir: Arc<TempDir>, backend: Backend, mailgun: Option<MailgunSettings>) -> Self {
        let options = Options {
            data_dir: dir.path().to_path_buf(),
            config: Config::new("http://127.0.0.1:3000/_dev/app", PLATFORM_ADMIN),
            runner_url: RUNNER_URL.into(),
            backend,
            mailgun,
            mailgun_webhook_signing_key: Some(MAILGUN_WEBHOOK_KEY.as_bytes().to_vec()),
        };
        let platform = Arc::new(Platform::start(options).await.expect("the platform starts"));
        let router = platform.router();
        TestPlatform {
            platform,
            router,
            dir,
        }
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(json) => request
                .header("content-type", "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.expect("a valid request")).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        send_to(self.router.clone(), request).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body), &[]).await
    }

    /// A request as a signed-in user.
    pub async fn authed(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let bearer = format!("Bearer {token}");
        self.call(method, path, body, &[("authorization", &bearer)])
            .await
    }

    /// Signs `email` up and confirms it with the link from the mailbox, as a
    /// person would; returns the user id.
    pub async fn confirmed_user(&self, email: &str, password: &str, name: &str) -> String {
        let signup = self
            .post(
                "/v1/auth/signup",
                serde_json::json!({ "email": email, "password": password, "name": name }),
            )
            .await;
        assert_eq!(signup.status, 201, "{signup:?}");
        let mail = self.last_mail(email, "verify_email").await;
        let token = query_param(&mail.links[0], "token");
        let verified = self
            .post(
                "/v1/auth/verify-email",
                serde_json::json!({ "token": token }),
            )
            .await;
        assert_eq!(verified.status, 200, "{verified:?}");
        signup.body["user_id"]
            .as_str()
            .expect("a user id")
            .to_string()
    }

    /// Signs up, confirms and logs in `email` from `device`; returns the login
    /// reply (tokens and user).
    pub async fn signed_in(&self, email: &str, password: &str, device: &str) -> Reply {
        self.confirmed_user(email, password, "Test User").await;
        self.log_in(email, password, device).await
    }

    /// Logs an existing account in from `device` (a device it used before
    /// needs no emailed code); returns the login reply.
    pub async fn log_in(&self, email: &str, password: &str, device: &str) -> Reply {
        let login = self
            .post(
                "/v1/auth/login",
                serde_json::json!({ "email": email, "password": password, "device_id": device }),
            )
            .await;
        assert_eq!(login.status, 200, "{login:?}");
        login
    }

    /// Runs the queue workers until the queues are empty, then lists the
    /// mailbox, newest first.
    pub async fn mail(&self) -> Vec<MailboxEntry> {
        self.platform
            .drain_queues()
            .await
            .expect("the queues drain");
        self.platform
            .mailbox
            .list(1000)
            .await
            .expect("the mailbox lists")
    }

    /// The newest email of `kind` to `to`.
    pub async fn last_mail(&self, to: &str, kind: &str) -> MailboxEntry {
        self.mail()
            .await
            .into_iter()
            .find(|m| m.to == to && m.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} email to {to}"))
    }
}

/// Sends a request to `router`: status, headers and the JSON body (Null when
/// empty or not JSON).
pub async fn send_to(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.expect("the router answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}
