//! The email worker on Lambda: clients built once per cold start.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use email_worker::EmailWorker;
use lambda_runtime::{LambdaEvent, service_fn};
use shared::{
    adapters::{
        aws::{dynamodb::DynamoDbTable, ses::SesMailer},
        mailgun::{MailgunMailer, MailgunSettings},
    },
    clock::SystemClock,
    email::sending::EmailSender,
    mail::Mailer,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let table_name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    // SES unless MAIL_PROVIDER=mailgun.
    let mailer: Arc<dyn Mailer> = match std::env::var("MAIL_PROVIDER").as_deref() {
        Ok("mailgun") => Arc::new(MailgunMailer::new(
            reqwest::Client::new(),
            MailgunSettings::from_env()?,
        )),
        _ => {
            let from = std::env::var("MAIL_FROM").map_err(|_| "MAIL_FROM is not set")?;
            let configuration_set = std::env::var("SES_CONFIGURATION_SET").ok();
            Arc::new(SesMailer::new(
                aws_sdk_sesv2::Client::new(&config),
                from,
                configuration_set,
            ))
        }
    };
    let clock = Arc::new(SystemClock);
    let sender = EmailSender {
        table: Arc::new(DynamoDbTable::new(
            aws_sdk_dynamodb::Client::new(&config),
            table_name,
            clock.clone(),
        )),
        mailer,
        clock,
    };
    let worker = &EmailWorker::new(sender);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
