//! Booking analytics from aggregates kept on writes.
//!
//! Whatever changes a booking (creation, a lifecycle transition, a payment)
//! sends one `BookingChange` to the `booking-events` queue after its
//! transaction commits (`booking_changed`). The analytics worker applies each
//! change once (`apply_change`: a dedupe item for its event id in the same
//! transaction as the counters) to the day aggregates of the organization: one
//! item per LOCAL date of the booking's start, in the business's time zone.
//! `GET /v1/orgs/{org_id}/analytics/bookings` reads a date range of day
//! aggregates with one query and folds them into day, week or month buckets
//! (`booking_analytics`); it never reads bookings.
//!
//! Each snapshot of a booking contributes to the day of its own start; a
//! change adds the contribution of the booking after it and takes back the one
//! before it. So a transition moves one status count, marking paid adds the
//! price once, and a reschedule to another day moves everything the booking
//! counts for. A snapshot contributes: one to its status, its price to the
//! paid revenue of its currency when paid, one booking (in total, for its
//! service, and as a new or returning customer's), and one to the peak-hour
//! cell of its local weekday and hour unless it was cancelled or declined
//! (peak hours show when time is taken).

use std::collections::BTreeMap;

use jiff::{Span, Timestamp, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Day,
    booking::Booking,
    lifecycle::{BookingStatus, PaymentStatus},
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    error::{Error, Result},
    keys,
    outbox::Outbox,
    queue::enqueue,
    records::to_item,
    roles::Permission,
    table::{Condition, Index, Item, Query, SortKey, Table, TableError, Update, Write},
    types::Money,
};

/// The queue booking changes travel on to the analytics worker.
pub const BOOKING_EVENTS_QUEUE: &str = "booking-events";

/// How long a counted change's event id is remembered: longer than a message
/// can live in the queue and its dead-letter queue (14 days each at most).
const DEDUPE_DAYS: i64 = 30;

/// The longest range one request reads (a leap year).
const MAX_RANGE_DAYS: i32 = 366;

/// How many services `popular_services` lists.
const POPULAR_SERVICES: usize = 10;

/// One change of one booking, as the analytics worker receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingChange {
    /// Deterministic per change (`change_event_id`), so a retried enqueue or a
    /// redelivery counts once.
    pub event_id: String,
    pub org_id: String,
    pub booking_id: String,
    /// The booking is the customer's first at the organization.
    pub new_customer: bool,
    pub service_id: String,
    pub service_name: String,
    /// The business's IANA time zone: days and hours are counted in it.
    pub timezone: String,
    /// The booking before the change; `None` when it was just created.
    pub before: Option<Snapshot>,
    pub after: Snapshot,
}

/// What analytics counts of a booking at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub status: BookingStatus,
    pub payment_status: PaymentStatus,
    pub price: Money,
    /// In UTC; part of the snapshot because a reschedule moves it.
    pub start: Timestamp,
}

/// The event id of the change that brought `booking_id` to `version`.
pub fn change_event_id(booking_id: &str, version: i64) -> String {
    format!("{booking_id}-v{version}")
}

/// Sends `change` to the analytics worker; call it once the change's
/// transaction has committed.
pub async fn booking_changed(deps: &Deps, change: &BookingChange) -> Result<()> {
    enqueue(&*deps.queue, BOOKING_EVENTS_QUEUE, change).await?;
    Ok(())
}

/// Adds a booking's creation (`before: None`) or change to the outbox of its
/// transaction: the analytics worker gets it once the change commits.
pub fn record(outbox: &mut Outbox, before: Option<&Booking>, booking: &Booking) -> Result<()> {
    outbox.push(BOOKING_EVENTS_QUEUE, &BookingChange::of(before, booking))
}

impl BookingChange {
    /// The change that brought `booking` (from `before`, `None` when new) to
    /// its current version.
    pub fn of(before: Option<&Booking>, booking: &Booking) -> BookingChange {
        let details = &booking.details;
        BookingChange {
            event_id: change_event_id(&details.id, details.version),
            org_id: details.org_id.clone(),
            booking_id: details.id.clone(),
            new_customer: booking.new_customer,
            service_id: details.service_id.clone(),
            service_name: details.service_name.clone(),
            timezone: details.timezone.clone(),
            before: before.map(Snapshot::of),
            after: Snapshot::of(booking),
        }
    }
}

