//! An organization's services (`/v1/orgs/{org_id}/services`): editors and up
//! (`Permission::ManageServices`) create, edit and archive them; any member
//! lists them; the public sees the published ones of a public organization.
//!
//! A service is never deleted: `DELETE` archives it, so bookings keep pointing
//! at it; an archived service is neither bookable nor shown publicly, and a
//! `PATCH` of its status brings it back. An organization has at most
//! `Capped::Services` services (archived included), so reading them all is a
//! bounded read.

use serde::{Deserialize, Serialize};

use super::{
    Service, ServiceStatus, StaffMember,
    catalog::{self, Capped},
    staff::list_staff,
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    audit::AuditAction,
    error::{Error, FieldError, Result},
    keys,
    organizations::{self, validate},
    paging::{Page, PageParams},
    roles::Permission,
    table::{Index, Query, SortKey, Table},
    types::{Money, is_id},
};

const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 2000;
const DURATION_MINUTES: (i64, i64) = (5, 480);
const BUFFER_MINUTES: (i64, i64) = (0, 120);

/// `POST /v1/orgs/{org_id}/services`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i64,
    #[serde(default)]
    pub buffer_minutes: i64,
    pub price: Money,
    /// `draft` (the default), `published` or `archived`.
    pub status: Option<String>,
    #[serde(default)]
    pub staff_ids: Vec<String>,
}

/// `PATCH /v1/orgs/{org_id}/services/{service_id}`: the fields sent change
/// (an empty `description` clears it); `version`, when sent, is the version
/// edited (409 `edit_conflict` if it is not the current one).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub buffer_minutes: Option<i64>,
    pub price: Option<Money>,
    pub status: Option<String>,
    pub staff_ids: Option<Vec<String>>,
    pub version: Option<i64>,
}

/// `?status=&limit=&cursor=` of a services list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServicesQuery {
    pub status: Option<ServiceStatus>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// What the public sees of a published service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicService {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i64,
    pub price: Money,
    /// Who performs it; empty means every staff member.
    pub staff_ids: Vec<String>,
}

impl From<Service> for PublicService {
    fn from(service: Service) -> Self {
        PublicService {
            id: service.id,
            name: service.name,
            description: service.description,
            duration_minutes: service.duration_minutes,
            price: service.price,
            staff_ids: service.staff_ids,
        }
    }
}

/// The service `service_id` of `org_id`, if there is one (any status).
pub async fn get_service(
    table: &dyn Table,
    org_id: &str,
    service_id: &str,
) -> Result<Option<Service>> {
    if !is_id(service_id) {
        return Ok(None);
    }
    Ok(crate::records::get(table, &keys::service(org_id, service_id)).await?)
}

/// Every service of `org_id` (any status), in id order: a bounded read.
pub async fn list_services(table: &dyn Table, org_id: &str) -> Result<Vec<Service>> {
    catalog::read_all(table, keys::services_of(org_id)).await
}

/// Adds a service (`Permission::ManageServices`).
pub async fn create_service(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    new: NewService,
) -> Result<Service> {
    require_org_permission(deps, caller, org_id, Permission::ManageServices).await?;
    let now = deps.clock.now();
    let draft = Service {
        id: deps.ids.new_id(),
        org_id: org_id.to_string(),
        name: new.name,
        description: new.description,
        duration_minutes: new.duration_minutes,
        buffer_minutes: new.buffer_minutes,
        price: new.price,
        status: ServiceStatus::Draft,
        staff_ids: new.staff_ids,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let service = checked(&*deps.table, draft, new.status.as_deref()).await?;
    let summary = format!("added the service {}", service.name);
    catalog::create(deps, caller, &service, AuditAction::ServiceCreated, summary).await?;
    Ok(service)
}

/// A page of the services of `org_id`, of one status when asked (any member).
/// The status is picked from each page read, so a page may hold fewer items.
pub async fn services(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    query: ServicesQuery,
) -> Result<Page<Service>> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    services_page(&*deps.table, org_id, query).await
}

/// A page of the published services of the public organization `slug`;
/// unknown and non-public organizations are alike not found.
pub async fn public_services(
    deps: &Deps,
    slug: &str,
    page: PageParams,
) -> Result<Page<PublicService>> {
    let organization = organizations::public_profile(deps, slug).await?;
    let query = ServicesQuery {
        status: Some(ServiceStatus::Published),
        limit: page.limit,
        cursor: page.cursor,
    };
    let page = services_page(&*deps.table, &organization.id, query).await?;
    Ok(Page {
        items: page.items.into_iter().map(PublicService::from).collect(),
        next_cursor: page.next_cursor,
    })
}

async fn services_page(
    table: &dyn Table,
    org_id: &str,
    query: ServicesQuery,
) -> Result<Page<Service>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let (pk, prefix) = keys::services_of(org_id);
    let read = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(page.limit()?)
        .after(page.cursor);
    let (services, next_cursor): (Vec<Service>, _) = crate::records::page_of(table, &read).await?;
    let items = services
        .into_iter()
        .filter(|s| query.status.is_none_or(|status| s.status == status))
        .collect();
    Ok(Page { items, next_cursor })
}

