//! `SesMailer`: the `Mailer` port on Amazon SES v2 (SendEmail, simple content).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Attachment, Body, Content, Destination, EmailContent, MessageTag};

use crate::mail::{Email, MailError, Mailer};

/// The email tag that carries `Email::kind`, for SES event destinations and metrics.
const KIND_TAG: &str = "kind";
const CHARSET: &str = "UTF-8";

pub struct SesMailer {
    client: Client,
    /// The sender address; SES must have it (or its domain) as a verified identity.
    from: String,
    /// The configuration set whose event destination publishes what happens to
    /// each email (delivery, bounce, ...) to EventBridge.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: String, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from,
            configuration_set,
        }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let mut message = aws_sdk_sesv2::types::Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            );
        for attachment in &email.attachments {
            message = message.attachments(
                Attachment::builder()
                    .file_name(&attachment.filename)
                    .content_type(&attachment.content_type)
                    .raw_content(aws_sdk_sesv2::primitives::Blob::new(
                        attachment.content.as_bytes(),
                    ))
                    .build()
                    .map_err(invalid_email)?,
            );
        }
        let message = message.build();
        let kind_tag = MessageTag::builder()
            .name(KIND_TAG)
            .value(&email.kind)
            .build()
            .map_err(invalid_email)?;
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .email_tags(kind_tag)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(mail_error)?;
        output.message_id.ok_or_else(|| {
            MailError::Unavailable("SES SendEmail answered without MessageId".into())
        })
    }
}

fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset(CHARSET)
        .build()
        .map_err(invalid_email)
}

/// An email the SDK cannot even build a request from will never be accepted.
fn invalid_email(error: BuildError) -> MailError {
    MailError::Rejected(error.to_string())
}

/// Rejections of this email are for good; throttling, service errors and
/// transport failures may pass, so the caller can retry them.
fn mail_error(
    error: SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse>,
) -> MailError {
    let rejected = match error.as_service_error() {
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::AccountSuspendedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_),
        ) => true,
        // Errors outside SES v2's model that endpoints answer for bad input.
        Some(other) => matches!(
            other.code(),
            Some("InvalidParameterValue" | "ValidationError" | "MessageRejected")
        ),
        None => false,
    };
    let detail = DisplayErrorContext(&error).to_string();
    if rejected {
        MailError::Rejected(detail)
    } else {
        MailError::Unavailable(detail)
    }
}
