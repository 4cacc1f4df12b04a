//! The booking reminders, run on a schedule: the use-case lives in
//! `shared::bookings::reminders::send_reminders`.

use shared::{
    Deps,
    bookings::reminders,
    due::{RunReport, ScheduledEvent},
    error::Error,
};

/// One run: the reminders that fell due since the last completed run.
pub async fn run(deps: &Deps) -> Result<RunReport, Error> {
    reminders::send_reminders(deps).await
}

/// Handles the scheduled event: one run. A failed run fails the invocation, and
/// the next one (five minutes later) does its work again.
pub async fn handle(deps: &Deps, event: ScheduledEvent) -> Result<RunReport, Error> {
    tracing::info!(event_id = %event.id, source = %event.source, detail_type = %event.detail_type, time = %event.time, "scheduled run");
    run(deps).await
}
