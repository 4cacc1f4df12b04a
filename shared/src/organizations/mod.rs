//! Organizations (the tenants): registration, "my organizations", the profile
//! and its edits, the public directory and the onboarding checklist.
//!
//! Every route checks the caller's permission (`roles::Permission`) through
//! `access`, and every change writes its audit entry in its own transaction.

pub mod client_onboarding;
mod onboarding;
pub(crate) mod profile;
pub mod store;
pub mod team;
pub(crate) mod validate;
mod verification;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use onboarding::{Onboarding, onboarding};
pub use profile::{EDITABLE_FIELDS, update_profile};
pub use verification::{
    Decision, DecisionRequest, HistoryAction, HistoryEntry, RequestsQuery, VerificationRequest,
    VerificationView, decide, requests, submit, verification,
};

use self::store::Membership;
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    paging::{Page, PageParams},
    roles::{OrgRole, Permission},
};

/// The kinds of business an organization can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Restaurant,
    Cafe,
    Bakery,
    Retail,
    Beauty,
    Health,
    Fitness,
    Education,
    ProfessionalServices,
    Hospitality,
    Entertainment,
    Nonprofit,
    Other,
}

impl Category {
    /// The category as spelled in the API and in index keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Restaurant => "restaurant",
            Category::Cafe => "cafe",
            Category::Bakery => "bakery",
            Category::Retail => "retail",
            Category::Beauty => "beauty",
            Category::Health => "health",
            Category::Fitness => "fitness",
            Category::Education => "education",
            Category::ProfessionalServices => "professional_services",
            Category::Hospitality => "hospitality",
            Category::Entertainment => "entertainment",
            Category::Nonprofit => "nonprofit",
            Category::Other => "other",
        }
    }
}

/// Where an organization stands with the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Pending,
    Active,
    Suspended,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    NotSubmitted,
    /// Waiting in the moderators' queue.
    Submitted,
    Approved,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub city: String,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// What an organization tells about itself: the fields members edit (with
/// the category) and the public sees.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub description: Option<String>,
    pub address: Option<Address>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub social_links: std::collections::BTreeMap<String, String>,
    pub photos: Vec<String>,
    pub video_url: Option<String>,
}

/// An organization's profile as stored (and shown to its members).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub category: Category,
    /// An IANA time zone.
    pub timezone: String,
    pub status: OrgStatus,
    pub verification_status: VerificationStatus,
    /// Whether the organization wants its approved profile shown publicly.
    pub public_visible: bool,
    /// The moderator's reason for the last rejection, while rejected.
    #[serde(default)]
    pub verification_comment: Option<String>,
    #[serde(flatten)]
    pub profile: Profile,
    // Counters, changed only by `store::bump_counter`.
    #[serde(default)]
    pub member_count: i64,
    /// Members with the owner role; never goes below 1 (see `team`).
    #[serde(default)]
    pub owner_count: i64,
    #[serde(default)]
    pub product_count: i64,
    #[serde(default)]
    pub qr_count: i64,
    #[serde(default)]
    pub post_count: i64,
    /// When the owner declared the onboarding done (organizations created by
    /// invitation, `client_onboarding`).
    #[serde(default)]
    pub onboarding_completed_at: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every write, for optimistic concurrency.
    pub version: i64,
}

impl Organization {
    /// Shown in the public directory: approved by the platform and visible by choice.
    pub fn is_public(&self) -> bool {
        self.verification_status == VerificationStatus::Approved && self.public_visible
    }

    fn target(&self) -> String {
        format!("organization:{}", self.id)
    }
}

/// An organization as one of its members sees it: the profile and their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberView {
    #[serde(flatten)]
    pub organization: Organization,
    pub role: OrgRole,
}

/// `POST /v1/orgs`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: String,
    pub slug: String,
    pub category: Category,
    pub timezone: Option<String>,
}

/// Registers an organization owned by the caller: `pending`, not yet submitted
/// for verification, and not public.
pub async fn register(deps: &Deps, caller: &Caller, new: NewOrganization) -> Result<MemberView> {
    let organization = new_organization(deps, &caller.user_id, new)?;
    let owner = owner_membership(&organization, &caller.user_id);
    let audit = creation_audit(deps, caller, &organization, "");
    store::create(&*deps.table, &organization, &owner, vec![audit.write()?]).await?;
    tracing::info!(org_id = %organization.id, user_id = %caller.user_id, "organization registered");
    Ok(MemberView {
        organization,
        role: OrgRole::Owner,
    })
}

