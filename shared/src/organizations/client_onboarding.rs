//! Client onboarding by invitation: a platform admin creates an organization
//! for a business, its owner gets an emailed link, sets a password with it
//! (which signs them in), and declares the onboarding done when ready.
//!
//! Workflows: "Client Onboarding Flow" (001_…), "1.1 Admin Creates Vendor" (002_…).
//!
//! - The owner's account is theirs if the email has one, else a new one,
//!   unverified and without a password. For an existing account the link works
//!   like a password reset: activating sets the password and ends every other
//!   session of the user (the link proves the email, as a reset link does).
//! - A link's token is stored only as its hash (`keys::onboarding_token`),
//!   expiring after `LINK_LIFETIME`, and listed under its user
//!   (`keys::user_onboarding_token`) so activation revokes every token of the
//!   user with one bounded query. Unknown, used and expired tokens are all 404.
//! - The reminder: creation schedules a due entry (`due`, kind
//!   `REMINDER_KIND`) `REMINDER_BEFORE_EXPIRY` before the link expires. As the
//!   first token exists only as a hash, the reminder carries a new token for
//!   the same link, expiring with it; both work until activation revokes all of
//!   them. The reminder is sent with `notifications::emit_once`, so repeated
//!   or overlapping runs send it once, and only while the first token is unused.
//! - Links go by email only (`Audience::Email`), never to the in-app inbox,
//!   which would keep the token.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Category, NewOrganization, Organization, creation_audit, member_access, new_organization,
    owner_membership,
    store::{self, CREATE_WRITES},
};
use crate::{
    Deps,
    access::require_platform_role,
    accounts::{self, Caller, Tokens, new_token, token_hash},
    audit::{AuditAction, AuditEntry},
    due::{self, DueEntry, RunReport},
    error::{Error, Result},
    keys,
    notifications::{self, Audience, NotificationType},
    outbox::Outbox,
    records::{self, to_item},
    roles::{Permission, PlatformRole},
    table::{Condition, Index, Query, SortKey, TableError, Write},
    types::{Email, PersonName},
};

/// How long an onboarding link works.
pub const LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);
/// When the reminder of an unused link goes out: this long before it expires.
pub const REMINDER_BEFORE_EXPIRY: SignedDuration = SignedDuration::from_hours(48);
/// The kind of the reminders' due entries.
pub const REMINDER_KIND: &str = "onboarding_reminder";

/// `POST /v1/admin/orgs`: the organization, and who owns it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: String,
    pub slug: String,
    pub category: Category,
    pub timezone: Option<String>,
    pub owner_email: String,
    pub owner_name: String,
}

/// An onboarding token, as stored under its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct OnboardingLink {
    user_id: String,
    org_id: String,
    owner_email: String,
    owner_name: String,
    expires_at: Timestamp,
}

/// `GET /v1/onboarding/{token}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnboardingState {
    pub organization: OrganizationSummary,
    pub owner: Owner,
    pub expires_at: Timestamp,
    /// Always false: an activated link no longer opens.
    pub activated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrganizationSummary {
    pub id: String,
    pub name: String,
    pub slug: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub email: String,
    pub name: String,
}

/// Creates an organization for a business with its owner's account (platform
/// admins only), and emails the owner the onboarding link.
pub async fn create_client(deps: &Deps, caller: &Caller, new: NewClient) -> Result<Organization> {
    require_platform_role(deps, caller, PlatformRole::Admin).await?;
    let organization = NewOrganization {
        name: new.name,
        slug: new.slug,
        category: new.category,
        timezone: new.timezone,
    };
    let parsed = (
        new_organization(deps, &caller.user_id, organization),
        Email::parse("owner_email", &new.owner_email),
        PersonName::parse("owner_name", &new.owner_name),
    );
    let (organization, email, name) = match parsed {
        (Ok(organization), Ok(email), Ok(name)) => (organization, email, name),
        (organization, email, name) => {
            let mut errors = match organization {
                Err(Error::Validation(errors)) => errors,
                Err(other) => return Err(other),
                Ok(_) => Vec::new(),
            };
            errors.extend([email.err(), name.err()].into_iter().flatten());
            return Err(Error::Validation(errors));
        }
    };
    let account = accounts::invited_account(deps, &email, &name).await?;
    let owner = owner_membership(&organization, &account.user_id);
    let link = OnboardingLink {
        user_id: account.user_id.clone(),
        org_id: organization.id.clone(),
        owner_email: email.as_str().to_string(),
        owner_name: name.as_str().to_string(),
        expires_at: whole_second(organization.created_at + LINK_LIFETIME)?,
    };
    let token = new_token();
    let hash = token_hash(&token);
    let for_owner = format!(" for {}", link.owner_email);
    let audit = creation_audit(deps, caller, &organization, &for_owner);
    // The account's writes first: a new account's email guard is then extra write 1.
    let mut writes = account.writes;
    writes.push(audit.write()?);
    writes.extend(link_writes(&hash, &link)?);
    writes.push(due::put(
        REMINDER_KIND,
        reminder_at(link.expires_at),
        &hash,
        json!({}),
    )?);
    let mut outbox = Outbox::new(deps);
    let (audience, org_id, data) = link_message(deps, &link, &token);
    let kind = NotificationType::OnboardingInvite;
    notifications::emit_in(&mut outbox, deps, kind, audience, org_id, data)?;
    writes.push(outbox.write(deps)?);
    match store::create(&*deps.table, &organization, &owner, writes).await {
        Err(Error::Table(TableError::TransactionConditionFailed { index }))
            if !account.existing && index == CREATE_WRITES + 1 =>
        {
            // The email got an account meanwhile: asking again uses it.
            return Err(Error::EmailTaken);
        }
        other => other?,
    }
    tracing::info!(org_id = %organization.id, owner_id = %link.user_id, existing_account = account.existing, "organization created for a client");
    outbox.send(deps).await;
    Ok(organization)
}

