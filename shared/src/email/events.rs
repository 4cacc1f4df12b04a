//! What email providers tell us about sent emails, normalized: Mailgun webhooks
//! and SES events (through EventBridge) both arrive on the email-events queue
//! and become `EmailEvent`s, which update the email log.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The provider name of Mailgun events.
pub const MAILGUN: &str = "mailgun";
/// The provider name of SES events.
pub const SES: &str = "ses";

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("malformed email event: {0}")]
    Malformed(String),
    #[error("the message is neither a Mailgun webhook nor an SES event")]
    Unrecognized,
}

impl From<serde_json::Error> for EventError {
    fn from(error: serde_json::Error) -> Self {
        EventError::Malformed(error.to_string())
    }
}

/// Parses one email-events queue message: a Mailgun webhook body
/// (`{"signature":…,"event-data":{…}}`) or an SES event delivered by
/// EventBridge (`{"source":"aws.ses","detail":{…},…}`). Events that say
/// nothing the email log records (accepted, sent, delayed, …) are `None`.
pub fn parse(body: &str) -> Result<Option<EmailEvent>, EventError> {
    let message: Value = serde_json::from_str(body)?;
    if let Some(event_data) = message.get("event-data") {
        return parse_mailgun(event_data);
    }
    if message.get("source").and_then(Value::as_str) == Some("aws.ses") {
        return parse_ses(&message);
    }
    Err(EventError::Unrecognized)
}

/// The part of Mailgun's `event-data` the email log needs.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct MailgunEvent {
    event: String,
    id: String,
    /// Unix seconds with a fraction.
    timestamp: f64,
    recipient: String,
    message: MailgunMessage,
    /// Of a `failed` event: `permanent` or `temporary`.
    severity: Option<String>,
    reason: Option<String>,
    delivery_status: Option<MailgunDeliveryStatus>,
}

