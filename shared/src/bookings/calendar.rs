//! iCalendar (RFC 5545) for bookings: the `.ics` attached to a booking's
//! confirmation email and the feeds calendars subscribe to.

use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{booking::Booking, lifecycle::BookingStatus};
use crate::organizations::Organization;

/// A booking as a calendar sees it. Carried in notification data as
/// `calendar_event`, so the email renderer can attach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEvent {
    /// Stable across updates (the booking id), so a calendar replaces the
    /// event it has rather than adding a second one.
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub status: CalendarStatus,
    /// When the booking last changed; calendars keep the newest version.
    pub updated_at: Timestamp,
    /// Revision of the event (the booking's version): a calendar importing
    /// an update replaces the event only when this grows (RFC 5545 §3.8.7.4).
    #[serde(default)]
    pub sequence: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarStatus {
    /// Requested, not yet confirmed by the business.
    Tentative,
    Confirmed,
    Cancelled,
}

/// The file name of a booking's calendar attachment.
pub const ATTACHMENT_NAME: &str = "booking.ics";
/// The media type of `.ics` content.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// A calendar named `name` holding `events`, as `.ics` text.
pub fn ics(name: &str, events: &[CalendarEvent]) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name);
    for event in events {
        calendar.push(vevent(event));
    }
    calendar.done().to_string()
}

fn vevent(event: &CalendarEvent) -> Event {
    let mut vevent = Event::new();
    vevent
        .uid(&event.uid)
        .summary(&event.summary)
        .starts(utc(event.start))
        .ends(utc(event.end))
        .timestamp(utc(event.updated_at))
        .last_modified(utc(event.updated_at))
        .sequence(event.sequence)
        .status(match event.status {
            CalendarStatus::Tentative => EventStatus::Tentative,
            CalendarStatus::Confirmed => EventStatus::Confirmed,
            CalendarStatus::Cancelled => EventStatus::Cancelled,
        });
    if let Some(description) = &event.description {
        vevent.description(description);
    }
    if let Some(location) = &event.location {
        vevent.location(location);
    }
    vevent.done()
}

/// A booking as the business's calendars (the feeds) show it: what, and who
/// comes, with how to reach them.
pub fn calendar_event(booking: &Booking) -> CalendarEvent {
    let details = &booking.details;
    let customer = &details.customer;
    let mut description = vec![format!("Phone: {}", customer.phone)];
    description.extend(
        customer
            .email
            .as_ref()
            .map(|email| format!("Email: {email}")),
    );
    description.extend(
        details
            .notes
            .as_ref()
            .map(|notes| format!("Notes: {notes}")),
    );
    event(
        booking,
        format!("{} — {}", details.service_name, customer.name),
        Some(description.join("\n")),
        None,
    )
}

/// A booking as the customer's calendar shows it (the `.ics` of the emails
/// about it): what, with whom, and where.
pub fn customer_calendar_event(booking: &Booking, org: &Organization) -> CalendarEvent {
    let location = org
        .profile
        .address
        .as_ref()
        .map(|address| format!("{}, {}, {}", address.street, address.city, address.country));
    event(
        booking,
        format!("{} at {}", booking.details.service_name, org.name),
        booking.details.notes.clone(),
        location,
    )
}

fn event(
    booking: &Booking,
    summary: String,
    description: Option<String>,
    location: Option<String>,
) -> CalendarEvent {
    CalendarEvent {
        uid: booking.details.id.clone(),
        start: booking.start,
        end: booking.end,
        summary,
        description,
        location,
        status: calendar_status(booking.details.status),
        updated_at: booking.updated_at,
        sequence: u32::try_from(booking.details.version).unwrap_or(u32::MAX),
    }
}

/// A request is tentative; a booking that happens (or happened) confirmed;
/// one that will not happen cancelled, so subscribed calendars drop it.
pub fn calendar_status(status: BookingStatus) -> CalendarStatus {
    match status {
        BookingStatus::Pending => CalendarStatus::Tentative,
        BookingStatus::Confirmed | BookingStatus::Completed => CalendarStatus::Confirmed,
        BookingStatus::Cancelled | BookingStatus::Declined | BookingStatus::NoShow => {
            CalendarStatus::Cancelled
        }
    }
}

/// The same instant as chrono's UTC time, which icalendar takes.
fn utc(at: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at.as_second(), at.subsec_nanosecond().unsigned_abs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(summary: &str) -> CalendarEvent {
        CalendarEvent {
            uid: "0190f2c1-7a80-7000-8000-000000000001".into(),
            start: "2027-03-28T08:00:00Z".parse().unwrap(),
            end: "2027-03-28T08:45:00Z".parse().unwrap(),
            summary: summary.into(),
            description: Some("Line one\nline two; with, punctuation".into()),
            location: Some("Hauptstraße 1, Berlin".into()),
            status: CalendarStatus::Confirmed,
            updated_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            sequence: 3,
        }
    }

    #[test]
    fn an_event_is_written_in_utc_with_its_text_escaped() {
        let text = ics("Bookings", &[event("Haircut, 45 min")]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.contains("DTSTART:20270328T080000Z\r\n"), "{text}");
        assert!(text.contains("DTEND:20270328T084500Z\r\n"), "{text}");
        assert!(text.contains("UID:0190f2c1-7a80-7000-8000-000000000001\r\n"));
        assert!(text.contains("STATUS:CONFIRMED\r\n"));
        assert!(text.contains("SEQUENCE:3\r\n"), "{text}");
        // RFC 5545 §3.3.11: commas, semicolons and newlines are escaped.
        assert!(text.contains("SUMMARY:Haircut\\, 45 min\r\n"), "{text}");
        assert!(text.contains("line two\\; with\\, punctuation"), "{text}");
        assert!(text.trim_end().ends_with("END:VCALENDAR"));
    }

    #[test]
    fn only_bookings_that_will_not_happen_are_cancelled() {
        let statuses = BookingStatus::ALL.map(calendar_status);
        use CalendarStatus::*;
        // Pending, confirmed, declined, cancelled, completed, no-show.
        assert_eq!(
            statuses,
            [
                Tentative, Confirmed, Cancelled, Cancelled, Confirmed, Cancelled
            ]
        );
    }

    #[test]
    fn a_feed_holds_every_event_and_long_lines_are_folded() {
        let long = "x".repeat(200);
        let text = ics("Bookings", &[event("first"), event(&long)]);
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        // Lines are at most 75 octets (§3.1).
        assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
    }
}
