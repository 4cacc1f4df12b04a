//! Changing a booking after it was made: the business confirms, declines,
//! cancels, reschedules, completes, marks a no-show or marks paid; the
//! customer cancels or reschedules until the cancellation window. The rules
//! are `lifecycle::next_status`; this module applies them.
//!
//! Every change is one transaction: the booking (conditioned on the version
//! read), its history entry, the audit entry, and the lock cells it releases
//! or takes (a reschedule releases the cells only the old time holds and takes
//! those only the new time holds, so it never holds two times at once and
//! never loses its own), the customer's history and counters, and the outbox
//! (`crate::outbox`) with the news for the other side and the analytics event,
//! sent once the transaction commits.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;

use super::{
    analytics,
    availability::{Offer, cells, local_rfc3339},
    booking::{
        Booking, BookingView, TokenQuery, attach_calendar_event, booking_item, business_contact,
        customer_contact, get_booking, offered_staff, take_cell,
    },
    customers, history,
    lifecycle::{Action, Actor, PaymentMethod, PaymentStatus, Situation, next_status},
    reminders,
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::{Caller, hashes_equal, token_hash},
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    keys,
    notifications::{NotificationType, emit_in},
    organizations::{Organization, store as org_store},
    outbox::Outbox,
    roles::Permission,
    table::{Condition, TableError, Write},
};

const MAX_REASON_CHARS: usize = 500;

/// The body of a change: what each action needs (`reason` to cancel as the
/// business, `start` to reschedule, `method` to mark paid).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub reason: Option<String>,
    /// RFC 3339: an offered slot of the same service.
    pub start: Option<String>,
    /// Reschedule to this staff member (else the same one when free, else
    /// anyone available).
    pub staff_id: Option<String>,
    pub method: Option<PaymentMethod>,
}

/// The action named by a route segment (`no-show`); unknown names are 404.
pub fn action_named(name: &str) -> Result<Action> {
    Action::ALL
        .into_iter()
        .find(|action| action.name() == name)
        .ok_or(Error::NotFound("booking action"))
}

/// The customer's actions (`cancel`, `reschedule`); others are 404 on their route.
pub fn customer_action_named(name: &str) -> Result<Action> {
    match action_named(name)? {
        action @ (Action::Cancel | Action::Reschedule) => Ok(action),
        _ => Err(Error::NotFound("booking action")),
    }
}

/// `POST /v1/orgs/{org_id}/bookings/{booking_id}/{action}` (managers and up).
pub async fn change_as_business(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    booking_id: &str,
    action: Action,
    request: ChangeRequest,
) -> Result<BookingView> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let booking = get_booking(deps, booking_id).await?;
    if booking.details.org_id != org_id {
        return Err(Error::NotFound("booking"));
    }
    let changed = apply(
        deps,
        &caller.user_id,
        Actor::Business,
        booking,
        action,
        request,
    )
    .await?;
    BookingView::of(changed)
}

/// `POST /v1/bookings/{booking_id}/{cancel | reschedule}`: the customer,
/// signed in as the booking's user or with its manage token (`?token=`);
/// anyone else gets the answer an unknown booking gets.
pub async fn change_as_customer(
    deps: &Deps,
    caller: Option<&Caller>,
    booking_id: &str,
    token: TokenQuery,
    action: Action,
    request: ChangeRequest,
) -> Result<BookingView> {
    let booking = get_booking(deps, booking_id).await?;
    let own_booking =
        caller.is_some_and(|caller| booking.user_id.as_ref() == Some(&caller.user_id));
    let holds_token = token
        .token
        .is_some_and(|token| hashes_equal(&token_hash(&token), &booking.manage_token_hash));
    if !own_booking && !holds_token {
        return Err(Error::NotFound("booking"));
    }
    let actor = caller
        .map_or(history::GUEST_ACTOR, |caller| caller.user_id.as_str())
        .to_string();
    let changed = apply(deps, &actor, Actor::Customer, booking, action, request).await?;
    BookingView::of(changed)
}

