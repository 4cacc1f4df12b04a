//! Channels: the ways a notification reaches a person. Each is one
//! implementation of `ChannelDelivery`; the fan-out worker calls the ones a
//! recipient's settings enable. Every delivery is idempotent (keyed by the
//! notification id and the recipient), so a redelivered fan-out changes nothing.
//!
//! Adding a channel (push, Telegram, SMS): a `Channel` variant, the types that
//! may use it in `NotificationType::channels`, an implementation here (its
//! idempotency key derived like `email_job_id`), and an entry in `CHANNELS`.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{Channel, Notification, inbox};
use crate::{
    Deps,
    email::{EMAIL_QUEUE, EmailJob},
    error::Result,
    queue::enqueue,
};

/// Who one delivery goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The account, if the recipient has one (an invitee or a guest has none).
    pub user_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
}

/// One notification on its way to one recipient.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    pub notification: &'a Notification,
    pub recipient: &'a Recipient,
    /// The name of the organization the notification concerns, for templates.
    pub org_name: Option<&'a str>,
}

#[async_trait]
pub trait ChannelDelivery: Send + Sync {
    fn channel(&self) -> Channel;
    /// Delivers on this channel; delivering the same thing twice changes nothing.
    async fn deliver(&self, deps: &Deps, delivery: &Delivery<'_>) -> Result<()>;
}

/// Every channel's delivery.
pub const CHANNELS: [&dyn ChannelDelivery; 2] = [&InApp, &EmailDelivery];

/// The in-app inbox: one entry per notification and user.
pub struct InApp;

#[async_trait]
impl ChannelDelivery for InApp {
    fn channel(&self) -> Channel {
        Channel::InApp
    }

    async fn deliver(&self, deps: &Deps, delivery: &Delivery<'_>) -> Result<()> {
        // An address without an account has no inbox.
        let Some(user_id) = &delivery.recipient.user_id else {
            return Ok(());
        };
        inbox::store(deps, user_id, delivery).await
    }
}

/// Email: a job on the email queue, sent by the email worker.
pub struct EmailDelivery;

#[async_trait]
impl ChannelDelivery for EmailDelivery {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn deliver(&self, deps: &Deps, delivery: &Delivery<'_>) -> Result<()> {
        let notification = delivery.notification;
        let job = EmailJob {
            id: email_job_id(&notification.id, &delivery.recipient.email),
            to: delivery.recipient.email.clone(),
            kind: notification.kind,
            recipient_name: delivery.recipient.name.clone(),
            org_id: notification.org_id.clone(),
            org_name: delivery.org_name.map(str::to_string),
            data: notification.data.clone(),
        };
        enqueue(&*deps.queue, EMAIL_QUEUE, &job).await?;
        Ok(())
    }
}

/// The email job id of a notification's delivery to `email`: the same for a
/// redelivered fan-out, so the email worker sends it once. An id in the shape
/// `types::is_id` accepts (the notification id, then 16 hex digits).
pub fn email_job_id(notification_id: &str, email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{notification_id}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::is_id;

    #[test]
    fn email_job_ids_are_stable_per_recipient_and_valid_ids() {
        let notification = "0190f2c1-7a80-7000-8000-000000000001";
        let ada = email_job_id(notification, "ada@example.com");
        assert_eq!(ada, email_job_id(notification, " Ada@Example.com"));
        assert_ne!(ada, email_job_id(notification, "bob@example.com"));
        assert_ne!(
            ada,
            email_job_id("0190f2c1-7a80-7000-8000-000000000002", "ada@example.com")
        );
        assert!(is_id(&ada), "{ada}");
    }
}
