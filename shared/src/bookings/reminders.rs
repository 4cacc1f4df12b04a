//! Booking reminders: one the day before (`DAY_BEFORE`) and one
//! `reminder_lead_minutes` before the start, each sent exactly once.
//!
//! Workflows: "Notification System" and "Appointment Management Flow" (004_…).
//!
//! - A booking keeps one due entry (`due`) per reminder it wants: only while it
//!   holds its time, and none due before the booking was made (so a booking
//!   made less than 24 hours ahead gets no day-before reminder). Every write of
//!   a booking adds and removes entries with `due_writes` in its own
//!   transaction: a reschedule moves them, a cancel or decline removes them.
//! - The run (`send_reminders`, every 5 minutes) re-reads each due entry's
//!   booking and reminds only if it still holds its time, still starts when the
//!   entry was made for (a rescheduled booking's old time never reminds) and
//!   has not started. Reminders go with `notifications::emit_once`, so
//!   overlapping or repeated runs deliver each one once; a missed run is caught
//!   up by the next one (`due::take_due`).

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::{
    availability::local_rfc3339,
    booking::{Booking, customer_contact},
};
use crate::{
    Deps,
    due::{self, DueEntry, RunReport},
    error::{Error, Result},
    keys,
    notifications::{self, NotificationType},
    records,
    table::Write,
};

/// How long before the start the first reminder goes out.
pub const DAY_BEFORE: SignedDuration = SignedDuration::from_hours(24);

/// The two reminders of a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    /// 24 hours before the start.
    DayBefore,
    /// The booking's `reminder_lead_minutes` before the start.
    Lead,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 2] = [ReminderKind::DayBefore, ReminderKind::Lead];

    /// The kind of its due entries.
    pub fn name(self) -> &'static str {
        match self {
            ReminderKind::DayBefore => "booking_reminder_day_before",
            ReminderKind::Lead => "booking_reminder_lead",
        }
    }

    fn of(name: &str) -> Option<ReminderKind> {
        ReminderKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
    }

    /// How long before the booking's start this reminder goes out.
    fn before_start(self, booking: &Booking) -> SignedDuration {
        match self {
            ReminderKind::DayBefore => DAY_BEFORE,
            ReminderKind::Lead => SignedDuration::from_mins(booking.details.reminder_lead_minutes),
        }
    }

    /// When the booking starts, as the reminder says it: "tomorrow", "in 2 hours".
    fn starts_in(self, booking: &Booking) -> String {
        let minutes = booking.details.reminder_lead_minutes;
        match self {
            ReminderKind::DayBefore => "tomorrow".to_string(),
            ReminderKind::Lead if minutes == 60 => "in 1 hour".to_string(),
            ReminderKind::Lead if minutes % 60 == 0 => format!("in {} hours", minutes / 60),
            ReminderKind::Lead => format!("in {minutes} minutes"),
        }
    }
}

/// A reminder a booking wants, and when it falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wanted {
    kind: ReminderKind,
    due_at: Timestamp,
}

/// The reminders `booking` wants in its current state.
fn wanted(booking: &Booking) -> Vec<Wanted> {
    if !booking.details.status.holds_time() {
        return Vec::new();
    }
    ReminderKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let due_at = booking.start.checked_sub(kind.before_start(booking)).ok()?;
            // Not one the booking was made (or moved) too late for.
            let time_set_at = booking.rescheduled_at.unwrap_or(booking.details.created_at);
            (due_at >= time_set_at).then_some(Wanted { kind, due_at })
        })
        .collect()
}

/// The due entries a booking's write (from `before`, `None` when it is new,
/// to `after`) removes and adds, for the booking's own transaction. Nothing
/// when its reminders stay as they were (a transaction may touch a key once).
pub fn due_writes(before: Option<&Booking>, after: &Booking) -> Result<Vec<Write>> {
    let old = before.map(wanted).unwrap_or_default();
    let new = wanted(after);
    let mut writes: Vec<Write> = old
        .iter()
        .filter(|reminder| !new.contains(reminder))
        .map(|reminder| due::remove(reminder.kind.name(), reminder.due_at, &after.details.id))
        .collect();
    for reminder in new.iter().filter(|reminder| !old.contains(reminder)) {
        let put = due::put(
            reminder.kind.name(),
            reminder.due_at,
            &after.details.id,
            json!({}),
        )?;
        writes.push(put);
    }
    Ok(writes)
}

