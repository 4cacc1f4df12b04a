//! The messages a change promises to send (notifications, analytics events),
//! kept with the change: a transactional outbox on the due index (`due`).
//!
//! A use-case collects its messages in an `Outbox`, adds `Outbox::write` to its
//! own transaction, and once that commits calls `Outbox::send`: the messages
//! are enqueued and the entry deleted. Should the queue fail after the commit
//! (or the function stop), the entry stays, and `relay` (the outbox-relay
//! function, every minute) sends it once it falls due, `RELAY_AFTER` later.
//! So a committed change never loses its messages, and a change that did not
//! commit sends none. A message
//! may go twice (sent, then the entry's delete failed): every consumer is
//! idempotent per message (notification ids, analytics event ids).
//!
//! Messages may carry one-time secrets (a guest's manage link, an invite
//! code), and the table keeps secrets only as hashes: the entry holds its
//! messages sealed with AES-256-GCM under a key derived from the platform's
//! signing key, so only the platform's functions can read them.

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng},
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    Deps,
    due::{self, DueEntry, RunReport},
    error::{Error, Result},
    table::Write,
};

/// How long after its change an unsent entry falls due for `relay`: longer
/// than a request takes to send it itself, so the two rarely both send.
pub const RELAY_AFTER: SignedDuration = SignedDuration::from_mins(2);

/// The due-entry kind of outbox entries.
pub const KIND: &str = "outbox";

/// One message for one queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Message {
    queue: String,
    body: Value,
}

/// The messages of one change.
#[derive(Debug)]
pub struct Outbox {
    id: String,
    due_at: jiff::Timestamp,
    messages: Vec<Message>,
}

impl Outbox {
    pub fn new(deps: &Deps) -> Outbox {
        let now = deps.clock.now();
        Outbox {
            id: deps.ids.new_id(),
            due_at: now.checked_add(RELAY_AFTER).unwrap_or(now),
            messages: Vec::new(),
        }
    }

    /// Adds a message for `queue`.
    pub fn push(&mut self, queue: &str, body: &impl Serialize) -> Result<()> {
        let body = serde_json::to_value(body)
            .map_err(|e| Error::Internal(format!("outbox message for {queue}: {e}")))?;
        self.messages.push(Message {
            queue: queue.to_string(),
            body,
        });
        Ok(())
    }

    /// The write keeping the messages (sealed), for the change's own transaction.
    pub fn write(&self, deps: &Deps) -> Result<Write> {
        let messages = serde_json::to_vec(&self.messages)
            .map_err(|e| Error::Internal(format!("outbox {}: {e}", self.id)))?;
        let sealed = seal(deps, &messages)?;
        due::put(KIND, self.due_at, &self.id, json!({ "sealed": sealed }))
    }

    /// Sends the messages of a committed change and deletes the entry. A
    /// failure is logged, not returned: the change stands, and `relay` sends
    /// the messages later.
    pub async fn send(self, deps: &Deps) {
        let sent = async {
            send_all(deps, &self.messages).await?;
            deps.table
                .delete(
                    &due::entry_key(KIND, self.due_at.as_second(), &self.id),
                    None,
                )
                .await?;
            Ok::<_, Error>(())
        };
        if let Err(error) = sent.await {
            tracing::warn!(id = %self.id, %error, "outbox left for the relay");
        }
    }
}

async fn send_all(deps: &Deps, messages: &[Message]) -> Result<()> {
    for message in messages {
        let body = message.body.to_string();
        deps.queue
            .send(&message.queue, &body, std::time::Duration::ZERO)
            .await?;
    }
    Ok(())
}

/// One run of the relay: sends every entry left unsent.
pub async fn relay(deps: &Deps) -> Result<RunReport> {
    due::run(deps, KIND, |deps, entry| Box::pin(relay_entry(deps, entry))).await
}

/// Sends an entry's messages (true). An entry that cannot be read (sealed
/// under a key since rotated) is dropped (false): retrying cannot help, and it
/// would hold up every entry after it. A failed send fails the run, which the
/// next one does again.
async fn relay_entry(deps: &Deps, entry: &DueEntry) -> Result<bool> {
    let Some(messages) = messages_of(deps, entry) else {
        tracing::error!(id = %entry.target_id, "dropping an outbox that does not open");
        return Ok(false);
    };
    tracing::warn!(id = %entry.target_id, "relaying an unsent outbox");
    send_all(deps, &messages).await?;
    Ok(true)
}

fn messages_of(deps: &Deps, entry: &DueEntry) -> Option<Vec<Message>> {
    let sealed = entry.payload["sealed"].as_str()?;
    serde_json::from_slice(&open(deps, sealed).ok()?).ok()
}

/// The sealing key: a MAC of a fixed label under the signing key, so it
/// differs from every other use of that key.
fn cipher(deps: &Deps) -> Aes256Gcm {
    let key = deps.secrets.token_signing_key.mac(&[b"outbox-seal"]);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
}

/// `plaintext` sealed: base64 of a random nonce and the ciphertext.
fn seal(deps: &Deps, plaintext: &[u8]) -> Result<String> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher(deps)
        .encrypt(&nonce, plaintext)
        .map_err(|_| Error::Internal("outbox: sealing failed".into()))?;
    Ok(B64.encode([nonce.as_slice(), &ciphertext].concat()))
}

/// What `seal` sealed; an error when it was changed or sealed under another key.
fn open(deps: &Deps, sealed: &str) -> Result<Vec<u8>> {
    let unreadable = || Error::Internal("outbox: a sealed entry does not open".into());
    let bytes = B64.decode(sealed).map_err(|_| unreadable())?;
    const NONCE_BYTES: usize = 12;
    if bytes.len() < NONCE_BYTES {
        return Err(unreadable());
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    cipher(deps)
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .map_err(|_| unreadable())
}
