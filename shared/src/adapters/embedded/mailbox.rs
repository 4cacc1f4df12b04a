//! The developer mailbox: a SQLite store of every email sent. `Mailbox` is also a
//! `Mailer` (the local runner's default, sending nowhere); `RecordingMailer` sends
//! through a real mailer and records what it accepted.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::params;
use serde::Serialize;

use super::sqlite::{Database, SqliteError};
use crate::mail::{Attachment, Email, MailError, Mailer};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mailbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
-- A table of its own, so mailboxes made before attachments existed still open.
CREATE TABLE IF NOT EXISTS mailbox_attachments (
    mail_seq INTEGER NOT NULL REFERENCES mailbox(seq),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content TEXT NOT NULL
);
";

/// One email in the mailbox, as the developer mailbox page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Every http(s) URL in the text or HTML body, deduplicated, in order.
    pub links: Vec<String>,
    /// RFC 3339.
    pub sent_at: String,
    pub message_id: String,
    /// The email's type (`verify_email`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, thiserror::Error)]
#[error("mailbox store failed: {0}")]
pub struct MailboxError(#[from] SqliteError);

#[derive(Clone)]
pub struct Mailbox {
    database: Database,
}

impl Mailbox {
    pub fn open(path: &Path) -> Result<Self, MailboxError> {
        Ok(Self {
            database: Database::open(path, SCHEMA)?,
        })
    }

    /// Stores an email sent under `message_id`.
    pub async fn record(&self, email: &Email, message_id: &str) -> Result<(), MailboxError> {
        let email = email.clone();
        let message_id = message_id.to_owned();
        let sent_at = Timestamp::now().to_string();
        self.database
            .run(move |connection| {
                let transaction = connection.transaction()?;
                transaction.execute(
                    "INSERT INTO mailbox
                     (message_id, recipient, subject, text_body, html_body, kind, sent_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        message_id,
                        email.to,
                        email.subject,
                        email.text,
                        email.html,
                        email.kind,
                        sent_at
                    ],
                )?;
                let seq = transaction.last_insert_rowid();
                for attachment in &email.attachments {
                    transaction.execute(
                        "INSERT INTO mailbox_attachments (mail_seq, filename, content_type, content)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![
                            seq,
                            attachment.filename,
                            attachment.content_type,
                            attachment.content
                        ],
                    )?;
                }
                transaction.commit()
            })
            .await?;
        Ok(())
    }

    /// The `limit` most recent emails, newest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<MailboxEntry>, MailboxError> {
        let entries = self
            .database
            .run(move |connection| {
                let mut statement = connection.prepare_cached(
                    "SELECT recipient, subject, text_body, html_body, sent_at, message_id, kind, seq
                     FROM mailbox ORDER BY seq DESC LIMIT ?1",
                )?;
                let mut attachments_of = connection.prepare_cached(
                    "SELECT filename, content_type, content FROM mailbox_attachments
                     WHERE mail_seq = ?1 ORDER BY rowid",
                )?;
                let rows = statement.query_map(params![limit], |row| {
                    let text: String = row.get(2)?;
                    let html: String = row.get(3)?;
                    Ok((
                        row.get::<_, i64>(7)?,
                        MailboxEntry {
                            to: row.get(0)?,
                            subject: row.get(1)?,
                            links: extract_links(&[&text, &html]),
                            text,
                            html,
                            sent_at: row.get(4)?,
                            message_id: row.get(5)?,
                            kind: row.get(6)?,
                            attachments: Vec::new(),
                        },
                    ))
                })?;
                let mut entries = Vec::new();
                for row in rows {
                    let (seq, mut entry) = row?;
                    entry.attachments = attachments_of
                        .query_map(params![seq], |row| {
                            Ok(Attachment {
                                filename: row.get(0)?,
                                content_type: row.get(1)?,
                                content: row.get(2)?,
                            })
                        })?
                        .collect::<Result<_, _>>()?;
                    entries.push(entry);
                }
                Ok(entries)
            })
            .await?;
        Ok(entries)
    }
}

#[async_trait]
impl Mailer for Mailbox {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let message_id = format!("<{}@mailbox.local>", uuid::Uuid::now_v7());
        self.record(email, &message_id)
            .await
            .map_err(|error| MailError::Unavailable(error.to_string()))?;
        Ok(message_id)
    }
}

/// Sends through `inner`, then records in `mailbox` what `inner` accepted, so the
/// developer mailbox lists email sent through a real provider too.
pub struct RecordingMailer {
    pub inner: Arc<dyn Mailer>,
    pub mailbox: Arc<Mailbox>,
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let message_id = self.inner.send(email).await?;
        // The email is gone: failing now would make the caller send it twice.
        // The mailbox is a developer aid, so a failure to record is only logged.
        if let Err(error) = self.mailbox.record(email, &message_id).await {
            tracing::warn!(%error, %message_id, "sent email not recorded in the mailbox");
        }
        Ok(message_id)
    }
}

/// Every http(s) URL in `bodies`, deduplicated, in order of appearance. A URL ends
/// at whitespace, a quote or an angle bracket (as in HTML attributes and text);
/// trailing sentence punctuation is not part of it; `&amp;` in HTML is `&`.
fn extract_links(bodies: &[&str]) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for body in bodies {
        let mut rest = *body;
        while let Some(start) = next_url_start(rest) {
            let candidate = &rest[start..];
            let end = candidate
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
                .unwrap_or(candidate.len());
            let link = candidate[..end]
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])
                .replace("&amp;", "&");
            let has_host = !link.ends_with("://");
            if has_host && !links.contains(&link) {
                links.push(link);
            }
            rest = &candidate[end..];
        }
    }
    links
}

fn next_url_start(text: &str) -> Option<usize> {
    ["https://", "http://"]
        .iter()
        .filter_map(|scheme| text.find(scheme))
        .min()
}

#[cfg(test)]
mod tests {
    use super::extract_links;

    #[test]
    fn links_come_from_text_and_html_once_each_without_trailing_punctuation() {
        let text = "Verify: https://app.test/verify?t=1&u=2. Or see http://docs.test/help).";
        let html = r#"<a href="https://app.test/verify?t=1&amp;u=2">verify</a>
            <a href='https://app.test/other'>other</a> ftp://not.a.link"#;
        assert_eq!(
            extract_links(&[text, html]),
            [
                "https://app.test/verify?t=1&u=2",
                "http://docs.test/help",
                "https://app.test/other",
            ]
        );
    }

    #[test]
    fn a_body_without_links_has_none() {
        assert!(extract_links(&["no links here: https:/ almost, https:// empty"]).is_empty());
    }
}