/// A new organization from `new` (validated), created by `created_by` now:
/// `pending`, not yet submitted for verification, not public, with one member
/// (its owner).
fn new_organization(deps: &Deps, created_by: &str, new: NewOrganization) -> Result<Organization> {
    let mut errors = Vec::new();
    let name = validate::collect(&mut errors, validate::text("name", &new.name, 100));
    let slug = validate::collect(&mut errors, validate::slug("slug", &new.slug));
    let timezone = validate::collect(
        &mut errors,
        validate::timezone("timezone", new.timezone.as_deref().unwrap_or("UTC")),
    );
    let (Some(name), Some(slug), Some(timezone)) = (name, slug, timezone) else {
        return Err(Error::Validation(errors));
    };
    let now = deps.clock.now();
    Ok(Organization {
        id: deps.ids.new_id(),
        name,
        slug,
        category: new.category,
        timezone,
        status: OrgStatus::Pending,
        verification_status: VerificationStatus::NotSubmitted,
        public_visible: false,
        verification_comment: None,
        profile: Profile::default(),
        member_count: 1,
        owner_count: 1,
        product_count: 0,
        qr_count: 0,
        post_count: 0,
        onboarding_completed_at: None,
        created_by: created_by.to_string(),
        created_at: now,
        updated_at: now,
        version: 0,
    })
}

/// The audit entry of a new organization, by `caller`; `detail` ends the summary.
fn creation_audit(
    deps: &Deps,
    caller: &Caller,
    organization: &Organization,
    detail: &str,
) -> AuditEntry {
    AuditEntry::new(
        deps,
        caller,
        &organization.id,
        AuditAction::OrganizationCreated,
        organization.target(),
        format!(
            "registered {} ({}){detail}",
            organization.name, organization.slug
        ),
    )
}

/// The owner's membership of a new organization.
fn owner_membership(organization: &Organization, user_id: &str) -> Membership {
    Membership {
        org_id: organization.id.clone(),
        user_id: user_id.to_string(),
        role: OrgRole::Owner,
        org_name: organization.name.clone(),
        org_slug: organization.slug.clone(),
        joined_at: organization.created_at,
    }
}

/// The caller's organizations with their role in each.
pub async fn my_organizations(
    deps: &Deps,
    caller: &Caller,
    page: PageParams,
) -> Result<Page<Membership>> {
    let (items, next_cursor) =
        store::memberships_of(&*deps.table, &caller.user_id, page.limit()?, page.cursor).await?;
    Ok(Page { items, next_cursor })
}

/// One organization, for any member (`Permission::ViewOrganization`).
pub async fn get(deps: &Deps, caller: &Caller, org_id: &str) -> Result<MemberView> {
    let (organization, role) =
        member_access(deps, caller, org_id, Permission::ViewOrganization).await?;
    Ok(MemberView { organization, role })
}

/// The organization and the caller's role, if that role grants `permission`.
async fn member_access(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    permission: Permission,
) -> Result<(Organization, OrgRole)> {
    let role = require_org_permission(deps, caller, org_id, permission).await?;
    let organization = store::get(&*deps.table, org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    Ok((organization, role))
}

/// What the public sees of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicOrganization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub category: Category,
    pub timezone: String,
    #[serde(flatten)]
    pub profile: Profile,
}

impl From<Organization> for PublicOrganization {
    fn from(org: Organization) -> Self {
        PublicOrganization {
            id: org.id,
            name: org.name,
            slug: org.slug,
            category: org.category,
            timezone: org.timezone,
            profile: org.profile,
        }
    }
}

/// The public page of the organization with `slug`; unknown and non-public
/// organizations are alike not found.
pub async fn public_profile(deps: &Deps, slug: &str) -> Result<PublicOrganization> {
    // A slug that could not exist is not looked up (nor turned into a key).
    let slug = validate::slug("slug", slug).map_err(|_| Error::NotFound("organization"))?;
    store::get_by_slug(&*deps.table, &slug)
        .await?
        .filter(Organization::is_public)
        .map(PublicOrganization::from)
        .ok_or(Error::NotFound("organization"))
}

/// `?category=&q=&limit=&cursor=` of the public directory.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    pub category: Option<Category>,
    /// A case-insensitive prefix of the name.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The public directory, by name.
pub async fn public_directory(
    deps: &Deps,
    query: DirectoryQuery,
) -> Result<Page<PublicOrganization>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let prefix = query.q.unwrap_or_default().trim().to_lowercase();
    if prefix.chars().count() > 100 {
        return Err(Error::validation("q", "give at most 100 characters"));
    }
    let (organizations, next_cursor) = store::public_organizations(
        &*deps.table,
        query.category,
        &prefix,
        page.limit()?,
        page.cursor,
    )
    .await?;
    Ok(Page {
        items: organizations
            .into_iter()
            .map(PublicOrganization::from)
            .collect(),
        next_cursor,
    })
}
