//! A fresh, isolated `Table` for each conformance test, on either adapter, with
//! a clock the test moves forward to expire items.

use std::sync::Arc;

use shared::adapters::aws::dynamodb::{DynamoDbTable, create_table_if_missing};
use shared::adapters::embedded::table::EmbeddedTable;
use shared::clock::{Clock, ShiftedClock};
use shared::table::Table;
use tempfile::TempDir;

use crate::aws::{sdk_config, unique_name};

pub struct TestTable {
    pub table: Arc<dyn Table>,
    pub clock: Arc<ShiftedClock>,
    /// Holds the embedded adapter's database file, deleted when the test ends.
    _dir: Option<TempDir>,
}

impl TestTable {
    /// Now on the table's clock, in Unix seconds (as `ttl` is written).
    pub fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// Moves the table's clock forward.
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(jiff::SignedDuration::from_secs(seconds));
    }
}

/// An `EmbeddedTable` in a new database file.
pub async fn embedded() -> TestTable {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clock = Arc::new(ShiftedClock::default());
    let table = EmbeddedTable::open(&dir.path().join("table.sqlite"), clock.clone())
        .expect("open the embedded table");
    TestTable {
        table: Arc::new(table),
        clock,
        _dir: Some(dir),
    }
}

/// A `DynamoDbTable` on a new, uniquely named table at the test endpoint.
pub async fn dynamodb() -> TestTable {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let name = unique_name("table");
    create_table_if_missing(&client, &name)
        .await
        .expect("create the test table");
    let clock = Arc::new(ShiftedClock::default());
    TestTable {
        table: Arc::new(DynamoDbTable::new(client, name, clock.clone())),
        clock,
        _dir: None,
    }
}
