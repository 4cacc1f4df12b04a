//! Embedded adapters on SQLite: a table, a durable queue and a mailbox; and
//! uploads as files in the data directory.

pub mod mailbox;
pub mod queue;
pub mod sqlite;
pub mod table;
pub mod uploads;
