//! Notifications: any workflow emits one (`emit`), the notifications worker fans
//! it out to its recipients, and each recipient gets one delivery per channel
//! their settings enable (in-app inbox, email; push, SMS, ... later).
//!
//! Workflows: "Notification Delivery Flow" (000_…), "Email Notification Flow"
//! (001_…), "Notification System" (004_…).

pub mod channels;
pub mod fanout;
pub mod inbox;
pub mod settings;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Deps, error::Result, outbox::Outbox, queue::enqueue};

/// The queue notifications go through before fan-out.
pub const NOTIFICATIONS_QUEUE: &str = "notifications";

/// What a notification is about. Each type has a template per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationType {
    VerifyEmail,
    MfaCode,
    PasswordReset,
    PasswordChanged,
    NewDeviceSignIn,
    SessionsRevoked,
    Invite,
    OnboardingInvite,
    OnboardingReminder,
    OnboardingComplete,
    VerificationSubmitted,
    VerificationApproved,
    VerificationRejected,
    BookingRequested,
    BookingConfirmed,
    BookingDeclined,
    BookingCancelled,
    BookingRescheduled,
    BookingReminder,
    BookingCompleted,
    BookingNoShow,
    BookingPaid,
    ReviewSubmitted,
    Invoice,
    PaymentFailed,
}

/// A way to reach a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::InApp, Channel::Email];

    /// The snake_case name (`in_app`), as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Email => "email",
        }
    }

    /// The channel named `name` (`in_app`), if there is one.
    pub fn from_name(name: &str) -> Option<Channel> {
        Self::ALL.into_iter().find(|channel| channel.name() == name)
    }
}

impl NotificationType {
    pub const ALL: [NotificationType; 25] = [
        NotificationType::VerifyEmail,
        NotificationType::MfaCode,
        NotificationType::PasswordReset,
        NotificationType::PasswordChanged,
        NotificationType::NewDeviceSignIn,
        NotificationType::SessionsRevoked,
        NotificationType::Invite,
        NotificationType::OnboardingInvite,
        NotificationType::OnboardingReminder,
        NotificationType::OnboardingComplete,
        NotificationType::VerificationSubmitted,
        NotificationType::VerificationApproved,
        NotificationType::VerificationRejected,
        NotificationType::BookingRequested,
        NotificationType::BookingConfirmed,
        NotificationType::BookingDeclined,
        NotificationType::BookingCancelled,
        NotificationType::BookingRescheduled,
        NotificationType::BookingReminder,
        NotificationType::BookingCompleted,
        NotificationType::BookingNoShow,
        NotificationType::BookingPaid,
        NotificationType::ReviewSubmitted,
        NotificationType::Invoice,
        NotificationType::PaymentFailed,
    ];

    /// The snake_case name (`verify_email`), as in JSON and template file names.
    pub fn name(self) -> &'static str {
        match self {
            NotificationType::VerifyEmail => "verify_email",
            NotificationType::MfaCode => "mfa_code",
            NotificationType::PasswordReset => "password_reset",
            NotificationType::PasswordChanged => "password_changed",
            NotificationType::NewDeviceSignIn => "new_device_sign_in",
            NotificationType::SessionsRevoked => "sessions_revoked",
            NotificationType::Invite => "invite",
            NotificationType::OnboardingInvite => "onboarding_invite",
            NotificationType::OnboardingReminder => "onboarding_reminder",
            NotificationType::OnboardingComplete => "onboarding_complete",
            NotificationType::VerificationSubmitted => "verification_submitted",
            NotificationType::VerificationApproved => "verification_approved",
            NotificationType::VerificationRejected => "verification_rejected",
            NotificationType::BookingRequested => "booking_requested",
            NotificationType::BookingConfirmed => "booking_confirmed",
            NotificationType::BookingDeclined => "booking_declined",
            NotificationType::BookingCancelled => "booking_cancelled",
            NotificationType::BookingRescheduled => "booking_rescheduled",
            NotificationType::BookingReminder => "booking_reminder",
            NotificationType::BookingCompleted => "booking_completed",
            NotificationType::BookingNoShow => "booking_no_show",
            NotificationType::BookingPaid => "booking_paid",
            NotificationType::ReviewSubmitted => "review_submitted",
            NotificationType::Invoice => "invoice",
            NotificationType::PaymentFailed => "payment_failed",
        }
    }

    /// The type named `name` (`verify_email`), if there is one.
    pub fn from_name(name: &str) -> Option<NotificationType> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Security types reach their user whatever the settings say.
    pub fn is_mandatory(self) -> bool {
        matches!(
            self,
            NotificationType::VerifyEmail
                | NotificationType::MfaCode
                | NotificationType::PasswordReset
        )
    }

    /// Types about the safety of an account: their email still reaches an
    /// address that unsubscribed (see `email::log::Suppression::blocks`).
    pub fn is_security(self) -> bool {
        self.is_mandatory()
            || matches!(
                self,
                NotificationType::PasswordChanged
                    | NotificationType::NewDeviceSignIn
                    | NotificationType::SessionsRevoked
            )
    }

    /// The channels this type can use at all. One-time secrets (links and codes)
    /// go by email only: an inbox entry would only copy them.
    pub fn channels(self) -> &'static [Channel] {
        if self.is_mandatory() {
            &[Channel::Email]
        } else {
            &[Channel::InApp, Channel::Email]
        }
    }
}

