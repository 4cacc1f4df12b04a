//! The email worker: each message of the email queue is one `EmailJob`, rendered
//! and sent through the `Mailer` port. Failed messages are reported, so SQS
//! retries them and dead-letters them after the queue's maximum receives.

use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::{
    email::{EmailJob, RenderError, render},
    mail::{MailError, Mailer},
    worker::process_batch,
};

#[derive(Clone)]
pub struct EmailWorker {
    mailer: Arc<dyn Mailer>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the message is not an email job: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Provider(MailError),
}

impl EmailWorker {
    pub fn new(mailer: Arc<dyn Mailer>) -> Self {
        EmailWorker { mailer }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_batch(event, |message| self.send(message)).await
    }

    async fn send(&self, message: SqsMessage) -> Result<(), JobError> {
        let job: EmailJob = serde_json::from_str(message.body.as_deref().unwrap_or_default())?;
        let email = render(&job)?;
        match self.mailer.send(&email).await {
            Ok(message_id) => {
                tracing::info!(job_id = %job.id, kind = %email.kind, %message_id, "email sent");
                Ok(())
            }
            // Retrying cannot help an email the provider refused for good.
            Err(MailError::Rejected(reason)) => {
                tracing::warn!(job_id = %job.id, kind = %email.kind, %reason, "email rejected by the provider");
                Ok(())
            }
            Err(e @ MailError::Unavailable(_)) => Err(JobError::Provider(e)),
        }
    }
}
