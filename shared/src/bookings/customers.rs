//! Customer records ("Client Management Flow"): every booking links to a
//! customer of its organization, who has a contact record, counters (bookings,
//! visits, total paid, last visit), a visit history and notes.
//!
//! Customer data is personal: every route needs `Permission::ManageBookings`
//! (managers and up), the people who handle bookings.
//!
//! Matching, never a scan: a booking's customer `{name, phone, email?}` (phone
//! as `+` and digits, email lower-cased) links to the customer a match item
//! names for that email, else for that phone, else to a new customer. Match
//! items are claimed with a not-exists condition, so two customers never share
//! an email or phone. The customer's record shows the latest name and contact;
//! older emails and phones keep leading to them.
//!
//! Race: `link_for_booking` only reads; its writes go into the booking's own
//! transaction. Two first bookings of the same new customer at once both try to
//! claim the same match item: one transaction fails on it. The same happens when
//! two bookings change one customer's contact at once (the record's version
//! condition). `CustomerLink::lost_race` recognises that failure; linking again
//! then finds the customer the winner wrote, so one retry settles it.
//!
//! Search: the record sits in GSI1 by lower-cased name (the list without `q`),
//! and each searchable term (name, phone, email) has an entry in one search
//! partition per organization, sorted by the term and holding a copy of the
//! record, so a prefix search is one `begins_with` query. A customer matching
//! on two of their terms is listed once per page (a later page may list them
//! again).

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lifecycle::{BookingStatus, PaymentStatus};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    keys,
    organizations::validate,
    paging::{Page, PageParams},
    records::{self, to_item},
    roles::Permission,
    table::{Condition, Index, Query, SortKey, Table, TableError, Update, Write},
    types::{Money, is_id},
};

const MAX_NOTE_CHARS: usize = 2000;
const MAX_SEARCH_CHARS: usize = 100;

// Attributes of the counters item (`keys::customer_stats`).
const BOOKING_COUNT: &str = "booking_count";
const VISIT_COUNT: &str = "visit_count";
const LAST_VISIT_AT: &str = "last_visit_at";
/// Paid amounts are kept per currency, in `paid_<CURRENCY>` attributes.
const PAID_PREFIX: &str = "paid_";

/// A booking's customer, as the booking request's rules checked and
/// normalised it (`booking::parse_request`); matching compares these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    /// International form: `+` and digits.
    pub phone: String,
    /// Lower-cased.
    pub email: Option<String>,
}

/// A customer's record: who they are and how to reach them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub org_id: String,
    /// The name given with their latest booking.
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    /// Their account, once they booked signed in.
    pub user_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every change, for optimistic concurrency.
    pub version: i64,
}

/// The customer a booking links to, and the writes to add to the booking's
/// transaction (none when an existing customer is unchanged).
#[derive(Clone, Debug)]
pub struct CustomerLink {
    pub customer_id: String,
    pub is_new: bool,
    pub writes: Vec<Write>,
}

impl CustomerLink {
    /// Whether `error`, from a transaction holding `self.writes` from position
    /// `offset` on, failed on one of them: a concurrent booking created or
    /// changed this customer first. Link again and retry once.
    pub fn lost_race(&self, offset: usize, error: &TableError) -> bool {
        matches!(error, TableError::TransactionConditionFailed { index }
            if (offset..offset + self.writes.len()).contains(index))
    }
}

/// What a match item holds.
#[derive(Serialize, Deserialize)]
struct MatchItem {
    customer_id: String,
}

