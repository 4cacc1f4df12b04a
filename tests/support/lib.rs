//! Helpers shared by the test suites: where the AWS-API endpoint is, and
//! fresh, isolated stores for each test.

pub mod aws;
pub mod queue;
