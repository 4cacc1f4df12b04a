//! The local runner pumps queues with SQS semantics: a failed message is
//! retried after the visibility timeout and dead-lettered after the queue's
//! maximum receives (both from template.yaml), while the rest of its batch goes
//! through.

use jiff::SignedDuration;
use platform_tests::platform::TestPlatform;
use serde_json::json;
use shared::{email::EMAIL_QUEUE, queue::QueueSettings};

#[tokio::test]
async fn a_poisoned_email_job_is_retried_then_dead_lettered_and_others_still_go_out() {
    let p = TestPlatform::embedded().await;
    let settings: Vec<QueueSettings> = shared::template::queues(local::TEMPLATE).unwrap();
    let email = settings.iter().find(|q| q.name == EMAIL_QUEUE).unwrap();
    let redrive = email
        .redrive
        .clone()
        .expect("the email queue has a dead-letter queue");
    let queue = &p.platform.deps.queue;

    queue
        .send(
            EMAIL_QUEUE,
            "this is not an email job",
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
    let good = json!({
        "id": "job-1", "to": "ada@example.com", "type": "mfa_code", "recipient_name": "Ada", "data": { "code": "123456" }
    });
    queue
        .send(EMAIL_QUEUE, &good.to_string(), std::time::Duration::ZERO)
        .await
        .unwrap();

    // Both in one batch: the good one is sent, the bad one stays on the queue.
    assert_eq!(p.platform.drain_queues().await.unwrap(), 2);
    assert_eq!(p.platform.mailbox.list(10).await.unwrap().len(), 1);
    // Invisible until its visibility timeout passes.
    assert_eq!(p.platform.drain_queues().await.unwrap(), 0);

    let wait = SignedDuration::from_secs(email.visibility_timeout.as_secs() as i64 + 1);
    for receive in 2..=redrive.max_receive_count {
        p.platform.clock.advance(wait);
        assert_eq!(
            p.platform.drain_queues().await.unwrap(),
            1,
            "receive {receive}"
        );
    }
    // Received max_receive_count times: the next receive dead-letters it.
    p.platform.clock.advance(wait);
    assert_eq!(p.platform.drain_queues().await.unwrap(), 0);
    let dead = queue.receive(&redrive.dead_letter_queue, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "this is not an email job");
    assert_eq!(
        p.platform.mailbox.list(10).await.unwrap().len(),
        1,
        "nothing was sent twice"
    );
}
