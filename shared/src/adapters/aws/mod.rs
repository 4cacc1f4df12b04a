//! AWS adapters: DynamoDB (`Table`), SQS (`Queue`), SES v2 (`Mailer`).

pub mod dynamodb;
pub mod ses;
pub mod sqs;