/// One run of the booking reminders: the due entries of both kinds.
pub async fn send_reminders(deps: &Deps) -> Result<RunReport> {
    let mut report = RunReport::default();
    for kind in ReminderKind::ALL {
        report += due::run(deps, kind.name(), |deps, entry| {
            Box::pin(remind(deps, entry))
        })
        .await?;
    }
    Ok(report)
}

/// Sends the reminder of the entry's booking; false when the booking no longer
/// wants it (cancelled, moved, started, gone) or has nobody to send it to.
async fn remind(deps: &Deps, entry: &DueEntry) -> Result<bool> {
    let kind = ReminderKind::of(&entry.kind)
        .ok_or_else(|| Error::Internal(format!("not a booking reminder: {}", entry.kind)))?;
    let booking: Option<Booking> =
        records::get(&*deps.table, &keys::booking(&entry.target_id)).await?;
    let Some(booking) = booking else {
        return Ok(false);
    };
    let entry_start = entry.due_at.checked_add(kind.before_start(&booking)).ok();
    let still_wanted = booking.details.status.holds_time()
        && entry_start == Some(booking.start)
        && booking.start > deps.clock.now();
    if !still_wanted {
        return Ok(false);
    }
    let id = &booking.details.id;
    // A guest who left no email: no channel reaches them.
    let Some((audience, link)) = customer_contact(deps, &booking)? else {
        return Ok(false);
    };
    let tz = booking.details.time_zone()?;
    let data = json!({
        "service_name": booking.details.service_name,
        "start": local_rfc3339(booking.start, &tz),
        "starts_in": kind.starts_in(&booking),
        "link": link,
    });
    let dedupe_key = format!("{id}:{}:{}", kind.name(), booking.start);
    notifications::emit_once(
        deps,
        &dedupe_key,
        entry.due_at,
        NotificationType::BookingReminder,
        audience,
        Some(booking.details.org_id.clone()),
        data,
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        bookings::{
            booking::{BookingDetails, Customer},
            lifecycle::{BookingStatus, PaymentStatus},
        },
        types::Money,
    };

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().unwrap()
    }

    /// A confirmed booking made at `created`, starting at `start`, with a
    /// two-hour lead reminder.
    fn booking(created: &str, start: &str) -> Booking {
        Booking {
            details: BookingDetails {
                id: "b-1".into(),
                org_id: "org-1".into(),
                service_id: "s-1".into(),
                service_name: "Haircut".into(),
                staff_id: "st-1".into(),
                duration_minutes: 30,
                buffer_minutes: 0,
                price: Money {
                    amount: 2500,
                    currency: "EUR".into(),
                },
                timezone: "Europe/Berlin".into(),
                status: BookingStatus::Confirmed,
                payment_status: PaymentStatus::Pending,
                customer: Customer {
                    name: "Chloé".into(),
                    phone: "+49301234567".into(),
                    email: None,
                },
                notes: None,
                cancellation_window_hours: 24,
                reminder_lead_minutes: 120,
                created_at: at(created),
                payment_method: None,
                status_reason: None,
                version: 1,
            },
            customer_id: "c-1".into(),
            new_customer: true,
            start: at(start),
            end: at(start) + SignedDuration::from_mins(30),
            user_id: None,
            manage_token_hash: "h".into(),
            updated_at: at(created),
            rescheduled_at: None,
        }
    }

    /// Each write as `put` or `remove`, the entry's kind and due time.
    fn described(writes: &[Write]) -> Vec<(&'static str, String, String)> {
        writes
            .iter()
            .map(|write| {
                let key = write.key().unwrap();
                let op = match write {
                    Write::Put { .. } => "put",
                    Write::Delete { .. } => "remove",
                    _ => "other",
                };
                let kind = key.pk.split('#').nth(1).unwrap().to_string();
                let secs: i64 = key.sk.split('#').next().unwrap().parse().unwrap();
                (op, kind, Timestamp::from_second(secs).unwrap().to_string())
            })
            .collect()
    }

    fn entry(op: &'static str, kind: ReminderKind, due: &str) -> (&'static str, String, String) {
        (op, kind.name().to_string(), due.to_string())
    }

    const MADE: &str = "2027-03-20T09:00:00Z";
    const START: &str = "2027-03-23T10:00:00Z";

    #[test]
    fn a_booking_days_ahead_wants_both_reminders() {
        let writes = due_writes(None, &booking(MADE, START)).unwrap();
        assert_eq!(
            described(&writes),
            [
                entry("put", ReminderKind::DayBefore, "2027-03-22T10:00:00Z"),
                entry("put", ReminderKind::Lead, "2027-03-23T08:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_booking_made_less_than_a_day_ahead_gets_only_the_lead_reminder() {
        let five_hours_ahead = booking("2027-03-23T05:00:00Z", START);
        assert_eq!(
            described(&due_writes(None, &five_hours_ahead).unwrap()),
            [entry("put", ReminderKind::Lead, "2027-03-23T08:00:00Z")]
        );
        // Made after the lead reminder's time: none at all.
        let an_hour_ahead = booking("2027-03-23T09:00:00Z", START);
        assert!(due_writes(None, &an_hour_ahead).unwrap().is_empty());
        // Exactly a day ahead still gets the day-before reminder, due at once.
        let a_day_ahead = booking("2027-03-22T10:00:00Z", START);
        assert_eq!(due_writes(None, &a_day_ahead).unwrap().len(), 2);
    }

    #[test]
    fn a_reschedule_moves_the_entries_and_other_changes_write_nothing() {
        let before = booking(MADE, START);
        let mut moved = before.clone();
        moved.start = at("2027-03-24T15:00:00Z");
        assert_eq!(
            described(&due_writes(Some(&before), &moved).unwrap()),
            [
                entry("remove", ReminderKind::DayBefore, "2027-03-22T10:00:00Z"),
                entry("remove", ReminderKind::Lead, "2027-03-23T08:00:00Z"),
                entry("put", ReminderKind::DayBefore, "2027-03-23T15:00:00Z"),
                entry("put", ReminderKind::Lead, "2027-03-24T13:00:00Z"),
            ]
        );
        let mut confirmed = before.clone();
        confirmed.details.status = BookingStatus::Pending;
        assert!(due_writes(Some(&confirmed), &before).unwrap().is_empty());
        assert!(due_writes(Some(&before), &before).unwrap().is_empty());
    }

    #[test]
    fn a_booking_moved_into_its_last_day_gets_no_day_before_reminder() {
        let before = booking(MADE, START);
        let mut moved = before.clone();
        // Moved on the 23rd at 05:00 to 15:00 the same day (ten hours ahead).
        moved.start = at("2027-03-23T15:00:00Z");
        moved.rescheduled_at = Some(at("2027-03-23T05:00:00Z"));
        assert_eq!(
            described(&due_writes(Some(&before), &moved).unwrap()),
            [
                entry("remove", ReminderKind::DayBefore, "2027-03-22T10:00:00Z"),
                entry("remove", ReminderKind::Lead, "2027-03-23T08:00:00Z"),
                entry("put", ReminderKind::Lead, "2027-03-23T13:00:00Z"),
            ]
        );
        // Moved again later the same day, an hour ahead: past its lead time too.
        let mut again = moved.clone();
        again.start = at("2027-03-23T12:00:00Z");
        again.rescheduled_at = Some(at("2027-03-23T11:00:00Z"));
        assert_eq!(
            described(&due_writes(Some(&moved), &again).unwrap()),
            [entry("remove", ReminderKind::Lead, "2027-03-23T13:00:00Z")]
        );
    }

    #[test]
    fn a_booking_that_no_longer_holds_its_time_drops_its_entries() {
        let before = booking(MADE, START);
        for status in [
            BookingStatus::Cancelled,
            BookingStatus::Declined,
            BookingStatus::Completed,
            BookingStatus::NoShow,
        ] {
            let mut after = before.clone();
            after.details.status = status;
            assert_eq!(
                described(&due_writes(Some(&before), &after).unwrap()),
                [
                    entry("remove", ReminderKind::DayBefore, "2027-03-22T10:00:00Z"),
                    entry("remove", ReminderKind::Lead, "2027-03-23T08:00:00Z"),
                ],
                "{status:?}"
            );
            assert!(due_writes(None, &after).unwrap().is_empty(), "{status:?}");
        }
    }

    #[test]
    fn the_reminder_says_when_the_booking_starts() {
        let mut b = booking(MADE, START);
        assert_eq!(ReminderKind::DayBefore.starts_in(&b), "tomorrow");
        assert_eq!(ReminderKind::Lead.starts_in(&b), "in 2 hours");
        b.details.reminder_lead_minutes = 60;
        assert_eq!(ReminderKind::Lead.starts_in(&b), "in 1 hour");
        b.details.reminder_lead_minutes = 90;
        assert_eq!(ReminderKind::Lead.starts_in(&b), "in 90 minutes");
        for kind in ReminderKind::ALL {
            assert_eq!(ReminderKind::of(kind.name()), Some(kind));
        }
    }
}
