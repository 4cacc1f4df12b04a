//! Booking a slot (signed in or as a guest) and reading bookings: the
//! organization's calendar, one booking, "my bookings" and the guest's view
//! through the manage token.
//!
//! A booking is written in one transaction with one lock item per lock cell it
//! holds (duration plus buffer), each conditioned on not existing: two
//! bookings of the same staff member can never overlap, whatever the timing
//! (DESIGN.md §3). `Idempotency-Key` is honoured by a guard item in that same
//! transaction rather than by keeping the response, which carries the manage
//! token: a retry recomputes the token from the booking id.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64URL};
use jiff::{SignedDuration, Timestamp, civil};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    analytics,
    availability::{self, Offer, SlotLock, TakenCells, cells, local_rfc3339},
    calendar::customer_calendar_event,
    customers::{self, Contact, VisitFacts},
    history,
    lifecycle::{BookingStatus, PaymentMethod, PaymentStatus},
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::{Caller, hashes_equal, token_hash},
    audit::{AuditAction, AuditEntry},
    error::{Error, FieldError, Result},
    idempotency::{self, KEEP_FOR},
    keys,
    notifications::{Audience, NotificationType, emit_in},
    organizations::{Organization, validate},
    outbox::Outbox,
    paging::{Page, PageParams},
    records::{self, to_item},
    roles::{OrgRole, Permission},
    table::{Condition, Index, Item, Query, SortKey, TableError, Write},
    types::{Money, is_id},
};

/// Lock items outlive their cell by a day (then the table drops them).
const LOCK_KEPT_FOR_SECS: i64 = 24 * 3600;
const MAX_NOTES_CHARS: usize = 1000;
/// Attempts at a booking transaction that DynamoDB cancels for a concurrent
/// one (not a condition failure): the next attempt sees the winner's locks.
const CONFLICT_ATTEMPTS: usize = 3;

/// The person a booking is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    /// International form, `+` and digits.
    pub phone: String,
    pub email: Option<String>,
}

/// What a booking is, as stored and as shown: everything but its times and
/// what only the platform sees. The rules it was made under (price, duration,
/// buffer, time zone, cancellation window, reminder lead) are copied in, so
/// later changes to the catalog or schedule do not rewrite it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetails {
    pub id: String,
    pub org_id: String,
    pub service_id: String,
    pub service_name: String,
    /// The staff member booked, or `WHOLE_BUSINESS`.
    pub staff_id: String,
    pub duration_minutes: i64,
    pub buffer_minutes: i64,
    pub price: Money,
    pub timezone: String,
    pub status: BookingStatus,
    pub payment_status: PaymentStatus,
    pub customer: Customer,
    pub notes: Option<String>,
    pub cancellation_window_hours: i64,
    pub reminder_lead_minutes: i64,
    pub created_at: Timestamp,
    /// How it was paid, once marked paid.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// Why it was declined or cancelled, when a reason was given.
    #[serde(default)]
    pub status_reason: Option<String>,
    /// Bumped on every write, for optimistic concurrency.
    pub version: i64,
}

/// A booking as stored; times in UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    #[serde(flatten)]
    pub details: BookingDetails,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The signed-in customer, if the booking was made signed in.
    pub user_id: Option<String>,
    /// The organization's customer record it links to (`customers`).
    pub customer_id: String,
    /// `token_hash` of the manage token; the token is never stored.
    pub manage_token_hash: String,
    pub updated_at: Timestamp,
    /// It was the customer's first booking at the organization: its customer
    /// record was made for it (analytics counts new versus returning).
    #[serde(default)]
    pub new_customer: bool,
    /// When it was last moved to a new time; none of its reminders falls
    /// due before then (`reminders`). `None` until the first reschedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescheduled_at: Option<Timestamp>,
}

impl Booking {
    /// The lock cells (UTC seconds) the booking holds: its time plus the buffer.
    pub fn cells(&self) -> impl Iterator<Item = i64> {
        let until = self.end.as_second() + self.details.buffer_minutes * 60;
        cells(self.start.as_second(), until)
    }

