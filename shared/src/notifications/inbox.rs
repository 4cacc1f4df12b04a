//! The in-app inbox: a user's notifications, newest first, with an unread count.
//!
//! Design. Each entry is an item `keys::inbox_entry(user, notification id)`
//! (ids are UUIDv7, so the sort key orders by time). The state item
//! `keys::inbox_state(user)` holds `unread` (the count) and `generation` (how
//! many read-alls there were). An entry records the generation it was delivered
//! in, and is read when its own `read` flag is set or its generation is older
//! than the state's: a read-all is then one write (counter to 0, generation + 1)
//! however large the inbox is.
//!
//! Unread entries of the current generation are also in the sparse GSI1
//! partition `keys::inbox_unread(user, generation)` (marking one read removes it
//! from there; a read-all moves on to an empty partition), so `unread_only`
//! pages are full pages, read in one query.
//!
//! The counter stays exact under races: a delivery adds 1 only while the
//! generation it stamped is current, and marking read subtracts 1 only while the
//! entry's generation is current, each in one transaction with its entry write.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{NotificationType, channels::Delivery};
use crate::{
    Deps,
    accounts::Caller,
    email::render_in_app,
    error::{Error, Result},
    keys,
    paging::PageParams,
    records::{from_item, to_item},
    table::{Condition, Index, Query, SortKey, TableError, Update, Write},
    types::is_id,
};

/// Attempts at storing a delivery while read-alls keep moving the generation.
const STORE_ATTEMPTS: usize = 3;

/// One inbox entry as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct EntryRecord {
    id: String,
    #[serde(rename = "type")]
    kind: NotificationType,
    title: String,
    body: String,
    org_id: Option<String>,
    #[serde(default)]
    data: Value,
    created_at: Timestamp,
    /// The inbox generation current when it was delivered.
    generation: i64,
    /// Marked read on its own (a read-all does not touch entries).
    read: bool,
}

/// The counters of one inbox (absent: nothing delivered yet).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct InboxState {
    #[serde(default)]
    unread: i64,
    #[serde(default)]
    generation: i64,
}

/// One notification as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InboxItem {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NotificationType,
    pub title: String,
    pub body: String,
    pub org_id: Option<String>,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
    pub read: bool,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub unread_count: i64,
    pub next_cursor: Option<String>,
}

async fn state(deps: &Deps, user_id: &str) -> Result<InboxState> {
    match deps.table.get(&keys::inbox_state(user_id)).await? {
        Some(item) => Ok(from_item(item)?),
        None => Ok(InboxState::default()),
    }
}

/// The inbox is still in `generation` (a missing state is generation 0).
fn generation_is(generation: i64) -> Condition {
    let equal = Condition::eq("generation", generation);
    if generation == 0 {
        Condition::Or(vec![Condition::attr_not_exists("generation"), equal])
    } else {
        equal
    }
}

/// Stores a delivery in `user_id`'s inbox, unread. A redelivery (the entry
/// exists) changes nothing.
pub(super) async fn store(deps: &Deps, user_id: &str, delivery: &Delivery<'_>) -> Result<()> {
    let notification = delivery.notification;
    let text = render_in_app(
        notification.kind,
        delivery.recipient.name.as_deref(),
        delivery.org_name,
        &notification.data,
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    let created_at = Timestamp::from_second(deps.clock.now().as_second())
        .map_err(|e| Error::Internal(e.to_string()))?;
    for _ in 0..STORE_ATTEMPTS {
        let generation = state(deps, user_id).await?.generation;
        let entry = EntryRecord {
            id: notification.id.clone(),
            kind: notification.kind,
            title: text.title.clone(),
            body: text.body.clone(),
            org_id: notification.org_id.clone(),
            data: notification.data.clone(),
            created_at,
            generation,
            read: false,
        };
        let mut item = to_item(&keys::inbox_entry(user_id, &entry.id), &entry, None)?;
        item.insert(
            "gsi1pk".into(),
            keys::inbox_unread(user_id, generation).into(),
        );
        item.insert("gsi1sk".into(), entry.id.clone().into());
        let writes = vec![
            Write::Put {
                item,
                condition: Some(Condition::NotExists),
            },
            Write::Update {
                key: keys::inbox_state(user_id),
                update: Update::new().add("unread", 1),
                condition: Some(generation_is(generation)),
            },
        ];
        match deps.table.transact(writes).await {
            Ok(()) | Err(TableError::TransactionConditionFailed { index: 0 }) => return Ok(()),
            // A read-all moved the generation meanwhile: stamp the new one.
            Err(TableError::TransactionConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(TableError::TransactionConflict.into())
}

/// A page of the caller's inbox, newest first.
pub async fn list(
    deps: &Deps,
    caller: &Caller,
    unread_only: bool,
    page: PageParams,
) -> Result<InboxPage> {
    let limit = page.limit()?;
    let user_id = &caller.user_id;
    let state = state(deps, user_id).await?;
    let query = if unread_only {
        Query::new(Index::Gsi1, keys::inbox_unread(user_id, state.generation))
    } else {
        let (pk, prefix) = keys::inbox_of(user_id);
        Query::new(Index::Table, pk).sk(SortKey::BeginsWith(prefix))
    };
    let page = deps
        .table
        .query(&query.backward().limit(limit).after(page.cursor))
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|item| {
            let entry: EntryRecord = from_item(item)?;
            Ok(InboxItem {
                read: entry.read || entry.generation < state.generation,
                id: entry.id,
                kind: entry.kind,
                title: entry.title,
                body: entry.body,
                org_id: entry.org_id,
                data: entry.data,
                created_at: entry.created_at,
            })
        })
        .collect::<Result<_>>()?;
    Ok(InboxPage {
        items,
        unread_count: state.unread.max(0),
        next_cursor: page.cursor,
    })
}

/// Marks one of the caller's notifications read. Someone else's or an unknown
/// id is not found; one already read stays as it is.
pub async fn mark_read(deps: &Deps, caller: &Caller, notification_id: &str) -> Result<()> {
    let not_found = Error::NotFound("notification");
    if !is_id(notification_id) {
        return Err(not_found);
    }
    let user_id = &caller.user_id;
    let key = keys::inbox_entry(user_id, notification_id);
    let entry: EntryRecord = match deps.table.get(&key).await? {
        Some(item) => from_item(item)?,
        None => return Err(not_found),
    };
    if entry.read || entry.generation < state(deps, user_id).await?.generation {
        return Ok(());
    }
    let writes = vec![
        Write::Update {
            key,
            update: Update::new()
                .set("read", true)
                .remove("gsi1pk")
                .remove("gsi1sk"),
            condition: Some(Condition::eq("read", false)),
        },
        Write::Update {
            key: keys::inbox_state(user_id),
            update: Update::new().add("unread", -1),
            condition: Some(generation_is(entry.generation)),
        },
    ];
    match deps.table.transact(writes).await {
        // Read meanwhile, on its own or by a read-all: already counted.
        Ok(()) | Err(TableError::TransactionConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Marks every notification of the caller read: one write, whatever the inbox size.
pub async fn mark_all_read(deps: &Deps, caller: &Caller) -> Result<()> {
    deps.table
        .update(
            &keys::inbox_state(&caller.user_id),
            &Update::new().set("unread", 0).add("generation", 1),
            None,
        )
        .await?;
    Ok(())
}
