//! Scheduled work: entries that fall due at a time (an onboarding reminder, a
//! booking reminder), found by the hourly run of their kind without a scan.
//!
//! A due entry is its own item, in the partition of its kind and the UTC hour it
//! falls due in (`keys::due_entry`), sorted by its due second. The entity it
//! belongs to writes it (`put`) and takes it back (`remove`) in its own
//! transaction, so an entry exists exactly while its work is wanted.
//!
//! A run (`take_due`) reads the kind's watermark (`keys::schedule`: the time the
//! last completed run looked up to), then queries each hour bucket from the
//! watermark (less `SLACK`) to now for entries due by now: one query per hour,
//! at most `CATCH_UP` back, so a run after an outage catches up on a week of
//! work and entries older than that are given up (their items expire soon after).
//! The caller handles each entry and deletes it (`done`), then moves the
//! watermark (`finish`); a run that crashed before is simply done again, and
//! handlers make that safe (`notifications::emit_once`). `run` does all of
//! that for one kind with the kind's handler.

use std::pin::Pin;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Deps,
    error::{Error, Result},
    keys,
    records::{page_of, to_item},
    table::{Condition, Index, Key, Query, SortKey, TableError, Update, Write},
};

/// How far back a run looks when its last run is older (or there was none).
pub const CATCH_UP: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How far before the watermark a run looks again, for entries written with a
/// due time the previous run had just passed.
pub const SLACK: SignedDuration = SignedDuration::from_mins(10);
/// How long an entry is kept after its due time: past the catch-up window no
/// run would find it.
const KEEP_AFTER_DUE: SignedDuration = SignedDuration::from_hours(8 * 24);
const _: () = assert!(KEEP_AFTER_DUE.as_secs() > CATCH_UP.as_secs());
const SECONDS_PER_HOUR: i64 = 3600;
const PAGE_SIZE: u32 = 100;

/// One piece of scheduled work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DueEntry {
    pub kind: String,
    /// When the work falls due, to the second.
    pub due_at: Timestamp,
    /// What the work is about (a token hash, a booking id); unique per kind and time.
    pub target_id: String,
    /// What the handler needs beyond the target (kept small).
    pub payload: Value,
}

impl DueEntry {
    fn key(&self) -> Key {
        entry_key(&self.kind, self.due_at.as_second(), &self.target_id)
    }
}

/// The entries a run found due, and the time it looked up to.
#[derive(Clone, Debug, PartialEq)]
pub struct DueRun {
    pub kind: String,
    pub now: Timestamp,
    pub entries: Vec<DueEntry>,
}

/// The EventBridge scheduled event that starts a run of a scheduled function
/// (its detail is empty).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ScheduledEvent {
    pub id: String,
    pub detail_type: String,
    pub source: String,
    pub time: String,
}

/// What one run of a kind (or several) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Due entries found.
    pub due: usize,
    /// Entries whose work was done (a reminder emitted: delivered once however
    /// often it is emitted).
    pub sent: usize,
    /// Entries dropped: their work was no longer wanted.
    pub skipped: usize,
}

impl std::ops::AddAssign for RunReport {
    fn add_assign(&mut self, other: RunReport) {
        self.due += other.due;
        self.sent += other.sent;
        self.skipped += other.skipped;
    }
}

/// The UTC hour bucket of a Unix second: `2026-11-21T21`.
pub fn hour_bucket(secs: i64) -> String {
    let hour = secs - secs.rem_euclid(SECONDS_PER_HOUR);
    Timestamp::from_second(hour)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H")
        .to_string()
}

/// The hour buckets from the one holding `from` to the one holding `to`, in order.
pub fn hour_buckets(from: i64, to: i64) -> Vec<String> {
    let first = from - from.rem_euclid(SECONDS_PER_HOUR);
    (first..=to)
        .step_by(SECONDS_PER_HOUR as usize)
        .map(hour_bucket)
        .collect()
}

/// Where a run at `now` starts looking, given the watermark of the last one.
pub fn window_start(now: i64, watermark: Option<i64>) -> i64 {
    let oldest = now - CATCH_UP.as_secs();
    watermark.map_or(oldest, |w| (w - SLACK.as_secs()).max(oldest))
}

pub(crate) fn entry_key(kind: &str, due_secs: i64, target_id: &str) -> Key {
    keys::due_entry(kind, &hour_bucket(due_secs), due_secs, target_id)
}

/// The write scheduling `kind` work on `target_id` at `due_at`, for the
/// transaction of the entity it belongs to.
pub fn put(kind: &str, due_at: Timestamp, target_id: &str, payload: Value) -> Result<Write> {
    let due_secs = due_at.as_second();
    let entry = DueEntry {
        kind: kind.to_string(),
        due_at: Timestamp::from_second(due_secs).map_err(|e| Error::Internal(e.to_string()))?,
        target_id: target_id.to_string(),
        payload,
    };
    let expires = due_secs + KEEP_AFTER_DUE.as_secs();
    Ok(Write::Put {
        item: to_item(&entry.key(), &entry, Some(expires))?,
        condition: None,
    })
}

