//! Email jobs: what a workflow puts on the email queue, and how the email worker
//! renders one into an `Email` (HTML and text, from the files in `templates/email`).

pub mod events;
pub mod webhook;

use std::{fmt::Write, sync::LazyLock};

use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, context};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{mail::Email, notifications::NotificationType};

/// The queue email jobs go through.
pub const EMAIL_QUEUE: &str = "email";

/// The product name emails are signed with.
pub const PRODUCT_NAME: &str = "Local Business Platform";

/// One email to send: a delivery of a notification to one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    /// Unique per delivery: the email log's id and the idempotency key, so a
    /// redelivered job never sends twice.
    pub id: String,
    pub to: String,
    /// Which template renders it.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    pub recipient_name: Option<String>,
    /// The organization the email concerns (its email log shows it).
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    /// The template's data (`data.link`, `data.code`, ...).
    #[serde(default)]
    pub data: Value,
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
    // A template naming data the job lacks fails, rather than mailing a blank.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Auto-escaping follows the file name: `.html` escapes, `.txt` does not.
    for (name, source) in TEMPLATE_FILES {
        env.add_template(name, source)
            .expect("email templates parse");
    }
    env
});

/// The `.html` and `.txt` template files of each name, compiled in.
macro_rules! template_files {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!($name, ".html"), include_str!(concat!("../../templates/email/", $name, ".html"))),
            (concat!($name, ".txt"), include_str!(concat!("../../templates/email/", $name, ".txt"))),
        )*]
    };
}

/// Every template: the layout of each format, and per notification type (by
/// its name) a `.txt` with `subject`, `summary` (in-app) and `body` blocks and
/// an `.html` body.
const TEMPLATE_FILES: &[(&str, &str)] = template_files![
    "layout",
    "verify_email",
    "mfa_code",
    "password_reset",
    "password_changed",
    "new_device_sign_in",
    "sessions_revoked",
];

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

/// What a template sees: the product, the recipient, the organization and the data.
fn context(recipient_name: Option<&str>, org_name: Option<&str>, data: &Value) -> minijinja::Value {
    context! { product => PRODUCT_NAME, recipient_name, org_name, data }
}

/// Renders a job into the email to send.
pub fn render(job: &EmailJob) -> Result<Email, RenderError> {
    let template = job.kind.name();
    let ctx = context(
        job.recipient_name.as_deref(),
        job.org_name.as_deref(),
        &job.data,
    );
    let error = |source| RenderError { template, source };
    let text = TEMPLATES
        .get_template(&format!("{template}.txt"))
        .map_err(error)?;
    let html = TEMPLATES
        .get_template(&format!("{template}.html"))
        .map_err(error)?;
    let mut text = text.render_captured(&ctx).map_err(error)?;
    let subject = text
        .with_state_mut(|state| state.render_block("subject"))
        .map_err(error)?;
    Ok(Email {
        to: job.to.clone(),
        subject: subject.trim().to_string(),
        text: text.into_output(),
        html: html.render(&ctx).map_err(error)?,
        kind: template.to_string(),
    })
}

/// The title and one-line body of an in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InAppText {
    pub title: String,
    pub body: String,
}

/// Renders the in-app text of a notification from the `subject` and `summary`
/// blocks of its `.txt` template, so each type's words live in one file.
pub fn render_in_app(
    kind: NotificationType,
    recipient_name: Option<&str>,
    org_name: Option<&str>,
    data: &Value,
) -> Result<InAppText, RenderError> {
    let template = kind.name();
    let error = |source| RenderError { template, source };
    let text = TEMPLATES
        .get_template(&format!("{template}.txt"))
        .map_err(error)?;
    let mut captured = text
        .render_captured(context(recipient_name, org_name, data))
        .map_err(error)?;
    let (title, body) = captured
        .with_state_mut(|state| {
            Ok::<_, minijinja::Error>((
                state.render_block("subject")?,
                state.render_block("summary")?,
            ))
        })
        .map_err(error)?;
    Ok(InAppText {
        title: title.trim().to_string(),
        body: body.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job(kind: NotificationType, name: &str, data: Value) -> EmailJob {
        EmailJob {
            id: "job-1".into(),
            to: "ada@example.com".into(),
            kind,
            recipient_name: Some(name.into()),
            org_id: None,
            org_name: None,
            data,
        }
    }

    #[test]
    fn links_survive_html_escaping_and_subjects_come_from_the_template() {
        let link = "https://app.example.com/verify-email?token=abc&x=1";
        let email = render(&job(
            NotificationType::VerifyEmail,
            "Ada",
            json!({ "link": link }),
        ))
        .unwrap();
        assert_eq!(
            email.subject,
            format!("Confirm your email for {PRODUCT_NAME}")
        );
        assert_eq!(email.kind, "verify_email");
        assert!(email.text.contains(link));
        assert!(
            email
                .html
                .contains("https://app.example.com/verify-email?token=abc&amp;x=1")
        );
        assert!(email.html.starts_with("<!doctype html>"));
    }

    #[test]
    fn names_are_escaped_in_html_only() {
        let email = render(&job(
            NotificationType::MfaCode,
            "<b>Eve</b>",
            json!({ "code": "123456" }),
        ))
        .unwrap();
        assert!(email.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!email.html.contains("<b>Eve"));
        assert!(email.text.contains("<b>Eve</b>"));
        assert!(email.subject.starts_with("123456 "));
    }

    #[test]
    fn in_app_text_comes_from_the_subject_and_summary_blocks() {
        let data = json!({ "user_agent": "Firefox on Linux" });
        let text =
            render_in_app(NotificationType::NewDeviceSignIn, Some("Ada"), None, &data).unwrap();
        assert_eq!(text.title, "New sign-in to your account");
        assert!(text.body.contains("Firefox on Linux"), "{text:?}");
    }

    #[test]
    fn missing_data_is_an_error_not_a_blank() {
        assert!(render(&job(NotificationType::PasswordReset, "Ada", json!({}))).is_err());
    }

    #[test]
    fn jobs_have_a_stable_json_form() {
        let json = r#"{"id":"j","to":"a@b.co","type":"mfa_code","recipient_name":"A","org_id":null,"org_name":null,"data":{"code":"123456"}}"#;
        let parsed: EmailJob = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.kind, NotificationType::MfaCode);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    }
}
