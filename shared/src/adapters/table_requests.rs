//! What both `Table` adapters do alike before touching storage: the checks that
//! reject a request (so both reject the same ones, the same way) and the query
//! cursor encoding (so a cursor means the same thing on both).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::table::{
    Index, Item, Key, MAX_QUERY_LIMIT, Query, SortKey, TableError, Update, Write, check_key_sizes,
    validate_item, validate_transaction,
};

/// Checks a key: DynamoDB refuses empty key strings, so both adapters do.
pub fn check_key(key: &Key) -> Result<(), TableError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(TableError::Invalid("pk and sk must not be empty".into()));
    }
    check_key_sizes(&key.pk, Some(&key.sk))
}

/// Checks an item about to be put.
pub fn check_item(item: &Item) -> Result<(), TableError> {
    validate_item(item)?;
    let empty_key_attr = Index::ALL
        .iter()
        .flat_map(|index| [index.pk_attr(), index.sk_attr()])
        .find(|attr| item.get(*attr).and_then(Value::as_str) == Some(""));
    match empty_key_attr {
        Some(attr) => Err(TableError::Invalid(format!("{attr} must not be empty"))),
        None => Ok(()),
    }
}

/// Checks an update: it changes something, touches each attribute once (DynamoDB
/// refuses overlapping paths) and, applied to the bare key, gives a valid item
/// (no key attribute changed, index attributes strings, an integer `ttl`).
pub fn check_update(key: &Key, update: &Update) -> Result<(), TableError> {
    check_key(key)?;
    let mut touched = std::collections::HashSet::new();
    for attr in update.attributes() {
        if !touched.insert(attr) {
            return Err(TableError::Invalid(format!(
                "an update touches {attr} more than once"
            )));
        }
    }
    if touched.is_empty() {
        return Err(TableError::Invalid("an update changes nothing".into()));
    }
    let mut item = key_item(key);
    update.apply(&mut item)?;
    check_item(&item)
}

/// Checks one write, alone or in a transaction.
pub fn check_write(write: &Write) -> Result<(), TableError> {
    match write {
        Write::Put { item, .. } => check_item(item),
        Write::Update { key, update, .. } => check_update(key, update),
        Write::Delete { key, .. } | Write::Check { key, .. } => check_key(key),
    }
}

pub fn check_transaction(writes: &[Write]) -> Result<(), TableError> {
    validate_transaction(writes)?;
    writes.iter().try_for_each(check_write)
}

/// Checks a query and returns the key attributes its cursor points after, if any.
pub fn check_query(query: &Query) -> Result<Option<Item>, TableError> {
    if !(1..=MAX_QUERY_LIMIT).contains(&query.limit) {
        return Err(TableError::Invalid(format!(
            "a query limit is 1 to {MAX_QUERY_LIMIT}, not {}",
            query.limit
        )));
    }
    if query.pk.is_empty() {
        return Err(TableError::Invalid("a query needs a partition key".into()));
    }
    check_key_sizes(&query.pk, None)?;
    if let Some(SortKey::Between(low, high)) = &query.sk
        && low.as_bytes() > high.as_bytes()
    {
        return Err(TableError::Invalid(format!(
            "between {low:?} and {high:?}: the low bound is above the high one"
        )));
    }
    query
        .cursor
        .as_deref()
        .map(|c| decode_cursor(query, c))
        .transpose()
}

/// An item holding only a key.
pub fn key_item(key: &Key) -> Item {
    Item::from_iter([
        ("pk".to_string(), Value::from(key.pk.clone())),
        ("sk".to_string(), Value::from(key.sk.clone())),
    ])
}

/// The attributes that place an item in `index`: the index key, then the table
/// key (DynamoDB's `LastEvaluatedKey` for that index).
fn cursor_attrs(index: Index) -> Vec<&'static str> {
    let mut attrs = vec![index.pk_attr(), index.sk_attr()];
    if index != Index::Table {
        attrs.extend([Index::Table.pk_attr(), Index::Table.sk_attr()]);
    }
    attrs
}

/// The cursor pointing after `item` (an item, or DynamoDB's `LastEvaluatedKey`)
/// in `index`: base64url of the JSON of its key attributes for that index.
pub fn encode_cursor(index: Index, item: &Item) -> String {
    let key: Item = cursor_attrs(index)
        .into_iter()
        .filter_map(|attr| Some((attr.to_string(), item.get(attr)?.clone())))
        .collect();
    URL_SAFE_NO_PAD.encode(Value::Object(key).to_string())
}

/// Decodes a cursor, accepting only one this query could have returned: the
/// key attributes of its index, all strings, in its partition and sort-key range.
fn decode_cursor(query: &Query, cursor: &str) -> Result<Item, TableError> {
    let json = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| TableError::InvalidCursor)?;
    let Ok(Value::Object(key)) = serde_json::from_slice::<Value>(&json) else {
        return Err(TableError::InvalidCursor);
    };
    let attrs = cursor_attrs(query.index);
    let string = |attr: &str| key.get(attr).and_then(Value::as_str);
    let well_formed = key.len() == attrs.len() && attrs.iter().all(|attr| string(attr).is_some());
    let in_partition = string(query.index.pk_attr()) == Some(query.pk.as_str());
    let in_range = match (&query.sk, string(query.index.sk_attr())) {
        (Some(condition), Some(sk)) => condition.matches(sk),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if well_formed && in_partition && in_range {
        Ok(key)
    } else {
        Err(TableError::InvalidCursor)
    }
}
