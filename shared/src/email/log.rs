//! The email log: every email the platform sends, from `pending` to what its
//! provider last said of it, and the suppression list that provider events feed.
//!
//! Workflows: "Email Logging Flow" (001_…), email delivery tracking (003_…).
//!
//! Statuses move forward only, so events may arrive in any order:
//! `pending → sent → delivered`, and from any of those to a final `failed`
//! (permanent), `complained` or `unsubscribed`. A temporary failure is recorded
//! unless the email was delivered. Opens and clicks are counted whenever they
//! come (and imply delivery). `suppressed` means it was never sent.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::events::{EmailEvent, EmailEventKind};
use crate::notifications::NotificationType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    Pending,
    Sent,
    Delivered,
    Failed,
    Complained,
    Unsubscribed,
    Suppressed,
}

impl EmailStatus {
    /// How far along an email is; events never move it back.
    fn rank(self) -> u8 {
        match self {
            EmailStatus::Pending => 0,
            EmailStatus::Sent => 1,
            EmailStatus::Delivered => 2,
            EmailStatus::Failed | EmailStatus::Complained | EmailStatus::Unsubscribed => 3,
            EmailStatus::Suppressed => 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub permanent: bool,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    pub count: i64,
    pub first_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clicked {
    pub count: i64,
}

/// One email's log entry (stored, and shown by the API as it is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailLog {
    /// The email job's id.
    pub id: String,
    pub to: String,
    #[serde(rename = "type")]
    pub kind: NotificationType,
    pub org_id: Option<String>,
    pub status: EmailStatus,
    /// The provider's message id, once sent.
    pub message_id: Option<String>,
    pub failure: Option<Failure>,
    pub opened: Opened,
    pub clicked: Clicked,
    /// The last error of a send that will be retried.
    pub last_error: Option<String>,
    /// Unix second until which one worker is sending this email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_until: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every write, for optimistic concurrency.
    pub version: i64,
}

impl EmailLog {
    pub fn pending(
        id: String,
        to: String,
        kind: NotificationType,
        org_id: Option<String>,
        now: Timestamp,
    ) -> Self {
        EmailLog {
            id,
            to,
            kind,
            org_id,
            status: EmailStatus::Pending,
            message_id: None,
            failure: None,
            opened: Opened::default(),
            clicked: Clicked::default(),
            last_error: None,
            claimed_until: None,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    /// The log after `event`, and whether the event suppresses the address.
    pub fn apply(&self, event: &EmailEvent) -> (EmailLog, Option<SuppressionReason>) {
        let mut next = self.clone();
        let advance = |log: &mut EmailLog, status: EmailStatus| {
            if status.rank() > log.status.rank() {
                log.status = status;
            }
        };
        let suppress = match &event.kind {
            EmailEventKind::Delivered => {
                advance(&mut next, EmailStatus::Delivered);
                // A temporary failure that ended in delivery is no failure.
                if next.status == EmailStatus::Delivered {
                    next.failure = None;
                }
                None
            }
            EmailEventKind::Opened => {
                advance(&mut next, EmailStatus::Delivered);
                next.opened.count += 1;
                next.opened.first_at =
                    Some(next.opened.first_at.map_or(event.at, |t| t.min(event.at)));
                next.opened.last_at =
                    Some(next.opened.last_at.map_or(event.at, |t| t.max(event.at)));
                None
            }
            EmailEventKind::Clicked => {
                advance(&mut next, EmailStatus::Delivered);
                next.clicked.count += 1;
                None
            }
            EmailEventKind::Failed {
                permanent: true,
                reason,
            } => {
                if next.status.rank() < EmailStatus::Failed.rank() {
                    next.status = EmailStatus::Failed;
                    next.failure = Some(Failure {
                        permanent: true,
                        reason: reason.clone(),
                    });
                }
                Some(SuppressionReason::Bounced)
            }
            EmailEventKind::Failed {
                permanent: false,
                reason,
            } => {
                if next.status.rank() < EmailStatus::Delivered.rank() {
                    next.status = EmailStatus::Failed;
                    next.failure = Some(Failure {
                        permanent: false,
                        reason: reason.clone(),
                    });
                }
                None
            }
            EmailEventKind::Complained => {
                if next.status.rank() < EmailStatus::Complained.rank()
                    || next.status == EmailStatus::Failed
                {
                    next.status = EmailStatus::Complained;
                }
                Some(SuppressionReason::Complained)
            }
            EmailEventKind::Unsubscribed => {
                advance(&mut next, EmailStatus::Unsubscribed);
                Some(SuppressionReason::Unsubscribed)
            }
        };
        // A temporary failure is not final: a later delivery moves it on.
        if self.status == EmailStatus::Failed
            && self.failure.as_ref().is_some_and(|f| !f.permanent)
            && matches!(
                event.kind,
                EmailEventKind::Delivered | EmailEventKind::Opened | EmailEventKind::Clicked
            )
        {
            next.status = EmailStatus::Delivered;
            next.failure = None;
        }
        next.updated_at = event.at.max(self.updated_at);
        (next, suppress)
    }
}

/// Why an address gets no more email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// A permanent failure: the mailbox does not exist or refuses us.
    Bounced,
    /// The recipient marked an email as spam.
    Complained,
    /// The recipient unsubscribed.
    Unsubscribed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub email: String,
    pub reason: SuppressionReason,
    pub created_at: Timestamp,
    /// The email log entry whose event suppressed the address.
    pub email_id: String,
}

impl Suppression {
    /// Whether this suppression stops an email of `kind`. Security emails still
    /// reach an address that only unsubscribed (that is an opt-out of
    /// notifications, not of account security); a bounce or a complaint stops
    /// everything, since sending would only fail or land as spam again.
    pub fn blocks(&self, kind: NotificationType) -> bool {
        !(self.reason == SuppressionReason::Unsubscribed && kind.is_security())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn event(kind: EmailEventKind, secs: i64) -> EmailEvent {
        EmailEvent {
            provider: "mailgun".into(),
            event_id: format!("e{secs}"),
            message_id: "m1@example.com".into(),
            recipient: "ada@example.com".into(),
            at: at(secs),
            kind,
        }
    }

    fn sent() -> EmailLog {
        let mut log = EmailLog::pending(
            "l1".into(),
            "ada@example.com".into(),
            NotificationType::Invoice,
            None,
            at(0),
        );
        log.status = EmailStatus::Sent;
        log
    }

    fn fold(kinds: Vec<(EmailEventKind, i64)>) -> EmailLog {
        kinds
            .into_iter()
            .fold(sent(), |log, (kind, secs)| log.apply(&event(kind, secs)).0)
    }

    #[test]
    fn out_of_order_events_end_in_the_same_state() {
        let bounce = EmailEventKind::Failed {
            permanent: true,
            reason: "no such mailbox".into(),
        };
        let forward = fold(vec![(EmailEventKind::Delivered, 1), (bounce.clone(), 2)]);
        let backward = fold(vec![(bounce, 2), (EmailEventKind::Delivered, 1)]);
        assert_eq!(forward.status, EmailStatus::Failed);
        assert_eq!(
            (backward.status, backward.failure.clone()),
            (forward.status, forward.failure.clone())
        );
    }

    #[test]
    fn opens_and_clicks_count_and_imply_delivery() {
        let log = fold(vec![
            (EmailEventKind::Opened, 5),
            (EmailEventKind::Opened, 3),
            (EmailEventKind::Clicked, 6),
        ]);
        assert_eq!(log.status, EmailStatus::Delivered);
        assert_eq!(
            log.opened,
            Opened {
                count: 2,
                first_at: Some(at(3)),
                last_at: Some(at(5))
            }
        );
        assert_eq!(log.clicked.count, 1);
    }

    #[test]
    fn a_temporary_failure_gives_way_to_delivery_but_not_the_reverse() {
        let soft = EmailEventKind::Failed {
            permanent: false,
            reason: "mailbox full".into(),
        };
        let recovered = fold(vec![(soft.clone(), 1), (EmailEventKind::Delivered, 2)]);
        assert_eq!(
            (recovered.status, recovered.failure),
            (EmailStatus::Delivered, None)
        );
        let late_soft = fold(vec![(EmailEventKind::Delivered, 1), (soft, 2)]);
        assert_eq!(late_soft.status, EmailStatus::Delivered);
    }

    #[test]
    fn complaints_and_bounces_suppress_and_are_final() {
        let (log, suppress) = sent().apply(&event(EmailEventKind::Complained, 1));
        assert_eq!(
            (log.status, suppress),
            (EmailStatus::Complained, Some(SuppressionReason::Complained))
        );
        let after = log.apply(&event(EmailEventKind::Delivered, 2)).0;
        assert_eq!(after.status, EmailStatus::Complained);
        let bounce = EmailEventKind::Failed {
            permanent: true,
            reason: "gone".into(),
        };
        assert_eq!(
            sent().apply(&event(bounce, 1)).1,
            Some(SuppressionReason::Bounced)
        );
    }

    #[test]
    fn security_email_passes_an_unsubscribe_but_not_a_bounce() {
        let suppression = |reason| Suppression {
            email: "a@b.co".into(),
            reason,
            created_at: at(0),
            email_id: "l".into(),
        };
        assert!(
            !suppression(SuppressionReason::Unsubscribed).blocks(NotificationType::PasswordReset)
        );
        assert!(suppression(SuppressionReason::Unsubscribed).blocks(NotificationType::Invoice));
        assert!(suppression(SuppressionReason::Bounced).blocks(NotificationType::PasswordReset));
    }
}
