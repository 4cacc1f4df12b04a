//! Reading the email log and managing suppressions: organization admins see
//! their organization's emails, platform admins see every email and the
//! suppression list.

use super::{
    log::{EmailLog, Suppression},
    store::{self, LogFilter, LogScope},
};
use crate::{
    Deps,
    access::{require_org_permission, require_platform_role},
    accounts::Caller,
    error::{Error, Result},
    paging::{Page, PageParams},
    roles::{Permission, PlatformRole},
    types::Email,
};

pub async fn org_email_logs(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    filter: &LogFilter,
    page: PageParams,
) -> Result<Page<EmailLog>> {
    require_org_permission(deps, caller, org_id, Permission::ViewEmailLog).await?;
    let limit = page.limit()?;
    let (items, next_cursor) = store::list_logs(
        &*deps.table,
        LogScope::Organization(org_id),
        filter,
        limit,
        page.cursor,
    )
    .await?;
    Ok(Page { items, next_cursor })
}

pub async fn platform_email_logs(
    deps: &Deps,
    caller: &Caller,
    filter: &LogFilter,
    page: PageParams,
) -> Result<Page<EmailLog>> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    let limit = page.limit()?;
    let (items, next_cursor) =
        store::list_logs(&*deps.table, LogScope::Platform, filter, limit, page.cursor).await?;
    Ok(Page { items, next_cursor })
}

pub async fn suppressions(
    deps: &Deps,
    caller: &Caller,
    page: PageParams,
) -> Result<Page<Suppression>> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    let (items, next_cursor) =
        store::suppressions(&*deps.table, page.limit()?, page.cursor).await?;
    Ok(Page { items, next_cursor })
}

/// Lets email reach `email` again.
pub async fn lift_suppression(deps: &Deps, caller: &Caller, email: &str) -> Result<()> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    let email = Email::parse("email", email).map_err(|e| Error::Validation(vec![e]))?;
    if !store::remove_suppression(&*deps.table, email.as_str()).await? {
        return Err(Error::NotFound("suppression"));
    }
    tracing::info!(user_id = %caller.user_id, email = %email, "suppression lifted");
    Ok(())
}
