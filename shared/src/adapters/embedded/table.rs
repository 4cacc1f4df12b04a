//! `EmbeddedTable`: the `Table` port on SQLite, for the local runner and tests.
//!
//! One row per item: its key and index attributes and `ttl` in columns (so SQLite
//! indexes them) and the whole item as JSON. Every write runs in an IMMEDIATE
//! transaction, so checking a condition and writing are one atomic step.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::Value;

use super::sqlite::{Database, SqliteError};
use crate::adapters::table_requests::{
    check_item, check_key, check_query, check_transaction, check_update, check_write,
    encode_cursor, key_item,
};
use crate::clock::Clock;
use crate::table::{
    Condition, Index, Item, Key, Page, Query, SortKey, TTL, Table, TableError, Update, Write,
    is_live,
};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        gsi1pk TEXT,
        gsi1sk TEXT,
        gsi2pk TEXT,
        gsi2sk TEXT,
        ttl INTEGER,
        body TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk);
    CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk);
";

/// Rows live at the bound "now" (as `is_live`, in SQL so a query's limit counts live rows only).
const LIVE: &str = "(ttl IS NULL OR ttl > ?)";

pub struct EmbeddedTable {
    database: Database,
    clock: Arc<dyn Clock>,
}

fn sqlite_error(error: rusqlite::Error) -> TableError {
    TableError::Backend(format!("sqlite: {error}"))
}

fn json_error(error: serde_json::Error) -> TableError {
    TableError::Backend(format!("stored item is not a JSON object: {error}"))
}

impl EmbeddedTable {
    /// Opens (or creates) the table in a file and purges the items that
    /// expired while it was closed.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        let database = Database::open(path, &schema_purging_before(clock.now().as_second()));
        Ok(EmbeddedTable {
            database: database.map_err(backend)?,
            clock,
        })
    }

    /// A table that lives as long as this value, for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        let database = Database::in_memory(&schema_purging_before(clock.now().as_second()));
        Ok(EmbeddedTable {
            database: database.map_err(backend)?,
            clock,
        })
    }

    /// Runs `work` on the connection off the async runtime, with the clock's now.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, i64) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let now = self.clock.now().as_second();
        self.database
            .with_connection(move |connection| work(connection, now))
            .await
            .map_err(backend)?
    }

    /// Runs `work` in an IMMEDIATE transaction, committed only if it succeeds.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction, i64) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        self.run(move |connection, now| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite_error)?;
            let outcome = work(&transaction, now)?;
            transaction.commit().map_err(sqlite_error)?;
            Ok(outcome)
        })
        .await
    }
}

fn backend(error: SqliteError) -> TableError {
    TableError::Backend(error.to_string())
}

/// The schema, and the purge of items expired at `now` (an integer, so safe to
/// write into the SQL).
fn schema_purging_before(now: i64) -> String {
    format!("{SCHEMA}\nDELETE FROM items WHERE ttl <= {now};")
}

fn parse_item(body: String) -> Result<Item, TableError> {
    serde_json::from_str(&body).map_err(json_error)
}

/// The live item under `key`, if any.
fn load_live(connection: &Connection, key: &Key, now: i64) -> Result<Option<Item>, TableError> {
    let body: Option<String> = connection
        .query_row(
            "SELECT body FROM items WHERE pk = ?1 AND sk = ?2",
            params![key.pk, key.sk],
            |row| row.get(0),
        )
        .optional()
        .map_err(sqlite_error)?;
    let item = body.map(parse_item).transpose()?;
    Ok(item.filter(|item| is_live(item, now)))
}

/// The value of an index column: the attribute if the item is in that index.
fn index_column(item: &Item, index: Index, attr: &str) -> Option<String> {
    let in_index = item.get(index.pk_attr()).is_some() && item.get(index.sk_attr()).is_some();
    item.get(attr)
        .and_then(Value::as_str)
        .filter(|_| in_index)
        .map(str::to_owned)
}

