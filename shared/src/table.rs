//! The `Table` port: DynamoDB single-table semantics.
//!
//! Implemented by the DynamoDB adapter and the embedded SQLite adapter; the
//! conformance suite in `tests/` holds both to the promises written here.
//!
//! An item is a JSON object. Its key attributes are strings: `pk`, `sk`, and
//! optionally `gsi1pk`/`gsi1sk`, `gsi2pk`/`gsi2sk` (an item without both
//! attributes of an index is not in that index). `ttl`, when present, is the
//! expiry in Unix seconds: from that second on the item is absent for every
//! read and every condition, even before it is physically deleted.

use std::cmp::Ordering;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// One stored item: a JSON object holding its own key attributes.
pub type Item = Map<String, Value>;

/// The attribute holding the expiry time (Unix seconds).
pub const TTL: &str = "ttl";
/// Most writes in one transaction, as in DynamoDB.
pub const MAX_TRANSACTION_WRITES: usize = 100;
/// Largest item, as in DynamoDB (400 KB, measured here as the item's JSON size).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limits on key attributes, in UTF-8 bytes: both adapters refuse
/// longer keys, so code that could build one fails in tests as on AWS.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Refuses a partition or sort key DynamoDB would refuse for its size.
pub fn check_key_sizes(pk: &str, sk: Option<&str>) -> Result<(), TableError> {
    if pk.len() > MAX_PARTITION_KEY_BYTES {
        return Err(TableError::Invalid(format!(
            "a partition key of {} bytes exceeds {MAX_PARTITION_KEY_BYTES}",
            pk.len()
        )));
    }
    if let Some(sk) = sk.filter(|sk| sk.len() > MAX_SORT_KEY_BYTES) {
        return Err(TableError::Invalid(format!(
            "a sort key of {} bytes exceeds {MAX_SORT_KEY_BYTES}",
            sk.len()
        )));
    }
    Ok(())
}

/// Largest page a query may ask for.
pub const MAX_QUERY_LIMIT: u32 = 1000;

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item, if it has string `pk` and `sk` attributes.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(
            item.get("pk")?.as_str()?,
            item.get("sk")?.as_str()?,
        ))
    }
}

/// Where a query looks: the table itself or one of its global secondary indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

impl Index {
    pub const ALL: [Index; 3] = [Index::Table, Index::Gsi1, Index::Gsi2];

    /// The index name in DynamoDB (`None` for the table).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }

    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Table => "pk",
            Index::Gsi1 => "gsi1pk",
            Index::Gsi2 => "gsi2pk",
        }
    }

    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Table => "sk",
            Index::Gsi1 => "gsi1sk",
            Index::Gsi2 => "gsi2sk",
        }
    }
}

/// A condition on the current state of one item, checked atomically with a write.
///
/// Attribute comparisons are false when the attribute is missing or of another
/// type than the value; strings compare by their UTF-8 bytes, numbers by value.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The item exists (and has not expired).
    Exists,
    /// The item does not exist (or has expired).
    NotExists,
    AttrExists(String),
    AttrNotExists(String),
    Eq(String, Value),
    Ne(String, Value),
    Lt(String, Value),
    Le(String, Value),
    Gt(String, Value),
    Ge(String, Value),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    pub fn eq(attr: &str, value: impl Into<Value>) -> Self {
        Condition::Eq(attr.into(), value.into())
    }
    pub fn lt(attr: &str, value: impl Into<Value>) -> Self {
        Condition::Lt(attr.into(), value.into())
    }
    pub fn attr_not_exists(attr: &str) -> Self {
        Condition::AttrNotExists(attr.into())
    }

    /// Whether the condition holds for `item` (`None`: no live item under that key).
    pub fn holds(&self, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.get(name));
        let compare = |name: &str, value: &Value, want: fn(Ordering) -> bool| {
            attr(name)
                .and_then(|have| compare_values(have, value))
                .is_some_and(want)
        };
        match self {
            Condition::Exists => item.is_some(),
            Condition::NotExists => item.is_none(),
            Condition::AttrExists(name) => attr(name).is_some(),
            Condition::AttrNotExists(name) => attr(name).is_none(),
            Condition::Eq(name, value) => compare(name, value, Ordering::is_eq),
            // DynamoDB: `a <> :v` is true when `a` is missing.
            Condition::Ne(name, value) => !compare(name, value, Ordering::is_eq),
            Condition::Lt(name, value) => compare(name, value, Ordering::is_lt),
            Condition::Le(name, value) => compare(name, value, Ordering::is_le),
            Condition::Gt(name, value) => compare(name, value, Ordering::is_gt),
            Condition::Ge(name, value) => compare(name, value, Ordering::is_ge),
            Condition::And(all) => all.iter().all(|c| c.holds(item)),
            Condition::Or(any) => any.iter().any(|c| c.holds(item)),
            Condition::Not(inner) => !inner.holds(item),
        }
    }
}

