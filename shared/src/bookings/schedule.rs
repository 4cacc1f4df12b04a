//! An organization's booking schedule (`/v1/orgs/{org_id}/schedule`): its time
//! zone, weekly hours, closures and booking rules, and the weekly-hours rules
//! staff members' own hours follow too.
//!
//! Any member reads it; managers and up (`Permission::ManageSchedule`) replace
//! it whole with `PUT`: a rule left out takes its default, a time zone left out
//! stays what it was. Before the first `PUT` it reads as the defaults (the
//! organization's time zone, no hours).

use jiff::civil;
use serde::Deserialize;

use super::{Closure, Day, Hours, LOCK_CELL_MINUTES, Schedule, WeeklyHours, catalog};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, FieldError, Result},
    keys,
    organizations::{store as org_store, validate},
    records::to_item,
    roles::Permission,
    table::Table,
};

pub const MAX_RANGES_PER_DAY: usize = 6;
pub const MAX_CLOSURES: usize = 100;
const MAX_REASON_CHARS: usize = 200;
const MINUTES_PER_DAY: i64 = 24 * 60;

// The rules' defaults and bounds.
const DEFAULT_MIN_NOTICE: i64 = 60;
const DEFAULT_MAX_DAYS_AHEAD: i64 = 60;
const DEFAULT_SLOT_STEP: i64 = 15;
const DEFAULT_CANCELLATION_WINDOW: i64 = 24;
const DEFAULT_REMINDER_LEAD: i64 = 120;

impl Hours {
    /// The range as local times of the day: its start, and its end as minutes
    /// since midnight, from 1 to 1440 (1440 is `24:00`, the end of the day,
    /// which no `civil::Time` spells). Both are `HH:MM`; only the end may be
    /// `24:00`. `Err` says what is wrong with which end. A saved schedule (or
    /// staff member) only holds ranges that parse, with start before end, sorted
    /// and not overlapping within a day.
    pub fn parse(&self) -> std::result::Result<(civil::Time, i64), (&'static str, String)> {
        let start = minutes_of_day(&self.start, false).map_err(|why| ("start", why))?;
        let end = minutes_of_day(&self.end, true).map_err(|why| ("end", why))?;
        if end <= start {
            return Err((
                "end",
                format!("the range ends at {} before it starts", self.end),
            ));
        }
        // `start` is below 1440, so it is a valid time of day.
        let start_time = civil::Time::new((start / 60) as i8, (start % 60) as i8, 0, 0)
            .map_err(|e| ("start", e.to_string()))?;
        Ok((start_time, end))
    }
}

/// Minutes since midnight of `HH:MM` (`24:00` only when `end_of_day`).
fn minutes_of_day(raw: &str, end_of_day: bool) -> std::result::Result<i64, String> {
    let invalid = || format!("'{raw}' is not a time of day: give HH:MM, such as 09:30");
    let (hours, minutes) = raw.split_once(':').ok_or_else(invalid)?;
    let two_digits = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<i64>().ok())
            .flatten()
    };
    let (Some(hours), Some(minutes)) = (two_digits(hours), two_digits(minutes)) else {
        return Err(invalid());
    };
    let total = hours * 60 + minutes;
    let fits =
        minutes < 60 && (total < MINUTES_PER_DAY || (end_of_day && total == MINUTES_PER_DAY));
    if !fits {
        return Err(invalid());
    }
    Ok(total)
}

/// How `day` is spelled in `weekly` and in field names.
fn day_key(day: Day) -> &'static str {
    match day {
        Day::Mon => "mon",
        Day::Tue => "tue",
        Day::Wed => "wed",
        Day::Thu => "thu",
        Day::Fri => "fri",
        Day::Sat => "sat",
        Day::Sun => "sun",
    }
}

/// Checks weekly hours (the schedule's or a staff member's), recording each
/// problem under the field path `weekly.<day>[<i>].<start|end>`.
pub(super) fn check_weekly(weekly: &WeeklyHours, errors: &mut Vec<FieldError>) {
    for (day, ranges) in weekly {
        let day = day_key(*day);
        if ranges.len() > MAX_RANGES_PER_DAY {
            errors.push(FieldError::new(
                format!("weekly.{day}"),
                format!("give at most {MAX_RANGES_PER_DAY} ranges a day"),
            ));
        }
        let mut previous_end = None;
        for (i, range) in ranges.iter().enumerate() {
            match range.parse() {
                Ok((start, end)) => {
                    let start = i64::from(start.hour()) * 60 + i64::from(start.minute());
                    if previous_end.is_some_and(|previous| start < previous) {
                        errors.push(FieldError::new(
                            format!("weekly.{day}[{i}].start"),
                            "the day's ranges must be in order and not overlap",
                        ));
                    }
                    previous_end = Some(end);
                }
                Err((end_name, why)) => errors.push(FieldError::new(
                    format!("weekly.{day}[{i}].{end_name}"),
                    why,
                )),
            }
        }
    }
}