/// Checks the change against the rules, writes it in one transaction and
/// tells the other side.
async fn apply(
    deps: &Deps,
    actor_id: &str,
    actor: Actor,
    before: Booking,
    action: Action,
    request: ChangeRequest,
) -> Result<Booking> {
    let now = deps.clock.now();
    let situation = Situation {
        status: before.details.status,
        payment: before.details.payment_status,
        start: before.start,
        cancellation_window_hours: before.details.cancellation_window_hours,
        now,
    };
    let status = next_status(&situation, action, actor)?;
    let reason = reason_of(&request, action, actor)?;
    let mut after = before.clone();
    after.details.status = status;
    after.details.version += 1;
    after.updated_at = now;
    if reason.is_some() {
        after.details.status_reason = reason.clone();
    }
    let offer = match action {
        Action::Reschedule => Some(reschedule(deps, &before, &mut after, &request, now).await?),
        Action::MarkPaid => {
            let method = request.method.ok_or_else(|| {
                Error::validation("method", "say how it was paid: cash, card or online")
            })?;
            after.details.payment_status = PaymentStatus::Paid;
            after.details.payment_method = Some(method);
            None
        }
        _ => None,
    };

    let history = history::entry_write(deps, action.name(), actor_id, &before, &after, reason)?;
    let audit = AuditEntry::by_user(
        deps,
        actor_id,
        &before.details.org_id,
        AuditAction::BookingChanged,
        before.target(),
        summary(&before, &after, action),
    );
    let mut writes = vec![
        Write::Put {
            item: booking_item(&after)?,
            condition: Some(Condition::eq("version", before.details.version)),
        },
        history,
        audit.write()?,
    ];
    writes.extend(lock_changes(&before, &after)?);
    writes.extend(reminders::due_writes(Some(&before), &after)?);
    writes.extend(customers::visit_writes(
        &after.details.org_id,
        &after.customer_id,
        Some(&before.visit_facts()),
        &after.visit_facts(),
    )?);
    let mut outbox = Outbox::new(deps);
    let org = offer.as_ref().map(|offer| &offer.org);
    notify(deps, &mut outbox, actor, action, &before, &after, org).await?;
    analytics::record(&mut outbox, Some(&before), &after)?;
    writes.push(outbox.write(deps)?);
    match deps.table.transact(writes).await {
        Ok(()) => {}
        Err(TableError::TransactionConditionFailed { index: 0 }) => {
            return Err(Error::EditConflict);
        }
        // A cell of the new time went to another booking meanwhile.
        Err(TableError::TransactionConditionFailed { .. }) => return Err(Error::SlotTaken),
        Err(e) => return Err(e.into()),
    }
    outbox.send(deps).await;
    Ok(after)
}

