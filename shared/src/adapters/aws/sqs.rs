//! `SqsQueue`: the `Queue` port on Amazon SQS. Logical queue names (`email`) map to
//! queue URLs, which Lambda functions get from template.yaml as environment
//! variables; `create_queues_if_missing` makes them on a bare endpoint (moto, or
//! an account the local runner is pointed at).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};

use crate::queue::{Message, Queue, QueueError, QueueSettings, check_delay, check_receive_max};

pub struct SqsQueue {
    client: Client,
    /// Logical name → queue URL.
    urls: HashMap<String, String>,
}

impl SqsQueue {
    pub fn new(client: Client, urls: HashMap<String, String>) -> Self {
        Self { client, urls }
    }

    /// Reads each queue's URL from `<NAME>_QUEUE_URL` (see `queue_url_variable`).
    pub fn from_env(client: Client, names: &[&str]) -> Result<Self, QueueError> {
        let urls = names
            .iter()
            .map(|name| {
                let variable = queue_url_variable(name);
                let url = std::env::var(&variable).map_err(|_| {
                    QueueError::Invalid(format!(
                        "{variable} (the URL of queue {name}) is not set or not unicode"
                    ))
                })?;
                Ok((name.to_string(), url))
            })
            .collect::<Result<_, QueueError>>()?;
        Ok(Self::new(client, urls))
    }

    fn url(&self, queue: &str) -> Result<&str, QueueError> {
        self.urls
            .get(queue)
            .map(String::as_str)
            .ok_or_else(|| QueueError::UnknownQueue(queue.to_owned()))
    }
}

/// The environment variable holding a queue's URL: `email-events` →
/// `EMAIL_EVENTS_QUEUE_URL`.
pub fn queue_url_variable(name: &str) -> String {
    format!("{}_QUEUE_URL", name.to_uppercase().replace('-', "_"))
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, queue: &str, body: &str, delay: Duration) -> Result<String, QueueError> {
        let url = self.url(queue)?;
        check_delay(delay)?;
        let output = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .delay_seconds(whole_seconds(delay))
            .send()
            .await
            .map_err(|error| queue_error(queue, error))?;
        output
            .message_id
            .ok_or_else(|| missing("SendMessage", "MessageId"))
    }

    async fn receive(&self, queue: &str, max: u32) -> Result<Vec<Message>, QueueError> {
        let url = self.url(queue)?;
        check_receive_max(max)?;
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(i32::try_from(max).unwrap_or(i32::MAX))
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|error| queue_error(queue, error))?;
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(received_message)
            .collect()
    }

    async fn delete(&self, queue: &str, receipt_handle: &str) -> Result<(), QueueError> {
        let url = self.url(queue)?;
        self.client
            .delete_message()
            .queue_url(url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|error| queue_error(queue, error))?;
        Ok(())
    }
}

fn received_message(message: aws_sdk_sqs::types::Message) -> Result<Message, QueueError> {
    let receive_count = message
        .attributes
        .as_ref()
        .and_then(|attributes| attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| missing("ReceiveMessage", "ApproximateReceiveCount"))?;
    Ok(Message {
        id: message
            .message_id
            .ok_or_else(|| missing("ReceiveMessage", "MessageId"))?,
        body: message
            .body
            .ok_or_else(|| missing("ReceiveMessage", "Body"))?,
        receipt_handle: message
            .receipt_handle
            .ok_or_else(|| missing("ReceiveMessage", "ReceiptHandle"))?,
        receive_count,
    })
}

/// Creates `<prefix>-<name>` for each queue unless it exists with the same
/// settings, and returns logical name → URL. Queues without a redrive (the
/// dead-letter queues) are created first, so each redrive can name its DLQ's ARN.
pub async fn create_queues_if_missing(
    client: &Client,
    prefix: &str,
    queues: &[QueueSettings],
) -> Result<HashMap<String, String>, QueueError> {
    let mut ordered: Vec<&QueueSettings> = queues.iter().collect();
    ordered.sort_by_key(|settings| settings.redrive.is_some());
    let mut urls: HashMap<String, String> = HashMap::new();
    for settings in ordered {
        let physical_name = format!("{prefix}-{}", settings.name);
        let mut request = client.create_queue().queue_name(&physical_name).attributes(
            QueueAttributeName::VisibilityTimeout,
            whole_seconds(settings.visibility_timeout).to_string(),
        );
        if let Some(redrive) = &settings.redrive {
            let dead_letter_url = urls.get(&redrive.dead_letter_queue).ok_or_else(|| {
                QueueError::Invalid(format!(
                    "queue {} names dead-letter queue {}, which is not among the queues \
                     or has a redrive of its own",
                    settings.name, redrive.dead_letter_queue
                ))
            })?;
            let policy = serde_json::json!({
                "deadLetterTargetArn": queue_arn(client, dead_letter_url, &redrive.dead_letter_queue).await?,
                "maxReceiveCount": redrive.max_receive_count,
            });
            request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let output = request
            .send()
            .await
            .map_err(|error| queue_error(&settings.name, error))?;
        let url = output
            .queue_url
            .ok_or_else(|| missing("CreateQueue", "QueueUrl"))?;
        urls.insert(settings.name.clone(), url);
    }
    Ok(urls)
}

async fn queue_arn(client: &Client, url: &str, name: &str) -> Result<String, QueueError> {
    let output = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|error| queue_error(name, error))?;
    output
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| missing("GetQueueAttributes", "QueueArn"))
}

/// SQS counts delays and timeouts in whole seconds: round up, so a message is
/// never visible earlier than asked.
fn whole_seconds(duration: Duration) -> i32 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

fn queue_error<E, R>(queue: &str, error: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.code() {
        Some("AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist") => {
            QueueError::UnknownQueue(queue.to_owned())
        }
        Some(
            "ReceiptHandleIsInvalid"
            | "InvalidParameterValue"
            | "InvalidAttributeValue"
            | "InvalidMessageContents"
            | "QueueNameExists"
            | "QueueAlreadyExists",
        ) => QueueError::Invalid(format!("queue {queue}: {}", DisplayErrorContext(&error))),
        _ => QueueError::Backend(format!("queue {queue}: {}", DisplayErrorContext(&error))),
    }
}

fn missing(operation: &str, field: &str) -> QueueError {
    QueueError::Backend(format!("SQS {operation} answered without {field}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{queue_url_variable, whole_seconds};

    #[test]
    fn queue_url_variables_are_upper_snake_case() {
        assert_eq!(queue_url_variable("email"), "EMAIL_QUEUE_URL");
        assert_eq!(queue_url_variable("email-events"), "EMAIL_EVENTS_QUEUE_URL");
    }

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::ZERO), 0);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(900)), 900);
    }
}
