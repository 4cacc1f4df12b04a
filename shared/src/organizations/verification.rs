//! Verification: an organization asks the platform to check it, moderators
//! approve (it goes public) or reject it (with a reason it can fix and
//! resubmit), and every step stays in the organization's history.
//!
//! Each step is one transaction: the profile (conditioned on the version read,
//! so two moderators cannot both decide), the history entry, the request in the
//! moderators' queue (`keys::verification_request`, listed by status through
//! GSI1) and the audit entry. Notifications follow the commit.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    OrgStatus, Organization, VerificationStatus, member_access, onboarding::Onboarding, store,
};
use crate::{
    Deps,
    access::require_platform_role,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, FieldError, Result},
    keys,
    notifications::{Audience, NotificationType, emit_in},
    outbox::Outbox,
    paging::{Page, PageParams},
    records::{from_item, to_item},
    roles::{OrgRole, Permission, PlatformRole},
    table::{Index, Query, SortKey, Write},
    types::is_id,
};

const MAX_COMMENT_CHARS: usize = 2000;

/// What happened in one step of an organization's verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryAction {
    Submitted,
    Approved,
    Rejected,
}

/// One step of an organization's verification history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: String,
    pub action: HistoryAction,
    pub actor_user_id: String,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// An organization's verification as its members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationView {
    pub status: VerificationStatus,
    pub comment: Option<String>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
}

/// An organization's request as moderators list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRequest {
    pub org_id: String,
    pub org_name: String,
    pub org_slug: String,
    pub status: VerificationStatus,
    pub submitted_by: String,
    pub submitted_at: Timestamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub comment: Option<String>,
}

/// `?status=&limit=&cursor=` of the moderators' list (`submitted` by default).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RequestsQuery {
    pub status: Option<VerificationStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// `POST /v1/admin/orgs/{org_id}/verification`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    #[serde(default)]
    pub comment: Option<String>,
}

impl VerificationStatus {
    /// The status as spelled in the API and in index keys.
    fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::NotSubmitted => "not_submitted",
            VerificationStatus::Submitted => "submitted",
            VerificationStatus::Approved => "approved",
            VerificationStatus::Rejected => "rejected",
        }
    }
}

impl HistoryAction {
    fn audit_action(self) -> AuditAction {
        match self {
            HistoryAction::Submitted => AuditAction::VerificationSubmitted,
            HistoryAction::Approved => AuditAction::VerificationApproved,
            HistoryAction::Rejected => AuditAction::VerificationRejected,
        }
    }
}

impl HistoryEntry {
    fn new(deps: &Deps, caller: &Caller, action: HistoryAction, comment: Option<String>) -> Self {
        HistoryEntry {
            id: deps.ids.new_id(),
            action,
            actor_user_id: caller.user_id.clone(),
            comment,
            at: deps.clock.now(),
        }
    }

    fn write(&self, org_id: &str) -> Result<Write> {
        let key = keys::verification_history_entry(org_id, &self.id);
        Ok(Write::Put {
            item: to_item(&key, self, None)?,
            condition: None,
        })
    }
}

impl VerificationRequest {
    /// The write placing this request in the list of its status, after the
    /// requests of that status written before `entry` (the step that put it there).
    fn write(&self, entry: &HistoryEntry) -> Result<Write> {
        let mut item = to_item(&keys::verification_request(&self.org_id), self, None)?;
        item.insert(
            "gsi1pk".into(),
            keys::verification_requests(self.status.as_str()).into(),
        );
        item.insert("gsi1sk".into(), entry.id.clone().into());
        Ok(Write::Put {
            item,
            condition: None,
        })
    }
}

/// The required checklist steps not done yet, one field error each.
fn missing_steps(org: &Organization) -> Vec<FieldError> {
    let checklist = Onboarding::of(org);
    let steps = [
        (
            checklist.profile_complete,
            "profile",
            "add a description and an address",
        ),
        (
            checklist.contacts_complete,
            "contacts",
            "add a phone number or an email address",
        ),
        (
            checklist.photos_uploaded,
            "photos",
            "add at least one photo",
        ),
    ];
    steps
        .into_iter()
        .filter(|(done, _, _)| !done)
        .map(|(_, field, message)| FieldError::new(field, message))
        .collect()
}