/// Orders two values of the same kind the way DynamoDB does; `None` for values
/// of different kinds, or kinds without an order.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
        },
        // Other kinds only compare for equality.
        (a, b) if a == b => Some(Ordering::Equal),
        _ => None,
    }
}

/// Changes to one item's attributes. Applied to a missing item, it creates one
/// (an upsert, as in DynamoDB) unless a condition forbids it. Key attributes
/// `pk` and `sk` cannot be changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    /// Atomic increments (negative to decrement); a missing attribute counts as 0.
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Update::default()
    }
    pub fn set(mut self, attr: &str, value: impl Into<Value>) -> Self {
        self.set.push((attr.into(), value.into()));
        self
    }
    pub fn add(mut self, attr: &str, by: i64) -> Self {
        self.add.push((attr.into(), by));
        self
    }
    pub fn remove(mut self, attr: &str) -> Self {
        self.remove.push(attr.into());
        self
    }

    /// Every attribute this update touches.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        let set = self.set.iter().map(|(a, _)| a.as_str());
        let add = self.add.iter().map(|(a, _)| a.as_str());
        set.chain(add).chain(self.remove.iter().map(String::as_str))
    }

    /// Applies the update to `item`, which already holds the key attributes.
    pub fn apply(&self, item: &mut Item) -> Result<(), TableError> {
        if let Some(key_attr) = self.attributes().find(|a| *a == "pk" || *a == "sk") {
            return Err(TableError::Invalid(format!(
                "cannot update key attribute {key_attr}"
            )));
        }
        for (attr, value) in &self.set {
            item.insert(attr.clone(), value.clone());
        }
        for (attr, by) in &self.add {
            let current = match item.get(attr) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| {
                    TableError::Invalid(format!("cannot add to non-integer attribute {attr}"))
                })?,
            };
            item.insert(attr.clone(), Value::from(current + by));
        }
        for attr in &self.remove {
            item.remove(attr);
        }
        Ok(())
    }
}

/// One write of a transaction (or a condition check that writes nothing).
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update {
        key: Key,
        update: Update,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Update { key, .. } | Write::Delete { key, .. } | Write::Check { key, .. } => {
                Some(key.clone())
            }
        }
    }
}

/// A condition on the sort key of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortKey {
    Eq(String),
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        let sk = sk.as_bytes();
        match self {
            SortKey::Eq(v) => sk == v.as_bytes(),
            SortKey::BeginsWith(p) => sk.starts_with(p.as_bytes()),
            SortKey::Between(lo, hi) => lo.as_bytes() <= sk && sk <= hi.as_bytes(),
            SortKey::Lt(v) => sk < v.as_bytes(),
            SortKey::Le(v) => sk <= v.as_bytes(),
            SortKey::Gt(v) => sk > v.as_bytes(),
            SortKey::Ge(v) => sk >= v.as_bytes(),
        }
    }
}