/// Links a booking's customer `contact` (by the user `user_id` when signed in)
/// to the organization's customer with that email, else that phone, else a new
/// one. Only reads; the booking's transaction carries `CustomerLink::writes`.
pub async fn link_for_booking(
    deps: &Deps,
    org_id: &str,
    contact: &Contact,
    user_id: Option<&str>,
) -> Result<CustomerLink> {
    let table = &*deps.table;
    let email_key = contact
        .email
        .as_deref()
        .map(|email| keys::customer_email_match(org_id, email));
    let phone_key = keys::customer_phone_match(org_id, &contact.phone);
    let by_email = match &email_key {
        Some(key) => records::get::<MatchItem>(table, key).await?,
        None => None,
    };
    let by_phone = records::get::<MatchItem>(table, &phone_key).await?;
    let now = deps.clock.now();
    let (current, next) = match by_email.as_ref().or(by_phone.as_ref()) {
        Some(matched) => {
            let key = keys::customer(org_id, &matched.customer_id);
            // Match items are written with their customer, never without.
            let current: Customer = records::get(table, &key).await?.ok_or_else(|| {
                Error::Internal(format!(
                    "a match item names the missing customer {}",
                    matched.customer_id
                ))
            })?;
            let next = Customer {
                name: contact.name.clone(),
                phone: contact.phone.clone(),
                email: contact.email.clone().or_else(|| current.email.clone()),
                user_id: current
                    .user_id
                    .clone()
                    .or_else(|| user_id.map(str::to_string)),
                ..current.clone()
            };
            (Some(current), next)
        }
        None => {
            let new = Customer {
                id: deps.ids.new_id(),
                org_id: org_id.to_string(),
                name: contact.name.clone(),
                phone: contact.phone.clone(),
                email: contact.email.clone(),
                user_id: user_id.map(str::to_string),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            (None, new)
        }
    };
    // Claim the contact details no customer has yet for this one.
    let unclaimed = [
        email_key.filter(|_| by_email.is_none()),
        by_phone.is_none().then_some(phone_key),
    ];
    let mut writes = Vec::new();
    for key in unclaimed.into_iter().flatten() {
        let claim = MatchItem {
            customer_id: next.id.clone(),
        };
        writes.push(Write::Put {
            item: to_item(&key, &claim, None)?,
            condition: Some(Condition::NotExists),
        });
    }
    let customer_id = next.id.clone();
    writes.extend(record_writes(current.as_ref(), next, now)?);
    Ok(CustomerLink {
        customer_id,
        is_new: current.is_none(),
        writes,
    })
}

/// The writes saving `next` over `current` (none when unchanged): the record,
/// conditioned on its version, and its search entries (stale terms deleted).
fn record_writes(
    current: Option<&Customer>,
    mut next: Customer,
    now: Timestamp,
) -> Result<Vec<Write>> {
    let condition = match current {
        Some(current) if *current == next => return Ok(Vec::new()),
        Some(current) => {
            next.version = current.version + 1;
            next.updated_at = now;
            Condition::eq("version", current.version)
        }
        None => Condition::NotExists,
    };
    let org_id = &next.org_id;
    let mut record = to_item(&keys::customer(org_id, &next.id), &next, None)?;
    record.insert("gsi1pk".into(), keys::customers_by_name(org_id).into());
    let name_order = keys::customer_name_order(&next.name.to_lowercase(), &next.id);
    record.insert("gsi1sk".into(), name_order.into());
    let mut writes = vec![Write::Put {
        item: record,
        condition: Some(condition),
    }];
    let entry_key =
        |(field, term): (&str, String)| keys::customer_search_entry(org_id, &term, &next.id, field);
    let kept: Vec<_> = search_terms(&next).into_iter().map(entry_key).collect();
    for stale in current
        .into_iter()
        .flat_map(search_terms)
        .map(entry_key)
        .filter(|key| !kept.contains(key))
    {
        writes.push(Write::Delete {
            key: stale,
            condition: None,
        });
    }
    for key in kept {
        writes.push(Write::Put {
            item: to_item(&key, &next, None)?,
            condition: None,
        });
    }
    Ok(writes)
}

/// The searchable terms of a customer, by field.
fn search_terms(customer: &Customer) -> Vec<(&'static str, String)> {
    let mut terms = vec![
        ("name", customer.name.to_lowercase()),
        ("phone", customer.phone.clone()),
    ];
    terms.extend(customer.email.clone().map(|email| ("email", email)));
    terms
}

/// The facts of a booking a customer's history and counters follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitFacts {
    pub booking_id: String,
    pub service_name: String,
    pub start: Timestamp,
    pub status: BookingStatus,
    pub payment_status: PaymentStatus,
    pub price: Money,
}