/// The write cancelling the work `put` scheduled.
pub fn remove(kind: &str, due_at: Timestamp, target_id: &str) -> Write {
    Write::Delete {
        key: entry_key(kind, due_at.as_second(), target_id),
        condition: None,
    }
}

/// The entries of `kind` due by now that no completed run has handled.
pub async fn take_due(deps: &Deps, kind: &str) -> Result<DueRun> {
    let now = deps.clock.now().as_second();
    let watermark = deps
        .table
        .get(&keys::due_watermark(kind))
        .await?
        .and_then(|item| item.get("watermark").and_then(Value::as_i64));
    let mut entries = Vec::new();
    for hour in hour_buckets(window_start(now, watermark), now) {
        // Everything due up to and including the second `now`.
        let query = Query::new(Index::Table, keys::due_bucket(kind, &hour))
            .sk(SortKey::Lt(keys::due_order(now + 1, "")))
            .limit(PAGE_SIZE);
        let mut cursor = None;
        loop {
            let (page, next): (Vec<DueEntry>, _) =
                page_of(&*deps.table, &query.clone().after(cursor)).await?;
            entries.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(DueRun {
        kind: kind.to_string(),
        now: Timestamp::from_second(now).map_err(|e| Error::Internal(e.to_string()))?,
        entries,
    })
}

/// Deletes a handled (or no longer wanted) entry.
pub async fn done(deps: &Deps, entry: &DueEntry) -> Result<()> {
    deps.table.delete(&entry.key(), None).await?;
    Ok(())
}

/// Moves the watermark of the run's kind up to the time it looked up to (never
/// back: an overlapping run may have moved it further).
pub async fn finish(deps: &Deps, run: &DueRun) -> Result<()> {
    let now = run.now.as_second();
    let later = Condition::Or(vec![
        Condition::attr_not_exists("watermark"),
        Condition::lt("watermark", now),
    ]);
    let update = Update::new().set("watermark", now);
    match deps
        .table
        .update(&keys::due_watermark(&run.kind), &update, Some(later))
        .await
    {
        Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Does one due entry's work (true), or finds it no longer wanted (false).
/// A plain function returning a boxed future, so a run stays `Send`.
pub type Handler =
    for<'a> fn(&'a Deps, &'a DueEntry) -> Pin<Box<dyn Future<Output = Result<bool>> + Send + 'a>>;

/// One run of `kind`: `handle` takes each due entry, then the entry is
/// deleted; the watermark moves only once every entry is handled, so a failed
/// run is done again.
pub async fn run(deps: &Deps, kind: &str, handle: Handler) -> Result<RunReport> {
    let run = take_due(deps, kind).await?;
    let mut report = RunReport {
        due: run.entries.len(),
        ..RunReport::default()
    };
    for entry in &run.entries {
        if handle(deps, entry).await? {
            report.sent += 1;
        } else {
            report.skipped += 1;
        }
        done(deps, entry).await?;
    }
    finish(deps, &run).await?;
    tracing::info!(kind, ?report, "scheduled run");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-21T21:30:00Z
    const AT: i64 = 1_795_296_600;

    #[test]
    fn a_second_falls_in_its_utc_hour() {
        assert_eq!(hour_bucket(AT), "2026-11-21T21");
        assert_eq!(hour_bucket(AT - 30 * 60), "2026-11-21T21");
        assert_eq!(hour_bucket(AT - 30 * 60 - 1), "2026-11-21T20");
        assert_eq!(hour_bucket(AT + 30 * 60), "2026-11-21T22");
    }

    #[test]
    fn buckets_run_from_the_first_hour_to_the_last_across_days() {
        assert_eq!(hour_buckets(AT, AT), ["2026-11-21T21"]);
        assert_eq!(
            hour_buckets(AT - 60, AT + 3 * 3600),
            [
                "2026-11-21T21",
                "2026-11-21T22",
                "2026-11-21T23",
                "2026-11-22T00"
            ]
        );
        assert!(hour_buckets(AT, AT - 3600).is_empty());
    }

    #[test]
    fn the_window_starts_before_the_watermark_and_at_most_a_week_back() {
        assert_eq!(window_start(AT, Some(AT - 3600)), AT - 3600 - 600);
        assert_eq!(window_start(AT, None), AT - 7 * 24 * 3600);
        assert_eq!(
            window_start(AT, Some(AT - 30 * 24 * 3600)),
            AT - 7 * 24 * 3600
        );
        // A week of hourly buckets, and the current one.
        assert_eq!(hour_buckets(window_start(AT, None), AT).len(), 7 * 24 + 1);
    }

    #[test]
    fn due_by_now_is_a_sort_key_range() {
        let bound = SortKey::Lt(keys::due_order(AT + 1, ""));
        assert!(bound.matches(&keys::due_order(AT, "zzz")));
        assert!(bound.matches(&keys::due_order(AT - 1, "a")));
        assert!(!bound.matches(&keys::due_order(AT + 1, "a")));
        assert!(keys::due_order(999, "a") < keys::due_order(1000, "a"));
    }
}