#[derive(Deserialize)]
struct MailgunMessage {
    headers: MailgunHeaders,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct MailgunHeaders {
    message_id: String,
}

#[derive(Deserialize)]
struct MailgunDeliveryStatus {
    message: Option<String>,
    description: Option<String>,
}

fn parse_mailgun(event_data: &Value) -> Result<Option<EmailEvent>, EventError> {
    let name = event_data.get("event").and_then(Value::as_str);
    if !matches!(
        name,
        Some("delivered" | "opened" | "clicked" | "failed" | "complained" | "unsubscribed")
    ) {
        return Ok(None);
    }
    let event = MailgunEvent::deserialize(event_data)?;
    let kind = match event.event.as_str() {
        "delivered" => EmailEventKind::Delivered,
        "opened" => EmailEventKind::Opened,
        "clicked" => EmailEventKind::Clicked,
        "complained" => EmailEventKind::Complained,
        "unsubscribed" => EmailEventKind::Unsubscribed,
        // `failed`, the last one kept above.
        _ => EmailEventKind::Failed {
            permanent: event.severity.as_deref() == Some("permanent"),
            reason: mailgun_failure_reason(&event),
        },
    };
    // Mailgun's times have microseconds; rounding there keeps float noise out.
    let micros = (event.timestamp * 1e6).round();
    let at = Timestamp::from_microsecond(micros as i64).map_err(|_| {
        EventError::Malformed(format!(
            "Mailgun timestamp {} is out of range",
            event.timestamp
        ))
    })?;
    Ok(Some(EmailEvent {
        provider: MAILGUN.into(),
        event_id: event.id,
        message_id: normalize_message_id(&event.message.headers.message_id),
        recipient: event.recipient,
        at,
        kind,
    }))
}

/// The most telling of the receiving server's answer, Mailgun's description
/// of it, and Mailgun's reason code.
fn mailgun_failure_reason(event: &MailgunEvent) -> String {
    let status = event.delivery_status.as_ref();
    [
        status.and_then(|s| s.message.as_deref()),
        status.and_then(|s| s.description.as_deref()),
        event.reason.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|text| !text.is_empty())
    .unwrap_or("unknown")
    .to_string()
}

/// An SES event as EventBridge delivers it.
#[derive(Deserialize)]
struct SesEnvelope {
    /// EventBridge's id of this event.
    id: String,
    time: Timestamp,
    detail: SesDetail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesDetail {
    event_type: String,
    mail: SesMail,
    bounce: Option<SesBounce>,
    complaint: Option<SesComplaint>,
    delivery: Option<SesStamp>,
    open: Option<SesStamp>,
    click: Option<SesStamp>,
    subscription: Option<SesStamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMail {
    message_id: String,
    destination: Vec<String>,
}

/// The time of an event-type object (`delivery`, `open`, …).
#[derive(Deserialize)]
struct SesStamp {
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    /// `Permanent`, `Transient` or `Undetermined`.
    bounce_type: String,
    bounce_sub_type: Option<String>,
    bounced_recipients: Vec<SesRecipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    complained_recipients: Vec<SesRecipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesRecipient {
    email_address: String,
    diagnostic_code: Option<String>,
}

fn parse_ses(message: &Value) -> Result<Option<EmailEvent>, EventError> {
    let event_type = message.pointer("/detail/eventType").and_then(Value::as_str);
    if !matches!(
        event_type,
        Some("Delivery" | "Open" | "Click" | "Bounce" | "Complaint" | "Reject" | "Subscription")
    ) {
        return Ok(None);
    }
    let envelope = SesEnvelope::deserialize(message)?;
    let detail = envelope.detail;
    let missing = |part: &str| {
        EventError::Malformed(format!("SES {} event without `{part}`", detail.event_type))
    };
    // Our emails have one recipient each; the event-type object names it
    // where it has a list of its own.
    let first_destination = detail.mail.destination.first().cloned();
    // An event whose object holds nothing but its time.
    let stamped = |kind, part: &Option<SesStamp>| {
        let at = part.as_ref().and_then(|stamp| stamp.timestamp);
        (kind, first_destination.clone(), at)
    };
    let (kind, recipient, at) = match detail.event_type.as_str() {
        "Delivery" => stamped(EmailEventKind::Delivered, &detail.delivery),
        "Open" => stamped(EmailEventKind::Opened, &detail.open),
        "Click" => stamped(EmailEventKind::Clicked, &detail.click),
        "Subscription" => stamped(EmailEventKind::Unsubscribed, &detail.subscription),
        "Reject" => (
            EmailEventKind::Failed {
                permanent: true,
                reason: "rejected by SES".into(),
            },
            first_destination,
            None,
        ),
        "Complaint" => {
            let complaint = detail
                .complaint
                .as_ref()
                .ok_or_else(|| missing("complaint"))?;
            let recipient = complaint
                .complained_recipients
                .first()
                .map(|r| r.email_address.clone())
                .or(first_destination);
            (EmailEventKind::Complained, recipient, complaint.timestamp)
        }
        // `Bounce`, the last one kept above.
        _ => {
            let bounce = detail.bounce.as_ref().ok_or_else(|| missing("bounce"))?;
            let bounced = bounce.bounced_recipients.first();
            let reason = bounced
                .and_then(|r| r.diagnostic_code.clone())
                .unwrap_or_else(|| match &bounce.bounce_sub_type {
                    Some(sub_type) => format!("{} bounce ({sub_type})", bounce.bounce_type),
                    None => format!("{} bounce", bounce.bounce_type),
                });
            let kind = EmailEventKind::Failed {
                permanent: bounce.bounce_type == "Permanent",
                reason,
            };
            let recipient = bounced
                .map(|r| r.email_address.clone())
                .or(first_destination);
            (kind, recipient, bounce.timestamp)
        }
    };
    Ok(Some(EmailEvent {
        provider: SES.into(),
        event_id: envelope.id,
        message_id: normalize_message_id(&detail.mail.message_id),
        recipient: recipient.ok_or_else(|| missing("mail.destination"))?,
        at: at.unwrap_or(envelope.time),
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A Mailgun webhook body as Mailgun posts it, with `event-data` fields
    /// `extra` on top of those every event has.
    fn mailgun_body(event: &str, extra: Value) -> String {
        let mut event_data = json!({
            "event": event,
            "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "timestamp": 1521472262.908181,
            "log-level": "info",
            "recipient": "alice@example.com",
            "recipient-domain": "example.com",
            "tags": ["verify_email"],
            "envelope": {
                "transport": "smtp",
                "sender": "bob@mg.example.com",
                "sending-ip": "209.61.154.250",
                "targets": "alice@example.com"
            },
            "message": {
                "headers": {
                    "to": "Alice <alice@example.com>",
                    "message-id": "<20130503182626.18666.16540@mg.example.com>",
                    "from": "Bob <bob@mg.example.com>",
                    "subject": "Test delivered webhook"
                },
                "attachments": [],
                "size": 111
            },
            "user-variables": {}
        });
        if let (Some(data), Value::Object(extra)) = (event_data.as_object_mut(), extra) {
            data.extend(extra);
        }
        json!({
            "signature": {
                "timestamp": "1521472262",
                "token": "0d3da1b2e0f6f3d4c9bb3d1e6e7b1c2a9f8e7d6c5b4a3f2e1d",
                "signature": "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"
            },
            "event-data": event_data
        })
        .to_string()
    }

    fn mailgun_kind(event: &str, extra: Value) -> EmailEventKind {
        parse(&mailgun_body(event, extra))
            .expect("parses")
            .expect("an event the log records")
            .kind
    }

    #[test]
    fn mailgun_delivered_carries_ids_recipient_and_time() {
        let event = parse(&mailgun_body(
            "delivered",
            json!({ "delivery-status": { "code": 250, "message": "OK", "description": "" } }),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            event,
            EmailEvent {
                provider: "mailgun".into(),
                event_id: "CPgfbmQMTCKtHW6uIWtuVe".into(),
                message_id: "20130503182626.18666.16540@mg.example.com".into(),
                recipient: "alice@example.com".into(),
                at: "2018-03-19T15:11:02.908181Z".parse().unwrap(),
                kind: EmailEventKind::Delivered,
            }
        );
    }

    #[test]
    fn mailgun_opens_clicks_complaints_and_unsubscribes() {
        let client = json!({ "geolocation": { "country": "US" }, "ip": "50.56.129.169" });
        assert_eq!(
            mailgun_kind("opened", client.clone()),
            EmailEventKind::Opened
        );
        let click = json!({ "url": "https://app.example.com/verify?t=1", "ip": "50.56.129.169" });
        assert_eq!(mailgun_kind("clicked", click), EmailEventKind::Clicked);
        assert_eq!(
            mailgun_kind("complained", json!({})),
            EmailEventKind::Complained
        );
        assert_eq!(
            mailgun_kind("unsubscribed", client),
            EmailEventKind::Unsubscribed
        );
    }

    #[test]
    fn mailgun_permanent_failure_takes_the_servers_message() {
        let kind = mailgun_kind(
            "failed",
            json!({
                "severity": "permanent",
                "reason": "bounce",
                "delivery-status": {
                    "attempt-no": 1,
                    "code": 550,
                    "message": "5.1.1 The email account that you tried to reach does not exist.",
                    "description": ""
                }
            }),
        );
        assert_eq!(
            kind,
            EmailEventKind::Failed {
                permanent: true,
                reason: "5.1.1 The email account that you tried to reach does not exist.".into()
            }
        );
    }

    #[test]
    fn mailgun_temporary_failure_falls_back_to_the_description_then_the_reason() {
        let described = mailgun_kind(
            "failed",
            json!({
                "severity": "temporary",
                "reason": "generic",
                "delivery-status": { "code": 452, "message": "", "description": "Mailbox full" }
            }),
        );
        assert_eq!(
            described,
            EmailEventKind::Failed {
                permanent: false,
                reason: "Mailbox full".into()
            }
        );
        let bare = mailgun_kind(
            "failed",
            json!({ "severity": "permanent", "reason": "suppress-bounce" }),
        );
        assert_eq!(
            bare,
            EmailEventKind::Failed {
                permanent: true,
                reason: "suppress-bounce".into()
            }
        );
    }

    #[test]
    fn mailgun_events_the_log_ignores_are_none() {
        for event in ["accepted", "stored", "list_member_uploaded"] {
            assert_eq!(
                parse(&mailgun_body(event, json!({}))).unwrap(),
                None,
                "{event}"
            );
        }
    }

    #[test]
    fn mailgun_event_without_a_message_id_is_malformed() {
        let mut body: Value = serde_json::from_str(&mailgun_body("delivered", json!({}))).unwrap();
        body["event-data"]["message"]["headers"]
            .as_object_mut()
            .unwrap()
            .remove("message-id");
        assert!(matches!(
            parse(&body.to_string()),
            Err(EventError::Malformed(_))
        ));
    }

    /// An SES event as EventBridge delivers it, with the event-type object
    /// (`delivery`, `bounce`, …) given.
    fn ses_body(detail_type: &str, event_type: &str, part: Option<(&str, Value)>) -> String {
        let mut detail = json!({
            "eventType": event_type,
            "mail": {
                "timestamp": "2024-05-03T10:00:00.000Z",
                "source": "no-reply@example.com",
                "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
                "sendingAccountId": "123456789012",
                "messageId": "010201901a2b3c4d-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9-000000",
                "destination": ["alice@example.com"],
                "headersTruncated": false,
                "tags": {
                    "kind": ["verify_email"],
                    "ses:configuration-set": ["platform-events"]
                }
            }
        });
        if let Some((name, value)) = part {
            detail[name] = value;
        }
        json!({
            "version": "0",
            "id": "8f3b6d1e-5c2a-4e7f-9b0d-1a2c3e4f5a6b",
            "detail-type": detail_type,
            "source": "aws.ses",
            "account": "123456789012",
            "time": "2024-05-03T10:00:05Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:ses:eu-west-1:123456789012:configuration-set/platform-events"],
            "detail": detail
        })
        .to_string()
    }

    fn ses_event(detail_type: &str, event_type: &str, part: Option<(&str, Value)>) -> EmailEvent {
        parse(&ses_body(detail_type, event_type, part))
            .expect("parses")
            .expect("an event the log records")
    }

    #[test]
    fn ses_delivery_carries_ids_recipient_and_time() {
        let delivery = json!({
            "timestamp": "2024-05-03T10:00:02.345Z",
            "processingTimeMillis": 2345,
            "recipients": ["alice@example.com"],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com"
        });
        let event = ses_event("Email Delivered", "Delivery", Some(("delivery", delivery)));
        assert_eq!(
            event,
            EmailEvent {
                provider: "ses".into(),
                event_id: "8f3b6d1e-5c2a-4e7f-9b0d-1a2c3e4f5a6b".into(),
                message_id: "010201901a2b3c4d-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9-000000".into(),
                recipient: "alice@example.com".into(),
                at: "2024-05-03T10:00:02.345Z".parse().unwrap(),
                kind: EmailEventKind::Delivered,
            }
        );
    }

    #[test]
    fn ses_opens_clicks_and_subscriptions() {
        let open = json!({
            "timestamp": "2024-05-03T11:00:00.000Z",
            "userAgent": "Mozilla/5.0",
            "ipAddress": "192.0.2.1"
        });
        assert_eq!(
            ses_event("Email Opened", "Open", Some(("open", open))).kind,
            EmailEventKind::Opened
        );
        let click = json!({
            "timestamp": "2024-05-03T11:01:00.000Z",
            "ipAddress": "192.0.2.1",
            "userAgent": "Mozilla/5.0",
            "link": "https://app.example.com/verify?t=1",
            "linkTags": {}
        });
        assert_eq!(
            ses_event("Email Clicked", "Click", Some(("click", click))).kind,
            EmailEventKind::Clicked
        );
        let subscription = json!({
            "contactList": "platform",
            "timestamp": "2024-05-03T11:02:00.000Z",
            "source": "UnsubscribeHeader",
            "newTopicPreferences": { "unsubscribeAll": true }
        });
        let unsubscribed = ses_event(
            "Email Subscription Preferences Updated",
            "Subscription",
            Some(("subscription", subscription)),
        );
        assert_eq!(unsubscribed.kind, EmailEventKind::Unsubscribed);
        assert_eq!(unsubscribed.at, "2024-05-03T11:02:00Z".parse().unwrap());
    }

    fn bounce(bounce_type: &str, diagnostic_code: Option<&str>) -> Value {
        let mut recipient = json!({
            "emailAddress": "alice@example.com",
            "action": "failed",
            "status": "5.1.1"
        });
        if let Some(code) = diagnostic_code {
            recipient["diagnosticCode"] = json!(code);
        }
        json!({
            "feedbackId": "010201901a2b3c4d-bounce-000000",
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [recipient],
            "timestamp": "2024-05-03T10:00:03.000Z",
            "reportingMTA": "dns; amazonses.com"
        })
    }

    #[test]
    fn ses_permanent_bounce_takes_the_diagnostic_code() {
        let part = bounce("Permanent", Some("smtp; 550 5.1.1 user unknown"));
        let event = ses_event("Email Bounced", "Bounce", Some(("bounce", part)));
        assert_eq!(
            event.kind,
            EmailEventKind::Failed {
                permanent: true,
                reason: "smtp; 550 5.1.1 user unknown".into()
            }
        );
        assert_eq!(event.recipient, "alice@example.com");
        assert_eq!(event.at, "2024-05-03T10:00:03Z".parse().unwrap());
    }

    #[test]
    fn ses_transient_and_undetermined_bounces_are_temporary() {
        for bounce_type in ["Transient", "Undetermined"] {
            let part = bounce(bounce_type, None);
            let event = ses_event("Email Bounced", "Bounce", Some(("bounce", part)));
            assert_eq!(
                event.kind,
                EmailEventKind::Failed {
                    permanent: false,
                    reason: format!("{bounce_type} bounce (General)")
                }
            );
        }
    }

    #[test]
    fn ses_complaint_and_reject() {
        let complaint = json!({
            "complainedRecipients": [{ "emailAddress": "alice@example.com" }],
            "timestamp": "2024-05-03T12:00:00.000Z",
            "feedbackId": "010201901a2b3c4d-complaint-000000",
            "complaintFeedbackType": "abuse"
        });
        let complained = ses_event(
            "Email Complaint Received",
            "Complaint",
            Some(("complaint", complaint)),
        );
        assert_eq!(complained.kind, EmailEventKind::Complained);
        assert_eq!(complained.at, "2024-05-03T12:00:00Z".parse().unwrap());

        let reject = json!({ "reason": "Bad content" });
        let rejected = ses_event("Email Rejected", "Reject", Some(("reject", reject)));
        assert!(matches!(
            rejected.kind,
            EmailEventKind::Failed {
                permanent: true,
                ..
            }
        ));
        // A reject has no time of its own: EventBridge's.
        assert_eq!(rejected.at, "2024-05-03T10:00:05Z".parse().unwrap());
    }

    #[test]
    fn ses_events_the_log_ignores_are_none() {
        let send = ses_body("Email Sent", "Send", Some(("send", json!({}))));
        assert_eq!(parse(&send).unwrap(), None);
        let delay = json!({ "delayType": "MailboxFull", "timestamp": "2024-05-03T10:00:03.000Z" });
        let delayed = ses_body(
            "Email Delivery Delayed",
            "DeliveryDelay",
            Some(("deliveryDelay", delay)),
        );
        assert_eq!(parse(&delayed).unwrap(), None);
    }

    #[test]
    fn ses_bounce_without_its_bounce_object_is_malformed() {
        let body = ses_body("Email Bounced", "Bounce", None);
        assert!(matches!(parse(&body), Err(EventError::Malformed(_))));
    }

    #[test]
    fn anything_else_is_unrecognized_or_malformed() {
        assert!(matches!(
            parse(r#"{"source":"aws.sns","detail":{}}"#),
            Err(EventError::Unrecognized)
        ));
        assert!(matches!(parse("not json"), Err(EventError::Malformed(_))));
    }

    #[test]
    fn message_ids_lose_their_angle_brackets() {
        assert_eq!(
            normalize_message_id(" <a.b@mg.example.com> "),
            "a.b@mg.example.com"
        );
        assert_eq!(
            normalize_message_id("a.b@mg.example.com"),
            "a.b@mg.example.com"
        );
    }
}