/// One service (any member).
pub async fn service(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    service_id: &str,
) -> Result<Service> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    existing(&*deps.table, org_id, service_id).await
}

/// Applies `changes` to a service (`Permission::ManageServices`).
pub async fn update_service(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    service_id: &str,
    changes: ServiceChanges,
) -> Result<Service> {
    require_org_permission(deps, caller, org_id, Permission::ManageServices).await?;
    let current = existing(&*deps.table, org_id, service_id).await?;
    catalog::check_edited_version(changes.version, current.version)?;
    let draft = Service {
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        description: match changes.description {
            Some(description) => Some(description),
            None => current.description.clone(),
        },
        duration_minutes: changes.duration_minutes.unwrap_or(current.duration_minutes),
        buffer_minutes: changes.buffer_minutes.unwrap_or(current.buffer_minutes),
        price: changes.price.unwrap_or_else(|| current.price.clone()),
        staff_ids: changes
            .staff_ids
            .unwrap_or_else(|| current.staff_ids.clone()),
        ..current.clone()
    };
    let next = checked(&*deps.table, draft, changes.status.as_deref()).await?;
    let action = if next.status == ServiceStatus::Archived && current.status != next.status {
        AuditAction::ServiceArchived
    } else {
        AuditAction::ServiceUpdated
    };
    catalog::update(deps, caller, current, next, action, |next| {
        format!("changed the service {}", next.name)
    })
    .await
}

/// Archives a service (`Permission::ManageServices`); bookings keep pointing at it.
pub async fn archive_service(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    service_id: &str,
) -> Result<Service> {
    require_org_permission(deps, caller, org_id, Permission::ManageServices).await?;
    let current = existing(&*deps.table, org_id, service_id).await?;
    let next = Service {
        status: ServiceStatus::Archived,
        ..current.clone()
    };
    catalog::update(
        deps,
        caller,
        current,
        next,
        AuditAction::ServiceArchived,
        |next| format!("archived the service {}", next.name),
    )
    .await
}

async fn existing(table: &dyn Table, org_id: &str, service_id: &str) -> Result<Service> {
    get_service(table, org_id, service_id)
        .await?
        .ok_or(Error::NotFound("service"))
}

/// `draft` with every field checked and normalized, its status set from
/// `status` when sent; every problem a field error.
async fn checked(table: &dyn Table, draft: Service, status: Option<&str>) -> Result<Service> {
    let mut errors = Vec::new();
    let name = validate::collect(
        &mut errors,
        validate::text("name", &draft.name, MAX_NAME_CHARS),
    );
    // An empty description is none.
    let description = draft
        .description
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| {
            validate::collect(
                &mut errors,
                validate::text("description", &d, MAX_DESCRIPTION_CHARS),
            )
        });
    for (field, value, (least, most)) in [
        ("duration_minutes", draft.duration_minutes, DURATION_MINUTES),
        ("buffer_minutes", draft.buffer_minutes, BUFFER_MINUTES),
    ] {
        if !(least..=most).contains(&value) {
            errors.push(FieldError::new(
                field,
                format!("give {least} to {most} minutes"),
            ));
        }
    }
    let price = validate::collect(
        &mut errors,
        Money::parse("price", draft.price.amount, &draft.price.currency),
    );
    let status = match status {
        None => Some(draft.status),
        Some(raw) => validate::collect(&mut errors, parse_status(raw)),
    };
    let staff_ids = checked_staff_ids(table, &draft.org_id, draft.staff_ids, &mut errors).await?;
    match (name, price, status) {
        (Some(name), Some(price), Some(status)) if errors.is_empty() => Ok(Service {
            name,
            description,
            price,
            status,
            staff_ids,
            ..draft
        }),
        _ => Err(Error::Validation(errors)),
    }
}

fn parse_status(raw: &str) -> std::result::Result<ServiceStatus, FieldError> {
    match raw {
        "draft" => Ok(ServiceStatus::Draft),
        "published" => Ok(ServiceStatus::Published),
        "archived" => Ok(ServiceStatus::Archived),
        _ => Err(FieldError::new(
            "status",
            format!("'{raw}' is not a status: give draft, published or archived"),
        )),
    }
}

/// `staff_ids` without repeats, each naming a staff member of `org_id` (one
/// read of the organization's staff, and only when some are named).
async fn checked_staff_ids(
    table: &dyn Table,
    org_id: &str,
    mut staff_ids: Vec<String>,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<String>> {
    staff_ids.sort();
    staff_ids.dedup();
    if staff_ids.is_empty() {
        return Ok(staff_ids);
    }
    let most = Capped::Staff.limit();
    if staff_ids.len() as i64 > most {
        errors.push(FieldError::new(
            "staff_ids",
            format!("give at most {most} staff ids"),
        ));
        return Ok(staff_ids);
    }
    let staff: Vec<StaffMember> = list_staff(table, org_id).await?;
    let unknown: Vec<&str> = staff_ids
        .iter()
        .filter(|id| !staff.iter().any(|member| &member.id == *id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        errors.push(FieldError::new(
            "staff_ids",
            format!(
                "no staff member of this organization has the id {}",
                unknown.join(", ")
            ),
        ));
    }
    Ok(staff_ids)
}
