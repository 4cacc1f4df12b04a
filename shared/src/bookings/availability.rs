//! Availability: the slots a service can be booked at, computed from the
//! schedule, the staff and the lock cells already taken. Pure: the use-case
//! reads everything first (a fixed number of table calls), then asks here.
//!
//! Time zones: a day's hours are local times in the business's zone, turned
//! into real instants once per interval (a local time in a spring-forward gap
//! resolves to the instant after the gap, one in a fall-back fold to the first
//! of its two instants: jiff's "compatible" rule). Slots then step through real
//! time on the UTC lock grid, so on a spring-forward day the missing hour is
//! simply not there, and on a fall-back day the repeated hour is offered once
//! per real instant (02:00+02:00 and 02:00+01:00 are two slots).

use std::collections::{BTreeMap, HashSet};

use jiff::{Timestamp, ToSpan, civil, tz::TimeZone};
use serde::{Deserialize, Serialize};

use super::{
    Day, Hours, LOCK_CELL_MINUTES, Schedule, Service, ServiceStatus, StaffMember, WHOLE_BUSINESS,
    schedule::get_schedule, services::get_service, staff::list_staff,
};
use crate::{
    Deps,
    error::{Error, FieldError, Result},
    keys,
    organizations::{Organization, store as org_store, validate},
    records,
    table::{Index, MAX_QUERY_LIMIT, Query, SortKey, Table},
};

const CELL_SECS: i64 = LOCK_CELL_MINUTES * 60;
const MINUTES_PER_DAY: i64 = 24 * 60;

/// Lock cells held by bookings: (cell start in UTC seconds, resource).
pub type TakenCells = HashSet<(i64, String)>;

/// Everything availability depends on.
pub struct Request<'a> {
    pub schedule: &'a Schedule,
    pub service: &'a Service,
    /// Every staff member of the organization (none: the business is the resource).
    pub staff: &'a [StaffMember],
    pub taken: &'a TakenCells,
    pub now: Timestamp,
    /// The local dates asked for, inclusive.
    pub from: civil::Date,
    pub to: civil::Date,
    /// Only this staff member's slots.
    pub staff_id: Option<&'a str>,
}

/// One bookable start and who is free for it, in a stable order (by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub staff_ids: Vec<String>,
}

/// The slots of one local day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySlots {
    pub date: civil::Date,
    pub slots: Vec<Slot>,
}

/// A slot as clients see it: times with the business's offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotView {
    pub start: String,
    pub end: String,
    pub staff_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayView {
    pub date: civil::Date,
    pub slots: Vec<SlotView>,
}

/// The business's zone, as stored in its schedule.
pub fn zone_of(schedule: &Schedule) -> Result<TimeZone> {
    TimeZone::get(&schedule.timezone)
        .map_err(|e| Error::Internal(format!("stored time zone {}: {e}", schedule.timezone)))
}

/// RFC 3339 with the offset `tz` has at that instant (never a `[Zone]` suffix).
pub fn local_rfc3339(at: Timestamp, tz: &TimeZone) -> String {
    at.display_with_offset(tz.to_offset(at)).to_string()
}

