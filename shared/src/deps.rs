//! What the use-cases run on: the ports and the configuration, built once per
//! cold start (or once by the local runner) and cloned cheaply into each request.

use std::sync::Arc;

use crate::{
    clock::{Clock, Ids},
    media::Uploads,
    queue::Queue,
    secrets::Secrets,
    table::Table,
};

#[derive(Clone)]
pub struct Deps {
    pub table: Arc<dyn Table>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub secrets: Arc<Secrets>,
    /// Where profile photos and videos are uploaded (`media`).
    pub uploads: Arc<dyn Uploads>,
    pub config: Arc<Config>,
}

/// Settings that are not secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the web app; links in emails point there.
    pub app_url: String,
    /// Emails of the first platform admins (`PLATFORM_ADMINS`), lower-cased;
    /// they get the role once their account exists and is verified.
    pub platform_admins: Vec<String>,
}

impl Config {
    /// Reads `APP_URL` (default: the local runner's address) and
    /// `PLATFORM_ADMINS` (comma-separated emails).
    pub fn from_env() -> Self {
        let app_url = std::env::var("APP_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
        Config::new(
            &app_url,
            &std::env::var("PLATFORM_ADMINS").unwrap_or_default(),
        )
    }

    pub fn new(app_url: &str, platform_admins: &str) -> Self {
        Config {
            app_url: app_url.trim_end_matches('/').to_string(),
            platform_admins: platform_admins
                .split(',')
                .map(|email| email.trim().to_lowercase())
                .filter(|email| !email.is_empty())
                .collect(),
        }
    }
}