impl Snapshot {
    fn of(booking: &Booking) -> Snapshot {
        Snapshot {
            status: booking.details.status,
            payment_status: booking.details.payment_status,
            price: booking.details.price.clone(),
            start: booking.start,
        }
    }
}

/// What `apply_change` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Counted,
    /// The event was counted before (a redelivery or a retried enqueue).
    Duplicate,
}

/// Counts `change` in the day aggregates, exactly once per event id.
pub async fn apply_change(
    table: &dyn Table,
    change: &BookingChange,
    now: Timestamp,
) -> Result<Applied> {
    let timezone = TimeZone::get(&change.timezone).map_err(|_| {
        Error::Internal(format!(
            "booking change {}: unknown time zone {}",
            change.event_id, change.timezone
        ))
    })?;
    let mut days: BTreeMap<Date, Totals> = BTreeMap::new();
    if let Some(before) = &change.before {
        add_contribution(&mut days, change, before, &timezone, -1);
    }
    add_contribution(&mut days, change, &change.after, &timezone, 1);

    let marker = json!({ "booking_id": change.booking_id, "counted_at": now });
    let expires = now.as_second() + DEDUPE_DAYS * 24 * 3600;
    let mut writes = vec![Write::Put {
        item: to_item(
            &keys::analytics_event(&change.event_id),
            &marker,
            Some(expires),
        )?,
        condition: Some(Condition::NotExists),
    }];
    for (date, totals) in days {
        // Contributions that cancel out (a same-day transition) write nothing.
        let changed: Vec<_> = totals.0.into_iter().filter(|(_, by)| *by != 0).collect();
        if changed.is_empty() {
            continue;
        }
        let mut update = Update::new()
            .set("org_id", change.org_id.as_str())
            .set("date", date.to_string())
            .set(
                &service_name_attr(&change.service_id),
                change.service_name.as_str(),
            );
        for (attr, by) in changed {
            update = update.add(&attr, by);
        }
        writes.push(Write::Update {
            key: keys::analytics_day(&change.org_id, &date.to_string()),
            update,
            condition: None,
        });
    }
    match table.transact(writes).await {
        Ok(()) => Ok(Applied::Counted),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Ok(Applied::Duplicate),
        Err(other) => Err(other.into()),
    }
}

/// Adds `sign` times what `snapshot` counts for to the day of its start.
fn add_contribution(
    days: &mut BTreeMap<Date, Totals>,
    change: &BookingChange,
    snapshot: &Snapshot,
    timezone: &TimeZone,
    sign: i64,
) {
    let local = snapshot.start.to_zoned(timezone.clone());
    let totals = days.entry(local.date()).or_default();
    totals.add(&status_attr(snapshot.status), sign);
    totals.add(BOOKINGS, sign);
    totals.add(&service_bookings_attr(&change.service_id), sign);
    let customers = if change.new_customer {
        NEW_CUSTOMERS
    } else {
        RETURNING_CUSTOMERS
    };
    totals.add(customers, sign);
    if snapshot.payment_status == PaymentStatus::Paid {
        totals.add(
            &paid_attr(&snapshot.price.currency),
            sign * snapshot.price.amount,
        );
    }
    if !matches!(
        snapshot.status,
        BookingStatus::Cancelled | BookingStatus::Declined
    ) {
        totals.add(&hour_attr(local.hour()), sign);
    }
}

// The counters of a day aggregate: one attribute each, written by
// `add_contribution` and read back by `booking_analytics`.

const BOOKINGS: &str = "bookings";
const NEW_CUSTOMERS: &str = "new_customers";
const RETURNING_CUSTOMERS: &str = "returning_customers";
const STATUS_PREFIX: &str = "status_";
const PAID_PREFIX: &str = "paid_";
const SERVICE_BOOKINGS_PREFIX: &str = "service_bookings_";
const SERVICE_NAME_PREFIX: &str = "service_name_";
const HOUR_PREFIX: &str = "hour_";

fn status_attr(status: BookingStatus) -> String {
    format!("{STATUS_PREFIX}{}", status.name())
}

fn paid_attr(currency: &str) -> String {
    format!("{PAID_PREFIX}{currency}")
}