/// Submits `org_id` for verification (`Permission::SubmitVerification`): the
/// required checklist steps must be done, and a rejected organization may
/// submit again.
pub async fn submit(deps: &Deps, caller: &Caller, org_id: &str) -> Result<VerificationView> {
    let (current, _) = member_access(deps, caller, org_id, Permission::SubmitVerification).await?;
    match current.verification_status {
        VerificationStatus::Submitted => return Err(Error::VerificationPending),
        VerificationStatus::Approved => return Err(Error::AlreadyVerified),
        VerificationStatus::NotSubmitted | VerificationStatus::Rejected => {}
    }
    let missing = missing_steps(&current);
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let entry = HistoryEntry::new(deps, caller, HistoryAction::Submitted, None);
    let request = VerificationRequest {
        org_id: current.id.clone(),
        org_name: current.name.clone(),
        org_slug: current.slug.clone(),
        status: VerificationStatus::Submitted,
        submitted_by: caller.user_id.clone(),
        submitted_at: entry.at,
        decided_by: None,
        decided_at: None,
        comment: None,
    };
    let next = Organization {
        verification_status: VerificationStatus::Submitted,
        verification_comment: None,
        updated_at: entry.at,
        ..current.clone()
    };
    let audit = AuditEntry::new(
        deps,
        caller,
        org_id,
        HistoryAction::Submitted.audit_action(),
        current.target(),
        "submitted for verification".into(),
    );
    let mut outbox = Outbox::new(deps);
    let link = format!("{}/admin/verifications/{org_id}", deps.config.app_url);
    emit_in(
        &mut outbox,
        deps,
        NotificationType::VerificationSubmitted,
        Audience::Platform(PlatformRole::Moderator),
        Some(org_id.to_string()),
        json!({ "link": link }),
    )?;
    let writes = vec![
        entry.write(org_id)?,
        request.write(&entry)?,
        audit.write()?,
        outbox.write(deps)?,
    ];
    let saved = store::replace(&*deps.table, &current, next, writes).await?;
    outbox.send(deps).await;
    tracing::info!(%org_id, user_id = %caller.user_id, "verification submitted");
    view_of(deps, &saved).await
}

/// The verification status, comment and history of `org_id`, for any member.
pub async fn verification(deps: &Deps, caller: &Caller, org_id: &str) -> Result<VerificationView> {
    let (organization, _) =
        member_access(deps, caller, org_id, Permission::ViewOrganization).await?;
    view_of(deps, &organization).await
}

