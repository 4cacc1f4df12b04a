//! One SQLite connection shared by an embedded adapter. The connection sits behind
//! a mutex, so each piece of work runs alone (atomic without extra locking), and the
//! work runs on tokio's blocking pool, so SQLite never stalls the async workers.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

/// How long a statement waits for another connection to the same file (another
/// adapter sharing the local state file) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("sqlite worker task failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

#[derive(Clone)]
pub struct Database {
    connection: Arc<Mutex<Connection>>,
}

impl Database {
    /// Opens (or creates) the database file in WAL mode and applies `schema`,
    /// which must be idempotent (`CREATE ... IF NOT EXISTS`).
    pub fn open(path: &Path, schema: &str) -> Result<Self, SqliteError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        // Safe with WAL (no corruption on a crash), and far fewer fsyncs.
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        Self::with_schema(connection, schema)
    }

    /// A database that lives as long as this value, for tests.
    pub fn in_memory(schema: &str) -> Result<Self, SqliteError> {
        Self::with_schema(Connection::open_in_memory()?, schema)
    }

    fn with_schema(connection: Connection, schema: &str) -> Result<Self, SqliteError> {
        connection.execute_batch(schema)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` with the connection to itself, on the blocking pool, and
    /// hands back whatever it returns (an adapter's own result type).
    pub async fn with_connection<R, F>(&self, work: F) -> Result<R, SqliteError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> R + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        Ok(tokio::task::spawn_blocking(move || {
            // A panic elsewhere while holding the lock rolled its transaction back,
            // so the connection is still consistent: keep using it.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await?)
    }

    /// Runs `work`, whose errors are SQLite's, with the connection to itself.
    pub async fn run<T, F>(&self, work: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        Ok(self.with_connection(work).await??)
    }
}
