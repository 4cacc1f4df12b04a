//! The team of an organization: invitations by email, the members and their
//! roles, leaving, and handing ownership over.
//!
//! An invitation lives under its organization (`keys::invite`); its code is
//! stored only as a hash, in a lookup item (`keys::invite_code`) that outlives
//! the expiry so a late click is told "expired" rather than "unknown". A guard
//! item (`keys::pending_invite`, expiring with the invitation) allows one
//! pending invitation per address. The organization counts its owners
//! (`owner_count`); every change that takes an owner away is conditioned on
//! there being another, in the same transaction, so the last owner stays.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Organization, member_access,
    store::{self, Membership, membership_item},
};
use crate::{
    Deps,
    accounts::{self, Caller, new_token, token_hash},
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    keys,
    notifications::{self, Audience, NotificationType},
    outbox::Outbox,
    paging::{Page, PageParams},
    records::to_item,
    roles::{OrgRole, Permission},
    table::{Condition, Index, Item, Query, SortKey, TableError, Update, Write},
    types::{Email, is_id},
};

/// How long an invitation can be accepted.
pub const INVITE_LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How long a code is remembered after its invitation expired.
const SPENT_CODE_MEMORY: SignedDuration = SignedDuration::from_hours(30 * 24);

/// An invitation as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub invite_id: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An invitation as stored: with the hash of its live code.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredInvite {
    #[serde(flatten)]
    invite: Invite,
    code_hash: String,
}

/// The lookup item of a code.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct InviteCode {
    org_id: String,
    invite_id: String,
    email: String,
    role: OrgRole,
    expires_at: Timestamp,
    spent: bool,
}

/// `POST /v1/orgs/{org_id}/invites`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    pub email: String,
    pub role: OrgRole,
}

/// `PATCH /v1/orgs/{org_id}/members/{user_id}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: OrgRole,
}

/// `POST /v1/orgs/{org_id}/transfer-ownership`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipTransfer {
    pub user_id: String,
}

/// Invites `new.email` with `new.role` (`Permission::ManageTeam`; never above
/// the inviter's own role, never owner) and emails them the link.
pub async fn invite(deps: &Deps, caller: &Caller, org_id: &str, new: NewInvite) -> Result<Invite> {
    let (organization, caller_role) =
        member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let email = Email::parse("email", &new.email).map_err(|e| Error::Validation(vec![e]))?;
    if new.role == OrgRole::Owner {
        return Err(Error::validation(
            "role",
            "owners are not invited: transfer ownership to a member instead",
        ));
    }
    require_within(caller_role, new.role)?;
    let now = deps.clock.now();
    let invite = Invite {
        invite_id: deps.ids.new_id(),
        email: email.as_str().to_string(),
        role: new.role,
        invited_by: caller.user_id.clone(),
        created_at: now,
        expires_at: now + INVITE_LIFETIME,
    };
    let code = new_token();
    let guard = pending_guard(org_id, &invite)?;
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::MemberInvited,
        format!("invite:{}", invite.invite_id),
        format!("invited {} as {}", invite.email, role_name(invite.role)),
    )?;
    let mut writes = vec![Write::Put {
        item: guard,
        condition: Some(Condition::NotExists),
    }];
    writes.extend(code_writes(org_id, &invite, &code)?);
    writes.push(audit);
    let outbox = invite_outbox(deps, caller, &organization, &invite, &code).await?;
    writes.push(outbox.write(deps)?);
    match deps.table.transact(writes).await {
        Ok(()) => {}
        Err(TableError::TransactionConditionFailed { index: 0 }) => {
            return Err(Error::InvitePending);
        }
        Err(e) => return Err(e.into()),
    }
    outbox.send(deps).await;
    tracing::info!(org_id, invite_id = %invite.invite_id, "member invited");
    Ok(invite)
}

/// The guard item allowing one pending invitation per address, expiring with it.
fn pending_guard(org_id: &str, invite: &Invite) -> Result<Item> {
    let guard = json!({ "invite_id": invite.invite_id });
    Ok(to_item(
        &keys::pending_invite(org_id, &invite.email),
        &guard,
        Some(invite.expires_at.as_second()),
    )?)
}