    /// What the customer's history and counters follow (`customers::visit_writes`).
    pub fn visit_facts(&self) -> VisitFacts {
        VisitFacts {
            booking_id: self.details.id.clone(),
            service_name: self.details.service_name.clone(),
            start: self.start,
            status: self.details.status,
            payment_status: self.details.payment_status,
            price: self.details.price.clone(),
        }
    }

    pub(super) fn target(&self) -> String {
        format!("booking:{}", self.details.id)
    }
}

/// A booking as its readers see it: times with the business's offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BookingView {
    #[serde(flatten)]
    pub details: BookingDetails,
    pub start: String,
    pub end: String,
}

impl BookingDetails {
    /// The business's time zone the booking was made in (checked when the
    /// schedule was saved, so an unknown one is a fault of ours).
    pub fn time_zone(&self) -> Result<jiff::tz::TimeZone> {
        jiff::tz::TimeZone::get(&self.timezone).map_err(|e| {
            Error::Internal(format!(
                "booking {} time zone {}: {e}",
                self.id, self.timezone
            ))
        })
    }
}

impl BookingView {
    pub fn of(booking: Booking) -> Result<Self> {
        let tz = booking.details.time_zone()?;
        Ok(BookingView {
            start: local_rfc3339(booking.start, &tz),
            end: local_rfc3339(booking.end, &tz),
            details: booking.details,
        })
    }
}

/// `POST /v1/public/orgs/{slug}/bookings`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub service_id: String,
    /// An offered slot's start, RFC 3339 (any offset).
    pub start: String,
    /// `None`: the first staff member free at that time.
    #[serde(default)]
    pub staff_id: Option<String>,
    pub customer: NewCustomer,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub name: String,
    pub phone: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// A booking just made (or found again for a retried `Idempotency-Key`).
#[derive(Clone, Debug, Serialize)]
pub struct Booked {
    pub booking_id: String,
    /// Lets the customer see and change the booking without an account.
    pub manage_token: String,
    #[serde(flatten)]
    pub booking: BookingView,
    /// The answer to a retry: nothing new was written.
    #[serde(skip)]
    pub replayed: bool,
}

/// The guard of an `Idempotency-Key` on the booking route: which booking the
/// key made and for which request.
#[derive(Serialize, Deserialize)]
struct KeyGuard {
    booking_id: String,
    fingerprint: String,
}

/// A booking request's `Idempotency-Key`, with the fingerprint of the request.
pub struct IdempotencyKey {
    key: String,
    fingerprint: String,
}

impl IdempotencyKey {
    /// The key sent with `request` to `path`.
    pub fn new(key: String, path: &str, request: &NewBooking) -> Result<Self> {
        let body = serde_json::to_vec(request)
            .map_err(|e| Error::Internal(format!("booking request: {e}")))?;
        let fingerprint = idempotency::fingerprint("POST", path, &body);
        Ok(IdempotencyKey { key, fingerprint })
    }
}

