//! Implementations of the ports: AWS services for Lambda, embedded SQLite for
//! the local runner and tests.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "mailgun")]
pub mod mailgun;
pub mod table_requests;