/// `PUT /v1/orgs/{org_id}/schedule`: the whole schedule; a rule left out
/// takes its default, `timezone` left out stays the current one. `version`, when sent,
/// is the version edited (409 `edit_conflict` if it is not the current one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub timezone: Option<String>,
    #[serde(default)]
    pub weekly: WeeklyHours,
    #[serde(default)]
    pub closures: Vec<Closure>,
    pub min_notice_minutes: Option<i64>,
    pub max_days_ahead: Option<i64>,
    pub slot_step_minutes: Option<i64>,
    pub cancellation_window_hours: Option<i64>,
    pub auto_confirm: Option<bool>,
    pub reminder_lead_minutes: Option<i64>,
    pub version: Option<i64>,
}

/// The schedule of `org_id`, or its defaults before the first `PUT`.
pub async fn get_schedule(table: &dyn Table, org_id: &str) -> Result<Schedule> {
    if let Some(schedule) = crate::records::get(table, &keys::schedule(org_id)).await? {
        return Ok(schedule);
    }
    let organization = org_store::get(table, org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    Ok(Schedule {
        org_id: organization.id,
        timezone: organization.timezone,
        weekly: WeeklyHours::new(),
        closures: Vec::new(),
        min_notice_minutes: DEFAULT_MIN_NOTICE,
        max_days_ahead: DEFAULT_MAX_DAYS_AHEAD,
        slot_step_minutes: DEFAULT_SLOT_STEP,
        cancellation_window_hours: DEFAULT_CANCELLATION_WINDOW,
        auto_confirm: true,
        reminder_lead_minutes: DEFAULT_REMINDER_LEAD,
        updated_at: organization.created_at,
        // Never saved: the first save is conditioned on no schedule existing.
        version: 0,
    })
}

/// `GET /v1/orgs/{org_id}/schedule` (any member).
pub async fn schedule(deps: &Deps, caller: &Caller, org_id: &str) -> Result<Schedule> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    get_schedule(&*deps.table, org_id).await
}

/// Replaces the schedule of `org_id` (`Permission::ManageSchedule`).
pub async fn put_schedule(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    input: ScheduleInput,
) -> Result<Schedule> {
    require_org_permission(deps, caller, org_id, Permission::ManageSchedule).await?;
    let current = get_schedule(&*deps.table, org_id).await?;
    catalog::check_edited_version(input.version, current.version)?;
    let mut next = checked(input, &current.timezone)?;
    next.org_id = org_id.to_string();
    next.updated_at = deps.clock.now();
    next.version = current.version + 1;
    let audit = AuditEntry::new(
        deps,
        caller,
        org_id,
        AuditAction::ScheduleUpdated,
        format!("schedule:{org_id}"),
        format!(
            "set the schedule ({}, {} closures)",
            next.timezone,
            next.closures.len()
        ),
    );
    let item = to_item(&keys::schedule(org_id), &next, None)?;
    catalog::save(&*deps.table, org_id, item, current.version, &audit, None).await?;
    Ok(next)
}