/// The days of `request.from ..= request.to`, each with its free slots.
pub fn availability(request: &Request<'_>) -> Result<Vec<DaySlots>> {
    let schedule = request.schedule;
    let tz = zone_of(schedule)?;
    let step_secs = schedule.slot_step_minutes * 60;
    let duration_secs = request.service.duration_minutes * 60;
    if step_secs <= 0 || duration_secs <= 0 {
        return Err(Error::Internal(
            "stored slot step or service duration is not positive".into(),
        ));
    }
    let hold_secs = duration_secs + request.service.buffer_minutes * 60;
    let earliest = request.now.as_second() + schedule.min_notice_minutes * 60;
    let today = request.now.to_zoned(tz.clone()).date();
    let last_day = today
        .checked_add(schedule.max_days_ahead.days())
        .unwrap_or(civil::Date::MAX);
    let resources = resources(request);

    let mut days = Vec::new();
    for date in request
        .from
        .series(1.day())
        .take_while(|date| *date <= request.to)
    {
        let closed = date > last_day
            || schedule
                .closures
                .iter()
                .any(|closure| closure.from <= date && date <= closure.to);
        let mut starts: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let day = Day::of(date.weekday());
        let business = minutes_of(schedule.weekly.get(&day))?;
        for (resource, own_hours) in resources.iter().filter(|_| !closed) {
            let hours = match own_hours {
                Some(weekly) => intersect(&business, &minutes_of(weekly.get(&day))?),
                None => business.clone(),
            };
            for (from_minute, to_minute) in hours {
                let open = instant(&tz, date, from_minute)?;
                let close = instant(&tz, date, to_minute)?;
                let mut start = (open + CELL_SECS - 1).div_euclid(CELL_SECS) * CELL_SECS;
                while start + duration_secs <= close {
                    let free = cells(start, start + hold_secs)
                        .all(|cell| !request.taken.contains(&(cell, resource.clone())));
                    if start >= earliest && free {
                        starts.entry(start).or_default().push(resource.clone());
                    }
                    start += step_secs;
                }
            }
        }
        let slots = starts
            .into_iter()
            .map(|(start, staff_ids)| {
                Ok(Slot {
                    start: timestamp(start)?,
                    end: timestamp(start + duration_secs)?,
                    staff_ids,
                })
            })
            .collect::<Result<_>>()?;
        days.push(DaySlots { date, slots });
    }
    Ok(days)
}

/// The days as clients see them, with the business's offsets.
pub fn views(days: Vec<DaySlots>, tz: &TimeZone) -> Vec<DayView> {
    days.into_iter()
        .map(|day| DayView {
            date: day.date,
            slots: day
                .slots
                .into_iter()
                .map(|slot| SlotView {
                    start: local_rfc3339(slot.start, tz),
                    end: local_rfc3339(slot.end, tz),
                    staff_ids: slot.staff_ids,
                })
                .collect(),
        })
        .collect()
}

/// The starts (UTC seconds) of the lock cells a booking from `start` holding
/// its resource until `until` covers, rounded out to the grid.
pub fn cells(start: i64, until: i64) -> impl Iterator<Item = i64> {
    let first = start.div_euclid(CELL_SECS) * CELL_SECS;
    (first..until).step_by(CELL_SECS as usize)
}

/// Who can take a booking of the service, ordered by id, each with their own
/// hours (`None`: the business's): the active staff members performing it (a
/// service without `staff_ids` is performed by all), or the business itself
/// when it has no staff at all.
fn resources<'a>(request: &Request<'a>) -> Vec<(String, Option<&'a super::WeeklyHours>)> {
    if request.staff.is_empty() {
        return vec![(WHOLE_BUSINESS.to_string(), None)];
    }
    let performs = |member: &StaffMember| {
        request.service.staff_ids.is_empty() || request.service.staff_ids.contains(&member.id)
    };
    let mut resources: Vec<_> = request
        .staff
        .iter()
        .filter(|member| member.active && performs(member))
        .filter(|member| request.staff_id.is_none_or(|id| id == member.id))
        .map(|member| (member.id.clone(), member.weekly.as_ref()))
        .collect();
    resources.sort_by(|a, b| a.0.cmp(&b.0));
    resources
}

