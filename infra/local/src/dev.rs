//! Developer routes, served by the local runner only (never by a Lambda): the
//! mailbox of every email sent, and stand-ins for the web app's pages that
//! emailed links open, so a link in the mailbox works with one click.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use shared::{adapters::embedded::mailbox::Mailbox, http::Problem};

/// How many emails the mailbox pages show.
const MAILBOX_PAGE: u32 = 200;

pub fn router(mailbox: Arc<Mailbox>, app_url: String) -> Router {
    let mut router = Router::new()
        .route("/_dev/mail", get(mail_page))
        .route("/_dev/mail.json", get(mail_json))
        .with_state(mailbox);
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

async fn mail_json(State(mailbox): State<Arc<Mailbox>>) -> Response {
    match mailbox.list(MAILBOX_PAGE).await {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "mailbox", e.to_string())
            .into_response(),
    }
}

async fn mail_page(State(mailbox): State<Arc<Mailbox>>) -> Response {
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