/// The writes storing `invite` with `code` as its live code.
fn code_writes(org_id: &str, invite: &Invite, code: &str) -> Result<Vec<Write>> {
    let code_hash = token_hash(code);
    let remembered_until = (invite.expires_at + SPENT_CODE_MEMORY).as_second();
    let lookup = InviteCode {
        org_id: org_id.to_string(),
        invite_id: invite.invite_id.clone(),
        email: invite.email.clone(),
        role: invite.role,
        expires_at: invite.expires_at,
        spent: false,
    };
    let stored = StoredInvite {
        invite: invite.clone(),
        code_hash: code_hash.clone(),
    };
    Ok(vec![
        Write::Put {
            item: to_item(
                &keys::invite_code(&code_hash),
                &lookup,
                Some(remembered_until),
            )?,
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: to_item(
                &keys::invite(org_id, &invite.invite_id),
                &stored,
                Some(remembered_until),
            )?,
            condition: None,
        },
    ])
}

/// The outbox of an invitation's transaction: the email with its link.
async fn invite_outbox(
    deps: &Deps,
    caller: &Caller,
    organization: &Organization,
    invite: &Invite,
    code: &str,
) -> Result<Outbox> {
    let inviter = accounts::me(deps, caller).await?;
    let data = json!({
        "inviter_name": inviter.name,
        "role": role_name(invite.role),
        "link": format!("{}/invites/{code}", deps.config.app_url),
        "expires_at": invite.expires_at,
    });
    let audience = Audience::Email {
        email: invite.email.clone(),
        name: None,
    };
    let mut outbox = Outbox::new(deps);
    notifications::emit_in(
        &mut outbox,
        deps,
        NotificationType::Invite,
        audience,
        Some(organization.id.clone()),
        data,
    )?;
    Ok(outbox)
}

/// The organization's invitations, pending and expired (`Permission::ManageTeam`).
pub async fn list_invites(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    page: PageParams,
) -> Result<Page<Invite>> {
    member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let (stored, next_cursor) =
        page_under::<StoredInvite>(deps, keys::invites_of(org_id), page).await?;
    Ok(Page {
        items: stored.into_iter().map(|s| s.invite).collect(),
        next_cursor,
    })
}

/// Revokes an invitation: its code stops working (`Permission::ManageTeam`).
pub async fn revoke_invite(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    invite_id: &str,
) -> Result<()> {
    let (organization, _) = member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let stored = stored_invite(deps, org_id, invite_id).await?;
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::InviteRevoked,
        format!("invite:{invite_id}"),
        format!("revoked the invitation of {}", stored.invite.email),
    )?;
    let writes = vec![
        Write::Delete {
            key: keys::invite(org_id, invite_id),
            condition: Some(Condition::eq("code_hash", stored.code_hash.as_str())),
        },
        Write::Delete {
            key: keys::invite_code(&stored.code_hash),
            condition: None,
        },
        Write::Delete {
            key: keys::pending_invite(org_id, &stored.invite.email),
            condition: None,
        },
        audit,
    ];
    transact_on_invite(deps, writes).await
}

/// Sends an invitation again with a new code and a new expiry; the old code
/// stops working (`Permission::ManageTeam`).
pub async fn resend_invite(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    invite_id: &str,
) -> Result<Invite> {
    let (organization, _) = member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let stored = stored_invite(deps, org_id, invite_id).await?;
    let now = deps.clock.now();
    let invite = Invite {
        created_at: now,
        expires_at: now + INVITE_LIFETIME,
        ..stored.invite
    };
    let code = new_token();
    let guard = pending_guard(org_id, &invite)?;
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::InviteResent,
        format!("invite:{invite_id}"),
        format!("sent the invitation of {} again", invite.email),
    )?;
    let mut writes = vec![
        Write::Delete {
            key: keys::invite_code(&stored.code_hash),
            condition: Some(Condition::eq("spent", false)),
        },
        Write::Put {
            item: guard,
            condition: None,
        },
    ];
    writes.extend(code_writes(org_id, &invite, &code)?);
    writes.push(audit);
    let outbox = invite_outbox(deps, caller, &organization, &invite, &code).await?;
    writes.push(outbox.write(deps)?);
    transact_on_invite(deps, writes).await?;
    outbox.send(deps).await;
    Ok(invite)
}

/// A live (unspent) invitation of `org_id`.
async fn stored_invite(deps: &Deps, org_id: &str, invite_id: &str) -> Result<StoredInvite> {
    if !is_id(invite_id) {
        return Err(Error::NotFound("invite"));
    }
    crate::records::get(&*deps.table, &keys::invite(org_id, invite_id))
        .await?
        .ok_or(Error::NotFound("invite"))
}

/// Runs a transaction whose first write needs the invitation as it was read:
/// if it changed meanwhile (accepted, revoked, resent) it is no longer there.
async fn transact_on_invite(deps: &Deps, writes: Vec<Write>) -> Result<()> {
    match deps.table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::NotFound("invite")),
        Err(e) => Err(e.into()),
    }
}

