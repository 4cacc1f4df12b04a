//! Email delivery when the provider fails: jobs are retried through the queue
//! and dead-lettered after the maximum receives, nothing is lost, and no job is
//! ever sent twice. The provider is the outside world, so here it is a fake
//! that can be switched off; the queue, table and worker are the real ones.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use email_worker::EmailWorker;
use jiff::SignedDuration;
use local::{TEMPLATE, Worker};
use serde_json::json;
use shared::{
    adapters::embedded::{queue::EmbeddedQueue, table::EmbeddedTable},
    clock::ShiftedClock,
    email::{EMAIL_QUEUE, EmailJob, log::EmailStatus, sending::EmailSender, store},
    mail::{Email, MailError, Mailer},
    notifications::NotificationType,
    queue::{Queue, QueueSettings, enqueue},
};

/// A provider that is up or down, and slow if asked.
#[derive(Default)]
struct FlakyProvider {
    down: AtomicBool,
    delay: Duration,
    sent: Mutex<Vec<Email>>,
}

#[async_trait]
impl Mailer for FlakyProvider {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        tokio::time::sleep(self.delay).await;
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Unavailable("503 service unavailable".into()));
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(email.clone());
        Ok(format!("<{}@provider.test>", sent.len()))
    }
}

struct Setup {
    clock: Arc<ShiftedClock>,
    queue: Arc<EmbeddedQueue>,
    table: Arc<EmbeddedTable>,
    provider: Arc<FlakyProvider>,
    worker: EmailWorker,
    email_queue: QueueSettings,
    _dir: tempfile::TempDir,
}

fn setup(provider: FlakyProvider) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ShiftedClock::default());
    let settings = shared::template::queues(TEMPLATE).unwrap();
    let email_queue = settings
        .iter()
        .find(|q| q.name == EMAIL_QUEUE)
        .unwrap()
        .clone();
    let queue = Arc::new(
        EmbeddedQueue::open(&dir.path().join("q.sqlite3"), settings, clock.clone()).unwrap(),
    );
    let table = Arc::new(EmbeddedTable::in_memory(clock.clone()).unwrap());
    let provider = Arc::new(provider);
    let worker = EmailWorker::new(EmailSender {
        table: table.clone(),
        mailer: provider.clone(),
        clock: clock.clone(),
    });
    Setup {
        clock,
        queue,
        table,
        provider,
        worker,
        email_queue,
        _dir: dir,
    }
}

impl Setup {
    fn pump(&self) -> Worker {
        let worker = self.worker.clone();
        Worker::new(EMAIL_QUEUE, move |event| {
            let worker = worker.clone();
            async move { worker.handle(event).await }
        })
    }

    /// Lets the visibility timeout pass, so unfinished messages come back.
    fn wait_for_redelivery(&self) {
        self.clock.advance(SignedDuration::from_secs(
            self.email_queue.visibility_timeout.as_secs() as i64 + 1,
        ));
    }
}

fn job(id: &str) -> EmailJob {
    EmailJob {
        id: id.into(),
        to: "ada@example.com".into(),
        kind: NotificationType::MfaCode,
        recipient_name: Some("Ada".into()),
        org_id: None,
        org_name: None,
        data: json!({ "code": "123456" }),
    }
}

#[tokio::test]
async fn an_outage_delays_email_and_recovery_sends_it_once() {
    let s = setup(FlakyProvider {
        down: AtomicBool::new(true),
        ..Default::default()
    });
    enqueue(&*s.queue, EMAIL_QUEUE, &job("job-1"))
        .await
        .unwrap();
    let pump = s.pump();

    assert_eq!(pump.pump_once(&*s.queue).await.unwrap(), 1);
    let log = store::get_log(&*s.table, "job-1").await.unwrap().unwrap();
    assert_eq!(log.status, EmailStatus::Pending);
    assert_eq!(log.last_error.as_deref(), Some("503 service unavailable"));
    assert_eq!(
        pump.pump_once(&*s.queue).await.unwrap(),
        0,
        "invisible until its timeout"
    );

    s.provider.down.store(false, Ordering::SeqCst);
    s.wait_for_redelivery();
    assert_eq!(pump.pump_once(&*s.queue).await.unwrap(), 1);
    let log = store::get_log(&*s.table, "job-1").await.unwrap().unwrap();
    assert_eq!((log.status, log.last_error), (EmailStatus::Sent, None));
    assert_eq!(s.provider.sent.lock().unwrap().len(), 1);

    // Done and deleted: it never comes back.
    s.wait_for_redelivery();
    assert_eq!(pump.pump_once(&*s.queue).await.unwrap(), 0);
}

#[tokio::test]
async fn a_lasting_outage_dead_letters_the_job_and_loses_nothing() {
    let s = setup(FlakyProvider {
        down: AtomicBool::new(true),
        ..Default::default()
    });
    enqueue(&*s.queue, EMAIL_QUEUE, &job("job-2"))
        .await
        .unwrap();
    let pump = s.pump();
    let redrive = s.email_queue.redrive.clone().unwrap();
    for _ in 0..redrive.max_receive_count {
        assert_eq!(pump.pump_once(&*s.queue).await.unwrap(), 1);
        s.wait_for_redelivery();
    }
    assert_eq!(
        pump.pump_once(&*s.queue).await.unwrap(),
        0,
        "moved to the dead-letter queue"
    );
    let dead = s
        .queue
        .receive(&redrive.dead_letter_queue, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let parked: EmailJob = serde_json::from_str(&dead[0].body).unwrap();
    assert_eq!(parked, job("job-2"));
    let log = store::get_log(&*s.table, "job-2").await.unwrap().unwrap();
    assert_eq!(
        log.status,
        EmailStatus::Pending,
        "logged as not sent, with why"
    );
    assert!(s.provider.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn two_deliveries_of_one_job_at_once_send_it_once() {
    let s = setup(FlakyProvider {
        delay: Duration::from_millis(200),
        ..Default::default()
    });
    let body = serde_json::to_string(&job("job-3")).unwrap();
    // SQS may deliver a message twice, even to two workers at the same time.
    let event = || {
        let mut record = aws_lambda_events::sqs::SqsMessage::default();
        record.message_id = Some("m".into());
        record.body = Some(body.clone());
        let mut event = aws_lambda_events::sqs::SqsEvent::default();
        event.records = vec![record];
        event
    };
    let (first, second) = tokio::join!(s.worker.handle(event()), s.worker.handle(event()));
    assert_eq!(s.provider.sent.lock().unwrap().len(), 1);
    // The loser is told to retry later, and its retry finds the job done.
    let failures = first.batch_item_failures.len() + second.batch_item_failures.len();
    assert_eq!(failures, 1);
    assert!(
        s.worker
            .handle(event())
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(s.provider.sent.lock().unwrap().len(), 1);
}
