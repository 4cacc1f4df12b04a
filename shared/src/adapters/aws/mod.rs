//! AWS adapters: DynamoDB (`Table`), SQS (`Queue`), SES v2 (`Mailer`), S3
//! presigned uploads (`Uploads`).

pub mod dynamodb;
pub mod s3;
pub mod ses;
pub mod sqs;

use std::sync::Arc;

use crate::{
    Config, Deps,
    clock::{SystemClock, UuidV7},
    queue::QueueError,
    secrets::{SecretKey, Secrets, SecretsError},
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Whether a function signs or verifies access tokens.
pub enum TokenKey {
    /// It does: the key comes from `TOKEN_SIGNING_KEY`.
    FromEnv,
    /// It handles no tokens, so it is not given the key: a random one stands
    /// in, and any token it met would fail verification.
    Unused,
}

/// The ports of a function on AWS, from its environment: `TABLE_NAME`, a
/// `<NAME>_QUEUE_URL` for each queue it sends to, `MEDIA_BUCKET` if it signs
/// uploads, the secrets and the config.
/// Called once per cold start; the SDK honours `AWS_ENDPOINT_URL`.
pub async fn deps_from_env(queues: &[&str], token_key: TokenKey) -> Result<Deps, ConfigError> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let table_name = std::env::var("TABLE_NAME").map_err(|_| ConfigError::Missing("TABLE_NAME"))?;
    let clock = Arc::new(SystemClock);
    let table = dynamodb::DynamoDbTable::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table_name,
        clock.clone(),
    );
    let queue = sqs::SqsQueue::from_env(aws_sdk_sqs::Client::new(&sdk), queues)?;
    let uploads = s3::S3Uploads::from_env(&sdk);
    Ok(Deps {
        table: Arc::new(table),
        queue: Arc::new(queue),
        clock,
        ids: Arc::new(UuidV7),
        uploads: Arc::new(uploads),
        secrets: Arc::new(match token_key {
            TokenKey::FromEnv => Secrets::from_env()?,
            TokenKey::Unused => Secrets {
                token_signing_key: SecretKey::random(),
            },
        }),
        config: Arc::new(Config::from_env()),
    })
}