/// Books a slot for the caller (signed in) or a guest.
pub async fn book(
    deps: &Deps,
    caller: Option<&Caller>,
    slug: &str,
    request: NewBooking,
    idempotency_key: Option<IdempotencyKey>,
) -> Result<Booked> {
    let guard = idempotency_key.map(|key| {
        let scope = idempotency::caller_scope(caller.map(|c| c.user_id.as_str()));
        (idempotency::guard_key("booking", &scope, &key.key), key)
    });
    if let Some((guard_key, key)) = &guard
        && let Some(replayed) = replay(deps, guard_key, &key.fingerprint).await?
    {
        return Ok(replayed);
    }
    let (start, customer, notes) = parse_request(&request)?;
    let offer = Offer::load(&*deps.table, slug, &request.service_id).await?;
    offer.check_staff(request.staff_id.as_deref())?;
    let now = deps.clock.now();
    let date = start.to_zoned(offer.tz.clone()).date();
    // Offered means: a slot of the schedule, taken or not. Taken is a 409.
    let candidates = offered_staff(&offer, now, date, start, request.staff_id.as_deref())?;
    let taken = offer.taken_cells(&*deps.table, date, date).await?;
    let duration = SignedDuration::from_mins(offer.service.duration_minutes);
    let end = start
        .checked_add(duration)
        .map_err(|e| Error::Internal(format!("booking end: {e}")))?;
    let hold_until = end.as_second() + offer.service.buffer_minutes * 60;
    let free = candidates.into_iter().filter(|resource| {
        cells(start.as_second(), hold_until).all(|cell| !taken.contains(&(cell, resource.clone())))
    });

    let id = deps.ids.new_id();
    let token = manage_token(deps, &id);
    let status = if offer.schedule.auto_confirm {
        BookingStatus::Confirmed
    } else {
        BookingStatus::Pending
    };
    let contact = Contact {
        name: customer.name.clone(),
        phone: customer.phone.clone(),
        email: customer.email.clone(),
    };
    let user_id = caller.map(|c| c.user_id.as_str());
    let mut link = customers::link_for_booking(deps, &offer.org.id, &contact, user_id).await?;
    let mut booking = Booking {
        details: BookingDetails {
            id: id.clone(),
            org_id: offer.org.id.clone(),
            service_id: offer.service.id.clone(),
            service_name: offer.service.name.clone(),
            staff_id: String::new(),
            duration_minutes: offer.service.duration_minutes,
            buffer_minutes: offer.service.buffer_minutes,
            price: offer.service.price.clone(),
            timezone: offer.schedule.timezone.clone(),
            status,
            payment_status: PaymentStatus::Pending,
            customer,
            notes,
            cancellation_window_hours: offer.schedule.cancellation_window_hours,
            reminder_lead_minutes: offer.schedule.reminder_lead_minutes,
            created_at: now,
            payment_method: None,
            status_reason: None,
            version: 1,
        },
        start,
        end,
        user_id: caller.map(|c| c.user_id.clone()),
        customer_id: link.customer_id.clone(),
        new_customer: link.is_new,
        manage_token_hash: token_hash(&token),
        rescheduled_at: None,
        updated_at: now,
    };
    let mut committed = None;
    'staff: for resource in free {
        booking.details.staff_id = resource;
        for _ in 0..CONFLICT_ATTEMPTS {
            let mut writes = booking_writes(deps, caller, &booking, guard.as_ref())?;
            // The customer's writes go last, so the guard keeps its place.
            let linked_from = writes.len();
            writes.extend(link.writes.clone());
            let visit = booking.visit_facts();
            writes.extend(customers::visit_writes(
                &booking.details.org_id,
                &link.customer_id,
                None,
                &visit,
            )?);
            let guard_index = linked_from - 1;
            // Reminders and the history entry last: the guard's and the
            // customer's places stay put.
            writes.extend(super::reminders::due_writes(None, &booking)?);
            let actor = user_id.unwrap_or(history::GUEST_ACTOR);
            writes.push(history::entry_write(
                deps,
                history::BOOKED,
                actor,
                &booking,
                &booking,
                None,
            )?);
            let outbox = new_booking_outbox(deps, &offer, &booking)?;
            writes.push(outbox.write(deps)?);
            match deps.table.transact(writes).await {
                Ok(()) => {
                    committed = Some(outbox);
                    break 'staff;
                }
                Err(TableError::TransactionConflict) => continue,
                // The last write is the key guard: a concurrent retry won.
                Err(TableError::TransactionConditionFailed { index })
                    if guard.is_some() && index == guard_index =>
                {
                    if let Some((guard_key, key)) = &guard
                        && let Some(replayed) = replay(deps, guard_key, &key.fingerprint).await?
                    {
                        return Ok(replayed);
                    }
                    return Err(Error::Internal("an idempotency guard vanished".into()));
                }
                // A concurrent booking created or changed this customer: link again.
                Err(ref lost) if link.lost_race(linked_from, lost) => {
                    link =
                        customers::link_for_booking(deps, &offer.org.id, &contact, user_id).await?;
                    booking.customer_id = link.customer_id.clone();
                    booking.new_customer = link.is_new;
                    continue;
                }
                // A lock cell went meanwhile: try the next free staff member.
                Err(TableError::TransactionConditionFailed { .. }) => continue 'staff,
                Err(e) => return Err(e.into()),
            }
        }
        return Err(Error::Table(TableError::TransactionConflict));
    }
    let Some(outbox) = committed else {
        return Err(Error::SlotTaken);
    };
    outbox.send(deps).await;
    Ok(Booked {
        booking_id: id,
        manage_token: token,
        booking: BookingView::of(booking)?,
        replayed: false,
    })
}