/// The writes recording a booking of customer `customer_id` moving from
/// `before` (`None`: just created) to `after`, for the same transaction: its
/// visit item (moved when the start changed) and the customer's counters,
/// changed by the difference: `booking_count` on creation, `visit_count` and
/// `last_visit_at` when it becomes completed, the paid total of its currency
/// when it becomes paid. A move back undoes the counts (not `last_visit_at`,
/// which the state machine never needs: a completed booking stays completed).
pub fn visit_writes(
    org_id: &str,
    customer_id: &str,
    before: Option<&VisitFacts>,
    after: &VisitFacts,
) -> Result<Vec<Write>> {
    let visit_key = |facts: &VisitFacts| {
        keys::customer_visit(
            org_id,
            customer_id,
            facts.start.as_second(),
            &facts.booking_id,
        )
    };
    let mut writes = vec![Write::Put {
        item: to_item(&visit_key(after), after, None)?,
        condition: None,
    }];
    if let Some(moved) = before.filter(|before| visit_key(before) != visit_key(after)) {
        writes.push(Write::Delete {
            key: visit_key(moved),
            condition: None,
        });
    }

    let completed = |facts: &VisitFacts| i64::from(facts.status == BookingStatus::Completed);
    let mut update = Update::new();
    if before.is_none() {
        update = update.add(BOOKING_COUNT, 1);
    }
    let visits = completed(after) - before.map_or(0, completed);
    if visits != 0 {
        update = update.add(VISIT_COUNT, visits);
    }
    if visits > 0 {
        update = update.set(LAST_VISIT_AT, after.start.to_string());
    }
    let mut paid: BTreeMap<&str, i64> = BTreeMap::new();
    let signed = before.map(|before| (before, -1)).into_iter();
    for (facts, sign) in signed.chain([(after, 1)]) {
        if facts.payment_status == PaymentStatus::Paid {
            *paid.entry(&facts.price.currency).or_default() += sign * facts.price.amount;
        }
    }
    for (currency, amount) in paid.into_iter().filter(|(_, amount)| *amount != 0) {
        update = update.add(&format!("{PAID_PREFIX}{currency}"), amount);
    }
    if update != Update::new() {
        writes.push(Write::Update {
            key: keys::customer_stats(org_id, customer_id),
            update,
            condition: None,
        });
    }
    Ok(writes)
}

/// The counters item as stored; paid totals are its `paid_<CURRENCY>` attributes.
#[derive(Default, Deserialize)]
struct StoredStats {
    #[serde(default)]
    booking_count: i64,
    #[serde(default)]
    visit_count: i64,
    last_visit_at: Option<Timestamp>,
    #[serde(flatten)]
    attributes: BTreeMap<String, Value>,
}

/// A customer with their counters and the latest page of their history.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: Customer,
    pub booking_count: i64,
    /// Completed bookings.
    pub visit_count: i64,
    /// Paid bookings, per currency.
    pub total_paid: Vec<Money>,
    /// The start of the booking most recently marked completed.
    pub last_visit_at: Option<Timestamp>,
    /// Their bookings, latest start first.
    pub history: Page<VisitFacts>,
}

/// `?q=&limit=&cursor=` of the customers list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CustomersQuery {
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A page of the organization's customers: those with a name, phone or email
/// starting with `q` (case-insensitive; a phone may be typed with spaces), or
/// without `q` all of them by name.
pub async fn customers(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    query: CustomersQuery,
) -> Result<Page<Customer>> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let read = match search_prefix(query.q.as_deref())? {
        Some(prefix) => {
            Query::new(Index::Table, keys::customer_search(org_id)).sk(SortKey::BeginsWith(prefix))
        }
        None => Query::new(Index::Gsi1, keys::customers_by_name(org_id)),
    };
    let read = read.limit(page.limit()?).after(page.cursor);
    let (found, next_cursor): (Vec<Customer>, _) = records::page_of(&*deps.table, &read).await?;
    let mut seen = HashSet::new();
    let items = found
        .into_iter()
        .filter(|customer| seen.insert(customer.id.clone()))
        .collect();
    Ok(Page { items, next_cursor })
}

