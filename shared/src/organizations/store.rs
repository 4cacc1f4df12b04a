//! How organizations live in the table.
//!
//! The profile sits under `keys::organization(id)`, its slug is made unique by
//! a guard item (`keys::slug_guard`) and each membership is indexed in its
//! user's list (GSI1 `keys::user_organizations`). A public organization's
//! profile carries the index attributes of the public directory (GSI1 for all,
//! GSI2 per category); they are written by the same put that makes it public
//! and dropped by the one that stops it being so. Every profile write is a
//! whole put conditioned on the version it read.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Category, Organization, VerificationStatus};
use crate::{
    error::{Error, Result},
    keys,
    records::to_item,
    roles::OrgRole,
    table::{Condition, Index, Item, Query, SortKey, Table, TableError, Update, Write},
};

/// A user's membership in an organization, with what "my organizations" shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub org_id: String,
    pub user_id: String,
    pub role: OrgRole,
    pub org_name: String,
    pub org_slug: String,
    pub joined_at: jiff::Timestamp,
}

/// The counters of an organization's onboarding checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Members,
    Products,
    QrCodes,
    Posts,
}

impl Counter {
    /// The profile attribute holding the counter.
    pub fn attribute(self) -> &'static str {
        match self {
            Counter::Members => "member_count",
            Counter::Products => "product_count",
            Counter::QrCodes => "qr_count",
            Counter::Posts => "post_count",
        }
    }
}

/// The profile's item, with the public directory's index attributes while public.
fn organization_item(org: &Organization) -> Result<Item> {
    let mut item = to_item(&keys::organization(&org.id), org, None)?;
    if org.is_public() {
        let order = keys::public_org_order(&org.name.to_lowercase(), &org.id);
        item.insert("gsi1pk".into(), keys::PUBLIC_ORGS.into());
        item.insert("gsi1sk".into(), order.clone().into());
        item.insert(
            "gsi2pk".into(),
            keys::public_orgs_in(org.category.as_str()).into(),
        );
        item.insert("gsi2sk".into(), order.into());
    }
    Ok(item)
}

pub(super) fn membership_item(membership: &Membership) -> Result<Item> {
    let key = keys::membership(&membership.org_id, &membership.user_id);
    let mut item = to_item(&key, membership, None)?;
    item.insert(
        "gsi1pk".into(),
        keys::user_organizations(&membership.user_id).into(),
    );
    item.insert("gsi1sk".into(), membership.org_id.clone().into());
    Ok(item)
}

/// Writes a new organization, its slug guard, its owner's membership and
/// `extra` writes (its audit entry first) at once; `Error::SlugTaken` if the
/// slug is someone else's. A failed condition of extra write `i` is
/// `TransactionConditionFailed { index: CREATE_WRITES + i }`.
pub async fn create(
    table: &dyn Table,
    org: &Organization,
    owner: &Membership,
    extra: Vec<Write>,
) -> Result<()> {
    let guard = to_item(
        &keys::slug_guard(&org.slug),
        &json!({ "org_id": org.id }),
        None,
    )?;
    let mut writes = vec![
        Write::Put {
            item: guard,
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: organization_item(org)?,
            condition: Some(Condition::NotExists),
        },
        Write::Put {
            item: membership_item(owner)?,
            condition: Some(Condition::NotExists),
        },
    ];
    writes.extend(extra);
    match table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::SlugTaken),
        Err(e) => Err(e.into()),
    }
}

/// How many writes `create` puts before the extra ones.
pub const CREATE_WRITES: usize = 3;

pub async fn get(table: &dyn Table, org_id: &str) -> Result<Option<Organization>> {
    Ok(crate::records::get(table, &keys::organization(org_id)).await?)
}

/// The organization `slug` belongs to, if any.
pub async fn get_by_slug(table: &dyn Table, slug: &str) -> Result<Option<Organization>> {
    let Some(guard) = table.get(&keys::slug_guard(slug)).await? else {
        return Ok(None);
    };
    match guard.get("org_id").and_then(|id| id.as_str()) {
        Some(org_id) => get(table, org_id).await,
        None => Err(Error::Internal(format!("slug guard {slug} has no org_id"))),
    }
}

/// Saves `next` over `current` (its version bumped) with `extra` writes in the
/// same transaction; `Error::EditConflict` if someone changed it meanwhile.
pub async fn replace(
    table: &dyn Table,
    current: &Organization,
    mut next: Organization,
    extra: Vec<Write>,
) -> Result<Organization> {
    next.version = current.version + 1;
    let mut writes = vec![Write::Put {
        item: organization_item(&next)?,
        condition: Some(Condition::eq("version", current.version)),
    }];
    writes.extend(extra);
    match table.transact(writes).await {
        Ok(()) => Ok(next),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::EditConflict),
        Err(e) => Err(e.into()),
    }
}

/// Sets the verification status and public visibility of `org_id` (with
/// `extra` writes, such as the audit entry, in the same transaction). The
/// organization is listed publicly exactly while it is approved and visible.
/// Tests use it to publish an organization directly; verification decisions
/// (which change more fields) go through `replace`, as this does.
pub async fn set_visibility(
    table: &dyn Table,
    org_id: &str,
    verification_status: VerificationStatus,
    public_visible: bool,
    extra: Vec<Write>,
) -> Result<Organization> {
    let current = get(table, org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let next = Organization {
        verification_status,
        public_visible,
        ..current.clone()
    };
    replace(table, &current, next, extra).await
}

/// Adds `by` to one of the organization's counters, never taking it below 0.
pub async fn bump_counter(
    table: &dyn Table,
    org_id: &str,
    counter: Counter,
    by: i64,
) -> Result<()> {
    let attribute = counter.attribute();
    let mut condition = Condition::Exists;
    if by < 0 {
        condition = Condition::And(vec![
            condition,
            Condition::Ge(attribute.into(), (-by).into()),
        ]);
    }
    // The version moves too, so a profile put based on an older read fails.
    let update = Update::new().add(attribute, by).add("version", 1);
    match table
        .update(&keys::organization(org_id), &update, Some(condition))
        .await
    {
        Ok(_) => Ok(()),
        Err(TableError::ConditionFailed) => match get(table, org_id).await? {
            None => Err(Error::NotFound("organization")),
            Some(_) => Err(Error::validation(
                "by",
                format!("{attribute} cannot go below 0"),
            )),
        },
        Err(e) => Err(e.into()),
    }
}

/// A page of `user_id`'s memberships.
pub async fn memberships_of(
    table: &dyn Table,
    user_id: &str,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Membership>, Option<String>)> {
    let query = Query::new(Index::Gsi1, keys::user_organizations(user_id))
        .limit(limit)
        .after(cursor);
    Ok(crate::records::page_of(table, &query).await?)
}

/// A page of public organizations (of `category` when given) whose lower-cased
/// name starts with `name_prefix`, by name.
pub async fn public_organizations(
    table: &dyn Table,
    category: Option<Category>,
    name_prefix: &str,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Organization>, Option<String>)> {
    let (index, pk) = match category {
        Some(category) => (Index::Gsi2, keys::public_orgs_in(category.as_str())),
        None => (Index::Gsi1, keys::PUBLIC_ORGS.to_string()),
    };
    let mut query = Query::new(index, pk).limit(limit).after(cursor);
    if !name_prefix.is_empty() {
        query = query.sk(SortKey::BeginsWith(name_prefix.to_string()));
    }
    Ok(crate::records::page_of(table, &query).await?)
}
