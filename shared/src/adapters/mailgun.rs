//! `MailgunMailer`: the `Mailer` port on Mailgun's HTTP API (`POST
//! /v3/{domain}/messages`, a multipart form, basic auth as `api`).

use std::fmt;

use async_trait::async_trait;
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde::Deserialize;

use crate::{
    email::events::normalize_message_id,
    mail::{Email, MailError, Mailer},
};

/// Mailgun's US API; EU accounts set `MAILGUN_API_BASE=https://api.eu.mailgun.net`.
pub const DEFAULT_API_BASE: &str = "https://api.mailgun.net";

/// Where and as whom to send through Mailgun.
#[derive(Clone)]
pub struct MailgunSettings {
    /// Scheme and host of the API, without a trailing slash.
    pub api_base: String,
    /// The sending domain configured in Mailgun.
    pub domain: String,
    pub api_key: String,
    /// The sender address, on `domain`.
    pub from: String,
}

/// Everything but the API key, which never shows in logs.
impl fmt::Debug for MailgunSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailgunSettings")
            .field("api_base", &self.api_base)
            .field("domain", &self.domain)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailgunConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
}

impl MailgunSettings {
    /// Reads `MAILGUN_API_BASE` (default `DEFAULT_API_BASE`), `MAILGUN_DOMAIN`,
    /// `MAILGUN_API_KEY` and `MAIL_FROM`.
    pub fn from_env() -> Result<Self, MailgunConfigError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .ok_or(MailgunConfigError::Missing(name))
        };
        let api_base =
            std::env::var("MAILGUN_API_BASE").unwrap_or_else(|_| DEFAULT_API_BASE.to_string());
        Ok(MailgunSettings {
            api_base: api_base.trim_end_matches('/').to_string(),
            domain: required("MAILGUN_DOMAIN")?,
            api_key: required("MAILGUN_API_KEY")?,
            from: required("MAIL_FROM")?,
        })
    }
}

pub struct MailgunMailer {
    http: reqwest::Client,
    settings: MailgunSettings,
}

impl MailgunMailer {
    pub fn new(http: reqwest::Client, settings: MailgunSettings) -> Self {
        Self { http, settings }
    }
}

/// Mailgun's answer: the message id when queued, what went wrong otherwise.
#[derive(Deserialize)]
struct MailgunReply {
    id: Option<String>,
    message: Option<String>,
}

#[async_trait]
impl Mailer for MailgunMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let settings = &self.settings;
        let url = format!("{}/v3/{}/messages", settings.api_base, settings.domain);
        // Multipart, as attachments need it (Mailgun takes it for any message).
        let mut form = Form::new()
            .text("from", settings.from.clone())
            .text("to", email.to.clone())
            .text("subject", email.subject.clone())
            .text("text", email.text.clone())
            .text("html", email.html.clone())
            // Webhook events carry the tag, so they say what kind of email it was.
            .text("o:tag", email.kind.clone());
        for attachment in &email.attachments {
            let part = Part::text(attachment.content.clone())
                .file_name(attachment.filename.clone())
                .mime_str(&attachment.content_type)
                .map_err(|e| MailError::Rejected(format!("attachment content type: {e}")))?;
            form = form.part("attachment", part);
        }
        let response = self
            .http
            .post(url)
            .basic_auth("api", Some(&settings.api_key))
            .multipart(form)
            .send()
            .await
            .map_err(|e| MailError::Unavailable(error_chain(&e)))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| MailError::Unavailable(error_chain(&e)))?;
        let reply: Option<MailgunReply> = serde_json::from_str(&body).ok();
        let message = reply.as_ref().and_then(|r| r.message.clone());
        if status.is_success() {
            return reply
                .and_then(|r| r.id)
                .map(|id| normalize_message_id(&id))
                .ok_or_else(|| {
                    MailError::Unavailable(format!(
                        "Mailgun answered {status} without an id: {body}"
                    ))
                });
        }
        let detail = format!("Mailgun answered {status}: {}", message.unwrap_or(body));
        // Throttling and server errors pass; any other refusal is for good.
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            Err(MailError::Rejected(detail))
        } else {
            Err(MailError::Unavailable(detail))
        }
    }
}

/// An error with its causes: reqwest's own message rarely says what failed.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
