//! Sending one email job: logged before anything else, sent at most once per job
//! id (a redelivered job finds its log entry and stops), never to a suppressed
//! address, and retried through the queue while the provider is unavailable.

use std::sync::Arc;

use super::{
    EmailJob, RenderError,
    events::normalize_message_id,
    log::{EmailLog, EmailStatus, Failure},
    render, store,
};
use crate::{
    clock::Clock,
    error::Error,
    mail::{MailError, Mailer},
    table::Table,
};

/// What the email worker sends with.
#[derive(Clone)]
pub struct EmailSender {
    pub table: Arc<dyn Table>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

/// Why a job must be tried again later (the queue redelivers it, and after its
/// maximum receives dead-letters it).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Storage(#[from] Error),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the email provider is unavailable: {0}")]
    Provider(String),
    #[error("another worker is sending email {0} right now")]
    Claimed(String),
}

/// What became of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        message_id: String,
    },
    /// Done before: a redelivered job.
    AlreadyHandled(EmailStatus),
    Suppressed,
    /// The provider refused it for good.
    Rejected(String),
}

impl EmailSender {
    pub async fn send(&self, job: &EmailJob) -> Result<Outcome, SendError> {
        let table = &*self.table;
        let now = self.clock.now();
        let log = store::open_log(
            table,
            EmailLog::pending(
                job.id.clone(),
                job.to.clone(),
                job.kind,
                job.org_id.clone(),
                now,
            ),
        )
        .await?;
        if log.status != EmailStatus::Pending {
            return Ok(Outcome::AlreadyHandled(log.status));
        }
        if let Some(suppression) = store::suppression(table, &job.to).await?
            && suppression.blocks(job.kind)
        {
            store::mark_unsent(table, &log, |l| l.status = EmailStatus::Suppressed, now).await?;
            return Ok(Outcome::Suppressed);
        }
        let email = render(job)?;
        let Some(log) = store::claim(table, &log, now).await? else {
            return Err(SendError::Claimed(job.id.clone()));
        };
        match self.mailer.send(&email).await {
            Ok(message_id) => {
                // As provider events will name it: without angle brackets.
                let message_id = normalize_message_id(&message_id);
                store::mark_sent(table, &log, &message_id, self.clock.now()).await?;
                Ok(Outcome::Sent { message_id })
            }
            Err(MailError::Rejected(reason)) => {
                let failure = Failure {
                    permanent: true,
                    reason: reason.clone(),
                };
                store::mark_unsent(
                    table,
                    &log,
                    |l| {
                        l.status = EmailStatus::Failed;
                        l.failure = Some(failure);
                    },
                    self.clock.now(),
                )
                .await?;
                Ok(Outcome::Rejected(reason))
            }
            Err(MailError::Unavailable(reason)) => {
                store::mark_unsent(
                    table,
                    &log,
                    |l| l.last_error = Some(reason.clone()),
                    self.clock.now(),
                )
                .await?;
                Err(SendError::Provider(reason))
            }
        }
    }
}
