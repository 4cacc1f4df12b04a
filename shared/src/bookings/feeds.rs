//! Calendar feeds (`/v1/orgs/{org_id}/calendar-feeds`): subscription URLs that
//! Google, Apple and Outlook poll for an organization's (or one staff member's)
//! bookings. Managers and up (`Permission::ManageBookings`: a feed shows every
//! customer's name and phone) create, list, revoke and rotate them.
//!
//! The feed's token is the only credential of `GET /v1/calendar/<token>.ics`,
//! so it is random (`new_token`), returned once, and stored only as a hash: a
//! lookup item by that hash (`keys::calendar_feed_token`) names the feed and its
//! scope, and the feed's own item under the organization
//! (`keys::calendar_feed`) holds the hash so revoking and rotating find the
//! lookup to delete. Both are written, and removed, in one transaction with the
//! audit entry.
//!
//! A feed holds the bookings from a week ago to 90 days ahead, of every status
//! (cancelled ones as `STATUS:CANCELLED`, so subscribed calendars drop them),
//! read with one query of the organization's calendar (GSI1) paged through.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::{
    StaffMember,
    booking::Booking,
    calendar::{CalendarEvent, calendar_event, ics},
};
use crate::{
    Deps,
    access::require_org_permission,
    accounts::{Caller, new_token, token_hash},
    audit::{AuditAction, AuditEntry},
    error::{Error, Result},
    keys,
    organizations::store,
    paging::{Page, PageParams},
    records::to_item,
    roles::Permission,
    table::{Condition, Index, MAX_QUERY_LIMIT, Query, SortKey, TableError, Update, Write},
    types::is_id,
};

/// A calendar feed as the API lists it (never with its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarFeed {
    pub feed_id: String,
    pub org_id: String,
    /// The staff member whose bookings it shows; `None`: the whole organization's.
    pub staff_id: Option<String>,
    pub created_by: String,
    pub created_at: jiff::Timestamp,
    /// When its current token was issued (at creation or the last rotation).
    pub token_issued_at: jiff::Timestamp,
}

/// A feed as stored: with the hash of its live token.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredFeed {
    #[serde(flatten)]
    feed: CalendarFeed,
    token_hash: String,
}

/// The lookup item of a token: which feed, and what it shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct FeedToken {
    org_id: String,
    feed_id: String,
    staff_id: Option<String>,
}

/// `POST /v1/orgs/{org_id}/calendar-feeds`: `{}` for the organization's
/// bookings, `{"staff_id": ...}` for one staff member's.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    #[serde(default)]
    pub staff_id: Option<String>,
}

/// A feed with its new token, answered once (on creation and rotation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuedFeed {
    #[serde(flatten)]
    pub feed: CalendarFeed,
    /// Where calendars subscribe, relative to the API's base URL
    /// (`/v1/calendar/<token>.ics`); it holds the token.
    pub path: String,
    /// The API's base URL followed by `path`, to paste into a calendar app;
    /// absent when the request did not say where the API is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `url` with the `webcal` scheme, which opens a subscription in Apple
    /// Calendar and Outlook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webcal_url: Option<String>,
}

impl IssuedFeed {
    /// `feed` with the path and URLs of `token`; `api_base_url` is where the
    /// request reached the API (`https://api.example.com`), when known.
    fn new(feed: CalendarFeed, token: &str, api_base_url: Option<&str>) -> Self {
        let path = format!("/v1/calendar/{token}{FEED_SUFFIX}");
        let url = api_base_url.map(|base| format!("{}{path}", base.trim_end_matches('/')));
        let webcal_url = url
            .as_deref()
            .and_then(|url| url.split_once("://"))
            .map(|(_, rest)| format!("webcal://{rest}"));
        IssuedFeed {
            feed,
            path,
            url,
            webcal_url,
        }
    }
}

/// How far back a feed reaches (last week's appointments stay visible).
const FEED_PAST: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How far ahead a feed reaches.
const FEED_AHEAD: SignedDuration = SignedDuration::from_hours(90 * 24);
/// Most events one feed holds.
const MAX_FEED_EVENTS: usize = 1000;
/// Most bookings read for one feed: a staff member's feed picks theirs from
/// the organization's calendar, so reads are bounded apart from events.
const MAX_FEED_READS: usize = 10 * MAX_QUERY_LIMIT as usize;

/// The file name a feed is served under: its token and `.ics`.
const FEED_SUFFIX: &str = ".ics";

