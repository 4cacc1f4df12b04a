//! Domain records stored as table items: a record's fields plus its key.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::table::{Item, Key, Query, Table, TableError};

/// The item for `record` under `key`, with the time it expires, if it does.
pub fn to_item<T: Serialize>(key: &Key, record: &T, ttl: Option<i64>) -> Result<Item, TableError> {
    let Value::Object(mut item) =
        serde_json::to_value(record).map_err(|e| TableError::Invalid(e.to_string()))?
    else {
        return Err(TableError::Invalid(
            "a record must serialize to an object".into(),
        ));
    };
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    if let Some(ttl) = ttl {
        item.insert(crate::table::TTL.into(), ttl.into());
    }
    Ok(item)
}

/// The record stored in `item` (its key attributes are ignored).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, TableError> {
    serde_json::from_value(Value::Object(item))
        .map_err(|e| TableError::Backend(format!("stored item does not parse: {e}")))
}

/// The record under `key`, if a live item is there.
pub async fn get<T: DeserializeOwned>(
    table: &dyn Table,
    key: &Key,
) -> Result<Option<T>, TableError> {
    table.get(key).await?.map(from_item).transpose()
}

/// One page of `query`, each item read as a `T`, and where the next page starts.
pub async fn page_of<T: DeserializeOwned>(
    table: &dyn Table,
    query: &Query,
) -> Result<(Vec<T>, Option<String>), TableError> {
    let page = table.query(query).await?;
    let items = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    Ok((items, page.cursor))
}
