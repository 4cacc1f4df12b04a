//! The AWS-API endpoint the AWS half of every suite runs against: a moto server
//! that `cargo xtask test` starts on loopback and names in `AWS_ENDPOINT_URL`.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The test endpoint. Panics when none is set, so the AWS half of a suite can
/// never be skipped silently (nor pointed at anything but loopback).
pub fn endpoint() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL must name a loopback AWS-API endpoint (got {endpoint:?}); \
         run the tests with `cargo xtask test`, which starts one"
    );
    endpoint
}

/// The SDK configuration for the test endpoint.
pub async fn sdk_config() -> SdkConfig {
    let endpoint = endpoint();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A name no other test uses, for a table or queue of one test's own.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}
