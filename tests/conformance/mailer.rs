//! What the mailers promise: the embedded `Mailbox` keeps what was sent, newest
//! first, with its links; `SesMailer` (on the moto server) sends from a verified
//! identity and rejects an unknown sender; `RecordingMailer` records only what its
//! inner mailer accepted.

use std::sync::Arc;

use platform_tests::aws::{sdk_config, unique_name};
use shared::adapters::aws::ses::SesMailer;
use shared::adapters::embedded::mailbox::{Mailbox, RecordingMailer};
use shared::mail::{Attachment, Email, MailError, Mailer};
use tempfile::TempDir;

fn email(to: &str, subject: &str, link: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("Open {link} to continue."),
        html: format!(r#"<p><a href="{link}">Continue</a></p>"#),
        kind: "verify_email".to_owned(),
        attachments: Vec::new(),
    }
}

/// An email with a calendar attachment.
fn email_with_ics() -> Email {
    Email {
        attachments: vec![Attachment {
            filename: "booking.ics".to_owned(),
            content_type: "text/calendar; charset=utf-8".to_owned(),
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_owned(),
        }],
        ..email("ana@example.com", "Booked", "https://app.test/b")
    }
}

/// An email any of the mailers should accept.
fn verification_email() -> Email {
    email("ana@example.com", "Verify", "https://app.test/v")
}

fn open_mailbox() -> (Arc<Mailbox>, TempDir) {
    let directory = tempfile::tempdir().expect("create a temporary directory");
    let mailbox = Mailbox::open(&directory.path().join("mailbox.sqlite")).expect("open mailbox");
    (Arc::new(mailbox), directory)
}

/// A sender address of the test's own.
fn sender() -> String {
    format!("{}@example.com", unique_name("sender"))
}

/// An SES mailer on the moto server sending from `from`, created as a verified
/// identity first when `verified`.
async fn ses_mailer(from: &str, verified: bool) -> SesMailer {
    let client = aws_sdk_sesv2::Client::new(&sdk_config().await);
    if verified {
        client
            .create_email_identity()
            .email_identity(from)
            .send()
            .await
            .expect("create the sender identity on the moto server");
    }
    SesMailer::new(client, from.to_owned(), None)
}

/// A `RecordingMailer` over SES on the moto server, and the mailbox it records in.
async fn recording_ses_mailer(sender_verified: bool) -> (RecordingMailer, Arc<Mailbox>, TempDir) {
    let (mailbox, directory) = open_mailbox();
    let recording = RecordingMailer {
        inner: Arc::new(ses_mailer(&sender(), sender_verified).await),
        mailbox: mailbox.clone(),
    };
    (recording, mailbox, directory)
}

#[tokio::test]
async fn the_mailbox_lists_what_was_sent_newest_first_with_links() {
    let (mailbox, _directory) = open_mailbox();
    let first = email("ana@example.com", "Verify", "https://app.test/verify?t=1");
    let second = email("bo@example.com", "Reset", "https://app.test/reset?t=2");
    let first_id = mailbox.send(&first).await.expect("send first");
    let second_id = mailbox.send(&second).await.expect("send second");
    assert_ne!(first_id, second_id);
    assert!(first_id.starts_with('<') && first_id.ends_with("@mailbox.local>"));

    let entries = mailbox.list(10).await.expect("list");
    let listed: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.to.as_str(), e.subject.as_str(), e.message_id.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("bo@example.com", "Reset", second_id.as_str()),
            ("ana@example.com", "Verify", first_id.as_str()),
        ]
    );
    let newest = &entries[0];
    assert_eq!(newest.links, ["https://app.test/reset?t=2"]);
    assert_eq!(newest.text, second.text);
    assert_eq!(newest.html, second.html);
    assert_eq!(newest.kind, "verify_email");
    newest
        .sent_at
        .parse::<jiff::Timestamp>()
        .expect("sent_at is RFC 3339");

    let limited = mailbox.list(1).await.expect("list one");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].message_id, second_id);
}

#[tokio::test]
async fn ses_sends_from_a_verified_sender() {
    let mailer = ses_mailer(&sender(), true).await;
    let message_id = mailer
        .send(&verification_email())
        .await
        .expect("SES accepts email from a verified sender");
    assert!(!message_id.is_empty());
}

#[tokio::test]
async fn ses_rejects_an_unknown_sender() {
    let mailer = ses_mailer(&sender(), false).await;
    let result = mailer.send(&verification_email()).await;
    assert!(matches!(result, Err(MailError::Rejected(_))), "{result:?}");
}

#[tokio::test]
async fn the_recording_mailer_records_what_ses_accepted() {
    let (recording, mailbox, _directory) = recording_ses_mailer(true).await;
    let sent = verification_email();
    let message_id = recording.send(&sent).await.expect("send through SES");

    let entries = mailbox.list(10).await.expect("list");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].message_id, message_id, "recorded under SES's id");
    assert_eq!(entries[0].to, sent.to);
    assert_eq!(entries[0].links, ["https://app.test/v"]);
}

#[tokio::test]
async fn the_recording_mailer_does_not_record_a_rejected_email() {
    let (recording, mailbox, _directory) = recording_ses_mailer(false).await;
    let result = recording.send(&verification_email()).await;

    assert!(matches!(result, Err(MailError::Rejected(_))), "{result:?}");
    assert!(mailbox.list(10).await.expect("list").is_empty());
}

#[tokio::test]
async fn the_mailbox_keeps_attachments() {
    let (mailbox, _directory) = open_mailbox();
    mailbox.send(&email_with_ics()).await.expect("send");
    mailbox.send(&verification_email()).await.expect("send");
    let entries = mailbox.list(10).await.expect("list");
    assert!(entries[0].attachments.is_empty());
    assert_eq!(entries[1].attachments, email_with_ics().attachments);
}

#[tokio::test]
async fn ses_sends_an_email_with_an_attachment() {
    let (recording, mailbox, _directory) = recording_ses_mailer(true).await;
    let id = recording
        .send(&email_with_ics())
        .await
        .expect("SES takes it");
    let entries = mailbox.list(1).await.expect("list");
    assert_eq!(entries[0].message_id, id);
    assert_eq!(entries[0].attachments.len(), 1);
}