async fn view_of(deps: &Deps, org: &Organization) -> Result<VerificationView> {
    let (pk, prefix) = keys::verification_history_of(&org.id);
    let mut history = Vec::new();
    let mut cursor = None;
    // Two entries per attempt: the whole history is small.
    loop {
        let query = Query::new(Index::Table, pk.clone())
            .sk(SortKey::BeginsWith(prefix.clone()))
            .after(cursor);
        let page = deps.table.query(&query).await?;
        for item in page.items {
            history.push(from_item(item)?);
        }
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(VerificationView {
        status: org.verification_status,
        comment: org.verification_comment.clone(),
        history,
    })
}

/// The verification requests in `status` (the queue of `submitted` ones by
/// default), oldest first, for platform moderators.
pub async fn requests(
    deps: &Deps,
    caller: &Caller,
    query: RequestsQuery,
) -> Result<Page<VerificationRequest>> {
    require_platform_role(deps, caller, PlatformRole::Moderator).await?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let status = query.status.unwrap_or(VerificationStatus::Submitted);
    let index_query = Query::new(Index::Gsi1, keys::verification_requests(status.as_str()))
        .limit(page.limit()?)
        .after(page.cursor);
    let (items, next_cursor) = crate::records::page_of(&*deps.table, &index_query).await?;
    Ok(Page { items, next_cursor })
}

/// A moderator's decision on the submitted organization `org_id`: approval
/// makes it active and public, rejection needs a comment saying what to fix.
/// The owners are notified either way.
pub async fn decide(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    request: DecisionRequest,
) -> Result<VerificationView> {
    require_platform_role(deps, caller, PlatformRole::Moderator).await?;
    let comment = decision_comment(&request)?;
    if !is_id(org_id) {
        return Err(Error::NotFound("organization"));
    }
    let current = store::get(&*deps.table, org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    if current.verification_status != VerificationStatus::Submitted {
        return Err(Error::VerificationNotSubmitted);
    }
    let queued: VerificationRequest =
        crate::records::get(&*deps.table, &keys::verification_request(org_id))
            .await?
            .ok_or_else(|| {
                Error::Internal(format!("submitted organization {org_id} has no request"))
            })?;

    let action = match request.decision {
        Decision::Approve => HistoryAction::Approved,
        Decision::Reject => HistoryAction::Rejected,
    };
    let entry = HistoryEntry::new(deps, caller, action, comment.clone());
    let next = match request.decision {
        Decision::Approve => Organization {
            verification_status: VerificationStatus::Approved,
            verification_comment: None,
            public_visible: true,
            status: OrgStatus::Active,
            updated_at: entry.at,
            ..current.clone()
        },
        Decision::Reject => Organization {
            verification_status: VerificationStatus::Rejected,
            verification_comment: comment.clone(),
            updated_at: entry.at,
            ..current.clone()
        },
    };
    let decided = VerificationRequest {
        status: next.verification_status,
        decided_by: Some(caller.user_id.clone()),
        decided_at: Some(entry.at),
        comment: comment.clone(),
        ..queued
    };
    let audit = AuditEntry::new(
        deps,
        caller,
        org_id,
        action.audit_action(),
        current.target(),
        format!("verification {}", next.verification_status.as_str()),
    );
    let mut outbox = Outbox::new(deps);
    notify_owners(&mut outbox, deps, &next, request.decision, comment)?;
    let writes = vec![
        entry.write(org_id)?,
        decided.write(&entry)?,
        audit.write()?,
        outbox.write(deps)?,
    ];
    let saved = store::replace(&*deps.table, &current, next, writes).await?;
    outbox.send(deps).await;
    tracing::info!(%org_id, moderator = %caller.user_id, decision = ?request.decision, "verification decided");
    view_of(deps, &saved).await
}

/// The decision's comment, trimmed; a rejection must have one.
fn decision_comment(request: &DecisionRequest) -> Result<Option<String>> {
    let comment = request
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|comment| !comment.is_empty());
    if request.decision == Decision::Reject && comment.is_none() {
        return Err(Error::validation(
            "comment",
            "say what the organization must fix before it can be verified",
        ));
    }
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(Error::validation(
            "comment",
            format!("give at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    Ok(comment.map(str::to_string))
}

/// Adds the owners' news of the decision to the decision's outbox.
fn notify_owners(
    outbox: &mut Outbox,
    deps: &Deps,
    org: &Organization,
    decision: Decision,
    comment: Option<String>,
) -> Result<()> {
    let app_url = &deps.config.app_url;
    let (kind, data) = match decision {
        Decision::Approve => (
            NotificationType::VerificationApproved,
            json!({ "link": format!("{app_url}/orgs/{}", org.slug) }),
        ),
        Decision::Reject => (
            NotificationType::VerificationRejected,
            json!({
                "comment": comment,
                "link": format!("{app_url}/orgs/{}/verification", org.id),
            }),
        ),
    };
    let owners = Audience::Organization {
        org_id: org.id.clone(),
        roles: vec![OrgRole::Owner],
    };
    emit_in(outbox, deps, kind, owners, Some(org.id.clone()), data)
}