/// Accepts the invitation behind `code` as the signed-in caller, whose email
/// must be the invited one: they become a member with the invited role.
pub async fn accept_invite(deps: &Deps, caller: &Caller, code: &str) -> Result<Membership> {
    let code_hash = token_hash(code);
    let lookup: InviteCode = crate::records::get(&*deps.table, &keys::invite_code(&code_hash))
        .await?
        .ok_or(Error::NotFound("invite"))?;
    let now = deps.clock.now();
    if lookup.spent || lookup.expires_at <= now {
        return Err(Error::InviteGone);
    }
    let account = accounts::me(deps, caller).await?;
    if account.email != lookup.email {
        return Err(Error::InviteEmailMismatch);
    }
    let organization = store::get(&*deps.table, &lookup.org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let membership = Membership {
        org_id: organization.id.clone(),
        user_id: caller.user_id.clone(),
        role: lookup.role,
        org_name: organization.name.clone(),
        org_slug: organization.slug.clone(),
        joined_at: now,
    };
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::MemberJoined,
        member_target(&caller.user_id),
        format!("{} joined as {}", account.email, role_name(membership.role)),
    )?;
    let writes = vec![
        Write::Update {
            key: keys::invite_code(&code_hash),
            update: Update::new().set("spent", true),
            condition: Some(Condition::eq("spent", false)),
        },
        Write::Put {
            item: membership_item(&membership)?,
            condition: Some(Condition::NotExists),
        },
        Write::Update {
            key: keys::organization(&organization.id),
            update: Update::new().add("member_count", 1).add("version", 1),
            condition: Some(Condition::Exists),
        },
        Write::Delete {
            key: keys::invite(&organization.id, &lookup.invite_id),
            condition: None,
        },
        Write::Delete {
            key: keys::pending_invite(&organization.id, &lookup.email),
            condition: None,
        },
        audit,
    ];
    match deps.table.transact(writes).await {
        Ok(()) => Ok(membership),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::InviteGone),
        Err(TableError::TransactionConditionFailed { index: 1 }) => Err(Error::AlreadyMember),
        Err(TableError::TransactionConditionFailed { index: 2 }) => {
            Err(Error::NotFound("organization"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The organization's members (`Permission::ViewOrganization`).
pub async fn members(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    page: PageParams,
) -> Result<Page<Membership>> {
    member_access(deps, caller, org_id, Permission::ViewOrganization).await?;
    let (items, next_cursor) = page_under(deps, keys::members_of(org_id), page).await?;
    Ok(Page { items, next_cursor })
}

/// A page of the items under a partition and sort-key prefix.
async fn page_under<T: serde::de::DeserializeOwned>(
    deps: &Deps,
    (pk, prefix): (String, String),
    page: PageParams,
) -> Result<(Vec<T>, Option<String>)> {
    let query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(page.limit()?)
        .after(page.cursor);
    Ok(crate::records::page_of(&*deps.table, &query).await?)
}

/// Gives a member another role (`Permission::ManageTeam`; neither their role
/// nor the new one above the caller's).
pub async fn change_role(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    user_id: &str,
    change: RoleChange,
) -> Result<Membership> {
    let (organization, caller_role) =
        member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let member = membership(deps, org_id, user_id).await?;
    require_within(caller_role, member.role)?;
    require_within(caller_role, change.role)?;
    let owners_by = owner_delta(member.role, change.role);
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::MemberRoleChanged,
        member_target(user_id),
        format!(
            "changed the role of {user_id} from {} to {}",
            role_name(member.role),
            role_name(change.role)
        ),
    )?;
    let writes = vec![
        owner_count_write(org_id, owners_by),
        set_role_write(&member, change.role),
        audit,
    ];
    transact_on_team(deps, writes).await?;
    Ok(Membership {
        role: change.role,
        ..member
    })
}

/// Removes a member (`Permission::ManageTeam`; not one above the caller).
pub async fn remove_member(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    user_id: &str,
) -> Result<()> {
    let (organization, caller_role) =
        member_access(deps, caller, org_id, Permission::ManageTeam).await?;
    let member = membership(deps, org_id, user_id).await?;
    require_within(caller_role, member.role)?;
    let summary = format!("removed {user_id} ({})", role_name(member.role));
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::MemberRemoved,
        member_target(user_id),
        summary,
    )?;
    end_membership(deps, &member, audit).await
}

/// The caller leaves the organization (any member).
pub async fn leave(deps: &Deps, caller: &Caller, org_id: &str) -> Result<()> {
    let (organization, _) =
        member_access(deps, caller, org_id, Permission::ViewOrganization).await?;
    let member = membership(deps, org_id, &caller.user_id).await?;
    let summary = format!("{} left ({})", caller.user_id, role_name(member.role));
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::MemberLeft,
        member_target(&caller.user_id),
        summary,
    )?;
    end_membership(deps, &member, audit).await
}

/// Deletes `member` with its share of the counters; an owner only while another remains.
async fn end_membership(deps: &Deps, member: &Membership, audit: Write) -> Result<()> {
    let owners_by = if member.role == OrgRole::Owner { -1 } else { 0 };
    let mut counters = owner_count_write(&member.org_id, owners_by);
    if let Write::Update { update, .. } = &mut counters {
        update.add.push(("member_count".into(), -1));
    }
    let writes = vec![
        counters,
        Write::Delete {
            key: keys::membership(&member.org_id, &member.user_id),
            condition: Some(Condition::eq("role", role_name(member.role))),
        },
        audit,
    ];
    transact_on_team(deps, writes).await
}

/// Makes the member `transfer.user_id` an owner and the caller, the owner
/// handing over, an admin (`Permission::TransferOwnership`).
pub async fn transfer_ownership(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    transfer: OwnershipTransfer,
) -> Result<Membership> {
    let (organization, _) =
        member_access(deps, caller, org_id, Permission::TransferOwnership).await?;
    let new_owner = membership(deps, org_id, &transfer.user_id).await?;
    if new_owner.role == OrgRole::Owner {
        return Err(Error::validation(
            "user_id",
            "this member is already an owner",
        ));
    }
    let old_owner = membership(deps, org_id, &caller.user_id).await?;
    let audit = audit(
        deps,
        caller,
        &organization,
        AuditAction::OwnershipTransferred,
        member_target(&new_owner.user_id),
        format!(
            "handed ownership from {} to {}",
            caller.user_id, new_owner.user_id
        ),
    )?;
    // The owner count stays: one owner in, one out.
    let writes = vec![
        owner_count_write(org_id, 0),
        set_role_write(&new_owner, OrgRole::Owner),
        set_role_write(&old_owner, OrgRole::Admin),
        audit,
    ];
    transact_on_team(deps, writes).await?;
    Ok(Membership {
        role: OrgRole::Owner,
        ..new_owner
    })
}

/// A member of `org_id` (the caller is known to be one).
async fn membership(deps: &Deps, org_id: &str, user_id: &str) -> Result<Membership> {
    if !is_id(user_id) {
        return Err(Error::NotFound("member"));
    }
    crate::records::get(&*deps.table, &keys::membership(org_id, user_id))
        .await?
        .ok_or(Error::NotFound("member"))
}

/// A role can hand out, change and remove only roles up to its own.
fn require_within(caller_role: OrgRole, role: OrgRole) -> Result<()> {
    if caller_role.at_least(role) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// How the owner count moves when a member's role goes `from` → `to`.
fn owner_delta(from: OrgRole, to: OrgRole) -> i64 {
    i64::from(to == OrgRole::Owner) - i64::from(from == OrgRole::Owner)
}

/// The organization's update moving the owner count by `by`, refused when it
/// would leave no owner; it also bumps the version, as every counter write does.
fn owner_count_write(org_id: &str, by: i64) -> Write {
    Write::Update {
        key: keys::organization(org_id),
        update: Update::new().add("owner_count", by).add("version", 1),
        condition: Some(Condition::Ge("owner_count".into(), (1 - by).into())),
    }
}

/// Sets a member's role, if it is still the one read.
fn set_role_write(member: &Membership, role: OrgRole) -> Write {
    Write::Update {
        key: keys::membership(&member.org_id, &member.user_id),
        update: Update::new().set("role", role_name(role)),
        condition: Some(Condition::eq("role", role_name(member.role))),
    }
}

/// Runs a team change whose first write is `owner_count_write` and whose
/// membership writes are conditioned on the roles read.
async fn transact_on_team(deps: &Deps, writes: Vec<Write>) -> Result<()> {
    match deps.table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::LastOwner),
        Err(TableError::TransactionConditionFailed { .. }) => Err(Error::EditConflict),
        Err(e) => Err(e.into()),
    }
}

fn audit(
    deps: &Deps,
    caller: &Caller,
    organization: &Organization,
    action: AuditAction,
    target: String,
    summary: String,
) -> Result<Write> {
    AuditEntry::new(deps, caller, &organization.id, action, target, summary).write()
}

fn member_target(user_id: &str) -> String {
    format!("member:{user_id}")
}

/// The role as spelled in the API and in stored items.
fn role_name(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Owner => "owner",
        OrgRole::Admin => "admin",
        OrgRole::Manager => "manager",
        OrgRole::Editor => "editor",
        OrgRole::Analyst => "analyst",
        OrgRole::Viewer => "viewer",
    }
}
