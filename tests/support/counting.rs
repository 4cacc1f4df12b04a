//! A `Table` that counts the calls made through it and hands every one to the
//! real adapter it wraps: not a mock, a meter (DESIGN.md §6: what a test can
//! assert is a count of table calls per request).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_trait::async_trait;
use shared::table::{Condition, Item, Key, Page, Query, Table, TableError, Update, Write};

pub struct CountingTable {
    inner: Arc<dyn Table>,
    calls: AtomicUsize,
}

impl CountingTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        CountingTable {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    /// Calls made so far; resets the count.
    pub fn take_calls(&self) -> usize {
        self.calls.swap(0, Ordering::SeqCst)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.count();
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        self.count();
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        self.count();
        self.inner.update(key, update, condition).await
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, TableError> {
        self.count();
        self.inner.delete(key, condition).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        self.count();
        self.inner.transact(writes).await
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        self.count();
        self.inner.query(query).await
    }
}
