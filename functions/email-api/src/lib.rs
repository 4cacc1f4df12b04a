//! HTTP mapping of the email log and suppressions (`shared::email::admin`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get},
};
use serde::Deserialize;
use shared::{
    Deps,
    accounts::Caller,
    email::{admin, log::EmailStatus, store::LogFilter},
    error::Result,
    http::QueryParams,
    idempotency::idempotent,
    notifications::NotificationType,
    paging::PageParams,
};

pub fn router(deps: Deps) -> Router {
    let routes = Router::new()
        .route("/v1/orgs/{org_id}/email-logs", get(org_email_logs))
        .route("/v1/admin/email-logs", get(platform_email_logs))
        .route("/v1/admin/suppressions", get(suppressions))
        .route(
            "/v1/admin/suppressions/{email}",
            idempotent(delete(lift_suppression), &deps),
        );
    shared::http::api(routes, deps)
}

/// `?status=&type=&recipient=&limit=&cursor=` of a log listing (fields spelled
/// out: `serde(flatten)` would read every query value as a string).
#[derive(Deserialize)]
struct LogQuery {
    status: Option<EmailStatus>,
    #[serde(rename = "type")]
    kind: Option<NotificationType>,
    recipient: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

impl LogQuery {
    fn split(self) -> (LogFilter, PageParams) {
        let filter = LogFilter {
            status: self.status,
            kind: self.kind,
            recipient: self.recipient,
        };
        (
            filter,
            PageParams {
                limit: self.limit,
                cursor: self.cursor,
            },
        )
    }
}

async fn org_email_logs(
    State(deps): State<Deps>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(query): QueryParams<LogQuery>,
) -> Result<Response> {
    let (filter, page) = query.split();
    Ok(Json(admin::org_email_logs(&deps, &caller, &org_id, &filter, page).await?).into_response())
}

async fn platform_email_logs(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(query): QueryParams<LogQuery>,
) -> Result<Response> {
    let (filter, page) = query.split();
    Ok(Json(admin::platform_email_logs(&deps, &caller, &filter, page).await?).into_response())
}

async fn suppressions(
    State(deps): State<Deps>,
    caller: Caller,
    QueryParams(page): QueryParams<PageParams>,
) -> Result<Response> {
    Ok(Json(admin::suppressions(&deps, &caller, page).await?).into_response())
}

async fn lift_suppression(
    State(deps): State<Deps>,
    caller: Caller,
    Path(email): Path<String>,
) -> Result<StatusCode> {
    admin::lift_suppression(&deps, &caller, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}
