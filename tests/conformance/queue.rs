//! What the `Queue` port promises, held against every adapter: each case runs on
//! the embedded SQLite queue (`embedded::*`) and on SQS at the moto server (`sqs::*`).
//! Settings are short (1 s visibility timeout); the cases sleep past them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use platform_tests::queue::{
    DEAD_LETTER_QUEUE, EmbeddedQueueStore, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT, WORK_QUEUE,
    sqs_queue,
};
use shared::clock::{ShiftedClock, SystemClock};
use shared::queue::{MAX_RECEIVE_BATCH, Message, Queue, QueueError};

/// Comfortably past the visibility timeout.
const PAST_VISIBILITY: Duration = Duration::from_millis(1_600);

/// Runs each case against each adapter, as tests named after the adapter.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() {
                    let store = super::EmbeddedQueueStore::new(std::sync::Arc::new(super::SystemClock));
                    super::$case(&store.queue).await;
                }
            )*
        }
        mod sqs {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() {
                    super::$case(&super::sqs_queue().await).await;
                }
            )*
        }
    };
}

conformance!(
    sends_receives_and_deletes,
    a_delayed_message_is_received_only_after_its_delay,
    an_undeleted_message_is_redelivered_after_the_visibility_timeout,
    a_deleted_message_never_comes_back,
    a_message_received_max_times_moves_to_the_dead_letter_queue,
    a_receive_returns_at_most_the_batch_size_asked,
    an_unknown_queue_is_an_error,
);

async fn receive(queue: &dyn Queue, name: &str, max: u32) -> Vec<Message> {
    queue.receive(name, max).await.expect("receive")
}

/// The ids of what one receive of a full batch returns.
async fn receive_ids(queue: &dyn Queue, name: &str) -> Vec<String> {
    let received = receive(queue, name, MAX_RECEIVE_BATCH).await;
    received.into_iter().map(|m| m.id).collect()
}

async fn send(queue: &dyn Queue, body: &str) -> String {
    queue
        .send(WORK_QUEUE, body, Duration::ZERO)
        .await
        .expect("send")
}

async fn sends_receives_and_deletes(queue: &dyn Queue) {
    let id = send(queue, r#"{"job":"welcome","to":"ana@example.com"}"#).await;

    let received = receive(queue, WORK_QUEUE, MAX_RECEIVE_BATCH).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(message.id, id);
    assert_eq!(message.body, r#"{"job":"welcome","to":"ana@example.com"}"#);
    assert_eq!(message.receive_count, 1);
    assert!(!message.receipt_handle.is_empty());

    queue
        .delete(WORK_QUEUE, &message.receipt_handle)
        .await
        .expect("delete");
    assert!(receive_ids(queue, WORK_QUEUE).await.is_empty());
}

async fn a_delayed_message_is_received_only_after_its_delay(queue: &dyn Queue) {
    let id = queue
        .send(WORK_QUEUE, "later", Duration::from_secs(2))
        .await
        .expect("send delayed");

    assert!(receive_ids(queue, WORK_QUEUE).await.is_empty());

    tokio::time::sleep(Duration::from_millis(2_600)).await;
    assert_eq!(receive_ids(queue, WORK_QUEUE).await, [id]);
}

async fn an_undeleted_message_is_redelivered_after_the_visibility_timeout(queue: &dyn Queue) {
    let id = send(queue, "retry me").await;
    let first = receive(queue, WORK_QUEUE, 1).await;
    assert_eq!(first.len(), 1);

    assert!(
        receive(queue, WORK_QUEUE, 1).await.is_empty(),
        "a received message is invisible during its visibility timeout"
    );

    tokio::time::sleep(PAST_VISIBILITY).await;
    let second = receive(queue, WORK_QUEUE, 1).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, id);
    assert_eq!(second[0].body, "retry me");
    assert_eq!(second[0].receive_count, 2);
    assert_ne!(
        second[0].receipt_handle, first[0].receipt_handle,
        "each receive has its own receipt handle"
    );
}

async fn a_deleted_message_never_comes_back(queue: &dyn Queue) {
    let deleted_id = send(queue, "done").await;
    let kept_id = send(queue, "not done").await;
    let received = receive(queue, WORK_QUEUE, MAX_RECEIVE_BATCH).await;
    assert_eq!(received.len(), 2);
    let deleted = received
        .iter()
        .find(|m| m.id == deleted_id)
        .expect("the message to delete was received");
    queue
        .delete(WORK_QUEUE, &deleted.receipt_handle)
        .await
        .expect("delete");

    tokio::time::sleep(PAST_VISIBILITY).await;
    // The kept message coming back shows the timeout has passed for both.
    assert_eq!(receive_ids(queue, WORK_QUEUE).await, [kept_id]);
}

async fn a_message_received_max_times_moves_to_the_dead_letter_queue(queue: &dyn Queue) {
    let id = send(queue, "poison").await;
    for receive_count in 1..=MAX_RECEIVE_COUNT {
        let received = receive(queue, WORK_QUEUE, 1).await;
        assert_eq!(received.len(), 1, "receive number {receive_count}");
        assert_eq!(received[0].receive_count, receive_count);
        tokio::time::sleep(PAST_VISIBILITY).await;
    }

    assert!(
        receive(queue, WORK_QUEUE, MAX_RECEIVE_BATCH)
            .await
            .is_empty(),
        "the receive after the last allowed one dead-letters the message"
    );
    let dead = receive(queue, DEAD_LETTER_QUEUE, MAX_RECEIVE_BATCH).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].body, "poison");
}

