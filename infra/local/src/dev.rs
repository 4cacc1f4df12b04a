//! Developer routes, served by the local runner only (never by a Lambda): the
//! mailbox of every email sent; stand-ins for the web app's pages that emailed
//! links open, so a link in the mailbox works with one click; the upload URLs
//! of the embedded `Uploads` (PUT a file, GET it back); the platform's clock,
//! which a developer moves to see tomorrow's reminders today; and the
//! scheduled functions, fired on demand.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::{
    adapters::embedded::{
        mailbox::Mailbox,
        uploads::{EmbeddedUploads, UploadRefused, UploadSignature},
    },
    clock::{Clock, ShiftedClock},
    http::{JsonBody, Problem},
    media::MAX_UPLOAD_BYTES,
};

use crate::schedule::{ScheduleError, Schedules};

#[derive(Clone)]
pub struct DevState {
    pub mailbox: Arc<Mailbox>,
    pub clock: Arc<ShiftedClock>,
    pub schedules: Arc<Schedules>,
    pub uploads: Arc<EmbeddedUploads>,
}

/// How many emails the mailbox pages show.
const MAILBOX_PAGE: u32 = 200;

pub fn router(state: DevState, app_url: &str) -> Router {
    let uploads = uploads_router(state.uploads.clone());
    let mut router = Router::new()
        .route("/_dev/mail", get(mail_page))
        .route("/_dev/mail.json", get(mail_json))
        .route(
            "/_dev/clock",
            get(clock).post(set_clock).delete(reset_clock),
        )
        .route("/_dev/schedules", get(schedules))
        .route("/_dev/schedules/{function}/run", post(run_schedule))
        .with_state(state)
        .merge(uploads);
    // The app stand-ins, unless links point at a real web app elsewhere.
    if app_url.ends_with("/_dev/app") {
        router = router
            .route(
                "/_dev/app/verify-email",
                get(|| async { Html(include_str!("pages/verify-email.html")) }),
            )
            .route(
                "/_dev/app/reset-password",
                get(|| async { Html(include_str!("pages/reset-password.html")) }),
            );
    }
    router
}

async fn mail_json(State(DevState { mailbox, .. }): State<DevState>) -> Response {
    match mailbox.list(MAILBOX_PAGE).await {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "mailbox", e.to_string())
            .into_response(),
    }
}

async fn mail_page(State(DevState { mailbox, .. }): State<DevState>) -> Response {
    let entries = match mailbox.list(MAILBOX_PAGE).await {
        Ok(entries) => entries,
        Err(e) => {
            return Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "mailbox", e.to_string())
                .into_response();
        }
    };
    let mut env = minijinja::Environment::new();
    env.add_template("mailbox.html", include_str!("pages/mailbox.html"))
        .expect("the mailbox page parses");
    let page = env
        .get_template("mailbox.html")
        .and_then(|t| t.render(minijinja::context! { entries }));
    match page {
        Ok(html) => Html(html).into_response(),
        Err(e) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "mailbox", e.to_string())
            .into_response(),
    }
}

/// The platform's time, and how far it is from real time.
#[derive(Serialize)]
struct ClockView {
    now: Timestamp,
    offset_secs: i64,
}

fn clock_view(clock: &ShiftedClock) -> Json<ClockView> {
    let now = clock.now();
    Json(ClockView {
        now,
        offset_secs: now.duration_since(Timestamp::now()).as_secs(),
    })
}

async fn clock(State(state): State<DevState>) -> Json<ClockView> {
    clock_view(&state.clock)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    /// RFC 3339; every function sees time run on from here.
    now: Timestamp,
}

async fn set_clock(
    State(state): State<DevState>,
    JsonBody(set): JsonBody<SetClock>,
) -> Json<ClockView> {
    state.clock.set(set.now);
    clock_view(&state.clock)
}

async fn reset_clock(State(state): State<DevState>) -> Json<ClockView> {
    state.clock.reset();
    clock_view(&state.clock)
}

#[derive(Serialize)]
struct ScheduleView {
    function: String,
    rate_secs: u64,
}

async fn schedules(State(state): State<DevState>) -> Json<Vec<ScheduleView>> {
    Json(
        state
            .schedules
            .list()
            .into_iter()
            .map(|(function, rate)| ScheduleView {
                function,
                rate_secs: rate.as_secs(),
            })
            .collect(),
    )
}

async fn run_schedule(State(state): State<DevState>, Path(function): Path<String>) -> Response {
    match state.schedules.run(&function).await {
        Ok(report) => {
            Json(serde_json::json!({ "function": function, "report": report })).into_response()
        }
        Err(error @ ScheduleError::Unknown(_)) => {
            Problem::new(StatusCode::NOT_FOUND, "not_found", error.to_string()).into_response()
        }
        Err(error) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "schedule_failed",
            error.to_string(),
        )
        .into_response(),
    }
}

fn uploads_router(uploads: Arc<EmbeddedUploads>) -> Router {
    Router::new()
        .route("/_dev/uploads/{*key}", get(read_upload).put(accept_upload))
        .layer(DefaultBodyLimit::max(
            usize::try_from(MAX_UPLOAD_BYTES).unwrap_or(usize::MAX),
        ))
        .with_state(uploads)
}

/// A PUT to an upload URL, as S3 would take a presigned one.
async fn accept_upload(
    State(uploads): State<Arc<EmbeddedUploads>>,
    Path(key): Path<String>,
    signed: Result<Query<UploadSignature>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(Query(signed)) = signed else {
        return upload_refused(UploadRefused::BadSignature);
    };
    let Ok(body) = body else {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            format!("no upload is larger than {MAX_UPLOAD_BYTES} bytes"),
        )
        .into_response();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match uploads
        .accept_put(&key, &signed, content_type, body.to_vec())
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(refused) => upload_refused(refused),
    }
}

fn upload_refused(refused: UploadRefused) -> Response {
    let (status, code) = match &refused {
        UploadRefused::BadKey => (StatusCode::BAD_REQUEST, "invalid_upload_key"),
        UploadRefused::BadSignature => (StatusCode::FORBIDDEN, "invalid_upload_signature"),
        UploadRefused::Expired => (StatusCode::FORBIDDEN, "upload_url_expired"),
        UploadRefused::WrongType(_) => (StatusCode::BAD_REQUEST, "wrong_content_type"),
        UploadRefused::WrongSize { allowed, sent } if sent > allowed => {
            (StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large")
        }
        UploadRefused::WrongSize { .. } => (StatusCode::BAD_REQUEST, "wrong_upload_size"),
        UploadRefused::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "upload_storage"),
    };
    Problem::new(status, code, refused.to_string()).into_response()
}

async fn read_upload(
    State(uploads): State<Arc<EmbeddedUploads>>,
    Path(key): Path<String>,
) -> Response {
    match uploads.read(&key).await {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => Problem::new(StatusCode::NOT_FOUND, "not_found", "no such upload").into_response(),
    }
}