/// A timestamp to the whole second (links carry whole seconds).
fn whole_second(at: Timestamp) -> Result<Timestamp> {
    Timestamp::from_second(at.as_second()).map_err(|e| Error::Internal(e.to_string()))
}

/// When the reminder of a link expiring at `expires_at` is due.
fn reminder_at(expires_at: Timestamp) -> Timestamp {
    expires_at - REMINDER_BEFORE_EXPIRY
}

/// A token in its user's list: enough to revoke it and cancel its reminder.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ListedToken {
    token_hash: String,
    expires_at: Timestamp,
}

/// The writes revoking the token `hash` of a link expiring at `expires_at`
/// (if `condition` holds for the token): the token, its place in `user_id`'s
/// list, and its reminder if it has one.
fn revoke_writes(
    user_id: &str,
    hash: &str,
    expires_at: Timestamp,
    condition: Option<Condition>,
) -> Vec<Write> {
    vec![
        Write::Delete {
            key: keys::onboarding_token(hash),
            condition,
        },
        Write::Delete {
            key: keys::user_onboarding_token(user_id, hash),
            condition: None,
        },
        due::remove(REMINDER_KIND, reminder_at(expires_at), hash),
    ]
}

/// The writes storing a new token (by `hash`) of `link`, and listing it under its user.
fn link_writes(hash: &str, link: &OnboardingLink) -> Result<Vec<Write>> {
    let expires = Some(link.expires_at.as_second());
    Ok(vec![
        Write::Put {
            item: to_item(&keys::onboarding_token(hash), link, expires)?,
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: to_item(
                &keys::user_onboarding_token(&link.user_id, hash),
                &ListedToken {
                    token_hash: hash.to_string(),
                    expires_at: link.expires_at,
                },
                expires,
            )?,
            condition: None,
        },
    ])
}

/// The owner's email with `token`'s link: to whom, for which organization,
/// and its data.
fn link_message(
    deps: &Deps,
    link: &OnboardingLink,
    token: &str,
) -> (Audience, Option<String>, Value) {
    let audience = Audience::Email {
        email: link.owner_email.clone(),
        name: Some(link.owner_name.clone()),
    };
    let data = json!({
        "link": format!("{}/onboarding?token={token}", deps.config.app_url),
        "expires_at": link.expires_at,
    });
    (audience, Some(link.org_id.clone()), data)
}

/// The live link stored under `hash`: unknown, used and expired alike are `None`.
async fn live_link(deps: &Deps, hash: &str) -> Result<Option<OnboardingLink>> {
    let link: Option<OnboardingLink> =
        records::get(&*deps.table, &keys::onboarding_token(hash)).await?;
    let now = deps.clock.now();
    Ok(link.filter(|link| link.expires_at > now))
}

fn link_not_found() -> Error {
    Error::NotFound("onboarding link")
}

/// What an onboarding link opens: the organization and its owner.
pub async fn state(deps: &Deps, token: &str) -> Result<OnboardingState> {
    let link = live_link(deps, &token_hash(token))
        .await?
        .ok_or_else(link_not_found)?;
    let organization = store::get(&*deps.table, &link.org_id)
        .await?
        .ok_or_else(link_not_found)?;
    Ok(OnboardingState {
        organization: OrganizationSummary {
            id: organization.id,
            name: organization.name,
            slug: organization.slug,
        },
        owner: Owner {
            email: link.owner_email,
            name: link.owner_name,
        },
        expires_at: link.expires_at,
        activated: false,
    })
}