/// The input's rules: the start's form, the customer's name, phone and email,
/// the notes' length.
fn parse_request(request: &NewBooking) -> Result<(Timestamp, Customer, Option<String>)> {
    let mut errors = Vec::new();
    let start = match request.start.parse::<Timestamp>() {
        Ok(start) => Some(start),
        Err(_) => {
            errors.push(FieldError::new(
                "start",
                "give the slot's start as RFC 3339, like 2027-03-29T09:00:00+02:00",
            ));
            None
        }
    };
    let new = &request.customer;
    let name = validate::collect(&mut errors, validate::text("customer.name", &new.name, 100));
    let phone = validate::collect(&mut errors, validate::phone("customer.phone", &new.phone));
    let email = match new.email.as_deref() {
        Some(email) => {
            validate::collect(&mut errors, validate::email("customer.email", email)).map(Some)
        }
        None => Some(None),
    };
    let notes = match request.notes.as_deref().map(str::trim) {
        Some(notes) if notes.chars().count() > MAX_NOTES_CHARS => {
            errors.push(FieldError::new(
                "notes",
                format!("keep the notes under {MAX_NOTES_CHARS} characters"),
            ));
            None
        }
        notes => Some(notes.filter(|n| !n.is_empty()).map(str::to_string)),
    };
    match (start, name, phone, email, notes) {
        (Some(start), Some(name), Some(phone), Some(email), Some(notes)) if errors.is_empty() => {
            Ok((start, Customer { name, phone, email }, notes))
        }
        _ => Err(Error::Validation(errors)),
    }
}

/// Who could take a booking at `start` by the schedule alone (locks aside),
/// in a stable order; 422 naming `start` when it is no offered slot.
pub(super) fn offered_staff(
    offer: &Offer,
    now: Timestamp,
    date: civil::Date,
    start: Timestamp,
    staff_id: Option<&str>,
) -> Result<Vec<String>> {
    let days = offer.slots(&TakenCells::new(), now, date, date, staff_id)?;
    days.into_iter()
        .flat_map(|day| day.slots)
        .find(|slot| slot.start == start)
        .map(|slot| slot.staff_ids)
        .ok_or_else(|| {
            Error::validation(
                "start",
                "this time is not an offered slot: pick a start from the availability",
            )
        })
}