/// A day's hours as minute-of-day intervals (`Hours::parse`), sorted.
fn minutes_of(hours: Option<&Vec<Hours>>) -> Result<Vec<(i64, i64)>> {
    let mut intervals = hours
        .into_iter()
        .flatten()
        .map(|hours| {
            let (start, end) = hours.parse().map_err(|(field, why)| {
                Error::Internal(format!("stored hours ({field}) do not parse: {why}"))
            })?;
            Ok((
                i64::from(start.hour()) * 60 + i64::from(start.minute()),
                end,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    intervals.sort_unstable();
    Ok(intervals)
}

/// The overlap of two sorted interval lists.
fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut both = Vec::new();
    for &(a_from, a_to) in a {
        for &(b_from, b_to) in b {
            let (from, to) = (a_from.max(b_from), a_to.min(b_to));
            if from < to {
                both.push((from, to));
            }
        }
    }
    both
}

/// The instant (UTC seconds) of a local minute of `date` (1440: next midnight).
fn instant(tz: &TimeZone, date: civil::Date, minute: i64) -> Result<i64> {
    let local = date
        .to_datetime(civil::Time::midnight())
        .checked_add(minute.minutes())
        .and_then(|local| tz.to_timestamp(local));
    local
        .map(|at| at.as_second())
        .map_err(|e| Error::Internal(format!("local time out of range: {e}")))
}

fn timestamp(secs: i64) -> Result<Timestamp> {
    Timestamp::from_second(secs).map_err(|e| Error::Internal(format!("slot time: {e}")))
}

/// Most days one availability request may span.
pub const MAX_RANGE_DAYS: i64 = 62;

/// `GET /v1/public/orgs/{slug}/availability?service_id=&from=&to=[&staff_id=]`.
#[derive(Clone, Debug, Deserialize)]
pub struct AvailabilityQuery {
    pub service_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub staff_id: Option<String>,
}

/// What a public booking page works from: the organization behind a slug,
/// one of its published services, its schedule and its staff.
pub struct Offer {
    pub org: Organization,
    pub service: Service,
    pub schedule: Schedule,
    pub staff: Vec<StaffMember>,
    pub tz: TimeZone,
}

impl Offer {
    /// Reads the offer in a few lookups and one query, whatever the catalog's
    /// size; an organization that is unknown or not public (as in the public
    /// directory), or a service that is not published, is 404.
    pub async fn load(table: &dyn Table, slug: &str, service_id: &str) -> Result<Offer> {
        // A slug that could not exist is not looked up (nor turned into a key).
        let slug = validate::slug("slug", slug).map_err(|_| Error::NotFound("organization"))?;
        let org = org_store::get_by_slug(table, &slug)
            .await?
            .ok_or(Error::NotFound("organization"))?;
        Offer::of(table, org, service_id).await
    }

    /// The offer of `org`, already read (a booking's organization): the same
    /// rules as `load`.
    pub async fn of(table: &dyn Table, org: Organization, service_id: &str) -> Result<Offer> {
        if !org.is_public() {
            return Err(Error::NotFound("organization"));
        }
        let service = get_service(table, &org.id, service_id)
            .await?
            .filter(|service| service.status == ServiceStatus::Published)
            .ok_or(Error::NotFound("service"))?;
        let schedule = get_schedule(table, &org.id).await?;
        let staff = list_staff(table, &org.id).await?;
        let tz = zone_of(&schedule)?;
        Ok(Offer {
            org,
            service,
            schedule,
            staff,
            tz,
        })
    }

    /// Refuses a staff member who does not exist here, is inactive or does
    /// not perform the service.
    pub fn check_staff(&self, staff_id: Option<&str>) -> Result<()> {
        let Some(staff_id) = staff_id else {
            return Ok(());
        };
        let performs = self.staff.iter().any(|member| {
            member.id == staff_id
                && member.active
                && (self.service.staff_ids.is_empty()
                    || self.service.staff_ids.iter().any(|id| id == staff_id))
        });
        if performs {
            Ok(())
        } else {
            Err(Error::validation(
                "staff_id",
                "no active staff member with this id performs this service: leave it out for anyone available",
            ))
        }
    }

    /// The lock cells taken between the local midnights starting `from` and
    /// ending `to` (plus the service's buffer, which may run past midnight):
    /// one query on the organization's lock partition, paged through.
    pub async fn taken_cells(
        &self,
        table: &dyn Table,
        from: civil::Date,
        to: civil::Date,
    ) -> Result<TakenCells> {
        let first = instant(&self.tz, from, 0)?;
        let until = instant(&self.tz, to, MINUTES_PER_DAY)? + self.service.buffer_minutes * 60;
        let mut query = Query::new(Index::Table, keys::slot_locks_of(&self.org.id))
            .sk(SortKey::Between(
                format!("{first:012}"),
                // Past every resource of the last cell ('$' sorts after '#').
                format!("{:012}$", until - CELL_SECS),
            ))
            .limit(MAX_QUERY_LIMIT);
        let mut taken = TakenCells::new();
        loop {
            let (locks, cursor) = records::page_of::<SlotLock>(table, &query).await?;
            taken.extend(
                locks
                    .into_iter()
                    .map(|lock| (lock.cell_start, lock.resource)),
            );
            match cursor {
                Some(cursor) => query = query.after(Some(cursor)),
                None => return Ok(taken),
            }
        }
    }

    /// The free slots of `from ..= to`.
    pub fn slots(
        &self,
        taken: &TakenCells,
        now: Timestamp,
        from: civil::Date,
        to: civil::Date,
        staff_id: Option<&str>,
    ) -> Result<Vec<DaySlots>> {
        availability(&Request {
            schedule: &self.schedule,
            service: &self.service,
            staff: &self.staff,
            taken,
            now,
            from,
            to,
            staff_id,
        })
    }
}

/// The answer of the availability route.
#[derive(Clone, Debug, Serialize)]
pub struct Availability {
    pub days: Vec<DayView>,
}

/// The free slots of a published service, per local day of the range.
pub async fn public_availability(
    deps: &Deps,
    slug: &str,
    query: AvailabilityQuery,
) -> Result<Availability> {
    let (service_id, from, to) = parse_query(&query)?;
    let offer = Offer::load(&*deps.table, slug, &service_id).await?;
    offer.check_staff(query.staff_id.as_deref())?;
    let taken = offer.taken_cells(&*deps.table, from, to).await?;
    let days = offer.slots(
        &taken,
        deps.clock.now(),
        from,
        to,
        query.staff_id.as_deref(),
    )?;
    Ok(Availability {
        days: views(days, &offer.tz),
    })
}

fn parse_query(query: &AvailabilityQuery) -> Result<(String, civil::Date, civil::Date)> {
    let mut errors = Vec::new();
    let service_id = query.service_id.clone().filter(|id| !id.is_empty());
    if service_id.is_none() {
        errors.push(FieldError::new(
            "service_id",
            "give the id of the service to book",
        ));
    }
    let range = parse_range(&mut errors, query.from.as_deref(), query.to.as_deref());
    let (Some(service_id), Some((from, to))) = (service_id, range) else {
        return Err(Error::Validation(errors));
    };
    let days = i64::from((to - from).get_days()) + 1;
    if days > MAX_RANGE_DAYS {
        return Err(Error::validation(
            "to",
            format!("the range spans {days} days; ask for at most {MAX_RANGE_DAYS}"),
        ));
    }
    Ok((service_id, from, to))
}

/// The `from` and `to` dates of a query, `to` on or after `from`; what is
/// wrong goes to `errors`.
pub fn parse_range(
    errors: &mut Vec<FieldError>,
    from: Option<&str>,
    to: Option<&str>,
) -> Option<(civil::Date, civil::Date)> {
    let from = parse_date(errors, "from", from);
    let to = parse_date(errors, "to", to);
    let (from, to) = (from?, to?);
    if from > to {
        errors.push(FieldError::new("to", "give a `to` date on or after `from`"));
        return None;
    }
    Some((from, to))
}

/// A `YYYY-MM-DD` query parameter, or why not.
fn parse_date(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    raw: Option<&str>,
) -> Option<civil::Date> {
    let parsed = raw.map(str::parse::<civil::Date>);
    match parsed {
        Some(Ok(date)) => Some(date),
        _ => {
            errors.push(FieldError::new(field, "give a date as YYYY-MM-DD"));
            None
        }
    }
}

/// The lock item of one cell, held by one booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotLock {
    pub booking_id: String,
    /// The cell's start, UTC seconds.
    pub cell_start: i64,
    /// The staff member's id, or `WHOLE_BUSINESS`.
    pub resource: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookings::{Closure, WeeklyHours};
    use crate::types::Money;

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().unwrap()
    }

    fn date(text: &str) -> civil::Date {
        text.parse().unwrap()
    }

    fn hours(intervals: &[(&str, &str)]) -> Vec<Hours> {
        intervals
            .iter()
            .map(|(start, end)| Hours {
                start: start.to_string(),
                end: end.to_string(),
            })
            .collect()
    }

    fn every_day(intervals: &[(&str, &str)]) -> WeeklyHours {
        [
            Day::Mon,
            Day::Tue,
            Day::Wed,
            Day::Thu,
            Day::Fri,
            Day::Sat,
            Day::Sun,
        ]
        .into_iter()
        .map(|day| (day, hours(intervals)))
        .collect()
    }

    fn schedule(timezone: &str, intervals: &[(&str, &str)]) -> Schedule {
        Schedule {
            org_id: "org".into(),
            timezone: timezone.into(),
            weekly: every_day(intervals),
            closures: Vec::new(),
            min_notice_minutes: 0,
            max_days_ahead: 365,
            slot_step_minutes: 30,
            cancellation_window_hours: 24,
            auto_confirm: true,
            reminder_lead_minutes: 120,
            updated_at: at("2027-01-01T00:00:00Z"),
            version: 1,
        }
    }

    fn service(duration_minutes: i64, buffer_minutes: i64) -> Service {
        Service {
            id: "svc".into(),
            org_id: "org".into(),
            name: "Haircut".into(),
            description: None,
            duration_minutes,
            buffer_minutes,
            price: Money {
                amount: 2500,
                currency: "EUR".into(),
            },
            status: ServiceStatus::Published,
            staff_ids: Vec::new(),
            created_at: at("2027-01-01T00:00:00Z"),
            updated_at: at("2027-01-01T00:00:00Z"),
            version: 1,
        }
    }

    fn staff(id: &str, weekly: Option<WeeklyHours>) -> StaffMember {
        StaffMember {
            id: id.into(),
            org_id: "org".into(),
            name: id.into(),
            user_id: None,
            weekly,
            active: true,
            created_at: at("2027-01-01T00:00:00Z"),
            updated_at: at("2027-01-01T00:00:00Z"),
            version: 1,
        }
    }

    const LONG_AGO: &str = "2027-01-01T00:00:00Z";

    /// A request for `day` with nothing taken, long before it, for anyone.
    fn one_day<'a>(schedule: &'a Schedule, service: &'a Service, day: &str) -> Request<'a> {
        static NOTHING_TAKEN: std::sync::LazyLock<TakenCells> =
            std::sync::LazyLock::new(TakenCells::new);
        Request {
            schedule,
            service,
            staff: &[],
            taken: &NOTHING_TAKEN,
            now: at(LONG_AGO),
            from: date(day),
            to: date(day),
            staff_id: None,
        }
    }

    /// The local starts of the one day of `request`, as clients see them.
    fn starts_of(request: Request<'_>) -> Vec<String> {
        let days = availability(&request).unwrap();
        let tz = zone_of(request.schedule).unwrap();
        views(days, &tz)
            .remove(0)
            .slots
            .into_iter()
            .map(|slot| slot.start)
            .collect()
    }

    #[test]
    fn the_spring_forward_hour_does_not_exist_and_offsets_change_with_it() {
        let berlin = schedule("Europe/Berlin", &[("01:00", "05:00")]);
        let starts = starts_of(one_day(&berlin, &service(30, 0), "2027-03-28"));
        // 01:00+01:00 .. 05:00+02:00 is three real hours: six half-hour slots.
        assert_eq!(
            starts,
            [
                "2027-03-28T01:00:00+01:00",
                "2027-03-28T01:30:00+01:00",
                "2027-03-28T03:00:00+02:00",
                "2027-03-28T03:30:00+02:00",
                "2027-03-28T04:00:00+02:00",
                "2027-03-28T04:30:00+02:00",
            ]
        );
        let ordinary = starts_of(one_day(&berlin, &service(30, 0), "2027-03-27"));
        assert_eq!(ordinary.len(), 8);
        assert!(ordinary.iter().all(|start| start.ends_with("+01:00")));
    }

    #[test]
    fn the_fall_back_hour_is_offered_once_per_real_instant() {
        let berlin = schedule("Europe/Berlin", &[("01:00", "05:00")]);
        let starts = starts_of(one_day(&berlin, &service(30, 0), "2027-10-31"));
        // 01:00+02:00 .. 05:00+01:00 is five real hours: ten slots.
        assert_eq!(
            starts,
            [
                "2027-10-31T01:00:00+02:00",
                "2027-10-31T01:30:00+02:00",
                "2027-10-31T02:00:00+02:00",
                "2027-10-31T02:30:00+02:00",
                "2027-10-31T02:00:00+01:00",
                "2027-10-31T02:30:00+01:00",
                "2027-10-31T03:00:00+01:00",
                "2027-10-31T03:30:00+01:00",
                "2027-10-31T04:00:00+01:00",
                "2027-10-31T04:30:00+01:00",
            ]
        );
    }

    #[test]
    fn office_hours_keep_their_local_times_across_the_change() {
        let berlin = schedule("Europe/Berlin", &[("09:00", "12:00")]);
        let service = service(60, 0);
        for (day, offset) in [
            ("2027-03-27", "+01:00"),
            ("2027-03-28", "+02:00"),
            ("2027-10-30", "+02:00"),
            ("2027-10-31", "+01:00"),
        ] {
            let starts = starts_of(one_day(&berlin, &service, day));
            assert_eq!(
                starts,
                ["09:00", "09:30", "10:00", "10:30", "11:00"]
                    .map(|time| format!("{day}T{time}:00{offset}")),
                "{day}"
            );
        }
    }

    #[test]
    fn a_quarter_hour_offset_zone_keeps_its_local_times() {
        let kathmandu = schedule("Asia/Kathmandu", &[("09:00", "10:00")]);
        let days = availability(&one_day(&kathmandu, &service(30, 0), "2027-06-01")).unwrap();
        let tz = zone_of(&kathmandu).unwrap();
        assert_eq!(days[0].slots[0].start, at("2027-06-01T03:15:00Z"));
        let view = &views(days, &tz)[0];
        assert_eq!(
            view.slots,
            [
                SlotView {
                    start: "2027-06-01T09:00:00+05:45".into(),
                    end: "2027-06-01T09:30:00+05:45".into(),
                    staff_ids: vec![WHOLE_BUSINESS.into()],
                },
                SlotView {
                    start: "2027-06-01T09:30:00+05:45".into(),
                    end: "2027-06-01T10:00:00+05:45".into(),
                    staff_ids: vec![WHOLE_BUSINESS.into()],
                },
            ]
        );
    }

    #[test]
    fn closures_min_notice_and_max_days_ahead_remove_days_and_slots() {
        let mut rules = schedule("UTC", &[("09:00", "12:00")]);
        rules.closures = vec![Closure {
            from: date("2027-06-02"),
            to: date("2027-06-03"),
            reason: Some("holiday".into()),
        }];
        rules.min_notice_minutes = 60;
        rules.max_days_ahead = 4;
        let days = availability(&Request {
            now: at("2027-06-01T09:40:00Z"),
            to: date("2027-06-06"),
            ..one_day(&rules, &service(30, 0), "2027-05-31")
        })
        .unwrap();
        let counts: Vec<_> = days.iter().map(|day| day.slots.len()).collect();
        // Yesterday: past. Today: from 10:40 on, so 11:00 and 11:30. Two closed
        // days, two open ones, then beyond today + 4 days.
        assert_eq!(counts, [0, 2, 0, 0, 6, 6, 0]);
        assert_eq!(days[1].slots[0].start, at("2027-06-01T11:00:00Z"));
    }

    #[test]
    fn the_service_ends_within_hours_and_its_buffer_keeps_neighbours_free() {
        let rules = schedule("UTC", &[("09:00", "11:00")]);
        let long = starts_of(one_day(&rules, &service(90, 0), "2027-06-01"));
        assert_eq!(
            long,
            ["2027-06-01T09:00:00+00:00", "2027-06-01T09:30:00+00:00"]
        );

        // A booking 10:00-10:30 with a 15-minute buffer holds 10:00-10:45.
        let taken: TakenCells = cells(
            at("2027-06-01T10:00:00Z").as_second(),
            at("2027-06-01T10:45:00Z").as_second(),
        )
        .map(|cell| (cell, WHOLE_BUSINESS.to_string()))
        .collect();
        assert_eq!(taken.len(), 3);
        // A 30-minute service with a 15-minute buffer at 09:30 would hold until 10:15.
        let starts = starts_of(Request {
            taken: &taken,
            ..one_day(&rules, &service(30, 15), "2027-06-01")
        });
        assert_eq!(starts, ["2027-06-01T09:00:00+00:00"]);
        let no_buffer = starts_of(Request {
            taken: &taken,
            ..one_day(&rules, &service(30, 0), "2027-06-01")
        });
        assert_eq!(
            no_buffer,
            ["2027-06-01T09:00:00+00:00", "2027-06-01T09:30:00+00:00"]
        );
    }

    #[test]
    fn a_staff_members_hours_are_cut_to_the_business_hours() {
        let rules = schedule("UTC", &[("09:00", "12:00")]);
        let ana = staff("ana", Some(every_day(&[("08:00", "10:00")])));
        let ben = staff("ben", None);
        let days = availability(&Request {
            staff: &[ben.clone(), ana.clone()],
            ..one_day(&rules, &service(60, 0), "2027-06-01")
        })
        .unwrap();
        let who: Vec<_> = days[0]
            .slots
            .iter()
            .map(|slot| (slot.start.to_string(), slot.staff_ids.clone()))
            .collect();
        assert_eq!(
            who,
            [
                (
                    "2027-06-01T09:00:00Z".into(),
                    vec!["ana".to_string(), "ben".into()]
                ),
                ("2027-06-01T09:30:00Z".into(), vec!["ben".into()]),
                ("2027-06-01T10:00:00Z".into(), vec!["ben".into()]),
                ("2027-06-01T10:30:00Z".into(), vec!["ben".into()]),
                ("2027-06-01T11:00:00Z".into(), vec!["ben".into()]),
            ]
        );
    }

    #[test]
    fn inactive_staff_others_services_and_the_staff_filter_are_respected() {
        let rules = schedule("UTC", &[("09:00", "10:00")]);
        let mut only_ana = service(60, 0);
        only_ana.staff_ids = vec!["ana".into(), "cy".into()];
        let mut cy = staff("cy", None);
        cy.active = false;
        let team = [staff("ana", None), staff("ben", None), cy];
        let staff_of = |staff_id: Option<&str>| {
            let days = availability(&Request {
                staff: &team,
                staff_id,
                ..one_day(&rules, &only_ana, "2027-06-01")
            })
            .unwrap();
            days[0]
                .slots
                .iter()
                .map(|s| s.staff_ids.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(staff_of(None), [vec!["ana".to_string()]]);
        assert_eq!(staff_of(Some("ben")), Vec::<Vec<String>>::new());
        assert_eq!(staff_of(Some("ana")), [vec!["ana".to_string()]]);
    }

    #[test]
    fn a_lock_frees_nobody_else() {
        let rules = schedule("UTC", &[("09:00", "10:00")]);
        let taken: TakenCells = [(at("2027-06-01T09:15:00Z").as_second(), "ana".to_string())]
            .into_iter()
            .collect();
        let days = availability(&Request {
            staff: &[staff("ana", None), staff("ben", None)],
            taken: &taken,
            ..one_day(&rules, &service(30, 0), "2027-06-01")
        })
        .unwrap();
        let who: Vec<_> = days[0].slots.iter().map(|s| s.staff_ids.len()).collect();
        // 09:00 (holds 09:00, 09:15) and nothing else for ana; ben is free.
        assert_eq!(who, [1, 2]);
        assert_eq!(days[0].slots[0].staff_ids, ["ben"]);
    }

    #[test]
    fn cells_round_out_to_the_grid() {
        let start = at("2027-06-01T09:00:00Z").as_second();
        // A 5-minute service holds its whole quarter hour.
        assert_eq!(cells(start, start + 5 * 60).count(), 1);
        assert_eq!(cells(start, start + 16 * 60).count(), 2);
        assert_eq!(cells(start, start + 60 * 60).count(), 4);
    }
}
