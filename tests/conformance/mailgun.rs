//! What `MailgunMailer` promises, against the fake Mailgun: the request
//! Mailgun's messages API expects, its message id without angle brackets, and
//! failures split into retryable (`Unavailable`) and final (`Rejected`).

use platform_tests::fake_mailgun::{API_KEY, Behaviour, DOMAIN, FROM, FakeMailgun};
use shared::adapters::mailgun::{MailgunMailer, MailgunSettings};
use shared::mail::{Attachment, Email, MailError, Mailer};

fn email() -> Email {
    Email {
        to: "ada@example.com".to_owned(),
        subject: "Confirm your email".to_owned(),
        text: "Open https://app.test/verify?t=1&x=2 to continue.".to_owned(),
        html: r#"<p><a href="https://app.test/verify?t=1&amp;x=2">Continue</a></p>"#.to_owned(),
        kind: "verify_email".to_owned(),
        attachments: Vec::new(),
    }
}

fn mailer(settings: MailgunSettings) -> MailgunMailer {
    MailgunMailer::new(reqwest::Client::new(), settings)
}

/// Checks `result` is a rejection whose detail quotes Mailgun's `message`.
fn assert_rejected_saying(result: Result<String, MailError>, message: &str) {
    match result {
        Err(MailError::Rejected(detail)) => assert!(detail.contains(message), "{detail}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_the_form_mailgun_expects_and_returns_the_bare_message_id() {
    let fake = FakeMailgun::start().await;
    let sent = email();
    let id = mailer(fake.settings())
        .send(&sent)
        .await
        .expect("Mailgun queues it");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.domain, DOMAIN);
    assert_eq!(
        request.credentials,
        Some(("api".to_owned(), API_KEY.to_owned()))
    );
    let fields: Vec<(&str, &str)> = request
        .form
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("from", FROM),
            ("to", sent.to.as_str()),
            ("subject", sent.subject.as_str()),
            ("text", sent.text.as_str()),
            ("html", sent.html.as_str()),
            ("o:tag", "verify_email"),
        ]
    );
    let answered = request.message_id.as_deref().expect("an id was answered");
    assert!(answered.starts_with('<') && answered.ends_with('>'));
    assert_eq!(id, answered.trim_start_matches('<').trim_end_matches('>'));
    assert!(id.ends_with(&format!("@{DOMAIN}")), "{id}");
}

#[tokio::test]
async fn an_outage_or_throttling_is_unavailable() {
    let fake = FakeMailgun::start().await;
    let mailer = mailer(fake.settings());
    for behaviour in [Behaviour::Outage, Behaviour::Throttle] {
        fake.behave(behaviour);
        let result = mailer.send(&email()).await;
        assert!(
            matches!(result, Err(MailError::Unavailable(_))),
            "{behaviour:?}: {result:?}"
        );
    }
    fake.behave(Behaviour::Accept);
    mailer.send(&email()).await.expect("sends once it is back");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_refused_email_is_rejected_with_mailguns_message() {
    let fake = FakeMailgun::start().await;
    fake.behave(Behaviour::Reject);
    let result = mailer(fake.settings()).send(&email()).await;
    assert_rejected_saying(result, "not a valid address");
}

#[tokio::test]
async fn a_wrong_api_key_is_rejected() {
    let fake = FakeMailgun::start().await;
    let settings = MailgunSettings {
        api_key: "key-wrong".to_owned(),
        ..fake.settings()
    };
    let result = mailer(settings).send(&email()).await;
    assert_rejected_saying(result, "Invalid private key");
}

#[tokio::test]
async fn an_unreachable_api_is_unavailable() {
    // A port held by a socket that never listens: connections are refused, and
    // no other test's server can take the port meanwhile.
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().unwrap())
        .expect("bind a loopback port");
    let address = socket.local_addr().expect("the bound address");
    let fake = FakeMailgun::start().await;
    let settings = MailgunSettings {
        api_base: format!("http://{address}"),
        ..fake.settings()
    };
    let result = mailer(settings).send(&email()).await;
    assert!(
        matches!(result, Err(MailError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn attachments_go_as_attachment_parts() {
    let fake = FakeMailgun::start().await;
    let sent = Email {
        attachments: vec![Attachment {
            filename: "booking.ics".to_owned(),
            content_type: "text/calendar; charset=utf-8".to_owned(),
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_owned(),
        }],
        ..email()
    };
    mailer(fake.settings())
        .send(&sent)
        .await
        .expect("Mailgun queues it");
    let requests = fake.requests();
    assert_eq!(
        requests[0].attachments,
        [(
            "booking.ics".to_owned(),
            "text/calendar; charset=utf-8".to_owned(),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_owned()
        )]
    );
    assert_eq!(requests[0].field("to"), Some("ada@example.com"));
}