/// The booking item (with its calendar indexes), its lock items, its audit
/// entry and, with a key, the key's guard: in that order, the guard last.
fn booking_writes(
    deps: &Deps,
    caller: Option<&Caller>,
    booking: &Booking,
    guard: Option<&(crate::table::Key, IdempotencyKey)>,
) -> Result<Vec<Write>> {
    let mut writes = vec![Write::Put {
        item: booking_item(booking)?,
        condition: Some(Condition::NotExists),
    }];
    for cell in booking.cells() {
        writes.push(take_cell(booking, cell)?);
    }
    let who = match &booking.user_id {
        Some(_) => "a signed-in customer",
        None => "a guest",
    };
    let entry = AuditEntry {
        id: deps.ids.new_id(),
        org_id: booking.details.org_id.clone(),
        actor_user_id: caller.map_or_else(|| "guest".to_string(), |c| c.user_id.clone()),
        action: AuditAction::BookingCreated,
        target: booking.target(),
        summary: format!(
            "{} booked by {who} for {} ({})",
            booking.details.service_name,
            booking.start,
            booking.details.status.name()
        ),
        at: booking.details.created_at,
    };
    writes.push(entry.write()?);
    if let Some((guard_key, key)) = guard {
        let expires = booking
            .details
            .created_at
            .saturating_add(KEEP_FOR)
            .unwrap_or(Timestamp::MAX)
            .as_second();
        let record = KeyGuard {
            booking_id: booking.details.id.clone(),
            fingerprint: key.fingerprint.clone(),
        };
        writes.push(Write::Put {
            item: to_item(guard_key, &record, Some(expires))?,
            condition: Some(Condition::NotExists),
        });
    }
    Ok(writes)
}

/// The write taking one lock cell for `booking`'s staff member; it fails when
/// another booking holds the cell.
pub(super) fn take_cell(booking: &Booking, cell: i64) -> Result<Write> {
    let lock = SlotLock {
        booking_id: booking.details.id.clone(),
        cell_start: cell,
        resource: booking.details.staff_id.clone(),
    };
    let key = keys::slot_lock(&booking.details.org_id, cell, &booking.details.staff_id);
    Ok(Write::Put {
        item: to_item(&key, &lock, Some(cell + LOCK_KEPT_FOR_SECS))?,
        condition: Some(Condition::NotExists),
    })
}

/// The stored item of `booking`: in its organization's calendar (GSI1) and,
/// when signed in, in its customer's list (GSI2), both sorted by start.
pub fn booking_item(booking: &Booking) -> Result<Item> {
    let mut item = to_item(&keys::booking(&booking.details.id), booking, None)?;
    let order = keys::booking_order(booking.start.as_second(), &booking.details.id);
    item.insert(
        "gsi1pk".into(),
        keys::org_bookings(&booking.details.org_id).into(),
    );
    item.insert("gsi1sk".into(), order.clone().into());
    if let Some(user_id) = &booking.user_id {
        item.insert("gsi2pk".into(), keys::user_bookings(user_id).into());
        item.insert("gsi2sk".into(), order.into());
    }
    Ok(item)
}

/// The booking an earlier request with this key made, if any; the same key
/// with another request is refused.
async fn replay(
    deps: &Deps,
    guard_key: &crate::table::Key,
    fingerprint: &str,
) -> Result<Option<Booked>> {
    let Some(guard) = records::get::<KeyGuard>(&*deps.table, guard_key).await? else {
        return Ok(None);
    };
    if guard.fingerprint != fingerprint {
        return Err(Error::IdempotencyKeyReused);
    }
    let booking = get_booking(deps, &guard.booking_id).await?;
    Ok(Some(Booked {
        booking_id: booking.details.id.clone(),
        manage_token: manage_token(deps, &booking.details.id),
        booking: BookingView::of(booking)?,
        replayed: true,
    }))
}

/// The manage token of a booking: a MAC of its id under the platform's
/// signing key, so it can be recomputed and never needs storing.
pub fn manage_token(deps: &Deps, booking_id: &str) -> String {
    let key = &deps.secrets.token_signing_key;
    B64URL.encode(key.mac(&[b"booking-manage:", booking_id.as_bytes()]))
}

/// The link that lets the customer see and change the booking.
pub fn manage_link(deps: &Deps, booking_id: &str, token: &str) -> String {
    format!(
        "{}/bookings/{booking_id}?token={token}",
        deps.config.app_url
    )
}