/// The search-entry prefix `q` asks for: lower-cased, and a phone number's
/// separators dropped as when it was stored; `None` for no search.
fn search_prefix(q: Option<&str>) -> Result<Option<String>> {
    let q = q.map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Ok(None);
    }
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(Error::validation(
            "q",
            format!("search with at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let phone_like = q.chars().any(|c| c.is_ascii_digit())
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    Ok(Some(if phone_like {
        q.chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    } else {
        q.to_lowercase()
    }))
}

/// One customer with counters and history (`?limit=&cursor=` page the history).
pub async fn customer(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    customer_id: &str,
    history: PageParams,
) -> Result<CustomerDetail> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let table = &*deps.table;
    let customer = existing(table, org_id, customer_id).await?;
    let stats: StoredStats = records::get(table, &keys::customer_stats(org_id, customer_id))
        .await?
        .unwrap_or_default();
    let (pk, prefix) = keys::customer_visits_of(org_id, customer_id);
    let read = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .backward()
        .limit(history.limit()?)
        .after(history.cursor);
    let (visits, next_cursor) = records::page_of(table, &read).await?;
    let total_paid = stats
        .attributes
        .iter()
        .filter_map(|(attribute, amount)| {
            Some(Money {
                currency: attribute.strip_prefix(PAID_PREFIX)?.to_string(),
                amount: amount.as_i64()?,
            })
        })
        .collect();
    Ok(CustomerDetail {
        customer,
        booking_count: stats.booking_count,
        visit_count: stats.visit_count,
        total_paid,
        last_visit_at: stats.last_visit_at,
        history: Page {
            items: visits,
            next_cursor,
        },
    })
}

/// `POST /v1/orgs/{org_id}/customers/{customer_id}/notes`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// 1 to 2000 characters.
    pub text: String,
}

/// A note a member wrote about a customer (preferences, requirements).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub org_id: String,
    pub customer_id: String,
    pub text: String,
    pub author_user_id: String,
    pub created_at: Timestamp,
}

/// Adds a note about a customer, audited.
pub async fn add_note(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    customer_id: &str,
    new: NewNote,
) -> Result<Note> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    existing(&*deps.table, org_id, customer_id).await?;
    let text = validate::text("text", &new.text, MAX_NOTE_CHARS)
        .map_err(|error| Error::Validation(vec![error]))?;
    let note = Note {
        id: deps.ids.new_id(),
        org_id: org_id.to_string(),
        customer_id: customer_id.to_string(),
        text,
        author_user_id: caller.user_id.clone(),
        created_at: deps.clock.now(),
    };
    let audit = note_audit(
        deps,
        caller,
        (org_id, customer_id),
        AuditAction::CustomerNoteAdded,
    );
    let key = keys::customer_note(org_id, customer_id, &note.id);
    let put = Write::Put {
        item: to_item(&key, &note, None)?,
        condition: Some(Condition::NotExists),
    };
    deps.table.transact(vec![put, audit.write()?]).await?;
    Ok(note)
}

/// A page of the notes about a customer, newest first.
pub async fn notes(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    customer_id: &str,
    page: PageParams,
) -> Result<Page<Note>> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    existing(&*deps.table, org_id, customer_id).await?;
    let (pk, prefix) = keys::customer_notes_of(org_id, customer_id);
    let read = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .backward()
        .limit(page.limit()?)
        .after(page.cursor);
    let (items, next_cursor) = records::page_of(&*deps.table, &read).await?;
    Ok(Page { items, next_cursor })
}

/// Deletes a note about a customer, audited.
pub async fn delete_note(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    customer_id: &str,
    note_id: &str,
) -> Result<()> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    existing(&*deps.table, org_id, customer_id).await?;
    let missing = Error::NotFound("note");
    if !is_id(note_id) {
        return Err(missing);
    }
    let audit = note_audit(
        deps,
        caller,
        (org_id, customer_id),
        AuditAction::CustomerNoteDeleted,
    );
    let delete = Write::Delete {
        key: keys::customer_note(org_id, customer_id, note_id),
        condition: Some(Condition::Exists),
    };
    match deps.table.transact(vec![delete, audit.write()?]).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => Err(missing),
        Err(e) => Err(e.into()),
    }
}

