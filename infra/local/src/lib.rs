//! The local runner: every function of the platform in one process, with the
//! same code Lambda runs. HTTP routers are mounted at their API Gateway paths,
//! queue workers are pumped with SQS semantics, and a developer mailbox shows
//! every email sent. State is embedded (SQLite files in the data directory) or,
//! with `--aws`, on the AWS-API endpoint named by `AWS_ENDPOINT_URL`.
//!
//! The workflow tests build their platform here too, so they test what
//! `cargo dev` runs.

mod dev;
mod pump;
mod schedule;

use std::{path::PathBuf, sync::Arc};

use analytics_worker::AnalyticsWorker;
use axum::Router;
use email_events_worker::EmailEventsWorker;
use email_worker::EmailWorker;
use notifications_worker::NotificationsWorker;
use shared::{
    Config, Deps,
    adapters::{
        aws::{dynamodb, ses::SesMailer, sqs},
        embedded::{
            mailbox::{Mailbox, RecordingMailer},
            queue::EmbeddedQueue,
            table::EmbeddedTable,
            uploads::EmbeddedUploads,
        },
        mailgun::{MailgunMailer, MailgunSettings},
    },
    bookings::analytics::BOOKING_EVENTS_QUEUE,
    clock::{ShiftedClock, UuidV7},
    email::{EMAIL_QUEUE, events::EMAIL_EVENTS_QUEUE, sending::EmailSender},
    mail::Mailer,
    notifications::NOTIFICATIONS_QUEUE,
    queue::Queue,
    secrets::{SecretKey, Secrets},
    table::Table,
};

pub use pump::Worker;
pub use schedule::{Handler, ScheduleError, Schedules};

/// The SAM template: the runner creates its table and queues from it.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

