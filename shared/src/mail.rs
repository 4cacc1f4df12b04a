//! The `Mailer` port: sends one rendered email through a provider.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A rendered email, ready to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What the email is (`verify_email`, `mfa_code`, ...), for logs and tags.
    pub kind: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file sent with an email. Text only (a calendar invitation), which every
/// provider and the mailbox carry as is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The provider refused this email for good (bad address, rejected content).
    #[error("email rejected: {0}")]
    Rejected(String),
    /// The provider could not take it now; try again later.
    #[error("email provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, email: &Email) -> Result<String, MailError>;
}
