//! The booking reminders, run on a schedule: the use-case lives in
//! `shared::bookings::reminders::send_reminders`. The same run relays the
//! booking outboxes whose messages were not sent after their commit
//! (`shared::outbox`).

use serde::Serialize;
use shared::{
    Deps, bookings,
    bookings::reminders,
    due::{RunReport, ScheduledEvent},
    error::Error,
    outbox,
};

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Booking outboxes found unsent and sent now.
    pub relayed: RunReport,
    pub reminders: RunReport,
}

/// One run: the outboxes left unsent, then the reminders that fell due since
/// the last completed run.
pub async fn run(deps: &Deps) -> Result<Report, Error> {
    Ok(Report {
        relayed: outbox::relay(deps, bookings::OUTBOX).await?,
        reminders: reminders::send_reminders(deps).await?,
    })
}

/// Handles the scheduled event: one run. A failed run fails the invocation, and
/// the next one (five minutes later) does its work again.
pub async fn handle(deps: &Deps, event: ScheduledEvent) -> Result<Report, Error> {
    tracing::info!(event_id = %event.id, source = %event.source, detail_type = %event.detail_type, time = %event.time, "scheduled run");
    run(deps).await
}
