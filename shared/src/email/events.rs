//! What email providers tell us about sent emails, normalized: Mailgun webhooks
//! and SES events (through EventBridge) both arrive on the email-events queue
//! and become `EmailEvent`s, which update the email log.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The queue provider events go through.
pub const EMAIL_EVENTS_QUEUE: &str = "email-events";

/// One provider event about one sent email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailEvent {
    /// Which provider's ids `event_id` and `message_id` are (`mailgun`, `ses`).
    pub provider: String,
    /// The provider's id of this event: applying an event twice changes nothing.
    pub event_id: String,
    /// The provider's message id, without angle brackets.
    pub message_id: String,
    pub recipient: String,
    pub at: Timestamp,
    pub kind: EmailEventKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EmailEventKind {
    Delivered,
    Opened,
    Clicked,
    /// A bounce or a rejection; a permanent one suppresses the address.
    Failed {
        permanent: bool,
        reason: String,
    },
    /// The recipient marked it as spam; suppresses the address.
    Complained,
    Unsubscribed,
}

/// A message id as providers write it in different places: `<id@host>` or `id@host`.
pub fn normalize_message_id(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}
