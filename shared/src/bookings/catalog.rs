//! What the catalog's stores (services, staff, schedule) share: reading a
//! capped collection whole, the counters that cap it (DESIGN.md §3 "counters
//! that enforce a limit"), and version-conditioned saves with their audit entry.

use jiff::Timestamp;
use serde::{Serialize, de::DeserializeOwned};

use super::{Service, StaffMember};
use crate::{
    Deps,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    keys,
    records::to_item,
    table::{
        Condition, Index, Item, Key, MAX_QUERY_LIMIT, Query, SortKey, Table, TableError, Update,
        Write,
    },
};

/// A member of a capped catalog collection (a service, a staff member): how it
/// is keyed, counted, versioned and named in the audit log.
pub(super) trait CatalogRecord: Serialize + PartialEq + Clone {
    const CAPPED: Capped;
    fn key(&self) -> Key;
    fn org_id(&self) -> &str;
    fn version(&self) -> i64;
    /// Marks the record as written at `now` as `version`.
    fn stamp(&mut self, now: Timestamp, version: i64);
    /// The audit target (`service:<id>`).
    fn target(&self) -> String;
}

impl CatalogRecord for Service {
    const CAPPED: Capped = Capped::Services;
    fn key(&self) -> Key {
        keys::service(&self.org_id, &self.id)
    }
    fn org_id(&self) -> &str {
        &self.org_id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn stamp(&mut self, now: Timestamp, version: i64) {
        (self.updated_at, self.version) = (now, version);
    }
    fn target(&self) -> String {
        format!("service:{}", self.id)
    }
}

impl CatalogRecord for StaffMember {
    const CAPPED: Capped = Capped::Staff;
    fn key(&self) -> Key {
        keys::staff_member(&self.org_id, &self.id)
    }
    fn org_id(&self) -> &str {
        &self.org_id
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn stamp(&mut self, now: Timestamp, version: i64) {
        (self.updated_at, self.version) = (now, version);
    }
    fn target(&self) -> String {
        format!("staff:{}", self.id)
    }
}

/// Adds `record` (new, version 1) with its audit entry, counted under its cap.
pub(super) async fn create<R: CatalogRecord>(
    deps: &Deps,
    caller: &Caller,
    record: &R,
    action: AuditAction,
    summary: String,
) -> Result<()> {
    let audit = AuditEntry::new(
        deps,
        caller,
        record.org_id(),
        action,
        record.target(),
        summary,
    );
    let item = to_item(&record.key(), record, None)?;
    save(
        &*deps.table,
        record.org_id(),
        item,
        0,
        &audit,
        Some(R::CAPPED),
    )
    .await
}

/// Saves `next` over `current` with its audit entry (`summary` names the
/// change); nothing when unchanged.
pub(super) async fn update<R: CatalogRecord>(
    deps: &Deps,
    caller: &Caller,
    current: R,
    mut next: R,
    action: AuditAction,
    summary: impl FnOnce(&R) -> String,
) -> Result<R> {
    if next == current {
        return Ok(current);
    }
    next.stamp(deps.clock.now(), current.version() + 1);
    let audit = AuditEntry::new(
        deps,
        caller,
        next.org_id(),
        action,
        next.target(),
        summary(&next),
    );
    let item = to_item(&next.key(), &next, None)?;
    save(
        &*deps.table,
        next.org_id(),
        item,
        current.version(),
        &audit,
        None,
    )
    .await?;
    Ok(next)
}

/// A collection of an organization kept under a cap, so reading it whole is a
/// bounded read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Capped {
    Staff,
    Services,
}

impl Capped {
    /// Staff members are never deleted (only deactivated), services only
    /// archived, so the counters only go up and the cap counts them all.
    pub(super) fn limit(self) -> i64 {
        match self {
            Capped::Staff => 100,
            Capped::Services => 200,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Capped::Staff => "staff_count",
            Capped::Services => "service_count",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Capped::Staff => "staff members",
            Capped::Services => "services",
        }
    }

    /// The write counting one more, whose condition fails at the cap.
    fn count_one_more(self, org_id: &str) -> Write {
        let attribute = self.attribute();
        Write::Update {
            key: keys::catalog_counts(org_id),
            update: Update::new().add(attribute, 1),
            condition: Some(Condition::Or(vec![
                Condition::attr_not_exists(attribute),
                Condition::lt(attribute, self.limit()),
            ])),
        }
    }
}

/// Every record under a partition and sort-key prefix; only for capped
/// collections, whose size bounds the pages read.
pub(super) async fn read_all<T: DeserializeOwned>(
    table: &dyn Table,
    (pk, prefix): (String, String),
) -> Result<Vec<T>> {
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::new(Index::Table, pk.clone())
            .sk(SortKey::BeginsWith(prefix.clone()))
            .limit(MAX_QUERY_LIMIT)
            .after(cursor);
        let (page, next): (Vec<T>, _) = crate::records::page_of(table, &query).await?;
        records.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(records),
        }
    }
}

/// Refuses an edit based on another version than the current one, when the
/// client says which version it edited.
pub(super) fn check_edited_version(edited: Option<i64>, current: i64) -> Result<()> {
    match edited {
        Some(edited) if edited != current => Err(Error::EditConflict),
        _ => Ok(()),
    }
}

/// Saves `item` (a record read at `read_version`, 0 when new) with `audit`,
/// and counts it under `counted` when it is a new member of a capped
/// collection. `Error::EditConflict` when the record changed since it was read.
pub(super) async fn save(
    table: &dyn Table,
    org_id: &str,
    item: Item,
    read_version: i64,
    audit: &AuditEntry,
    counted: Option<Capped>,
) -> Result<()> {
    let condition = if read_version == 0 {
        Condition::NotExists
    } else {
        Condition::eq("version", read_version)
    };
    let mut writes = vec![
        Write::Put {
            item,
            condition: Some(condition),
        },
        audit.write()?,
    ];
    writes.extend(counted.map(|capped| capped.count_one_more(org_id)));
    match table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(Error::EditConflict),
        Err(TableError::TransactionConditionFailed { .. }) if let Some(capped) = counted => {
            Err(Error::LimitReached {
                what: capped.what(),
                limit: capped.limit(),
            })
        }
        Err(e) => Err(e.into()),
    }
}
