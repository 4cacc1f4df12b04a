//! A booking's history: one entry per step of its life, from its booking to
//! every change (`changes`), each written in the step's own transaction, and
//! `GET /v1/orgs/{org_id}/bookings/{booking_id}/history` reading them back
//! oldest first.

use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use super::{
    availability::local_rfc3339,
    booking::{Booking, org_booking},
    lifecycle::BookingStatus,
};
use crate::{
    Deps,
    accounts::Caller,
    error::Result,
    keys,
    paging::{Page, PageParams},
    records::{self, to_item},
    table::{Index, Query, SortKey, Write},
};

/// The action of the first entry: the booking was made.
pub(super) const BOOKED: &str = "book";

/// The actor of a step taken by a guest (booking, or changing with the
/// manage token).
pub(super) const GUEST_ACTOR: &str = "customer";

/// One entry of a booking's history, as stored; times in UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct HistoryEntry {
    action: String,
    /// A user id, or `GUEST_ACTOR`.
    actor: String,
    from_status: BookingStatus,
    to_status: BookingStatus,
    from_start: Timestamp,
    to_start: Timestamp,
    reason: Option<String>,
    at: Timestamp,
}

/// The write of the entry saying `actor` took the booking from `before` to
/// `after` by `action` (for the booking itself, both are the new booking), at
/// `after.updated_at`. Entry ids sort by time, so the history reads in order.
pub(super) fn entry_write(
    deps: &Deps,
    action: &str,
    actor: &str,
    before: &Booking,
    after: &Booking,
    reason: Option<String>,
) -> Result<Write> {
    let entry = HistoryEntry {
        action: action.to_string(),
        actor: actor.to_string(),
        from_status: before.details.status,
        to_status: after.details.status,
        from_start: before.start,
        to_start: after.start,
        reason,
        at: after.updated_at,
    };
    let key = keys::booking_history_entry(&after.details.id, &deps.ids.new_id());
    Ok(Write::Put {
        item: to_item(&key, &entry, None)?,
        condition: None,
    })
}

/// A history entry as its readers see it: times with the business's offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEntryView {
    pub action: String,
    pub actor: String,
    pub from_status: BookingStatus,
    pub to_status: BookingStatus,
    pub from_start: String,
    pub to_start: String,
    pub reason: Option<String>,
    pub at: String,
}

impl HistoryEntryView {
    fn of(entry: HistoryEntry, tz: &TimeZone) -> Self {
        HistoryEntryView {
            action: entry.action,
            actor: entry.actor,
            from_status: entry.from_status,
            to_status: entry.to_status,
            from_start: local_rfc3339(entry.from_start, tz),
            to_start: local_rfc3339(entry.to_start, tz),
            reason: entry.reason,
            at: local_rfc3339(entry.at, tz),
        }
    }
}

/// `GET /v1/orgs/{org_id}/bookings/{booking_id}/history`: the booking's
/// history, oldest first, a page at a time. Whoever may read the booking
/// may read its history (any member); another organization's booking is 404.
pub async fn booking_history(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    booking_id: &str,
    page: PageParams,
) -> Result<Page<HistoryEntryView>> {
    let booking = org_booking(deps, caller, org_id, booking_id).await?;
    let tz = booking.details.time_zone()?;
    let (pk, prefix) = keys::booking_history_of(&booking.details.id);
    let query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(page.limit()?)
        .after(page.cursor);
    let (entries, next_cursor) = records::page_of::<HistoryEntry>(&*deps.table, &query).await?;
    Ok(Page {
        items: entries
            .into_iter()
            .map(|entry| HistoryEntryView::of(entry, &tz))
            .collect(),
        next_cursor,
    })
}
