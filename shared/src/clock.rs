//! The `Clock` and `Ids` ports, so tests (and the local runner) control time and ids.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Real time shifted by an offset that can be changed while running: tests move
/// it forward to expire things, the local runner lets a developer set it.
#[derive(Default)]
pub struct ShiftedClock {
    offset: Mutex<SignedDuration>,
}

impl ShiftedClock {
    pub fn advance(&self, by: SignedDuration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// From now on, time runs on from `now`.
    pub fn set(&self, now: Timestamp) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) =
            now.duration_since(Timestamp::now());
    }

    /// Back to real time.
    pub fn reset(&self) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = SignedDuration::ZERO;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Timestamp::now()
            .saturating_add(offset)
            .unwrap_or(Timestamp::MAX)
    }
}

/// New ids for entities: unique, and sorting by creation time as strings.
pub trait Ids: Send + Sync {
    fn new_id(&self) -> String;
}

/// UUIDv7 ids in their hyphenated lower-case form, which sorts by time.
pub struct UuidV7;

impl Ids for UuidV7 {
    fn new_id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_is_set_moved_and_reset() {
        let clock = ShiftedClock::default();
        let then: Timestamp = "2030-01-01T09:00:00Z".parse().unwrap();
        clock.set(then);
        let shifted = clock.now().duration_since(then);
        assert!(shifted >= SignedDuration::ZERO && shifted < SignedDuration::from_secs(60));
        clock.advance(SignedDuration::from_hours(2));
        assert!(clock.now() >= then + SignedDuration::from_hours(2));
        clock.reset();
        assert!(clock.now() < then);
    }
}
