//! Email jobs: what a workflow puts on the email queue, and how the email worker
//! renders one into an `Email` (HTML and text, from the files in `templates/email`).

use std::{fmt::Write, sync::LazyLock};

use minijinja::{AutoEscape, Environment, Output, State, context};
use serde::{Deserialize, Serialize};

use crate::mail::Email;

/// The queue email jobs go through.
pub const EMAIL_QUEUE: &str = "email";

/// The product name emails are signed with.
pub const PRODUCT_NAME: &str = "Local Business Platform";

/// One email to send. `id` is unique per job, for logs and de-duplication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    pub id: String,
    pub to: String,
    #[serde(flatten)]
    pub message: Message,
}

/// What the email says; `template` in the job's JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Message {
    VerifyEmail { name: String, link: String },
    MfaCode { name: String, code: String },
    PasswordReset { name: String, link: String },
}

impl Message {
    /// The template's name, also the email's `kind`.
    pub fn template(&self) -> &'static str {
        match self {
            Message::VerifyEmail { .. } => "verify_email",
            Message::MfaCode { .. } => "mfa_code",
            Message::PasswordReset { .. } => "password_reset",
        }
    }

    fn subject(&self) -> String {
        match self {
            Message::VerifyEmail { .. } => format!("Confirm your email for {PRODUCT_NAME}"),
            Message::MfaCode { code, .. } => format!("{code} is your {PRODUCT_NAME} sign-in code"),
            Message::PasswordReset { .. } => format!("Reset your {PRODUCT_NAME} password"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("rendering email template {template}: {source}")]
pub struct RenderError {
    template: &'static str,
    source: minijinja::Error,
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_formatter(html_formatter);
    // Auto-escaping follows the file name: `.html` escapes, `.txt` does not.
    for (name, source) in [
        (
            "layout.html",
            include_str!("../../templates/email/layout.html"),
        ),
        (
            "layout.txt",
            include_str!("../../templates/email/layout.txt"),
        ),
        (
            "verify_email.html",
            include_str!("../../templates/email/verify_email.html"),
        ),
        (
            "verify_email.txt",
            include_str!("../../templates/email/verify_email.txt"),
        ),
        (
            "mfa_code.html",
            include_str!("../../templates/email/mfa_code.html"),
        ),
        (
            "mfa_code.txt",
            include_str!("../../templates/email/mfa_code.txt"),
        ),
        (
            "password_reset.html",
            include_str!("../../templates/email/password_reset.html"),
        ),
        (
            "password_reset.txt",
            include_str!("../../templates/email/password_reset.txt"),
        ),
    ] {
        env.add_template(name, source)
            .expect("email templates parse");
    }
    env
});

/// Escapes `& < > " '` in HTML templates, and leaves `/` alone (minijinja's
/// default escapes it too, which mangles every link).
fn html_formatter(
    out: &mut Output,
    state: &State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    for c in value.to_string().chars() {
        match c {
            '&' => out.write_str("&amp;"),
            '<' => out.write_str("&lt;"),
            '>' => out.write_str("&gt;"),
            '"' => out.write_str("&quot;"),
            '\'' => out.write_str("&#39;"),
            c => out.write_char(c),
        }
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))?;
    }
    Ok(())
}

/// Renders a job into the email to send.
pub fn render(job: &EmailJob) -> Result<Email, RenderError> {
    let template = job.message.template();
    let ctx =
        context! { product => PRODUCT_NAME, ..minijinja::Value::from_serialize(&job.message) };
    let render = |ext: &str| {
        TEMPLATES
            .get_template(&format!("{template}.{ext}"))
            .and_then(|t| t.render(&ctx))
            .map_err(|source| RenderError { template, source })
    };
    Ok(Email {
        to: job.to.clone(),
        subject: job.message.subject(),
        text: render("txt")?,
        html: render("html")?,
        kind: template.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(message: Message) -> EmailJob {
        EmailJob {
            id: "job-1".into(),
            to: "ada@example.com".into(),
            message,
        }
    }

    #[test]
    fn every_template_renders_with_its_data() {
        let link = "https://app.example.com/verify-email?token=abc&x=1".to_string();
        let cases = [
            (
                Message::VerifyEmail {
                    name: "Ada".into(),
                    link: link.clone(),
                },
                link.as_str(),
            ),
            (
                Message::MfaCode {
                    name: "Ada".into(),
                    code: "042137".into(),
                },
                "042137",
            ),
            (
                Message::PasswordReset {
                    name: "Ada".into(),
                    link: link.clone(),
                },
                link.as_str(),
            ),
        ];
        for (message, must_show) in cases {
            let email = render(&job(message.clone())).unwrap();
            assert_eq!(email.kind, message.template());
            assert_eq!(email.to, "ada@example.com");
            assert!(
                email.text.contains(must_show),
                "{}: {}",
                email.kind,
                email.text
            );
            assert!(email.text.contains("Ada"));
            assert!(
                email.html.contains(&must_show.replace('&', "&amp;")),
                "{}: {}",
                email.kind,
                email.html
            );
            assert!(email.html.starts_with("<!doctype html>"));
        }
    }

    #[test]
    fn names_are_escaped_in_html_only() {
        let email = render(&job(Message::MfaCode {
            name: "<b>Eve</b>".into(),
            code: "1".into(),
        }))
        .unwrap();
        assert!(email.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!email.html.contains("<b>Eve"));
        assert!(email.text.contains("<b>Eve</b>"));
    }

    #[test]
    fn jobs_have_a_stable_json_form() {
        let json = r#"{"id":"j","to":"a@b.co","template":"mfa_code","name":"A","code":"123456"}"#;
        let parsed: EmailJob = serde_json::from_str(json).unwrap();
        assert_eq!(
            parsed.message,
            Message::MfaCode {
                name: "A".into(),
                code: "123456".into()
            }
        );
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    }
}