#[derive(Clone, Debug)]
pub struct Options {
    /// Where embedded state, the mailbox and the dev signing key live.
    pub data_dir: PathBuf,
    /// Links in emails point to `config.app_url`.
    pub config: Config,
    /// The runner's own address (`http://127.0.0.1:<port>`): upload URLs
    /// point at its `/_dev/uploads`.
    pub runner_url: String,
    pub backend: Backend,
    /// Send through Mailgun (`MAIL_PROVIDER=mailgun`) instead of the backend's
    /// mailer (the mailbox alone, or SES); the mailbox still records it.
    pub mailgun: Option<MailgunSettings>,
    /// Serve `POST /webhooks/mailgun`, verifying with this key
    /// (`MAILGUN_WEBHOOK_SIGNING_KEY`).
    pub mailgun_webhook_signing_key: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub enum Backend {
    /// SQLite files in the data directory.
    Embedded,
    /// DynamoDB, SQS and SES at `AWS_ENDPOINT_URL` (or real AWS), with the
    /// table and queues created when missing.
    Aws {
        table_name: String,
        queue_prefix: String,
        mail_from: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("template.yaml: {0}")]
    Template(#[from] shared::template::TemplateError),
    #[error("table: {0}")]
    Table(#[from] shared::table::TableError),
    #[error("queues: {0}")]
    Queue(#[from] shared::queue::QueueError),
    #[error("mailbox: {0}")]
    Mailbox(String),
    #[error("secrets: {0}")]
    Secrets(#[from] shared::secrets::SecretsError),
    #[error("email sender identity: {0}")]
    Sender(String),
    #[error("schedules: {0}")]
    Schedule(#[from] ScheduleError),
}

/// The running platform: its ports, its workers and the developer mailbox.
pub struct Platform {
    pub deps: Deps,
    /// The clock every function sees; tests and developers move it.
    pub clock: Arc<ShiftedClock>,
    pub mailbox: Arc<Mailbox>,
    /// Uploads on every backend: files in `<data_dir>/uploads`, served by `/_dev`.
    pub uploads: Arc<EmbeddedUploads>,
    workers: Vec<Worker>,
    schedules: Arc<Schedules>,
    mailgun_webhook_signing_key: Option<Vec<u8>>,
}

impl Platform {
    pub async fn start(options: Options) -> Result<Platform, StartError> {
        let dir = &options.data_dir;
        std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.clone(), e))?;
        let clock = Arc::new(ShiftedClock::default());
        let mailbox = Arc::new(
            Mailbox::open(&dir.join("mailbox.sqlite3"))
                .map_err(|e| StartError::Mailbox(e.to_string()))?,
        );
        let queues = shared::template::queues(TEMPLATE)?;
        shared::template::check_table(TEMPLATE)?;

        let (table, queue, mailer): (Arc<dyn Table>, Arc<dyn Queue>, Arc<dyn Mailer>) =
            match &options.backend {
                Backend::Embedded => (
                    Arc::new(EmbeddedTable::open(
                        &dir.join("table.sqlite3"),
                        clock.clone(),
                    )?),
                    Arc::new(EmbeddedQueue::open(
                        &dir.join("queues.sqlite3"),
                        queues,
                        clock.clone(),
                    )?),
                    mailbox.clone(),
                ),
                Backend::Aws {
                    table_name,
                    queue_prefix,
                    mail_from,
                } => {
                    let sdk =
                        aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                    let dynamodb_client = aws_sdk_dynamodb::Client::new(&sdk);
                    dynamodb::create_table_if_missing(&dynamodb_client, table_name).await?;
                    let sqs_client = aws_sdk_sqs::Client::new(&sdk);
                    let urls =
                        sqs::create_queues_if_missing(&sqs_client, queue_prefix, &queues).await?;
                    let ses_client = aws_sdk_sesv2::Client::new(&sdk);
                    ensure_sender_identity(&ses_client, mail_from).await?;
                    let ses = Arc::new(SesMailer::new(ses_client, mail_from.clone(), None));
                    (
                        Arc::new(dynamodb::DynamoDbTable::new(
                            dynamodb_client,
                            table_name.clone(),
                            clock.clone(),
                        )),
                        Arc::new(sqs::SqsQueue::new(sqs_client, urls)),
                        Arc::new(RecordingMailer {
                            inner: ses,
                            mailbox: mailbox.clone(),
                        }),
                    )
                }
            };

        let mailer: Arc<dyn Mailer> = match options.mailgun {
            Some(settings) => Arc::new(RecordingMailer {
                inner: Arc::new(MailgunMailer::new(reqwest::Client::new(), settings)),
                mailbox: mailbox.clone(),
            }),
            None => mailer,
        };
        let token_signing_key = signing_key(dir)?;
        let uploads = Arc::new(EmbeddedUploads::new(
            &options.runner_url,
            token_signing_key.clone(),
            &dir.join("uploads"),
            clock.clone(),
        ));
        let deps = Deps {
            table,
            queue,
            clock: clock.clone(),
            ids: Arc::new(UuidV7),
            uploads: uploads.clone(),
            secrets: Arc::new(Secrets { token_signing_key }),
            config: Arc::new(options.config),
        };
        let email_worker = EmailWorker::new(EmailSender {
            table: deps.table.clone(),
            mailer,
            clock: clock.clone(),
        });
        let notifications_worker = NotificationsWorker::new(deps.clone());
        let email_events_worker = EmailEventsWorker::new(deps.table.clone(), clock.clone());
        let analytics_worker = AnalyticsWorker::new(deps.table.clone(), clock.clone());
        // In pipeline order, so one pass of `drain_queues` mostly suffices.
        let workers = vec![
            Worker::new(NOTIFICATIONS_QUEUE, move |event| {
                let worker = notifications_worker.clone();
                async move { worker.handle(event).await }
            }),
            Worker::new(EMAIL_QUEUE, move |event| {
                let worker = email_worker.clone();
                async move { worker.handle(event).await }
            }),
            Worker::new(EMAIL_EVENTS_QUEUE, move |event| {
                let worker = email_events_worker.clone();
                async move { worker.handle(event).await }
            }),
            Worker::new(BOOKING_EVENTS_QUEUE, move |event| {
                let worker = analytics_worker.clone();
                async move { worker.handle(event).await }
            }),
        ];
        // Each scheduled function of template.yaml, by its binary's name.
        let handlers = vec![
            scheduled("onboarding-reminders", &deps, |deps| async move {
                onboarding_reminders::run(&deps).await
            }),
            scheduled("booking-reminders", &deps, |deps| async move {
                booking_reminders::run(&deps).await
            }),
            scheduled("outbox-relay", &deps, |deps| async move {
                outbox_relay::run(&deps).await
            }),
        ];
        let schedules = Arc::new(Schedules::new(
            shared::template::schedules(TEMPLATE)?,
            handlers,
        )?);
        Ok(Platform {
            deps,
            clock,
            mailbox,
            uploads,
            workers,
            schedules,
            mailgun_webhook_signing_key: options.mailgun_webhook_signing_key,
        })
    }

    /// Every HTTP function's routes at their API Gateway paths, the webhooks
    /// at their function URL paths, plus `/_dev`.
    pub fn router(&self) -> Router {
        let mut router = Router::new()
            .merge(auth_api::router(self.deps.clone()))
            .merge(bookings_api::router(self.deps.clone()))
            .merge(email_api::router(self.deps.clone()))
            .merge(notifications_api::router(self.deps.clone()))
            .merge(orgs_api::router(self.deps.clone()));
        if let Some(key) = &self.mailgun_webhook_signing_key {
            router = router.merge(mailgun_webhook::router(self.deps.clone(), key.clone()));
        }
        router
            .merge(dev::router(
                dev::DevState {
                    mailbox: self.mailbox.clone(),
                    clock: self.clock.clone(),
                    schedules: self.schedules.clone(),
                    uploads: self.uploads.clone(),
                },
                &self.deps.config.app_url,
            ))
            .fallback(shared::http::no_route)
    }

    /// Hands each queue's visible messages (a batch at a time) to its worker
    /// until every queue is empty for now; returns how many were handled.
    pub async fn drain_queues(&self) -> Result<usize, shared::queue::QueueError> {
        let mut handled = 0;
        // A worker may feed a queue drained before it: pass again until idle.
        loop {
            let mut pass = 0;
            for worker in &self.workers {
                pass += self.drain(worker).await?;
            }
            if pass == 0 {
                return Ok(handled);
            }
            handled += pass;
        }
    }

    /// Like `drain_queues`, for the one queue `name` (the others wait); returns
    /// how many of its messages were handled.
    pub async fn drain_queue(&self, name: &str) -> Result<usize, shared::queue::QueueError> {
        let worker = self
            .workers
            .iter()
            .find(|worker| worker.queue() == name)
            .ok_or_else(|| shared::queue::QueueError::UnknownQueue(name.to_string()))?;
        self.drain(worker).await
    }

    async fn drain(&self, worker: &Worker) -> Result<usize, shared::queue::QueueError> {
        let mut handled = 0;
        loop {
            let batch = worker.pump_once(&*self.deps.queue).await?;
            if batch == 0 {
                return Ok(handled);
            }
            handled += batch;
        }
    }

    /// Runs the scheduled function `function` once, now, as its schedule would;
    /// returns its report.
    pub async fn run_schedule(&self, function: &str) -> Result<serde_json::Value, ScheduleError> {
        self.schedules.run(function).await
    }

    /// Fires the scheduled functions on their rates for as long as the process runs.
    pub fn spawn_schedules(&self) {
        self.schedules.spawn();
    }

    /// Pumps the queues in the background for as long as the process runs.
    pub fn spawn_pumps(self: &Arc<Self>) {
        for index in 0..self.workers.len() {
            let platform = self.clone();
            tokio::spawn(async move { platform.workers[index].run(&*platform.deps.queue).await });
        }
    }
}

/// The local signing key: `TOKEN_SIGNING_KEY` if set, else one made on first
/// start and kept in the data directory, so sessions survive restarts.
/// The handler of a scheduled function: each run gets the ports.
fn scheduled<F, Fut, T, E>(function: &'static str, deps: &Deps, run: F) -> Handler
where
    F: Fn(Deps) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: serde::Serialize,
    E: std::fmt::Display,
{
    let deps = deps.clone();
    Handler::new(function, move || run(deps.clone()))
}

fn signing_key(dir: &std::path::Path) -> Result<SecretKey, StartError> {
    if std::env::var_os("TOKEN_SIGNING_KEY").is_some() {
        return Ok(Secrets::from_env()?.token_signing_key);
    }
    let path = dir.join("token-signing.key");
    let io = |e| StartError::DataDir(path.clone(), e);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(SecretKey::new(bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::random();
            std::fs::write(&path, key.expose()).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// SES sends only from a known identity: create the sender's when missing (on
/// a moto server at once; on real AWS this starts its verification).
async fn ensure_sender_identity(
    ses: &aws_sdk_sesv2::Client,
    sender: &str,
) -> Result<(), StartError> {
    if ses
        .get_email_identity()
        .email_identity(sender)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    ses.create_email_identity()
        .email_identity(sender)
        .send()
        .await
        .map(drop)
        .map_err(|e| StartError::Sender(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string()))
}
