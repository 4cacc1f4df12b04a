//! The onboarding reminders, run on a schedule: the use-case lives in
//! `shared::organizations::client_onboarding::send_reminders`.

use serde::Deserialize;
use shared::{Deps, due::RunReport, error::Error, organizations::client_onboarding};

/// The EventBridge scheduled event that starts a run (its detail is empty).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ScheduledEvent {
    pub id: String,
    pub detail_type: String,
    pub source: String,
    pub time: String,
}

/// One run: the reminders that fell due since the last completed run.
pub async fn run(deps: &Deps) -> Result<RunReport, Error> {
    client_onboarding::send_reminders(deps).await
}

/// Handles the scheduled event: one run. A failed run fails the invocation, and
/// the next one (or EventBridge's retry) does its work again.
pub async fn handle(deps: &Deps, event: ScheduledEvent) -> Result<RunReport, Error> {
    tracing::info!(event_id = %event.id, source = %event.source, detail_type = %event.detail_type, time = %event.time, "scheduled run");
    run(deps).await
}
