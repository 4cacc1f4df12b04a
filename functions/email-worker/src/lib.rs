//! The email worker: each message of the email queue is one `EmailJob`, sent by
//! `shared::email::sending::EmailSender` (logged, at most once, never to a
//! suppressed address). Failed messages are reported, so SQS retries them and
//! dead-letters them after the queue's maximum receives.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::{
    email::{
        EmailJob,
        sending::{EmailSender, Outcome, SendError},
    },
    worker::process_batch,
};

#[derive(Clone)]
pub struct EmailWorker {
    sender: EmailSender,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the message is not an email job: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl EmailWorker {
    pub fn new(sender: EmailSender) -> Self {
        EmailWorker { sender }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_batch(event, |message| self.send(message)).await
    }

    async fn send(&self, message: SqsMessage) -> Result<(), JobError> {
        let job: EmailJob = serde_json::from_str(message.body.as_deref().unwrap_or_default())?;
        match self.sender.send(&job).await? {
            Outcome::Sent { message_id } => {
                tracing::info!(email_id = %job.id, kind = job.kind.name(), %message_id, "email sent")
            }
            Outcome::AlreadyHandled(status) => {
                tracing::info!(email_id = %job.id, ?status, "email job redelivered; already handled")
            }
            Outcome::Suppressed => {
                tracing::info!(email_id = %job.id, "address suppressed; email not sent")
            }
            Outcome::Rejected(reason) => {
                tracing::warn!(email_id = %job.id, %reason, "email rejected by the provider")
            }
        }
        Ok(())
    }
}