/// Sets the owner's password with the link, confirms their email, revokes
/// every onboarding token they have, and signs them in.
pub async fn activate(
    deps: &Deps,
    token: &str,
    password: &str,
    user_agent: Option<String>,
) -> Result<Tokens> {
    let hash = token_hash(token);
    let link = live_link(deps, &hash).await?.ok_or_else(link_not_found)?;
    let audit = AuditEntry::by_user(
        deps,
        &link.user_id,
        &link.org_id,
        AuditAction::OnboardingActivated,
        format!("user:{}", link.user_id),
        format!("{} activated their account", link.owner_email),
    );
    // Spending it: the token's delete must find it live (it works once).
    let live = Some(Condition::Exists);
    let mut spend = revoke_writes(&link.user_id, &hash, link.expires_at, live);
    spend.push(audit.write()?);
    let tokens = accounts::set_password_by_link(deps, &link.user_id, password, spend, user_agent)
        .await
        .map_err(|e| match e {
            Error::InvalidToken => link_not_found(),
            other => other,
        })?;
    revoke_all(deps, &link.user_id).await?;
    tracing::info!(user_id = %link.user_id, org_id = %link.org_id, "onboarding link activated");
    Ok(tokens)
}

/// Revokes every onboarding token of `user_id` and cancels their reminders (a
/// page of their list at a time).
async fn revoke_all(deps: &Deps, user_id: &str) -> Result<()> {
    let (pk, prefix) = keys::onboarding_tokens_of(user_id);
    let mut query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(100);
    loop {
        let (listed, next): (Vec<ListedToken>, _) = records::page_of(&*deps.table, &query).await?;
        for token in &listed {
            let writes = revoke_writes(user_id, &token.token_hash, token.expires_at, None);
            deps.table.transact(writes).await?;
        }
        match next {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(()),
        }
    }
}

/// Records that the owner finished onboarding (once) and emails them
/// (`Permission::CompleteOnboarding`: owners only).
pub async fn complete(deps: &Deps, caller: &Caller, org_id: &str) -> Result<Organization> {
    let (current, _) = member_access(deps, caller, org_id, Permission::CompleteOnboarding).await?;
    if current.onboarding_completed_at.is_some() {
        return Err(Error::AlreadyCompleted);
    }
    let now = deps.clock.now();
    let next = Organization {
        onboarding_completed_at: Some(now),
        updated_at: now,
        ..current.clone()
    };
    let audit = AuditEntry::new(
        deps,
        caller,
        org_id,
        AuditAction::OnboardingCompleted,
        current.target(),
        format!("completed the onboarding of {}", current.name),
    );
    let mut outbox = Outbox::new(deps);
    let data = json!({ "link": format!("{}/orgs/{org_id}", deps.config.app_url) });
    notifications::emit_in(
        &mut outbox,
        deps,
        NotificationType::OnboardingComplete,
        Audience::User(caller.user_id.clone()),
        Some(org_id.to_string()),
        data,
    )?;
    let writes = vec![audit.write()?, outbox.write(deps)?];
    let completed = match store::replace(&*deps.table, &current, next, writes).await {
        // A concurrent completion got there first.
        Err(Error::EditConflict) => match store::get(&*deps.table, org_id).await? {
            Some(org) if org.onboarding_completed_at.is_some() => {
                return Err(Error::AlreadyCompleted);
            }
            _ => return Err(Error::EditConflict),
        },
        other => other?,
    };
    outbox.send(deps).await;
    Ok(completed)
}

/// One run of the onboarding reminders: each due entry whose link is still
/// unused and unexpired gets its reminder.
pub async fn send_reminders(deps: &Deps) -> Result<RunReport> {
    due::run(deps, REMINDER_KIND, |deps, entry| {
        Box::pin(remind(deps, entry))
    })
    .await
}

/// Sends the reminder of the link whose first token's hash is the entry's
/// target, with a new token for it; false if the link was used or expired.
async fn remind(deps: &Deps, entry: &DueEntry) -> Result<bool> {
    let Some(link) = live_link(deps, &entry.target_id).await? else {
        return Ok(false);
    };
    let token = new_token();
    deps.table
        .transact(link_writes(&token_hash(&token), &link)?)
        .await?;
    let (audience, org_id, data) = link_message(deps, &link, &token);
    // Once however often the run repeats.
    let key = format!("{}:{}", entry.kind, entry.target_id);
    let kind = NotificationType::OnboardingReminder;
    notifications::emit_once(deps, &key, entry.due_at, kind, audience, org_id, data).await?;
    Ok(true)
}