/// Who a notification is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "target", rename_all = "snake_case")]
pub enum Audience {
    /// One user, by id.
    User(String),
    /// The members of an organization, optionally only those with some roles.
    Organization {
        org_id: String,
        roles: Vec<crate::roles::OrgRole>,
    },
    /// Platform staff holding at least this platform role.
    Platform(crate::roles::PlatformRole),
    /// An address without an account (a guest, an invitee): email only.
    Email { email: String, name: Option<String> },
}

/// One notification, as emitted by a workflow. `data` fills the templates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique; every delivery's idempotency key derives from it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NotificationType,
    #[serde(flatten)]
    pub audience: Audience,
    /// The organization the notification concerns, if any (named in templates,
    /// and its email log is the organization's).
    pub org_id: Option<String>,
    pub data: Value,
}

impl Notification {
    pub fn new(
        id: String,
        kind: NotificationType,
        audience: Audience,
        org_id: Option<String>,
        data: Value,
    ) -> Notification {
        Notification {
            id,
            kind,
            audience,
            org_id,
            data,
        }
    }
}

/// Puts a notification on the notifications queue for fan-out.
pub async fn emit(
    deps: &Deps,
    kind: NotificationType,
    audience: Audience,
    org_id: Option<String>,
    data: Value,
) -> Result<()> {
    let notification = Notification::new(deps.ids.new_id(), kind, audience, org_id, data);
    enqueue(&*deps.queue, NOTIFICATIONS_QUEUE, &notification).await?;
    Ok(())
}

/// Adds a notification to a change's outbox: it goes out once the change
/// commits (`outbox`), and never for a change that did not.
pub fn emit_in(
    outbox: &mut Outbox,
    deps: &Deps,
    kind: NotificationType,
    audience: Audience,
    org_id: Option<String>,
    data: Value,
) -> Result<()> {
    let notification = Notification::new(deps.ids.new_id(), kind, audience, org_id, data);
    outbox.push(NOTIFICATIONS_QUEUE, &notification)
}

/// Emits a notification whose id is derived from `dedupe_key` and `due_at`, so
/// emitting it again (a repeated or overlapping scheduled run) delivers it once:
/// every delivery is idempotent per notification id (inbox entry, email job).
pub async fn emit_once(
    deps: &Deps,
    dedupe_key: &str,
    due_at: Timestamp,
    kind: NotificationType,
    audience: Audience,
    org_id: Option<String>,
    data: Value,
) -> Result<()> {
    let id = deterministic_id(dedupe_key, due_at);
    let notification = Notification::new(id, kind, audience, org_id, data);
    enqueue(&*deps.queue, NOTIFICATIONS_QUEUE, &notification).await?;
    Ok(())
}

/// A UUIDv7 made of `at` (so ids still sort by time) and 10 bytes of the
/// SHA-256 of `dedupe_key` in place of the random bits.
pub fn deterministic_id(dedupe_key: &str, at: Timestamp) -> String {
    let digest = Sha256::digest(dedupe_key.as_bytes());
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bits)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::is_id;

    #[test]
    fn deterministic_ids_are_stable_time_ordered_uuid_v7s() {
        let at = Timestamp::from_second(1_795_296_600).unwrap();
        let id = deterministic_id("onboarding_reminder:abc", at);
        assert_eq!(id, deterministic_id("onboarding_reminder:abc", at));
        assert_ne!(id, deterministic_id("onboarding_reminder:abd", at));
        assert!(is_id(&id), "{id}");
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        let later = Timestamp::from_second(1_795_296_601).unwrap();
        assert!(deterministic_id("onboarding_reminder:abc", later) > id);
    }
}