/// The audit entry of a note's change; it names the customer by id only, so the
/// audit log holds no customer's personal data.
fn note_audit(
    deps: &Deps,
    caller: &Caller,
    (org_id, customer_id): (&str, &str),
    action: AuditAction,
) -> AuditEntry {
    let done = match action {
        AuditAction::CustomerNoteDeleted => "deleted",
        _ => "added",
    };
    AuditEntry::new(
        deps,
        caller,
        org_id,
        action,
        format!("customer:{customer_id}"),
        format!("{done} a note about a customer"),
    )
}

/// The customer `customer_id` of `org_id`, or 404.
async fn existing(table: &dyn Table, org_id: &str, customer_id: &str) -> Result<Customer> {
    let missing = Error::NotFound("customer");
    if !is_id(customer_id) {
        return Err(missing);
    }
    records::get(table, &keys::customer(org_id, customer_id))
        .await?
        .ok_or(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_for_a_phone_drops_its_separators() {
        assert_eq!(search_prefix(Some(" ")).unwrap(), None);
        assert_eq!(
            search_prefix(Some("+33 1 23")).unwrap().as_deref(),
            Some("+33123")
        );
        assert_eq!(
            search_prefix(Some("Ada L")).unwrap().as_deref(),
            Some("ada l")
        );
        assert!(search_prefix(Some(&"x".repeat(101))).is_err());
    }

    fn facts(status: BookingStatus, payment_status: PaymentStatus, start: &str) -> VisitFacts {
        VisitFacts {
            booking_id: "b1".into(),
            service_name: "Haircut".into(),
            start: start.parse().unwrap(),
            status,
            payment_status,
            price: Money {
                amount: 2500,
                currency: "EUR".into(),
            },
        }
    }

    fn counters(writes: &[Write]) -> Option<Update> {
        writes.iter().find_map(|write| match write {
            Write::Update { update, .. } => Some(update.clone()),
            _ => None,
        })
    }

    #[test]
    fn counters_follow_the_difference_between_two_states() {
        use BookingStatus::*;
        const AT: &str = "2026-12-01T10:00:00Z";
        let pending = facts(Pending, PaymentStatus::Pending, AT);
        let created = visit_writes("o", "c", None, &pending).unwrap();
        assert_eq!(
            counters(&created),
            Some(Update::new().add(BOOKING_COUNT, 1))
        );

        let confirmed = facts(Confirmed, PaymentStatus::Pending, AT);
        let unchanged = visit_writes("o", "c", Some(&pending), &confirmed).unwrap();
        assert_eq!((unchanged.len(), counters(&unchanged)), (1, None));

        let completed = facts(Completed, PaymentStatus::Pending, AT);
        let visited = visit_writes("o", "c", Some(&confirmed), &completed).unwrap();
        let expected = Update::new()
            .add(VISIT_COUNT, 1)
            .set(LAST_VISIT_AT, "2026-12-01T10:00:00Z");
        assert_eq!(counters(&visited), Some(expected));

        let paid = facts(Completed, PaymentStatus::Paid, AT);
        let payment = visit_writes("o", "c", Some(&completed), &paid).unwrap();
        assert_eq!(
            counters(&payment),
            Some(Update::new().add("paid_EUR", 2500))
        );
        let undone = visit_writes("o", "c", Some(&paid), &confirmed).unwrap();
        let expected = Update::new().add(VISIT_COUNT, -1).add("paid_EUR", -2500);
        assert_eq!(counters(&undone), Some(expected));
    }

    #[test]
    fn a_rescheduled_booking_moves_its_visit() {
        let before = facts(
            BookingStatus::Pending,
            PaymentStatus::Pending,
            "2026-12-01T10:00:00Z",
        );
        let after = facts(
            BookingStatus::Pending,
            PaymentStatus::Pending,
            "2026-12-02T10:00:00Z",
        );
        let writes = visit_writes("o", "c", Some(&before), &after).unwrap();
        let old = keys::customer_visit("o", "c", before.start.as_second(), "b1");
        assert_eq!(writes.len(), 2);
        assert_eq!(
            writes[1],
            Write::Delete {
                key: old,
                condition: None
            }
        );
    }
}
