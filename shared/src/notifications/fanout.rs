//! Fan-out: one message of the notifications queue becomes one delivery per
//! recipient and enabled channel.
//!
//! A message is a `FanoutMessage`: a `Notification` as `emit` sends it, plus
//! for lists of people (an organization's members, platform staff) an optional
//! `resume_after`, the cursor of the next page:
//!
//! ```json
//! {"id": "…", "type": "booking_requested", "scope": "organization",
//!  "target": {"org_id": "…", "roles": ["owner", "manager"]},
//!  "org_id": "…", "data": {…}, "resume_after": "<cursor>"}
//! ```
//!
//! Each message handles at most `PAGE_SIZE` listed people and, if more follow,
//! sends the continuation message for the next page: bounded work per message,
//! never one job per member at once. Every delivery is idempotent, so a
//! redelivered message (and a continuation sent twice) changes nothing twice.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Audience, Channel, NOTIFICATIONS_QUEUE, Notification,
    channels::{CHANNELS, Delivery, Recipient},
    settings,
};
use crate::{
    Deps,
    error::Result,
    keys,
    queue::enqueue,
    records::from_item,
    roles::{OrgRole, PlatformRole},
    table::{Index, Query, SortKey},
};

/// Most listed people one message fans out to.
pub const PAGE_SIZE: u32 = 100;

/// One message of the notifications queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FanoutMessage {
    #[serde(flatten)]
    pub notification: Notification,
    /// Where the previous message's page of the audience stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after: Option<String>,
}

/// An item of a list of people: an organization's members or platform staff.
#[derive(Deserialize)]
struct Listed<R> {
    user_id: String,
    role: R,
}

/// The contact details of an account.
#[derive(Deserialize)]
struct Contact {
    email: String,
    name: Option<String>,
}

/// Fans one message out to its recipients.
pub async fn fan_out(deps: &Deps, message: &FanoutMessage) -> Result<()> {
    let notification = &message.notification;
    let org_name = match &notification.org_id {
        Some(org_id) => organization_name(deps, org_id).await?,
        None => None,
    };
    let fan = Fan {
        deps,
        notification,
        org_name: org_name.as_deref(),
    };
    match &notification.audience {
        Audience::User(user_id) => fan.to_user(user_id).await,
        Audience::Email { email, name } => {
            let recipient = Recipient {
                user_id: None,
                email: email.clone(),
                name: name.clone(),
            };
            // No account: no inbox and no settings, only email.
            fan.deliver(&recipient, &[Channel::Email]).await
        }
        Audience::Organization { org_id, roles } => {
            let wanted = |role: OrgRole| roles.is_empty() || roles.contains(&role);
            fan.to_list(message, keys::members_of(org_id), wanted).await
        }
        Audience::Platform(least) => {
            let wanted = |role: PlatformRole| role.at_least(*least);
            fan.to_list(message, keys::platform_staff_list(), wanted)
                .await
        }
    }
}

async fn organization_name(deps: &Deps, org_id: &str) -> Result<Option<String>> {
    let item = deps.table.get(&keys::organization(org_id)).await?;
    Ok(item.and_then(|item| item.get("name").and_then(Value::as_str).map(str::to_string)))
}

/// One notification on its way, with what every delivery of it shares.
struct Fan<'a> {
    deps: &'a Deps,
    notification: &'a Notification,
    org_name: Option<&'a str>,
}

impl Fan<'_> {
    /// Delivers to an account on each channel its settings enable.
    async fn to_user(&self, user_id: &str) -> Result<()> {
        let item = self.deps.table.get(&keys::user(user_id)).await?;
        let contact: Contact = match item.map(from_item) {
            Some(Ok(contact)) => contact,
            // A deleted account, or one without contact details: no one to reach.
            unreachable => {
                let error = unreachable.and_then(Result::err).map(|e| e.to_string());
                tracing::warn!(%user_id, notification_id = %self.notification.id, ?error, "user not found or unreadable: nothing delivered");
                return Ok(());
            }
        };
        let settings = settings::read(self.deps, user_id).await?;
        let recipient = Recipient {
            user_id: Some(user_id.to_string()),
            email: contact.email,
            name: contact.name,
        };
        let channels = settings.enabled_channels(self.notification.kind);
        self.deliver(&recipient, &channels).await
    }

    /// Delivers to one page of a list of people (those `wanted` for their
    /// role), and sends the message for the next page if there is one.
    async fn to_list<R: serde::de::DeserializeOwned + Copy>(
        &self,
        message: &FanoutMessage,
        (pk, prefix): (String, String),
        wanted: impl Fn(R) -> bool,
    ) -> Result<()> {
        let query = Query::new(Index::Table, pk)
            .sk(SortKey::BeginsWith(prefix))
            .limit(PAGE_SIZE)
            .after(message.resume_after.clone());
        let page = self.deps.table.query(&query).await?;
        for item in page.items {
            match serde_json::from_value::<Listed<R>>(Value::Object(item)) {
                Ok(listed) if wanted(listed.role) => self.to_user(&listed.user_id).await?,
                Ok(_) => {}
                // One bad item must not hold up everyone else's notification.
                Err(error) => {
                    tracing::warn!(%error, notification_id = %self.notification.id, "skipping a list item that does not parse")
                }
            }
        }
        if let Some(cursor) = page.cursor {
            let next = FanoutMessage {
                notification: self.notification.clone(),
                resume_after: Some(cursor),
            };
            enqueue(&*self.deps.queue, NOTIFICATIONS_QUEUE, &next).await?;
        }
        Ok(())
    }

    /// Delivers to one recipient on each of `channels`.
    async fn deliver(&self, recipient: &Recipient, channels: &[Channel]) -> Result<()> {
        let delivery = Delivery {
            notification: self.notification,
            recipient,
            org_name: self.org_name,
        };
        for channel in CHANNELS
            .iter()
            .filter(|channel| channels.contains(&channel.channel()))
        {
            channel.deliver(self.deps, &delivery).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::notifications::NotificationType;

    #[test]
    fn a_notification_is_a_first_message_and_continuations_carry_their_cursor() {
        let notification = Notification {
            id: "0190f2c1-7a80-7000-8000-000000000001".into(),
            kind: NotificationType::BookingRequested,
            audience: Audience::Organization {
                org_id: "org-1".into(),
                roles: vec![OrgRole::Owner],
            },
            org_id: Some("org-1".into()),
            data: json!({ "service_name": "Haircut" }),
        };
        let first: FanoutMessage =
            serde_json::from_str(&serde_json::to_string(&notification).unwrap()).unwrap();
        assert_eq!(first.notification, notification);
        assert_eq!(first.resume_after, None);

        let next = FanoutMessage {
            notification,
            resume_after: Some("cursor-1".into()),
        };
        let json = serde_json::to_value(&next).unwrap();
        assert_eq!(json["resume_after"], "cursor-1");
        assert_eq!(json["scope"], "organization");
        assert_eq!(json["target"]["roles"], json!(["owner"]));
        assert_eq!(serde_json::from_value::<FanoutMessage>(json).unwrap(), next);
    }
}
