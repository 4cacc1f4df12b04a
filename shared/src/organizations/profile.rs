//! Editing an organization's profile (`PATCH /v1/orgs/{org_id}`).
//!
//! Only the fields of `EDITABLE_FIELDS` may be sent; the others (status,
//! verification, counters, slug, ...) are refused by name. A field sent as
//! `null` is cleared; a field not sent is kept.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{Address, Category, MemberView, Organization, member_access, store, validate};
use crate::{
    Deps,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, FieldError, Result},
    roles::Permission,
};

/// The fields a profile edit may set.
pub const EDITABLE_FIELDS: &[&str] = &[
    "description",
    "category",
    "address",
    "phone",
    "email",
    "website",
    "social_links",
    "photos",
    "video_url",
];

/// Fields of the organization that exist but are set by other use-cases.
const PROTECTED_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "timezone",
    "status",
    "verification_status",
    "public_visible",
    "verification_comment",
    "role",
    "member_count",
    "product_count",
    "qr_count",
    "post_count",
    "created_by",
    "created_at",
    "updated_at",
    "version",
];

/// The social networks a profile may link to.
pub const SOCIAL_NETWORKS: &[&str] = &[
    "facebook",
    "instagram",
    "linkedin",
    "tiktok",
    "x",
    "youtube",
];

pub const MAX_PHOTOS: usize = 10;
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// The changes of an edit; `Some(None)` clears a field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileChanges {
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    category: Option<Category>,
    #[serde(default, deserialize_with = "nullable")]
    address: Option<Option<Address>>,
    #[serde(default, deserialize_with = "nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    website: Option<Option<String>>,
    social_links: Option<BTreeMap<String, String>>,
    photos: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    video_url: Option<Option<String>>,
}

/// A present field, even `null` (which serde would read as absent).
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Applies `body` to the profile of `org_id` (`Permission::EditProfile`).
pub async fn update_profile(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    body: Map<String, Value>,
) -> Result<MemberView> {
    let (current, role) = member_access(deps, caller, org_id, Permission::EditProfile).await?;
    let changed: Vec<String> = body.keys().cloned().collect();
    let changes = parse_changes(body)?;
    let mut next = apply(&current, changes)?;
    if next == current {
        return Ok(MemberView {
            organization: current,
            role,
        });
    }
    next.updated_at = deps.clock.now();
    let audit = AuditEntry::new(
        deps,
        caller,
        org_id,
        AuditAction::ProfileUpdated,
        current.target(),
        format!("changed {}", changed.join(", ")),
    );
    let organization = store::replace(&*deps.table, &current, next, vec![audit.write()?]).await?;
    Ok(MemberView { organization, role })
}

/// Refuses fields that may not be set, by name, then reads the others.
fn parse_changes(body: Map<String, Value>) -> Result<ProfileChanges> {
    if body.is_empty() {
        return Err(Error::validation(
            "body",
            format!("send at least one of {}", EDITABLE_FIELDS.join(", ")),
        ));
    }
    let refused: Vec<FieldError> = body
        .keys()
        .filter(|key| !EDITABLE_FIELDS.contains(&key.as_str()))
        .map(|key| match PROTECTED_FIELDS.iter().find(|f| **f == key) {
            Some(field) => FieldError::new(*field, "this field cannot be changed here"),
            None => FieldError::new("body", format!("unknown field `{key}`")),
        })
        .collect();
    if !refused.is_empty() {
        return Err(Error::Validation(refused));
    }
    serde_json::from_value(Value::Object(body))
        .map_err(|e| Error::validation("body", e.to_string()))
}

/// The profile after `changes`, each field checked by its rule.
fn apply(current: &Organization, changes: ProfileChanges) -> Result<Organization> {
    let mut next = current.clone();
    let mut errors = Vec::new();
    let optional_text =
        |errors: &mut Vec<FieldError>,
         target: &mut Option<String>,
         change: Option<Option<String>>,
         check: &dyn Fn(&str) -> std::result::Result<String, FieldError>| {
            if let Some(change) = change {
                *target = change.and_then(|raw| validate::collect(errors, check(&raw)));
            }
        };
    optional_text(
        &mut errors,
        &mut next.profile.description,
        changes.description,
        &|raw| validate::text("description", raw, MAX_DESCRIPTION_CHARS),
    );
    optional_text(
        &mut errors,
        &mut next.profile.phone,
        changes.phone,
        &|raw| validate::phone("phone", raw),
    );
    optional_text(
        &mut errors,
        &mut next.profile.email,
        changes.email,
        &|raw| validate::email("email", raw),
    );
    optional_text(
        &mut errors,
        &mut next.profile.website,
        changes.website,
        &|raw| validate::url("website", raw),
    );
    optional_text(
        &mut errors,
        &mut next.profile.video_url,
        changes.video_url,
        &|raw| validate::url("video_url", raw),
    );
    if let Some(category) = changes.category {
        next.category = category;
    }
    if let Some(address) = changes.address {
        next.profile.address =
            address.and_then(|a| validate::collect(&mut errors, check_address(a)));
    }
    if let Some(links) = changes.social_links {
        next.profile.social_links = links
            .into_iter()
            .filter_map(|(network, link)| {
                validate::collect(&mut errors, check_social_link(&network, &link))
                    .map(|link| (network, link))
            })
            .collect();
    }
    if let Some(photos) = changes.photos {
        if photos.len() > MAX_PHOTOS {
            errors.push(FieldError::new(
                "photos",
                format!("give at most {MAX_PHOTOS} photos"),
            ));
        }
        next.profile.photos = photos
            .iter()
            .filter_map(|raw| validate::collect(&mut errors, validate::url("photos", raw)))
            .collect();
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(next)
}

fn check_address(address: Address) -> std::result::Result<Address, FieldError> {
    let country = address.country.trim().to_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FieldError::new(
            "address",
            "give the country as a two-letter ISO code, such as FR",
        ));
    }
    let postal_code = address
        .postal_code
        .map(|code| validate::text("address", &code, 20))
        .transpose()?;
    Ok(Address {
        street: validate::text("address", &address.street, 200)?,
        city: validate::text("address", &address.city, 100)?,
        postal_code,
        country,
    })
}

fn check_social_link(network: &str, link: &str) -> std::result::Result<String, FieldError> {
    if !SOCIAL_NETWORKS.contains(&network) {
        return Err(FieldError::new(
            "social_links",
            format!(
                "unknown network `{network}`: use {}",
                SOCIAL_NETWORKS.join(", ")
            ),
        ));
    }
    validate::url("social_links", link)
}