/// Writes `item` (already checked), replacing whatever row has its key.
fn store(connection: &Connection, key: &Key, item: &Item) -> Result<(), TableError> {
    let body = serde_json::to_string(item).map_err(json_error)?;
    connection
        .execute(
            "INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                key.pk,
                key.sk,
                index_column(item, Index::Gsi1, "gsi1pk"),
                index_column(item, Index::Gsi1, "gsi1sk"),
                index_column(item, Index::Gsi2, "gsi2pk"),
                index_column(item, Index::Gsi2, "gsi2sk"),
                item.get(TTL).and_then(Value::as_i64),
                body,
            ],
        )
        .map_err(sqlite_error)?;
    Ok(())
}

fn require(condition: Option<&Condition>, current: Option<&Item>) -> Result<(), TableError> {
    match condition {
        Some(condition) if !condition.holds(current) => Err(TableError::ConditionFailed),
        _ => Ok(()),
    }
}

/// Performs one checked write inside a transaction. Returns the item an update
/// left, or the live item a delete removed. A condition that does not hold is
/// `ConditionFailed`.
fn execute(connection: &Connection, write: Write, now: i64) -> Result<Option<Item>, TableError> {
    let key = write
        .key()
        .ok_or_else(|| TableError::Invalid("item without pk/sk".into()))?;
    let current = load_live(connection, &key, now)?;
    match write {
        Write::Put { item, condition } => {
            require(condition.as_ref(), current.as_ref())?;
            store(connection, &key, &item)?;
            Ok(None)
        }
        Write::Update {
            update, condition, ..
        } => {
            require(condition.as_ref(), current.as_ref())?;
            // An expired item is absent: the update starts from the key alone.
            let mut item = current.unwrap_or_else(|| key_item(&key));
            update.apply(&mut item)?;
            check_item(&item)?;
            store(connection, &key, &item)?;
            Ok(Some(item))
        }
        Write::Delete { condition, .. } => {
            require(condition.as_ref(), current.as_ref())?;
            connection
                .execute(
                    "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
                    params![key.pk, key.sk],
                )
                .map_err(sqlite_error)?;
            Ok(current)
        }
        Write::Check { condition, .. } => {
            require(Some(&condition), current.as_ref())?;
            Ok(None)
        }
    }
}

/// The SQL condition and parameters of a query's sort-key condition on `column`.
fn sort_key_sql(condition: &SortKey, column: &str) -> (String, Vec<SqlValue>) {
    let text = |s: &String| SqlValue::Text(s.clone());
    match condition {
        SortKey::Eq(v) => (format!("{column} = ?"), vec![text(v)]),
        // `>=` lets SQLite seek to the prefix; substr checks it.
        SortKey::BeginsWith(p) => (
            format!("{column} >= ? AND substr({column}, 1, length(?)) = ?"),
            vec![text(p), text(p), text(p)],
        ),
        SortKey::Between(low, high) => (
            format!("{column} BETWEEN ? AND ?"),
            vec![text(low), text(high)],
        ),
        SortKey::Lt(v) => (format!("{column} < ?"), vec![text(v)]),
        SortKey::Le(v) => (format!("{column} <= ?"), vec![text(v)]),
        SortKey::Gt(v) => (format!("{column} > ?"), vec![text(v)]),
        SortKey::Ge(v) => (format!("{column} >= ?"), vec![text(v)]),
    }
}

