//! The audit log: who changed what in an organization, and when.
//!
//! Every change writes its entry as one more `Write` of the change's own
//! transaction, so an entry exists exactly when its change does. An entry sits
//! under its organization (`keys::audit_entry`) and in the platform-wide log
//! (GSI1 `keys::ALL_AUDIT`); ids sort by time, so newest first is backward.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    Deps,
    access::{require_org_permission, require_platform_role},
    accounts::Caller,
    error::Result,
    keys,
    paging::{Page, PageParams},
    records::to_item,
    roles::{Permission, PlatformRole},
    table::{Index, Query, SortKey, Write},
};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    OrganizationCreated,
    ProfileUpdated,
    MemberInvited,
    InviteRevoked,
    InviteResent,
    MemberJoined,
    MemberRoleChanged,
    MemberRemoved,
    MemberLeft,
    OwnershipTransferred,
    VerificationSubmitted,
    VerificationApproved,
    VerificationRejected,
    // The bookings catalog (bookings::{services, schedule, staff}).
    ServiceCreated,
    ServiceUpdated,
    ServiceArchived,
    ScheduleUpdated,
    StaffAdded,
    StaffUpdated,
    StaffDeactivated,
    // Bookings (bookings::booking).
    BookingCreated,
    OnboardingActivated,
    OnboardingCompleted,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub org_id: String,
    pub actor_user_id: String,
    pub action: AuditAction,
    /// What the action was done to, e.g. `organization:<id>`.
    pub target: String,
    /// A human-readable account of the change.
    pub summary: String,
    pub at: Timestamp,
}

impl AuditEntry {
    /// A new entry by `caller` in `org_id`, stamped now.
    pub fn new(
        deps: &Deps,
        caller: &Caller,
        org_id: &str,
        action: AuditAction,
        target: String,
        summary: String,
    ) -> Self {
        Self::by_user(deps, &caller.user_id, org_id, action, target, summary)
    }

    /// A new entry by the user `actor_user_id`, who may have no session yet
    /// (an owner activating their account), in `org_id`, stamped now.
    pub fn by_user(
        deps: &Deps,
        actor_user_id: &str,
        org_id: &str,
        action: AuditAction,
        target: String,
        summary: String,
    ) -> Self {
        AuditEntry {
            id: deps.ids.new_id(),
            org_id: org_id.to_string(),
            actor_user_id: actor_user_id.to_string(),
            action,
            target,
            summary,
            at: deps.clock.now(),
        }
    }

    /// The write adding this entry, for the transaction of the change it records.
    pub fn write(&self) -> Result<Write> {
        let mut item = to_item(&keys::audit_entry(&self.org_id, &self.id), self, None)?;
        item.insert("gsi1pk".into(), keys::ALL_AUDIT.into());
        item.insert("gsi1sk".into(), self.id.clone().into());
        Ok(Write::Put {
            item,
            condition: None,
        })
    }
}

/// An organization's audit log, newest first (`Permission::ViewAudit`).
pub async fn org_audit(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    page: PageParams,
) -> Result<Page<AuditEntry>> {
    require_org_permission(deps, caller, org_id, Permission::ViewAudit).await?;
    let (pk, prefix) = keys::audit_of(org_id);
    let query = Query::new(Index::Table, pk).sk(SortKey::BeginsWith(prefix));
    newest_first(deps, query, page).await
}

/// Every organization's audit log, newest first (platform admins).
pub async fn platform_audit(
    deps: &Deps,
    caller: &Caller,
    page: PageParams,
) -> Result<Page<AuditEntry>> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    newest_first(deps, Query::new(Index::Gsi1, keys::ALL_AUDIT), page).await
}

async fn newest_first(deps: &Deps, query: Query, page: PageParams) -> Result<Page<AuditEntry>> {
    let query = query.backward().limit(page.limit()?).after(page.cursor);
    let (items, next_cursor) = crate::records::page_of(&*deps.table, &query).await?;
    Ok(Page { items, next_cursor })
}