/// Creates a feed of the organization's bookings, or of `new.staff_id`'s
/// (`Permission::ManageBookings`); its token is in the answer only, whose
/// URLs start with `api_base_url` (see `IssuedFeed::new`).
pub async fn create_feed(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    new: NewFeed,
    api_base_url: Option<&str>,
) -> Result<IssuedFeed> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    if let Some(staff_id) = &new.staff_id {
        require_staff_member(deps, org_id, staff_id).await?;
    }
    let now = deps.clock.now();
    let feed = CalendarFeed {
        feed_id: deps.ids.new_id(),
        org_id: org_id.to_string(),
        staff_id: new.staff_id,
        created_by: caller.user_id.clone(),
        created_at: now,
        token_issued_at: now,
    };
    let token = new_token();
    let stored = StoredFeed {
        feed: feed.clone(),
        token_hash: token_hash(&token),
    };
    let audit = audit(
        deps,
        caller,
        &feed,
        AuditAction::CalendarFeedCreated,
        format!("created the calendar feed of {}", scope(&feed)),
    )?;
    let writes = vec![
        Write::Put {
            item: to_item(&keys::calendar_feed(org_id, &feed.feed_id), &stored, None)?,
            condition: Some(Condition::NotExists),
        },
        token_write(&stored)?,
        audit,
    ];
    deps.table.transact(writes).await?;
    Ok(IssuedFeed::new(feed, &token, api_base_url))
}

/// A page of the organization's feeds, without tokens (`Permission::ManageBookings`).
pub async fn feeds(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    page: PageParams,
) -> Result<Page<CalendarFeed>> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let (pk, prefix) = keys::calendar_feeds_of(org_id);
    let query = Query::new(Index::Table, pk)
        .sk(SortKey::BeginsWith(prefix))
        .limit(page.limit()?)
        .after(page.cursor);
    let (stored, next_cursor): (Vec<StoredFeed>, _) =
        crate::records::page_of(&*deps.table, &query).await?;
    Ok(Page {
        items: stored.into_iter().map(|s| s.feed).collect(),
        next_cursor,
    })
}

/// Revokes a feed: its URL answers 404 from now on (`Permission::ManageBookings`).
pub async fn revoke_feed(deps: &Deps, caller: &Caller, org_id: &str, feed_id: &str) -> Result<()> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let stored = stored_feed(deps, org_id, feed_id).await?;
    let audit = audit(
        deps,
        caller,
        &stored.feed,
        AuditAction::CalendarFeedRevoked,
        format!("revoked the calendar feed of {}", scope(&stored.feed)),
    )?;
    let writes = vec![
        Write::Delete {
            key: keys::calendar_feed(org_id, feed_id),
            condition: Some(Condition::eq("token_hash", stored.token_hash.as_str())),
        },
        Write::Delete {
            key: keys::calendar_feed_token(&stored.token_hash),
            condition: None,
        },
        audit,
    ];
    transact_on_feed(deps, writes).await
}

/// Gives a feed a new token for the same scope; the old URL answers 404 from
/// now on (`Permission::ManageBookings`). The answer's URLs start with
/// `api_base_url`, as on creation.
pub async fn rotate_feed(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    feed_id: &str,
    api_base_url: Option<&str>,
) -> Result<IssuedFeed> {
    require_org_permission(deps, caller, org_id, Permission::ManageBookings).await?;
    let current = stored_feed(deps, org_id, feed_id).await?;
    let token = new_token();
    let rotated = StoredFeed {
        feed: CalendarFeed {
            token_issued_at: deps.clock.now(),
            ..current.feed.clone()
        },
        token_hash: token_hash(&token),
    };
    let audit = audit(
        deps,
        caller,
        &rotated.feed,
        AuditAction::CalendarFeedRotated,
        format!(
            "issued a new link for the calendar feed of {}",
            scope(&rotated.feed)
        ),
    )?;
    let writes = vec![
        Write::Update {
            key: keys::calendar_feed(org_id, feed_id),
            update: Update::new()
                .set("token_hash", rotated.token_hash.as_str())
                .set("token_issued_at", to_json(&rotated.feed.token_issued_at)?),
            condition: Some(Condition::eq("token_hash", current.token_hash.as_str())),
        },
        Write::Delete {
            key: keys::calendar_feed_token(&current.token_hash),
            condition: None,
        },
        token_write(&rotated)?,
        audit,
    ];
    transact_on_feed(deps, writes).await?;
    Ok(IssuedFeed::new(rotated.feed, &token, api_base_url))
}

/// `GET /v1/calendar/<token>.ics`: the feed's bookings as iCalendar text,
/// named after the organization (and staff member). No caller: the token is
/// the credential; an unknown or revoked one is `NotFound`.
pub async fn feed_ics(deps: &Deps, file: &str) -> Result<String> {
    let scope = feed_token(deps, file).await?;
    let organization = store::get(&*deps.table, &scope.org_id)
        .await?
        .ok_or(Error::NotFound("calendar feed"))?;
    let name = match &scope.staff_id {
        Some(staff_id) => {
            let member: StaffMember =
                crate::records::get(&*deps.table, &keys::staff_member(&scope.org_id, staff_id))
                    .await?
                    .ok_or(Error::NotFound("calendar feed"))?;
            format!("{} — {}", organization.name, member.name)
        }
        None => organization.name,
    };
    let events = feed_events(deps, &scope).await?;
    tracing::info!(feed_id = %scope.feed_id, events = events.len(), "calendar feed served");
    Ok(ics(&name, &events))
}