fn service_bookings_attr(service_id: &str) -> String {
    format!("{SERVICE_BOOKINGS_PREFIX}{service_id}")
}

fn service_name_attr(service_id: &str) -> String {
    format!("{SERVICE_NAME_PREFIX}{service_id}")
}

fn hour_attr(hour: i8) -> String {
    format!("{HOUR_PREFIX}{hour:02}")
}

/// Integer counters by attribute name.
#[derive(Clone, Debug, Default)]
struct Totals(BTreeMap<String, i64>);

impl Totals {
    /// The counters of a stored day aggregate (its integer attributes).
    fn of(item: &Item) -> Totals {
        let counters = item
            .iter()
            .filter_map(|(attr, value)| Some((attr.clone(), value.as_i64()?)));
        Totals(counters.collect())
    }

    fn add(&mut self, attr: &str, by: i64) {
        *self.0.entry(attr.to_string()).or_default() += by;
    }

    fn merge(&mut self, other: &Totals) {
        for (attr, by) in &other.0 {
            self.add(attr, *by);
        }
    }

    fn get(&self, attr: &str) -> i64 {
        self.0.get(attr).copied().unwrap_or_default()
    }

    /// The non-zero counters whose name starts with `prefix`, by the rest of the name.
    fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, i64)> + 'a {
        self.0
            .iter()
            .filter(|(_, count)| **count != 0)
            .filter_map(move |(attr, count)| Some((attr.strip_prefix(prefix)?, *count)))
    }
}

/// `?from=&to=&granularity=` of `GET /v1/orgs/{org_id}/analytics/bookings`:
/// local dates of the business, both included.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    pub from: Date,
    pub to: Date,
    #[serde(default)]
    pub granularity: Granularity,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

impl Granularity {
    /// The first day of the bucket holding `date`.
    fn bucket_start(self, date: Date) -> Result<Date> {
        match self {
            Granularity::Day => Ok(date),
            Granularity::Week => {
                let back = Span::new().days(date.weekday().to_monday_zero_offset());
                date.checked_sub(back).map_err(out_of_range)
            }
            Granularity::Month => Ok(date.first_of_month()),
        }
    }

    /// The last day of the bucket starting on `start`.
    fn bucket_end(self, start: Date) -> Result<Date> {
        match self {
            Granularity::Day => Ok(start),
            Granularity::Week => start.checked_add(Span::new().days(6)).map_err(out_of_range),
            Granularity::Month => Ok(start.last_of_month()),
        }
    }
}

fn out_of_range(_: jiff::Error) -> Error {
    Error::validation("to", "the dates are out of the supported calendar range")
}

/// The answer of `GET /v1/orgs/{org_id}/analytics/bookings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BookingAnalytics {
    pub buckets: Vec<Bucket>,
    /// The most booked services of the range, most booked first (at most 10).
    pub popular_services: Vec<PopularService>,
    /// Bookings by local weekday and hour of their start, busiest first; only
    /// cells with bookings.
    pub peak_hours: Vec<PeakHour>,
}