/// A query: the items of one partition of the table or of an index, in sort-key
/// order, a page at a time. Strongly consistent on the table, eventually
/// consistent on an index (as in DynamoDB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: Option<SortKey>,
    /// Ascending sort key when true.
    pub forward: bool,
    /// Most items in one page, 1..=`MAX_QUERY_LIMIT`.
    pub limit: u32,
    /// Where the previous page stopped (`Page::cursor`).
    pub cursor: Option<String>,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        Query {
            index,
            pk: pk.into(),
            sk: None,
            forward: true,
            limit: 100,
            cursor: None,
        }
    }
    pub fn sk(mut self, condition: SortKey) -> Self {
        self.sk = Some(condition);
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of a query. `cursor` is `Some` when more items may follow (a full
/// page may be followed by an empty one); pass it back as `Query::cursor`.
/// A page may hold fewer than `limit` items even when more follow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The condition of a single write did not hold; nothing was written.
    #[error("the write's condition did not hold")]
    ConditionFailed,
    /// The condition of write number `index` (0-based, the first that failed) of a
    /// transaction did not hold; nothing was written.
    #[error("condition of transaction write {index} did not hold")]
    TransactionConditionFailed { index: usize },
    /// Another transaction touched the same items at the same time; retry.
    #[error("transaction conflicted with a concurrent one")]
    TransactionConflict,
    /// The cursor was not one this query returned.
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// The request breaks a rule of the table (too many writes, two writes to one
    /// item, an item too large, a key attribute missing, ...).
    #[error("invalid table request: {0}")]
    Invalid(String),
    /// The backend failed (network, throttling, disk, ...).
    #[error("table backend failed: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Table: Send + Sync {
    /// A strongly consistent read of one item.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;
    /// Writes a whole item, replacing any item with its key, if `condition` holds.
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError>;
    /// Updates (or creates) one item if `condition` holds; returns the item as written.
    async fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError>;
    /// Deletes one item if `condition` holds; returns the live item it deleted.
    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, TableError>;
    /// Up to `MAX_TRANSACTION_WRITES` writes to distinct items, all or nothing.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError>;
    async fn query(&self, query: &Query) -> Result<Page, TableError>;
}

/// Checks what both adapters reject before touching storage.
pub fn validate_transaction(writes: &[Write]) -> Result<(), TableError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_WRITES {
        return Err(TableError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_WRITES} writes, not {}",
            writes.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| TableError::Invalid("item without pk/sk".into()))?;
        if !seen.insert(key.clone()) {
            return Err(TableError::Invalid(format!(
                "two writes to one item ({}, {}) in a transaction",
                key.pk, key.sk
            )));
        }
    }
    Ok(())
}

/// Checks an item before it is written: string key attributes, index attributes
/// paired and strings, a numeric `ttl`, and the size limit.
pub fn validate_item(item: &Item) -> Result<(), TableError> {
    for index in Index::ALL {
        let pk = item.get(index.pk_attr());
        let sk = item.get(index.sk_attr());
        let is_str = |v: Option<&Value>| v.is_none_or(Value::is_string);
        if !is_str(pk) || !is_str(sk) {
            return Err(TableError::Invalid(format!(
                "{} and {} must be strings",
                index.pk_attr(),
                index.sk_attr()
            )));
        }
        if index == Index::Table && (pk.is_none() || sk.is_none()) {
            return Err(TableError::Invalid("an item needs string pk and sk".into()));
        }
        if let Some(pk) = pk.and_then(Value::as_str) {
            check_key_sizes(pk, sk.and_then(Value::as_str))?;
        }
    }
    if item.get(TTL).is_some_and(|t| t.as_i64().is_none()) {
        return Err(TableError::Invalid(
            "ttl must be an integer (Unix seconds)".into(),
        ));
    }
    let size = serde_json::to_vec(item)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_ITEM_BYTES {
        return Err(TableError::Invalid(format!(
            "item of {size} bytes exceeds {MAX_ITEM_BYTES}"
        )));
    }
    Ok(())
}

/// Whether an item is live at `now` (Unix seconds): it has no `ttl`, or a later one.
pub fn is_live(item: &Item, now: i64) -> bool {
    item.get(TTL)
        .and_then(Value::as_i64)
        .is_none_or(|ttl| ttl > now)
}
