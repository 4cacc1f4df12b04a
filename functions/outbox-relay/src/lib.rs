//! The outbox relay, run on a schedule: the use-case lives in
//! `shared::outbox::relay`.

use shared::{
    Deps,
    due::{RunReport, ScheduledEvent},
    error::Error,
    outbox,
};

/// One run: the outboxes that fell due unsent since the last completed run.
pub async fn run(deps: &Deps) -> Result<RunReport, Error> {
    outbox::relay(deps).await
}

/// Handles the scheduled event: one run. A failed run fails the invocation, and
/// the next one (a minute later) does its work again.
pub async fn handle(deps: &Deps, event: ScheduledEvent) -> Result<RunReport, Error> {
    tracing::info!(event_id = %event.id, source = %event.source, detail_type = %event.detail_type, time = %event.time, "scheduled run");
    run(deps).await
}
