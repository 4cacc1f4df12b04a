//! Who may do what: the checks every route makes before it acts. Organization
//! routes answer 404 to non-members (ids don't leak) and 403 to members whose
//! role is too low; platform routes answer 403 to everyone but staff.

use serde_json::Value;

use crate::{
    Deps,
    accounts::Caller,
    error::{Error, Result},
    keys,
    roles::{OrgRole, Permission, PlatformRole},
    types::is_id,
};

/// The caller's role in `org_id`, if that role grants `permission`.
pub async fn require_org_permission(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    permission: Permission,
) -> Result<OrgRole> {
    if !is_id(org_id) {
        return Err(Error::NotFound("organization"));
    }
    let membership = deps
        .table
        .get(&keys::membership(org_id, &caller.user_id))
        .await?;
    let role: OrgRole = membership
        .and_then(|m| m.get("role").cloned())
        .and_then(|r| serde_json::from_value(r).ok())
        .ok_or(Error::NotFound("organization"))?;
    if !role.can(permission) {
        return Err(Error::Forbidden);
    }
    Ok(role)
}

/// Passes when the caller is platform staff with at least `at_least`.
pub async fn require_platform_role(
    deps: &Deps,
    caller: &Caller,
    at_least: PlatformRole,
) -> Result<()> {
    let user = deps.table.get(&keys::user(&caller.user_id)).await?;
    let role: Option<PlatformRole> = user
        .and_then(|u| u.get("platform_role").cloned())
        .filter(|r| !r.is_null())
        .and_then(|r: Value| serde_json::from_value(r).ok());
    match role {
        Some(role) if role.at_least(at_least) => Ok(()),
        _ => Err(Error::Forbidden),
    }
}
