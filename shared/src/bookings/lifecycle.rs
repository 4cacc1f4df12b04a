//! The booking state machine, in one place: which actions each side may take
//! in each state, and the customer's change deadline.
//!
//! ```text
//! pending   ──confirm──▶ confirmed ──complete──▶ completed
//!    │ ╲──decline──▶ declined      ├──no-show──▶ no_show
//!    └──cancel──▶ cancelled ◀──cancel──┘
//! ```
//! Reschedule keeps the state (pending or confirmed); marking paid changes only
//! the payment status.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Declined,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 6] = [
        BookingStatus::Pending,
        BookingStatus::Confirmed,
        BookingStatus::Declined,
        BookingStatus::Cancelled,
        BookingStatus::Completed,
        BookingStatus::NoShow,
    ];

    /// The snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Declined => "declined",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    /// Whether a booking in this state holds its time: its lock cells stay
    /// taken and it gets reminders.
    pub fn holds_time(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    #[default]
    Pending,
    Paid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    Online,
}

impl PaymentMethod {
    /// The snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Online => "online",
        }
    }
}

/// Who acts on a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The customer: signed in as the booking's user, or holding its manage token.
    Customer,
    /// A member of the organization with the `ManageBookings` permission.
    Business,
}

/// What can be done to a booking; the path segment of its route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Decline,
    Cancel,
    Reschedule,
    Complete,
    NoShow,
    MarkPaid,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Confirm,
        Action::Decline,
        Action::Cancel,
        Action::Reschedule,
        Action::Complete,
        Action::NoShow,
        Action::MarkPaid,
    ];

    /// The route segment (`no-show`), also used in audit entries and errors.
    pub fn name(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Decline => "decline",
            Action::Cancel => "cancel",
            Action::Reschedule => "reschedule",
            Action::Complete => "complete",
            Action::NoShow => "no-show",
            Action::MarkPaid => "mark-paid",
        }
    }
}

/// The facts about a booking the rules look at.
#[derive(Clone, Copy, Debug)]
pub struct Situation {
    pub status: BookingStatus,
    pub payment: PaymentStatus,
    pub start: Timestamp,
    /// The organization's `cancellation_window_hours` when the booking was made.
    pub cancellation_window_hours: i64,
    pub now: Timestamp,
}

/// The state `action` by `actor` leads to, or why it is refused:
/// `InvalidTransition` when the state does not allow it (or the actor may not
/// take it), `ChangeDeadlinePassed` when a customer is past the cancellation
/// window, `TooEarly` when an outcome is recorded before the booking began.
pub fn next_status(situation: &Situation, action: Action, actor: Actor) -> Result<BookingStatus> {
    use BookingStatus::*;
    let refused = || Error::InvalidTransition {
        action: action.name(),
        status: situation.status.name(),
    };
    if actor == Actor::Customer {
        if !matches!(action, Action::Cancel | Action::Reschedule) {
            return Err(refused());
        }
        if situation.status.holds_time() {
            let deadline = customer_deadline(situation.start, situation.cancellation_window_hours);
            if situation.now > deadline {
                return Err(Error::ChangeDeadlinePassed { deadline });
            }
        }
    }
    let next = match (situation.status, action) {
        (Pending, Action::Confirm) => Confirmed,
        (Pending, Action::Decline) => Declined,
        (Pending | Confirmed, Action::Cancel) => Cancelled,
        (status @ (Pending | Confirmed), Action::Reschedule) => status,
        (Confirmed, Action::Complete | Action::NoShow) => {
            if situation.now < situation.start {
                return Err(Error::TooEarly {
                    action: action.name(),
                    start: situation.start,
                });
            }
            if action == Action::Complete {
                Completed
            } else {
                NoShow
            }
        }
        (status @ (Confirmed | Completed), Action::MarkPaid)
            if situation.payment == PaymentStatus::Pending =>
        {
            status
        }
        _ => return Err(refused()),
    };
    Ok(next)
}