async fn a_receive_returns_at_most_the_batch_size_asked(queue: &dyn Queue) {
    const SENT: usize = 12;
    const BATCH: u32 = 5;
    for n in 0..SENT {
        send(queue, &format!("message {n}")).await;
    }

    let mut bodies = HashSet::new();
    // SQS may answer fewer than asked: keep receiving, a bounded number of times.
    for _ in 0..SENT * 2 {
        let batch = receive(queue, WORK_QUEUE, BATCH).await;
        assert!(
            batch.len() <= BATCH as usize,
            "got {} messages",
            batch.len()
        );
        for message in batch {
            assert!(bodies.insert(message.body), "a message came twice");
        }
        if bodies.len() == SENT {
            break;
        }
    }
    assert_eq!(bodies.len(), SENT);

    for out_of_range in [0, MAX_RECEIVE_BATCH + 1] {
        let result = queue.receive(WORK_QUEUE, out_of_range).await;
        assert!(
            matches!(result, Err(QueueError::Invalid(_))),
            "receive of {out_of_range}: {result:?}"
        );
    }
}

async fn an_unknown_queue_is_an_error(queue: &dyn Queue) {
    let sent = queue.send("no-such-queue", "x", Duration::ZERO).await;
    assert!(matches!(sent, Err(QueueError::UnknownQueue(name)) if name == "no-such-queue"));
    let received = queue.receive("no-such-queue", 1).await;
    assert!(matches!(received, Err(QueueError::UnknownQueue(_))));
    let deleted = queue.delete("no-such-queue", "handle").await;
    assert!(matches!(deleted, Err(QueueError::UnknownQueue(_))));
}

/// What only the embedded queue promises: atomic receives, durability, time
/// from the `Clock`.
mod embedded_only {
    use super::*;

    #[tokio::test]
    async fn messages_survive_a_restart() {
        let store = EmbeddedQueueStore::new(Arc::new(SystemClock));
        let id = send(&store.queue, "durable").await;
        drop(store.queue);

        let reopened = EmbeddedQueueStore::reopen(&store.directory, Arc::new(SystemClock));
        assert_eq!(receive_ids(&reopened, WORK_QUEUE).await, [id]);
    }

    #[tokio::test]
    async fn delays_and_visibility_follow_the_clock() {
        let clock = Arc::new(ShiftedClock::default());
        let store = EmbeddedQueueStore::new(clock.clone());
        let id = store
            .queue
            .send(WORK_QUEUE, "later", Duration::from_secs(600))
            .await
            .expect("send delayed");
        assert!(receive(&store.queue, WORK_QUEUE, 1).await.is_empty());

        clock.advance(jiff::SignedDuration::from_secs(601));
        let received = receive(&store.queue, WORK_QUEUE, 1).await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].id, id);

        let skip_visibility = jiff::SignedDuration::try_from(VISIBILITY_TIMEOUT)
            .expect("a small duration")
            .checked_add(jiff::SignedDuration::from_millis(1))
            .expect("no overflow");
        clock.advance(skip_visibility);
        let again = receive(&store.queue, WORK_QUEUE, 1).await;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].receive_count, 2);
    }

    /// Atomic receives. (SQS standard queues deliver at least once and may
    /// duplicate, so this is the embedded queue's promise, not the port's.)
    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_receivers_never_get_the_same_message() {
        let store = EmbeddedQueueStore::new(Arc::new(SystemClock));
        let queue = &store.queue;
        const SENT: usize = 10;
        for n in 0..SENT {
            send(queue, &format!("message {n}")).await;
        }

        let (first, second) = tokio::join!(
            receive(queue, WORK_QUEUE, MAX_RECEIVE_BATCH),
            receive(queue, WORK_QUEUE, MAX_RECEIVE_BATCH),
        );
        let ids: Vec<&str> = first.iter().chain(&second).map(|m| m.id.as_str()).collect();
        let distinct: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), SENT, "together they received every message");
        assert_eq!(
            distinct.len(),
            ids.len(),
            "a message went to both receivers"
        );
    }
}
