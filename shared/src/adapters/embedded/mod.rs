//! Embedded adapters on SQLite: a table, a durable queue and a mailbox.

pub mod mailbox;
pub mod queue;
pub mod sqlite;
pub mod table;