/// Where the business hears about a booking (owners, admins, managers), and
/// the link that opens it in the app.
pub(super) fn business_contact(deps: &Deps, booking: &Booking) -> (Audience, String) {
    let org_id = &booking.details.org_id;
    (
        Audience::Organization {
            org_id: org_id.clone(),
            roles: vec![OrgRole::Owner, OrgRole::Admin, OrgRole::Manager],
        },
        format!(
            "{}/orgs/{org_id}/bookings/{}",
            deps.config.app_url, booking.details.id
        ),
    )
}

/// Where the customer hears about a booking, and the link that opens it: a
/// signed-in customer on their account (opened signed in, so no token sits in
/// an inbox); a guest by email, with the manage link. `None` for a guest who
/// left no email: nothing reaches them.
pub(super) fn customer_contact(
    deps: &Deps,
    booking: &Booking,
) -> Result<Option<(Audience, String)>> {
    let id = &booking.details.id;
    Ok(match (&booking.user_id, &booking.details.customer.email) {
        (Some(user_id), _) => Some((
            Audience::User(user_id.clone()),
            format!("{}/bookings/{id}", deps.config.app_url),
        )),
        (None, Some(email)) => Some((
            Audience::Email {
                email: email.clone(),
                name: Some(booking.details.customer.name.clone()),
            },
            manage_link(deps, id, &manage_token(deps, id)),
        )),
        (None, None) => None,
    })
}

/// The outbox of a new booking: the business hears of it, the customer that
/// it is confirmed or that their request arrived (with the booking's `.ics`),
/// and analytics counts it.
fn new_booking_outbox(deps: &Deps, offer: &Offer, booking: &Booking) -> Result<Outbox> {
    let mut outbox = Outbox::new(deps);
    analytics::record(&mut outbox, None, booking)?;
    let start = local_rfc3339(booking.start, &offer.tz);
    let org_id = Some(booking.details.org_id.clone());
    let pending = booking.details.status == BookingStatus::Pending;
    let data = |next_step: &str, link: String| {
        json!({
            "service_name": booking.details.service_name,
            "start": start,
            "customer_name": booking.details.customer.name,
            "status": booking.details.status.name(),
            "next_step": next_step,
            "link": link,
        })
    };
    let (business, link) = business_contact(deps, booking);
    let for_business = data(
        if pending {
            "Confirm or decline it: the customer is waiting for your answer."
        } else {
            "It is confirmed: the time is reserved."
        },
        link,
    );
    emit_in(
        &mut outbox,
        deps,
        NotificationType::BookingRequested,
        business,
        org_id.clone(),
        for_business,
    )?;
    let Some((customer, link)) = customer_contact(deps, booking)? else {
        return Ok(outbox);
    };
    let kind = if pending {
        NotificationType::BookingRequested
    } else {
        NotificationType::BookingConfirmed
    };
    let mut for_customer = data(
        if pending {
            "The business will confirm it soon. To see, change or cancel it, use this link:"
        } else {
            "To see, change or cancel it, use this link:"
        },
        link,
    );
    attach_calendar_event(&mut for_customer, booking, &offer.org)?;
    emit_in(&mut outbox, deps, kind, customer, org_id, for_customer)?;
    Ok(outbox)
}

/// Adds the booking's calendar event to a customer's notification data; the
/// email carries it as `booking.ics` (`email::attachments`).
pub(super) fn attach_calendar_event(
    data: &mut serde_json::Value,
    booking: &Booking,
    org: &Organization,
) -> Result<()> {
    data["calendar_event"] = serde_json::to_value(customer_calendar_event(booking, org))
        .map_err(|e| Error::Internal(format!("calendar event: {e}")))?;
    Ok(())
}

pub(super) async fn get_booking(deps: &Deps, booking_id: &str) -> Result<Booking> {
    if !is_id(booking_id) {
        return Err(Error::NotFound("booking"));
    }
    records::get(&*deps.table, &keys::booking(booking_id))
        .await?
        .ok_or(Error::NotFound("booking"))
}