/// The last moment a customer may cancel or reschedule a booking starting at
/// `start`.
pub fn customer_deadline(start: Timestamp, cancellation_window_hours: i64) -> Timestamp {
    start
        .checked_sub(SignedDuration::from_hours(cancellation_window_hours))
        .unwrap_or(Timestamp::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().unwrap()
    }

    fn situation(status: BookingStatus, now: &str) -> Situation {
        Situation {
            status,
            payment: PaymentStatus::Pending,
            start: at("2026-12-01T10:00:00Z"),
            cancellation_window_hours: 24,
            now: at(now),
        }
    }

    const EARLY: &str = "2026-11-25T10:00:00Z";
    const AFTER_START: &str = "2026-12-01T10:30:00Z";

    #[test]
    fn the_business_moves_a_booking_through_every_documented_transition() {
        use BookingStatus::*;
        let cases = [
            (Pending, Action::Confirm, EARLY, Confirmed),
            (Pending, Action::Decline, EARLY, Declined),
            (Pending, Action::Cancel, EARLY, Cancelled),
            (Pending, Action::Reschedule, EARLY, Pending),
            (Confirmed, Action::Cancel, EARLY, Cancelled),
            (Confirmed, Action::Reschedule, EARLY, Confirmed),
            (Confirmed, Action::Complete, AFTER_START, Completed),
            (Confirmed, Action::NoShow, AFTER_START, NoShow),
            (Confirmed, Action::MarkPaid, EARLY, Confirmed),
            (Completed, Action::MarkPaid, AFTER_START, Completed),
        ];
        for (from, action, now, to) in cases {
            let next = next_status(&situation(from, now), action, Actor::Business);
            assert_eq!(next.ok(), Some(to), "{from:?} --{action:?}-->");
        }
    }

    #[test]
    fn every_other_transition_is_refused() {
        let actions = Action::ALL;
        let mut allowed = 0;
        for status in BookingStatus::ALL {
            for action in actions {
                match next_status(&situation(status, AFTER_START), action, Actor::Business) {
                    Ok(_) => allowed += 1,
                    Err(Error::InvalidTransition { .. }) => {}
                    Err(other) => panic!("{status:?} {action:?}: {other:?}"),
                }
            }
        }
        // Those of the first test (all allowed after the start, too).
        assert_eq!(allowed, 10);
    }

    #[test]
    fn outcomes_are_recorded_only_once_the_booking_began() {
        for action in [Action::Complete, Action::NoShow] {
            let early = next_status(
                &situation(BookingStatus::Confirmed, EARLY),
                action,
                Actor::Business,
            );
            assert!(matches!(early, Err(Error::TooEarly { .. })), "{action:?}");
        }
    }

    #[test]
    fn paying_twice_is_refused() {
        let mut paid = situation(BookingStatus::Confirmed, EARLY);
        paid.payment = PaymentStatus::Paid;
        let again = next_status(&paid, Action::MarkPaid, Actor::Business);
        assert!(matches!(again, Err(Error::InvalidTransition { .. })));
    }

    #[test]
    fn the_customer_may_only_cancel_or_reschedule_and_only_before_the_deadline() {
        let before = situation(BookingStatus::Confirmed, "2026-11-30T09:59:59Z");
        assert_eq!(
            next_status(&before, Action::Cancel, Actor::Customer).ok(),
            Some(BookingStatus::Cancelled)
        );
        assert_eq!(
            next_status(&before, Action::Reschedule, Actor::Customer).ok(),
            Some(BookingStatus::Confirmed)
        );
        for action in [Action::Confirm, Action::Complete, Action::MarkPaid] {
            assert!(matches!(
                next_status(&before, action, Actor::Customer),
                Err(Error::InvalidTransition { .. })
            ));
        }
        let late = situation(BookingStatus::Pending, "2026-11-30T10:00:01Z");
        match next_status(&late, Action::Cancel, Actor::Customer) {
            Err(Error::ChangeDeadlinePassed { deadline }) => {
                assert_eq!(deadline, at("2026-11-30T10:00:00Z"))
            }
            other => panic!("{other:?}"),
        }
        // The business is not bound by the customer's deadline.
        assert_eq!(
            next_status(&late, Action::Cancel, Actor::Business).ok(),
            Some(BookingStatus::Cancelled)
        );
    }

    #[test]
    fn a_finished_booking_cannot_be_cancelled_by_the_customer_either() {
        let done = situation(BookingStatus::Completed, EARLY);
        assert!(matches!(
            next_status(&done, Action::Cancel, Actor::Customer),
            Err(Error::InvalidTransition { .. })
        ));
    }
}
