//! Bookings: a business's services, schedule and staff, the availability they
//! give, conflict-free booking, the booking lifecycle, reminders, calendars,
//! clients and analytics.
//!
//! Workflows: every flow in 004_431d014996323c52.txt ("Business Setup Flow",
//! "Appointment Management Flow", "Service Booking Flow", ...).
//!
//! Double booking is impossible by construction (DESIGN.md §3): time is cut
//! into cells of `LOCK_CELL_MINUTES` on a UTC grid, and a booking writes one
//! lock item per cell it covers (its duration plus the service's buffer) for its
//! staff member, each conditioned on not existing, in the booking's own
//! transaction. Slot starts fall on that grid (`slot_step_minutes` is a multiple
//! of it), so a booking never shares a cell with another of the same staff member.

pub mod analytics;
pub mod availability;
pub mod booking;
pub mod calendar;
mod catalog;
pub mod changes;
pub mod customers;
pub mod feeds;
pub mod history;
pub mod lifecycle;
pub mod reminders;
pub mod schedule;
pub mod services;
pub mod staff;

use std::collections::BTreeMap;

use jiff::{Timestamp, civil};
use serde::{Deserialize, Serialize};

use crate::types::Money;

/// The size of one lock cell. A booking holds every cell it touches, so a
/// 5-minute service holds a whole quarter-hour. With durations up to 480 and
/// buffers up to 120 minutes a booking holds at most 40 cells, so a reschedule
/// (release the old cells, take the new) fits one 100-item transaction.
pub const LOCK_CELL_MINUTES: i64 = 15;

/// The resource a booking locks when the organization has no staff members:
/// the business itself takes one booking at a time.
pub const WHOLE_BUSINESS: &str = "business";

/// A bookable service of an organization (`/v1/orgs/{org_id}/services`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: Option<String>,
    /// 5 to 480.
    pub duration_minutes: i64,
    /// Time kept free after the service (cleaning, travel): 0 to 120.
    pub buffer_minutes: i64,
    pub price: Money,
    pub status: ServiceStatus,
    /// The staff members who perform it; empty means every staff member.
    /// The relation lives here only; a staff member's services are derived.
    pub staff_ids: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every write, for optimistic concurrency.
    pub version: i64,
}

/// Only published services can be booked or are shown publicly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Draft,
    Published,
    Archived,
}

/// A day of the week, as the keys of `weekly` hours (`mon` ... `sun`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub fn of(weekday: civil::Weekday) -> Day {
        match weekday {
            civil::Weekday::Monday => Day::Mon,
            civil::Weekday::Tuesday => Day::Tue,
            civil::Weekday::Wednesday => Day::Wed,
            civil::Weekday::Thursday => Day::Thu,
            civil::Weekday::Friday => Day::Fri,
            civil::Weekday::Saturday => Day::Sat,
            civil::Weekday::Sunday => Day::Sun,
        }
    }
}

/// Opening (or working) hours of one day, in the business's local time:
/// `{"start": "09:00", "end": "13:00"}`; `end` may be `24:00`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub start: String,
    pub end: String,
}

/// Hours per day of the week; a missing day is closed.
pub type WeeklyHours = BTreeMap<Day, Vec<Hours>>;

/// Days the business is closed, inclusive, in its local calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub from: civil::Date,
    pub to: civil::Date,
    pub reason: Option<String>,
}

/// An organization's booking schedule and rules (`/v1/orgs/{org_id}/schedule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub org_id: String,
    /// An IANA time zone; every local time of the schedule is in it.
    pub timezone: String,
    pub weekly: WeeklyHours,
    pub closures: Vec<Closure>,
    /// How long before its start a slot can still be booked.
    pub min_notice_minutes: i64,
    /// How many days ahead slots are offered.
    pub max_days_ahead: i64,
    /// Slot starts are this far apart; a multiple of `LOCK_CELL_MINUTES`.
    pub slot_step_minutes: i64,
    /// Customers may cancel or reschedule until this long before the start.
    pub cancellation_window_hours: i64,
    /// New bookings are `confirmed` at once, else `pending` until the business confirms.
    pub auto_confirm: bool,
    /// The second reminder goes this long before the start (the first: 24 hours).
    pub reminder_lead_minutes: i64,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// Someone who performs services (`/v1/orgs/{org_id}/staff`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The team member this is, if they have an account in the organization.
    pub user_id: Option<String>,
    /// Their own working hours; `None` means the business's hours. Either way
    /// only within the business's hours and outside its closures.
    pub weekly: Option<WeeklyHours>,
    /// Inactive staff keep their bookings but get no new ones.
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}