/// `?token=` of the customer's routes.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// `GET /v1/bookings/{booking_id}?token=`: the customer's view by manage
/// token. A wrong or missing token answers exactly as an unknown booking does.
pub async fn booking_by_token(
    deps: &Deps,
    booking_id: &str,
    query: TokenQuery,
) -> Result<BookingView> {
    let booking = get_booking(deps, booking_id).await?;
    let token = query.token.unwrap_or_default();
    if !hashes_equal(&token_hash(&token), &booking.manage_token_hash) {
        return Err(Error::NotFound("booking"));
    }
    BookingView::of(booking)
}

/// `GET /v1/orgs/{org_id}/bookings/{booking_id}` (any member): another
/// organization's booking is 404.
pub async fn org_booking(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    booking_id: &str,
) -> Result<BookingView> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    let booking = get_booking(deps, booking_id).await?;
    if booking.details.org_id != org_id {
        return Err(Error::NotFound("booking"));
    }
    BookingView::of(booking)
}

/// `GET /v1/orgs/{org_id}/bookings?from=&to=&status=&staff_id=`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CalendarQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: Option<BookingStatus>,
    pub staff_id: Option<String>,
    // Not a flattened `PageParams`: query strings cannot carry numbers
    // through `serde(flatten)`.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The organization's calendar: bookings starting on the local days
/// `from ..= to`, by start, a page at a time; any member may read it (staff
/// and viewers need to see the day's appointments). `status` and `staff_id`
/// filter a page, so a page may hold fewer items while more follow.
pub async fn calendar(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    query: CalendarQuery,
) -> Result<Page<BookingView>> {
    require_org_permission(deps, caller, org_id, Permission::ViewOrganization).await?;
    let mut errors = Vec::new();
    let range = availability::parse_range(&mut errors, query.from.as_deref(), query.to.as_deref());
    let Some((from, to)) = range else {
        return Err(Error::Validation(errors));
    };
    let schedule = super::schedule::get_schedule(&*deps.table, org_id).await?;
    let tz = availability::zone_of(&schedule)?;
    let midnight = |date: civil::Date| {
        tz.to_timestamp(date.to_datetime(civil::Time::midnight()))
            .map_err(|e| Error::validation("to", format!("the date is out of range: {e}")))
    };
    let first = midnight(from)?.as_second();
    let next_day = to
        .tomorrow()
        .map_err(|e| Error::validation("to", format!("the date is out of range: {e}")))?;
    let until = midnight(next_day)?.as_second();
    let range = SortKey::Between(
        keys::booking_order(first, ""),
        // Every booking starting before `until`.
        keys::booking_order(until - 1, "~"),
    );
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let db_query = Query::new(Index::Gsi1, keys::org_bookings(org_id))
        .sk(range)
        .limit(page.limit()?)
        .after(page.cursor);
    let (bookings, next_cursor) = records::page_of::<Booking>(&*deps.table, &db_query).await?;
    let items = bookings
        .into_iter()
        .filter(|b| query.status.is_none_or(|status| b.details.status == status))
        .filter(|b| {
            query
                .staff_id
                .as_ref()
                .is_none_or(|id| &b.details.staff_id == id)
        })
        .map(BookingView::of)
        .collect::<Result<_>>()?;
    Ok(Page { items, next_cursor })
}

/// `GET /v1/me/bookings`: the caller's bookings made signed in, by start.
pub async fn my_bookings(
    deps: &Deps,
    caller: &Caller,
    page: PageParams,
) -> Result<Page<BookingView>> {
    let query = Query::new(Index::Gsi2, keys::user_bookings(&caller.user_id))
        .limit(page.limit()?)
        .after(page.cursor);
    let (bookings, next_cursor) = records::page_of::<Booking>(&*deps.table, &query).await?;
    let items = bookings
        .into_iter()
        .map(BookingView::of)
        .collect::<Result<_>>()?;
    Ok(Page { items, next_cursor })
}