/// The events of the bookings `scope` shows that start in the feed's window,
/// by start: at most `MAX_FEED_EVENTS`, from at most `MAX_FEED_READS` bookings.
async fn feed_events(deps: &Deps, scope: &FeedToken) -> Result<Vec<CalendarEvent>> {
    let now = deps.clock.now();
    let window = SortKey::Between(
        keys::booking_order((now - FEED_PAST).as_second(), ""),
        // Every booking starting in the window's last second, whatever its id.
        keys::booking_order((now + FEED_AHEAD).as_second(), "~"),
    );
    let mut events = Vec::new();
    let mut read = 0;
    let mut cursor = None;
    loop {
        let query = Query::new(Index::Gsi1, keys::org_bookings(&scope.org_id))
            .sk(window.clone())
            .limit(MAX_QUERY_LIMIT)
            .after(cursor);
        let (bookings, next): (Vec<Booking>, _) =
            crate::records::page_of(&*deps.table, &query).await?;
        read += bookings.len();
        let shown = bookings.iter().filter(|booking| {
            scope
                .staff_id
                .as_ref()
                .is_none_or(|staff_id| &booking.details.staff_id == staff_id)
        });
        events.extend(shown.map(calendar_event));
        match next {
            Some(next) if events.len() < MAX_FEED_EVENTS && read < MAX_FEED_READS => {
                cursor = Some(next)
            }
            _ => break,
        }
    }
    events.truncate(MAX_FEED_EVENTS);
    Ok(events)
}

/// The scope of the feed served as `file` (`<token>.ics`); an unknown or
/// revoked token is `NotFound`.
async fn feed_token(deps: &Deps, file: &str) -> Result<FeedToken> {
    let token = file
        .strip_suffix(FEED_SUFFIX)
        .ok_or(Error::NotFound("calendar feed"))?;
    crate::records::get(&*deps.table, &keys::calendar_feed_token(&token_hash(token)))
        .await?
        .ok_or(Error::NotFound("calendar feed"))
}

/// The write adding the lookup item of `stored`'s token.
fn token_write(stored: &StoredFeed) -> Result<Write> {
    let lookup = FeedToken {
        org_id: stored.feed.org_id.clone(),
        feed_id: stored.feed.feed_id.clone(),
        staff_id: stored.feed.staff_id.clone(),
    };
    Ok(Write::Put {
        item: to_item(
            &keys::calendar_feed_token(&stored.token_hash),
            &lookup,
            None,
        )?,
        condition: Some(Condition::NotExists),
    })
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))
}

async fn stored_feed(deps: &Deps, org_id: &str, feed_id: &str) -> Result<StoredFeed> {
    if !is_id(feed_id) {
        return Err(Error::NotFound("calendar feed"));
    }
    crate::records::get(&*deps.table, &keys::calendar_feed(org_id, feed_id))
        .await?
        .ok_or(Error::NotFound("calendar feed"))
}

/// A feed for one staff member names one of this organization's.
async fn require_staff_member(deps: &Deps, org_id: &str, staff_id: &str) -> Result<()> {
    let exists = is_id(staff_id)
        && deps
            .table
            .get(&keys::staff_member(org_id, staff_id))
            .await?
            .is_some();
    if exists {
        Ok(())
    } else {
        Err(Error::validation(
            "staff_id",
            "no staff member of this organization has this id",
        ))
    }
}

/// Runs a transaction whose first write needs the feed's token as it was
/// read: if the feed was revoked or rotated meanwhile, it is no longer there.
async fn transact_on_feed(deps: &Deps, writes: Vec<Write>) -> Result<()> {
    match deps.table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::TransactionConditionFailed { index: 0 }) => {
            Err(Error::NotFound("calendar feed"))
        }
        Err(e) => Err(e.into()),
    }
}

fn audit(
    deps: &Deps,
    caller: &Caller,
    feed: &CalendarFeed,
    action: AuditAction,
    summary: String,
) -> Result<Write> {
    let target = format!("calendar_feed:{}", feed.feed_id);
    AuditEntry::new(deps, caller, &feed.org_id, action, target, summary).write()
}

/// What a feed shows, for audit summaries.
fn scope(feed: &CalendarFeed) -> String {
    match &feed.staff_id {
        Some(staff_id) => format!("staff member {staff_id}"),
        None => "the organization".to_string(),
    }
}