/// The schedule `input` asks for, every rule checked (`org_id`, time stamp
/// and version are the caller's to set); `timezone` when it names none.
fn checked(input: ScheduleInput, timezone: &str) -> Result<Schedule> {
    let mut errors = Vec::new();
    let timezone = validate::collect(
        &mut errors,
        validate::timezone("timezone", input.timezone.as_deref().unwrap_or(timezone)),
    );
    check_weekly(&input.weekly, &mut errors);
    let closures = checked_closures(input.closures, &mut errors);
    let mut rule = |field: &'static str, value: Option<i64>, default: i64, range: (i64, i64)| {
        let value = value.unwrap_or(default);
        if !(range.0..=range.1).contains(&value) {
            errors.push(FieldError::new(
                field,
                format!("give {} to {}", range.0, range.1),
            ));
        }
        value
    };
    let min_notice_minutes = rule(
        "min_notice_minutes",
        input.min_notice_minutes,
        DEFAULT_MIN_NOTICE,
        (0, 10_080),
    );
    let max_days_ahead = rule(
        "max_days_ahead",
        input.max_days_ahead,
        DEFAULT_MAX_DAYS_AHEAD,
        (1, 365),
    );
    let slot_step_minutes = rule(
        "slot_step_minutes",
        input.slot_step_minutes,
        DEFAULT_SLOT_STEP,
        (15, 240),
    );
    let cancellation_window_hours = rule(
        "cancellation_window_hours",
        input.cancellation_window_hours,
        DEFAULT_CANCELLATION_WINDOW,
        (0, 720),
    );
    // 1440 minutes is the 24-hour reminder, which is always sent.
    let reminder_lead_minutes = rule(
        "reminder_lead_minutes",
        input.reminder_lead_minutes,
        DEFAULT_REMINDER_LEAD,
        (15, MINUTES_PER_DAY - 1),
    );
    if slot_step_minutes % LOCK_CELL_MINUTES != 0 {
        errors.push(FieldError::new(
            "slot_step_minutes",
            format!("give a multiple of {LOCK_CELL_MINUTES} minutes"),
        ));
    }
    match timezone {
        Some(timezone) if errors.is_empty() => Ok(Schedule {
            org_id: String::new(),
            timezone,
            weekly: input.weekly,
            closures,
            min_notice_minutes,
            max_days_ahead,
            slot_step_minutes,
            cancellation_window_hours,
            auto_confirm: input.auto_confirm.unwrap_or(true),
            reminder_lead_minutes,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            version: 0,
        }),
        _ => Err(Error::Validation(errors)),
    }
}

/// The closures with their reasons trimmed; each problem recorded by path.
fn checked_closures(closures: Vec<Closure>, errors: &mut Vec<FieldError>) -> Vec<Closure> {
    if closures.len() > MAX_CLOSURES {
        errors.push(FieldError::new(
            "closures",
            format!("give at most {MAX_CLOSURES} closures"),
        ));
    }
    closures
        .into_iter()
        .enumerate()
        .map(|(i, closure)| {
            if closure.to < closure.from {
                errors.push(FieldError::new(
                    format!("closures[{i}].to"),
                    "the closure ends before it starts",
                ));
            }
            let reason = closure.reason.and_then(|raw| {
                let reason = raw.trim();
                if reason.is_empty() {
                    return None;
                }
                validate::text("reason", reason, MAX_REASON_CHARS)
                    .map_err(|e| {
                        errors.push(FieldError::new(format!("closures[{i}].reason"), e.message))
                    })
                    .ok()
            });
            Closure { reason, ..closure }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(start: &str, end: &str) -> Hours {
        Hours {
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn hours_parse_to_a_start_time_and_end_minutes() {
        let (start, end) = hours("09:30", "24:00").parse().unwrap();
        assert_eq!((start.hour(), start.minute(), end), (9, 30, 1440));
        assert_eq!(hours("00:00", "00:15").parse().unwrap().1, 15);
        for (start, end, bad) in [
            ("24:00", "24:00", "start"),
            ("9:00", "10:00", "start"),
            ("09:60", "10:00", "start"),
            ("10:00", "10:00", "end"),
            ("10:00", "09:00", "end"),
            ("10:00", "24:01", "end"),
            ("10:00", "ab:cd", "end"),
        ] {
            assert_eq!(
                hours(start, end).parse().unwrap_err().0,
                bad,
                "{start}-{end}"
            );
        }
    }

    #[test]
    fn weekly_problems_name_their_range() {
        let mut weekly = WeeklyHours::new();
        weekly.insert(
            Day::Mon,
            vec![hours("09:00", "13:00"), hours("12:00", "25:00")],
        );
        weekly.insert(
            Day::Tue,
            vec![hours("14:00", "18:00"), hours("09:00", "12:00")],
        );
        weekly.insert(Day::Wed, vec![hours("08:00", "09:00"); 7]);
        let mut errors = Vec::new();
        check_weekly(&weekly, &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_ref()).collect();
        assert!(fields.contains(&"weekly.mon[1].end"), "{fields:?}");
        assert!(fields.contains(&"weekly.tue[1].start"), "{fields:?}");
        assert!(fields.contains(&"weekly.wed"), "{fields:?}");
    }
}
