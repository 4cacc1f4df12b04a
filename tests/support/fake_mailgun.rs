//! A local stand-in for Mailgun's messages API: it answers `POST
//! /v3/{domain}/messages` as Mailgun does, records every request, and can be
//! switched to fail, so mailer and worker tests never reach the internet.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    Json, Router,
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::json;
use shared::adapters::mailgun::MailgunSettings;
use tokio::{net::TcpListener, task::JoinHandle};

/// How the fake answers the next requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Queues the message: 200 with its id.
    Accept,
    /// An outage: 500.
    Outage,
    /// Throttling: 429.
    Throttle,
    /// A refusal of this message: 400, as for an invalid address.
    Reject,
}

/// One request the fake received, whatever it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The domain in the path.
    pub domain: String,
    /// The basic-auth user and password, if any were sent.
    pub credentials: Option<(String, String)>,
    /// The form's text fields in order (a field may repeat).
    pub form: Vec<(String, String)>,
    /// The `attachment` parts: file name, content type, content.
    pub attachments: Vec<(String, String, String)>,
    /// The message id answered, if it was accepted.
    pub message_id: Option<String>,
}

impl RecordedRequest {
    /// The first value of form field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

struct FakeState {
    domain: String,
    api_key: String,
    behaviour: Mutex<Behaviour>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// A running fake; the server stops when this is dropped.
pub struct FakeMailgun {
    /// `http://127.0.0.1:<port>`, the `api_base` to give the mailer.
    pub api_base: String,
    state: Arc<FakeState>,
    server: JoinHandle<()>,
}

pub const DOMAIN: &str = "mg.platform.test";
pub const API_KEY: &str = "key-fake-0123456789abcdef";
pub const FROM: &str = "Platform <no-reply@mg.platform.test>";

impl FakeMailgun {
    /// Starts a fake serving `DOMAIN` for `API_KEY` on a free loopback port.
    pub async fn start() -> Self {
        let state = Arc::new(FakeState {
            domain: DOMAIN.to_owned(),
            api_key: API_KEY.to_owned(),
            behaviour: Mutex::new(Behaviour::Accept),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v3/{domain}/messages", post(messages))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake serves");
        });
        FakeMailgun {
            api_base: format!("http://{address}"),
            state,
            server,
        }
    }

    /// Settings that send through this fake.
    pub fn settings(&self) -> MailgunSettings {
        MailgunSettings {
            api_base: self.api_base.clone(),
            domain: DOMAIN.to_owned(),
            api_key: API_KEY.to_owned(),
            from: FROM.to_owned(),
        }
    }

    pub fn behave(&self, behaviour: Behaviour) {
        *lock(&self.state.behaviour) = behaviour;
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }
}

impl Drop for FakeMailgun {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A test that panicked while holding the lock already failed; go on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = String::from_utf8(B64.decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Mailgun's answers, with its wording.
async fn messages(
    State(state): State<Arc<FakeState>>,
    Path(domain): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let credentials = basic_credentials(&headers);
    let (form, attachments) = read_multipart(multipart).await;
    let mut requests = lock(&state.requests);
    let mut record = RecordedRequest {
        domain: domain.clone(),
        credentials: credentials.clone(),
        form,
        attachments,
        message_id: None,
    };
    let authorized = credentials == Some(("api".to_owned(), state.api_key.clone()));
    let (status, body) = if !authorized {
        (
            StatusCode::UNAUTHORIZED,
            json!({ "message": "Invalid private key" }),
        )
    } else if domain != state.domain {
        (
            StatusCode::NOT_FOUND,
            json!({ "message": format!("Domain not found: {domain}") }),
        )
    } else {
        match *lock(&state.behaviour) {
            Behaviour::Accept => {
                let id = format!("<20240503100000.{}.1@{domain}>", requests.len() + 1);
                record.message_id = Some(id.clone());
                (
                    StatusCode::OK,
                    json!({ "id": id, "message": "Queued. Thank you." }),
                )
            }
            Behaviour::Outage => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "message": "Internal Server Error" }),
            ),
            Behaviour::Throttle => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "message": "Too many requests" }),
            ),
            Behaviour::Reject => (
                StatusCode::BAD_REQUEST,
                json!({ "message": "'to' parameter is not a valid address. please check documentation" }),
            ),
        }
    };
    requests.push(record);
    (status, Json(body)).into_response()
}

/// The text fields and the file parts of a multipart form, as Mailgun reads it.
async fn read_multipart(
    mut multipart: Multipart,
) -> (Vec<(String, String)>, Vec<(String, String, String)>) {
    let (mut form, mut attachments) = (Vec::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().unwrap_or_default().to_owned();
        let value = field.text().await.unwrap_or_default();
        match file_name {
            Some(file_name) => attachments.push((file_name, content_type, value)),
            None => form.push((name, value)),
        }
    }
    (form, attachments)
}
