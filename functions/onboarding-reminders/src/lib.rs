//! The onboarding reminders, run on a schedule: the use-case lives in
//! `shared::organizations::client_onboarding::send_reminders`.

use shared::{
    Deps,
    due::{RunReport, ScheduledEvent},
    error::Error,
    organizations::client_onboarding,
};

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
