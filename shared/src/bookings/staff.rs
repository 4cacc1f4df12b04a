//! The people who perform services (`/v1/orgs/{org_id}/staff`): managers and
//! up (`Permission::ManageSchedule`) add and edit them, any member lists them.
//!
//! A staff member is never deleted: `DELETE` deactivates them, so their
//! bookings keep naming them and services keep their id; an inactive staff
//! member gets no new bookings, and `PATCH {active: true}` brings them back.
//! Which services they perform is derived from the services' `staff_ids` (the
//! relation lives there only). An organization has at most `Capped::Staff`
//! staff members, counted in the transaction adding one.

use serde::{Deserialize, Serialize};

use super::{
    Service, ServiceStatus, StaffMember, WeeklyHours, catalog, schedule::check_weekly,
    services::list_services,
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    audit::AuditAction,
    error::{Error, FieldError, Result},
    keys,
    organizations::{profile::nullable, validate},
    paging::{Page, PageParams},
    roles::Permission,
    table::{Index, Query, SortKey, Table},
    types::{PersonName, is_id},
};

/// `POST /v1/orgs/{org_id}/staff`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaffMember {
    pub name: String,
    /// A member of the organization this staff member is.
    pub user_id: Option<String>,
    /// Their own hours; absent: the business's.
    pub weekly: Option<WeeklyHours>,
    pub active: Option<bool>,
}

/// `PATCH /v1/orgs/{org_id}/staff/{staff_id}`: the fields sent change
/// (`user_id` or `weekly` sent as `null` are cleared); `version`, when sent,
/// is the version edited (409 `edit_conflict` if it is not the current one).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffChanges {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub user_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub weekly: Option<Option<WeeklyHours>>,
    pub active: Option<bool>,
    pub version: Option<i64>,
}

/// A staff member with the services they perform: the published and draft
/// services naming them, or naming nobody (performed by everyone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffView {
    #[serde(flatten)]
    pub member: StaffMember,
    pub service_ids: Vec<String>,
}

/// Every staff member of `org_id`, active or not, in id order: a bounded read
/// (at most `Capped::Staff`).
pub async fn list_staff(table: &dyn Table, org_id: &str) -> Result<Vec<StaffMember>> {
    catalog::read_all(table, keys::staff_of(org_id)).await
}

/// Adds a staff member (`Permission::ManageSchedule`).
pub async fn add_staff(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    new: NewStaffMember,
) -> Result<StaffView> {
    require_org_permission(deps, caller, org_id, Permission::ManageSchedule).await?;
    let now = deps.clock.now();
    let draft = StaffMember {
        id: deps.ids.new_id(),
        org_id: org_id.to_string(),
        name: new.name,
        user_id: new.user_id,
        weekly: new.weekly,
        active: new.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let member = checked(&*deps.table, draft).await?;
    let summary = format!("added the staff member {}", member.name);
    catalog::create(deps, caller, &member, AuditAction::StaffAdded, summary).await?;
    view_of(&*deps.table, member).await
}

/// A page of the staff of `org_id`, each with their services (any member;
/// one read of the services serves the page).
pub async fn staff(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    page: PageParams,
) -> Result<Page<StaffView>> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    let (pk, prefix) = keys::staff_of(org_id);
    let query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(page.limit()?)
        .after(page.cursor);
    let (members, next_cursor): (Vec<StaffMember>, _) =
        crate::records::page_of(&*deps.table, &query).await?;
    let services = list_services(&*deps.table, org_id).await?;
    let items = members
        .into_iter()
        .map(|member| with_services(member, &services))
        .collect();
    Ok(Page { items, next_cursor })
}

/// One staff member with their services (any member).
pub async fn staff_member(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    staff_id: &str,
) -> Result<StaffView> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    let member = existing(&*deps.table, org_id, staff_id).await?;
    view_of(&*deps.table, member).await
}

/// Applies `changes` to a staff member (`Permission::ManageSchedule`).
pub async fn update_staff(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    staff_id: &str,
    changes: StaffChanges,
) -> Result<StaffView> {
    require_org_permission(deps, caller, org_id, Permission::ManageSchedule).await?;
    let current = existing(&*deps.table, org_id, staff_id).await?;
    catalog::check_edited_version(changes.version, current.version)?;
    let draft = StaffMember {
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        user_id: changes.user_id.unwrap_or_else(|| current.user_id.clone()),
        weekly: changes.weekly.unwrap_or_else(|| current.weekly.clone()),
        active: changes.active.unwrap_or(current.active),
        ..current.clone()
    };
    let next = checked(&*deps.table, draft).await?;
    let action = if current.active && !next.active {
        AuditAction::StaffDeactivated
    } else {
        AuditAction::StaffUpdated
    };
    let member = catalog::update(deps, caller, current, next, action, |next| {
        format!("changed the staff member {}", next.name)
    })
    .await?;
    view_of(&*deps.table, member).await
}

/// Deactivates a staff member (`Permission::ManageSchedule`).
pub async fn deactivate_staff(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    staff_id: &str,
) -> Result<StaffView> {
    require_org_permission(deps, caller, org_id, Permission::ManageSchedule).await?;
    let current = existing(&*deps.table, org_id, staff_id).await?;
    let next = StaffMember {
        active: false,
        ..current.clone()
    };
    let member = catalog::update(
        deps,
        caller,
        current,
        next,
        AuditAction::StaffDeactivated,
        |next| format!("deactivated the staff member {}", next.name),
    )
    .await?;
    view_of(&*deps.table, member).await
}

async fn existing(table: &dyn Table, org_id: &str, staff_id: &str) -> Result<StaffMember> {
    if !is_id(staff_id) {
        return Err(Error::NotFound("staff member"));
    }
    crate::records::get(table, &keys::staff_member(org_id, staff_id))
        .await?
        .ok_or(Error::NotFound("staff member"))
}

async fn view_of(table: &dyn Table, member: StaffMember) -> Result<StaffView> {
    let services = list_services(table, &member.org_id).await?;
    Ok(with_services(member, &services))
}

fn with_services(member: StaffMember, services: &[Service]) -> StaffView {
    let service_ids = services
        .iter()
        .filter(|s| matches!(s.status, ServiceStatus::Draft | ServiceStatus::Published))
        .filter(|s| s.staff_ids.is_empty() || s.staff_ids.contains(&member.id))
        .map(|s| s.id.clone())
        .collect();
    StaffView {
        member,
        service_ids,
    }
}

/// `draft` with every field checked and normalized; every problem a field error.
async fn checked(table: &dyn Table, draft: StaffMember) -> Result<StaffMember> {
    let mut errors = Vec::new();
    let name = validate::collect(&mut errors, PersonName::parse("name", &draft.name));
    if let Some(weekly) = &draft.weekly {
        check_weekly(weekly, &mut errors);
    }
    if let Some(user_id) = &draft.user_id {
        let is_member = is_id(user_id)
            && table
                .get(&keys::membership(&draft.org_id, user_id))
                .await?
                .is_some();
        if !is_member {
            errors.push(FieldError::new(
                "user_id",
                "no member of this organization has this user id",
            ));
        }
    }
    match name {
        Some(name) if errors.is_empty() => Ok(StaffMember {
            name: name.as_str().to_string(),
            ..draft
        }),
        _ => Err(Error::Validation(errors)),
    }
}
