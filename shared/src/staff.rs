//! Platform staff: the roles (moderator, admin) platform admins grant and
//! remove. A role lives on the user's profile (`platform_role`, what access
//! checks read) and in the staff list (`keys::platform_staff`, what platform
//! notifications fan out to); both change in one transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    Deps,
    access::require_platform_role,
    accounts::Caller,
    error::{Error, Result},
    keys,
    records::to_item,
    roles::PlatformRole,
    table::{Condition, TableError, Update, Write},
    types::is_id,
};

/// The role a platform admin gives someone; `none` removes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleGrant {
    Moderator,
    Admin,
    None,
}

/// `PUT /v1/admin/users/{user_id}/platform-role`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformRoleRequest {
    pub role: RoleGrant,
}

/// A user's platform role after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub user_id: String,
    pub platform_role: Option<PlatformRole>,
}

/// The writes giving `user_id` the platform `role` (or none): the profile's
/// role, conditioned on the user existing (the first write), and the staff list.
pub fn role_writes(user_id: &str, role: Option<PlatformRole>) -> Result<Vec<Write>> {
    let user = |update| Write::Update {
        key: keys::user(user_id),
        update,
        condition: Some(Condition::Exists),
    };
    Ok(match role {
        Some(role) => vec![
            user(Update::new().set("platform_role", json!(role))),
            Write::Put {
                item: to_item(
                    &keys::platform_staff(user_id),
                    &json!({ "user_id": user_id, "role": role }),
                    None,
                )?,
                condition: None,
            },
        ],
        None => vec![
            user(Update::new().remove("platform_role")),
            Write::Delete {
                key: keys::platform_staff(user_id),
                condition: None,
            },
        ],
    })
}

/// Sets `user_id`'s platform role (platform admins); an admin cannot remove
/// their own admin role, so the platform always keeps one.
pub async fn set_platform_role(
    deps: &Deps,
    caller: &Caller,
    user_id: &str,
    request: PlatformRoleRequest,
) -> Result<StaffMember> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    let role = match request.role {
        RoleGrant::Moderator => Some(PlatformRole::Moderator),
        RoleGrant::Admin => Some(PlatformRole::Admin),
        RoleGrant::None => None,
    };
    if user_id == caller.user_id && role != Some(PlatformRole::Admin) {
        return Err(Error::OwnAdminRole);
    }
    if !is_id(user_id) {
        return Err(Error::NotFound("user"));
    }
    match deps.table.transact(role_writes(user_id, role)?).await {
        Ok(()) => {}
        Err(TableError::TransactionConditionFailed { index: 0 }) => {
            return Err(Error::NotFound("user"));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(%user_id, by = %caller.user_id, ?role, "platform role set");
    Ok(StaffMember {
        user_id: user_id.to_string(),
        platform_role: role,
    })
}