/// Moves `after` to the requested start (and staff member), which must be an
/// offered slot free of other bookings; the booking's own cells do not count
/// as taken.
async fn reschedule(
    deps: &Deps,
    before: &Booking,
    after: &mut Booking,
    request: &ChangeRequest,
    now: Timestamp,
) -> Result<Offer> {
    let start: Timestamp = request
        .start
        .as_deref()
        .ok_or_else(|| Error::validation("start", "give the new start (RFC 3339)"))?
        .parse()
        .map_err(|_| {
            Error::validation(
                "start",
                "give the new start as RFC 3339, like 2027-03-29T09:00:00+02:00",
            )
        })?;
    let org = org_store::get(&*deps.table, &before.details.org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let offer = Offer::of(&*deps.table, org, &before.details.service_id).await?;
    offer.check_staff(request.staff_id.as_deref())?;
    let date = start.to_zoned(offer.tz.clone()).date();
    let candidates = offered_staff(&offer, now, date, start, request.staff_id.as_deref())?;
    let mut taken = offer.taken_cells(&*deps.table, date, date).await?;
    for cell in before.cells() {
        taken.remove(&(cell, before.details.staff_id.clone()));
    }
    let end = start
        .checked_add(SignedDuration::from_mins(before.details.duration_minutes))
        .map_err(|e| Error::Internal(format!("booking end: {e}")))?;
    let hold_until = end.as_second() + before.details.buffer_minutes * 60;
    let is_free = |resource: &String| {
        cells(start.as_second(), hold_until).all(|cell| !taken.contains(&(cell, resource.clone())))
    };
    // The same staff member when still free, else the first free one.
    let staff_id = candidates
        .iter()
        .find(|resource| **resource == before.details.staff_id && is_free(resource))
        .or_else(|| candidates.iter().find(|resource| is_free(resource)))
        .ok_or(Error::SlotTaken)?;
    after.details.staff_id = staff_id.clone();
    after.start = start;
    after.end = end;
    after.rescheduled_at = Some(now);
    Ok(offer)
}

/// The lock writes of a change: cells only `before` holds are released, cells
/// only `after` holds are taken (a transaction may touch a key only once).
fn lock_changes(before: &Booking, after: &Booking) -> Result<Vec<Write>> {
    let held = |booking: &Booking| -> BTreeSet<(i64, String)> {
        if booking.details.status.holds_time() {
            booking
                .cells()
                .map(|cell| (cell, booking.details.staff_id.clone()))
                .collect()
        } else {
            BTreeSet::new()
        }
    };
    let (old, new) = (held(before), held(after));
    let mut writes: Vec<Write> = old
        .difference(&new)
        .map(|(cell, resource)| Write::Delete {
            key: keys::slot_lock(&before.details.org_id, *cell, resource),
            condition: None,
        })
        .collect();
    for (cell, _) in new.difference(&old) {
        writes.push(take_cell(after, *cell)?);
    }
    Ok(writes)
}

/// The reason given, trimmed; the business must give one to cancel.
fn reason_of(request: &ChangeRequest, action: Action, actor: Actor) -> Result<Option<String>> {
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    if let Some(reason) = reason
        && reason.chars().count() > MAX_REASON_CHARS
    {
        return Err(Error::validation(
            "reason",
            format!("keep the reason under {MAX_REASON_CHARS} characters"),
        ));
    }
    if reason.is_none() && action == Action::Cancel && actor == Actor::Business {
        return Err(Error::validation(
            "reason",
            "say why you cancel: the customer reads it",
        ));
    }
    Ok(reason.map(str::to_string))
}

fn summary(before: &Booking, after: &Booking, action: Action) -> String {
    match action {
        Action::Reschedule => format!(
            "rescheduled {} from {} to {}",
            before.details.service_name, before.start, after.start
        ),
        Action::MarkPaid => format!(
            "marked {} paid ({})",
            before.details.service_name,
            after
                .details
                .payment_method
                .map_or("unknown", PaymentMethod::name)
        ),
        _ => format!(
            "{} {} at {}: {} → {}",
            action.name(),
            before.details.service_name,
            before.start,
            before.details.status.name(),
            after.details.status.name()
        ),
    }
}

/// Adds to the change's outbox the news for the other side: the business (owners, admins, managers)
/// when the customer cancels or reschedules; the customer of everything the
/// business does. The customer's news of a confirm, decline, cancel or
/// reschedule carries the booking's `.ics`, so a calendar that imported the
/// booking before moves or drops the event.
async fn notify(
    deps: &Deps,
    outbox: &mut Outbox,
    actor: Actor,
    action: Action,
    before: &Booking,
    after: &Booking,
    org: Option<&Organization>,
) -> Result<()> {
    let kind = match action {
        Action::Confirm => NotificationType::BookingConfirmed,
        Action::Decline => NotificationType::BookingDeclined,
        Action::Cancel => NotificationType::BookingCancelled,
        Action::Reschedule => NotificationType::BookingRescheduled,
        Action::Complete => NotificationType::BookingCompleted,
        Action::NoShow => NotificationType::BookingNoShow,
        Action::MarkPaid => NotificationType::BookingPaid,
    };
    let (audience, link) = match actor {
        Actor::Business => match customer_contact(deps, after)? {
            Some(contact) => contact,
            None => return Ok(()),
        },
        Actor::Customer => business_contact(deps, after),
    };
    let tz = after.details.time_zone()?;
    let cancelled_by = match actor {
        Actor::Business => "the business".to_string(),
        Actor::Customer => after.details.customer.name.clone(),
    };
    let mut data = json!({
        "service_name": after.details.service_name,
        "start": local_rfc3339(after.start, &tz),
        "old_start": local_rfc3339(before.start, &tz),
        "cancelled_by": cancelled_by,
        "reason": after.details.status_reason,
        "amount": after.details.price.to_string(),
        "method": after.details.payment_method.map(PaymentMethod::name),
        "link": link,
    });
    let moves_the_calendar = matches!(
        action,
        Action::Confirm | Action::Decline | Action::Cancel | Action::Reschedule
    );
    if actor == Actor::Business && moves_the_calendar {
        let org = match org {
            Some(org) => org.clone(),
            None => org_store::get(&*deps.table, &after.details.org_id)
                .await?
                .ok_or(Error::NotFound("organization"))?,
        };
        attach_calendar_event(&mut data, after, &org)?;
    }
    emit_in(
        outbox,
        deps,
        kind,
        audience,
        Some(after.details.org_id.clone()),
        data,
    )
}
