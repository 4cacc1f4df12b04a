//! Helpers shared by the test suites: where the AWS-API endpoint is, fresh,
//! isolated stores for each test, and the whole platform to drive over HTTP.

pub mod aws;
pub mod bookings;
pub mod counting;
pub mod fake_mailgun;
pub mod orgs;
pub mod outbox;
pub mod platform;
pub mod queue;
pub mod table;

/// Runs an async test case once per backend, as two tests named after it:
/// `<case>::embedded` and `<case>::aws`.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$case($crate::platform::TestPlatform::embedded().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aws() {
                super::$case($crate::platform::TestPlatform::aws().await).await;
            }
        }
    )*};
}