/// Runs a checked query. Rows are ordered by the index sort key, then the table
/// key, so a cursor names an exact position even when index sort keys tie.
fn run_query(
    connection: &Connection,
    query: &Query,
    start: Option<&Item>,
    now: i64,
) -> Result<Page, TableError> {
    let (pk_column, sk_column) = (query.index.pk_attr(), query.index.sk_attr());
    // The table key orders rows within an index sort key; on the table itself it is the sort key.
    let order_columns: Vec<&str> = match query.index {
        Index::Table => vec!["sk"],
        Index::Gsi1 | Index::Gsi2 => vec![sk_column, "pk", "sk"],
    };
    let direction = if query.forward { "ASC" } else { "DESC" };
    // Index columns are set only for items in that index (see `index_column`).
    let mut clauses = vec![format!("{pk_column} = ?"), LIVE.to_string()];
    let mut values = vec![SqlValue::Text(query.pk.clone()), SqlValue::Integer(now)];
    if let Some(condition) = &query.sk {
        let (clause, condition_values) = sort_key_sql(condition, sk_column);
        clauses.push(clause);
        values.extend(condition_values);
    }
    if let Some(start) = start {
        let after = if query.forward { ">" } else { "<" };
        let placeholders = vec!["?"; order_columns.len()].join(", ");
        clauses.push(format!(
            "({}) {after} ({placeholders})",
            order_columns.join(", ")
        ));
        for column in &order_columns {
            let value = start
                .get(*column)
                .and_then(Value::as_str)
                .unwrap_or_default();
            values.push(SqlValue::Text(value.to_owned()));
        }
    }
    let order = order_columns
        .iter()
        .map(|column| format!("{column} {direction}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT body FROM items WHERE {} ORDER BY {order} LIMIT ?",
        clauses.join(" AND ")
    );
    // One row more than the page tells whether another page follows.
    values.push(SqlValue::Integer(i64::from(query.limit) + 1));

    let mut statement = connection.prepare_cached(&sql).map_err(sqlite_error)?;
    let bodies = statement
        .query_map(rusqlite::params_from_iter(values), |row| {
            row.get::<_, String>(0)
        })
        .map_err(sqlite_error)?;
    let mut items = Vec::new();
    for body in bodies {
        items.push(parse_item(body.map_err(sqlite_error)?)?);
    }
    let more = items.len() > query.limit as usize;
    items.truncate(query.limit as usize);
    let cursor = match items.last() {
        Some(last) if more => Some(encode_cursor(query.index, last)),
        _ => None,
    };
    Ok(Page { items, cursor })
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        check_key(key)?;
        let key = key.clone();
        self.run(move |connection, now| load_live(connection, &key, now))
            .await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        let write = Write::Put { item, condition };
        check_write(&write)?;
        self.write(move |transaction, now| execute(transaction, write, now))
            .await?;
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        check_update(key, update)?;
        let write = Write::Update {
            key: key.clone(),
            update: update.clone(),
            condition,
        };
        let updated = self
            .write(move |transaction, now| execute(transaction, write, now))
            .await?;
        updated.ok_or_else(|| TableError::Backend("update returned no item".into()))
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, TableError> {
        let write = Write::Delete {
            key: key.clone(),
            condition,
        };
        check_write(&write)?;
        self.write(move |transaction, now| execute(transaction, write, now))
            .await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        check_transaction(&writes)?;
        self.write(move |transaction, now| {
            // Writes touch distinct items, so checking each condition just before
            // its write sees the same state as checking them all first.
            for (index, write) in writes.into_iter().enumerate() {
                match execute(transaction, write, now) {
                    Err(TableError::ConditionFailed) => {
                        return Err(TableError::TransactionConditionFailed { index });
                    }
                    outcome => outcome?,
                };
            }
            Ok(())
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let start = check_query(query)?;
        let query = query.clone();
        self.run(move |connection, now| run_query(connection, &query, start.as_ref(), now))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    /// Expired rows are invisible through the port either way; opening the
    /// table is what removes them from disk.
    #[test]
    fn opening_purges_expired_rows() {
        let path = std::env::temp_dir().join(format!("purge-{}.sqlite3", uuid::Uuid::now_v7()));
        drop(EmbeddedTable::open(&path, Arc::new(SystemClock)).expect("create"));
        let now = SystemClock.now().as_second();
        let connection = Connection::open(&path).expect("open");
        for (sk, ttl) in [
            ("expired", Some(now - 1)),
            ("live", Some(now + 60)),
            ("lasting", None),
        ] {
            connection
                .execute(
                    "INSERT INTO items (pk, sk, ttl, body) VALUES ('p', ?1, ?2, '{}')",
                    params![sk, ttl],
                )
                .expect("insert");
        }
        drop(EmbeddedTable::open(&path, Arc::new(SystemClock)).expect("reopen"));
        let mut statement = connection
            .prepare("SELECT sk FROM items ORDER BY sk")
            .expect("select");
        let left: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(left, ["lasting", "live"]);
        drop(statement);
        drop(connection);
        let _ = std::fs::remove_file(&path);
    }
}
