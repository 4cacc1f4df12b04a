//! `cargo dev`: the whole platform on http://127.0.0.1:3000.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::Parser;
use local::{Backend, Options, Platform};
use shared::{Config, adapters::mailgun::MailgunSettings};

/// Runs every function of the platform in one process, on embedded state that
/// survives restarts (or on an AWS-API endpoint with --aws).
#[derive(Parser)]
#[command(name = "cargo dev")]
struct Args {
    /// Port to listen on (loopback only).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Where embedded state, the mailbox and the dev signing key live.
    #[arg(long, default_value = ".local")]
    data_dir: PathBuf,
    /// Use DynamoDB, SQS and SES at AWS_ENDPOINT_URL (a moto server, or real
    /// AWS when unset) instead of embedded state; creates the table (TABLE_NAME,
    /// default platform-local) and queues (named QUEUE_PREFIX-<queue>, default
    /// prefix platform-local) when missing. Sends from MAIL_FROM.
    #[arg(long)]
    aws: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let env_or =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let backend = if args.aws {
        Backend::Aws {
            table_name: env_or("TABLE_NAME", "platform-local"),
            queue_prefix: env_or("QUEUE_PREFIX", "platform-local"),
            mail_from: env_or("MAIL_FROM", "no-reply@platform.test"),
        }
    } else {
        Backend::Embedded
    };
    let base = format!("http://127.0.0.1:{}", args.port);
    let options = Options {
        data_dir: args.data_dir,
        config: Config::new(
            &env_or("APP_URL", &format!("{base}/_dev/app")),
            &env_or("PLATFORM_ADMINS", ""),
        ),
        runner_url: base.clone(),
        backend,
        mailgun: match std::env::var("MAIL_PROVIDER").as_deref() {
            Ok("mailgun") => Some(MailgunSettings::from_env()?),
            _ => None,
        },
        mailgun_webhook_signing_key: std::env::var("MAILGUN_WEBHOOK_SIGNING_KEY")
            .ok()
            .map(String::into_bytes),
    };
    if options.mailgun_webhook_signing_key.is_none() {
        tracing::info!("MAILGUN_WEBHOOK_SIGNING_KEY is not set: POST /webhooks/mailgun is off");
    }
    let platform = Arc::new(Platform::start(options).await?);
    platform.spawn_pumps();
    platform.spawn_schedules();

    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(
        "platform on {base} ({}); mailbox at {base}/_dev/mail",
        if args.aws {
            "AWS adapters"
        } else {
            "embedded state"
        }
    );
    axum::serve(listener, platform.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