/// The counts of one day, week or month; the first and last buckets are
/// clipped to the range asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub start: Date,
    pub end: Date,
    /// Bookings starting in the bucket by their current status (every status listed).
    pub counts_by_status: BTreeMap<&'static str, i64>,
    /// Paid amounts by currency.
    pub paid_revenue: Vec<Money>,
    /// Bookings made that start in the bucket, whatever became of them.
    pub bookings: i64,
    /// Of `bookings`, those that were their customer's first at the organization.
    pub new_customers: i64,
    pub returning_customers: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopularService {
    pub service_id: String,
    pub service_name: String,
    pub bookings: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeakHour {
    pub weekday: Day,
    /// 0 to 23, local time.
    pub hour: u8,
    pub bookings: i64,
}

/// Reads the day aggregates from `query.from` to `query.to` (one query,
/// at most 366 items) and folds them into buckets.
pub async fn booking_analytics(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    query: AnalyticsQuery,
) -> Result<BookingAnalytics> {
    require_org_permission(deps, caller, org_id, Permission::ViewAnalytics).await?;
    let AnalyticsQuery {
        from,
        to,
        granularity,
    } = query;
    if to < from {
        return Err(Error::validation("to", "to is before from: swap them"));
    }
    let days = from.until(to).map_err(out_of_range)?.get_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(Error::validation(
            "to",
            format!("a range covers at most {MAX_RANGE_DAYS} days, not {days}: ask for less"),
        ));
    }

    let mut buckets: BTreeMap<Date, Totals> = BTreeMap::new();
    let mut start = granularity.bucket_start(from)?;
    while start <= to {
        buckets.insert(start, Totals::default());
        start = granularity
            .bucket_end(start)?
            .tomorrow()
            .map_err(out_of_range)?;
    }
    let mut range = Totals::default();
    let mut service_names = BTreeMap::new();
    let mut peaks: BTreeMap<(Day, u8), i64> = BTreeMap::new();
    for item in day_aggregates(deps, org_id, from, to).await? {
        let Some(date) = item
            .get("date")
            .and_then(Value::as_str)
            .and_then(|d| d.parse::<Date>().ok())
        else {
            return Err(Error::Internal("a day aggregate without its date".into()));
        };
        let totals = Totals::of(&item);
        if let Some(bucket) = buckets.get_mut(&granularity.bucket_start(date)?) {
            bucket.merge(&totals);
        }
        range.merge(&totals);
        for (attr, value) in &item {
            if let (Some(id), Some(name)) = (attr.strip_prefix(SERVICE_NAME_PREFIX), value.as_str())
            {
                // Days come in date order: the latest name wins.
                service_names.insert(id.to_string(), name.to_string());
            }
        }
        for (hour, count) in totals.with_prefix(HOUR_PREFIX) {
            if let Ok(hour) = hour.parse::<u8>() {
                *peaks.entry((Day::of(date.weekday()), hour)).or_default() += count;
            }
        }
    }

    let buckets = buckets
        .into_iter()
        .map(|(start, totals)| {
            let end = granularity.bucket_end(start)?.min(to);
            Ok(bucket(start.max(from), end, &totals))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut popular_services: Vec<PopularService> = range
        .with_prefix(SERVICE_BOOKINGS_PREFIX)
        .filter(|(_, bookings)| *bookings > 0)
        .map(|(id, bookings)| PopularService {
            service_id: id.to_string(),
            service_name: service_names.get(id).cloned().unwrap_or_default(),
            bookings,
        })
        .collect();
    popular_services.sort_by(|a, b| {
        (b.bookings, &a.service_name, &a.service_id).cmp(&(
            a.bookings,
            &b.service_name,
            &b.service_id,
        ))
    });
    popular_services.truncate(POPULAR_SERVICES);
    let mut peak_hours: Vec<PeakHour> = peaks
        .into_iter()
        .filter(|(_, bookings)| *bookings > 0)
        .map(|((weekday, hour), bookings)| PeakHour {
            weekday,
            hour,
            bookings,
        })
        .collect();
    // Stable: ties stay in weekday and hour order.
    peak_hours.sort_by_key(|peak| std::cmp::Reverse(peak.bookings));
    Ok(BookingAnalytics {
        buckets,
        popular_services,
        peak_hours,
    })
}

/// The organization's day aggregates from `from` to `to`, in date order: one
/// query (paged only if DynamoDB splits it).
async fn day_aggregates(deps: &Deps, org_id: &str, from: Date, to: Date) -> Result<Vec<Item>> {
    let query = Query::new(Index::Table, keys::analytics_days_of(org_id))
        .sk(SortKey::Between(
            keys::analytics_day_order(&from.to_string()),
            keys::analytics_day_order(&to.to_string()),
        ))
        .limit(MAX_RANGE_DAYS as u32);
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = deps.table.query(&query.clone().after(cursor)).await?;
        items.extend(page.items);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

fn bucket(start: Date, end: Date, totals: &Totals) -> Bucket {
    let counts_by_status = BookingStatus::ALL
        .into_iter()
        .map(|status| (status.name(), totals.get(&status_attr(status))))
        .collect();
    let paid_revenue = totals
        .with_prefix(PAID_PREFIX)
        .map(|(currency, amount)| Money {
            amount,
            currency: currency.to_string(),
        })
        .collect();
    Bucket {
        start,
        end,
        counts_by_status,
        paid_revenue,
        bookings: totals.get(BOOKINGS),
        new_customers: totals.get(NEW_CUSTOMERS),
        returning_customers: totals.get(RETURNING_CUSTOMERS),
    }
}
