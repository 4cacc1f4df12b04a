//! Every table key, built here and nowhere else (DESIGN.md §3).
//!
//! Tenant data lives under `ORG#<id>`, user data under `USER#<id>`. Items found by
//! a secret (tokens, codes) are keyed by the secret's hash, never the secret.

use crate::table::Key;

/// A user's profile.
pub fn user(user_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), "PROFILE")
}

/// Guard item making an email address unique; holds the owner's user id.
pub fn email_guard(email: &str) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

/// One session of a user (a login and the refresh tokens descended from it).
pub fn session(user_id: &str, session_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), format!("SESSION#{session_id}"))
}

/// The partition and sort-key prefix listing a user's sessions.
pub fn sessions_of(user_id: &str) -> (String, String) {
    (format!("USER#{user_id}"), "SESSION#".to_string())
}

/// A device a user has completed a login on (by the hash of its device id).
pub fn device(user_id: &str, device_hash: &str) -> Key {
    Key::new(format!("USER#{user_id}"), format!("DEVICE#{device_hash}"))
}

/// A refresh token, by its hash.
pub fn refresh_token(token_hash: &str) -> Key {
    Key::new(format!("REFRESH#{token_hash}"), "REFRESH")
}

/// A single-use email verification token, by its hash.
pub fn email_verification(token_hash: &str) -> Key {
    Key::new(format!("VERIFY#{token_hash}"), "VERIFY")
}

/// A single-use password reset token, by its hash.
pub fn password_reset(token_hash: &str) -> Key {
    Key::new(format!("RESET#{token_hash}"), "RESET")
}

/// An email-OTP challenge of a login on a new device.
pub fn mfa_challenge(challenge_id: &str) -> Key {
    Key::new(format!("MFA#{challenge_id}"), "MFA")
}

/// An organization's profile.
pub fn organization(org_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), "PROFILE")
}

/// A user's membership (and role) in an organization.
pub fn membership(org_id: &str, user_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("MEMBER#{user_id}"))
}

/// The partition and sort-key prefix listing an organization's members.
pub fn members_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "MEMBER#".to_string())
}

/// A user's place on the list of platform staff (moderators and admins).
pub fn platform_staff(user_id: &str) -> Key {
    Key::new("PLATFORM#STAFF", format!("USER#{user_id}"))
}

/// The partition and sort-key prefix listing platform staff.
pub fn platform_staff_list() -> (String, String) {
    ("PLATFORM#STAFF".to_string(), "USER#".to_string())
}

/// A user's notification settings.
pub fn notification_settings(user_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), "NOTIFICATION_SETTINGS")
}

/// One entry of a user's in-app inbox (ids sort by time).
pub fn inbox_entry(user_id: &str, notification_id: &str) -> Key {
    Key::new(
        format!("USER#{user_id}"),
        format!("INBOX#{notification_id}"),
    )
}

/// The partition and sort-key prefix listing a user's inbox.
pub fn inbox_of(user_id: &str) -> (String, String) {
    (format!("USER#{user_id}"), "INBOX#".to_string())
}

/// GSI1 partition of a user's unread inbox entries delivered since their last
/// read-all (`generation` counts read-alls, so one read-all empties it at once).
pub fn inbox_unread(user_id: &str, generation: i64) -> String {
    format!("USER#{user_id}#INBOX_UNREAD#{generation}")
}

/// A user's inbox counters (unread count).
pub fn inbox_state(user_id: &str) -> Key {
    Key::new(format!("USER#{user_id}"), "INBOX_STATE")
}

/// The log of one email, by its job id.
pub fn email_log(email_id: &str) -> Key {
    Key::new(format!("EMAIL_LOG#{email_id}"), "LOG")
}

/// GSI1 partition of an organization's email log.
pub fn org_email_logs(org_id: &str) -> String {
    format!("ORG#{org_id}#EMAIL_LOGS")
}

/// GSI2 partition of the platform-wide email log.
pub const ALL_EMAIL_LOGS: &str = "EMAIL_LOGS";

/// Sort key of an email log entry in both logs: time first, so newest first is backward.
pub fn email_log_order(created_at_secs: i64, email_id: &str) -> String {
    format!("{created_at_secs:012}#{email_id}")
}

/// The email log id of a provider message id (angle brackets removed).
pub fn email_message(message_id: &str) -> Key {
    Key::new(format!("EMAIL_MESSAGE#{message_id}"), "MESSAGE")
}

/// A provider event already applied (`provider` names whose ids they are).
pub fn email_event(provider: &str, event_id: &str) -> Key {
    Key::new(format!("EMAIL_EVENT#{provider}#{event_id}"), "EVENT")
}

/// A suppressed address.
pub fn suppression(email: &str) -> Key {
    Key::new(format!("SUPPRESSION#{email}"), "SUPPRESSION")
}

/// GSI1 partition listing suppressed addresses.
pub const SUPPRESSIONS: &str = "SUPPRESSIONS";

/// A Mailgun webhook token already seen (replay protection).
pub fn webhook_token(provider: &str, token: &str) -> Key {
    Key::new(format!("WEBHOOK_TOKEN#{provider}#{token}"), "TOKEN")
}

/// A response kept for an `Idempotency-Key` (by the hash of its owner and key).
pub fn idempotency_key(hash: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{hash}"), "KEY")
}

/// Guard item making an organization slug unique; holds the organization's id.
pub fn slug_guard(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

/// GSI1 partition of a user's memberships ("my organizations").
pub fn user_organizations(user_id: &str) -> String {
    format!("USER#{user_id}#ORGS")
}

/// GSI1 partition of the organizations shown publicly.
pub const PUBLIC_ORGS: &str = "PUBLIC_ORGS";

/// GSI2 partition of the organizations of one category shown publicly.
pub fn public_orgs_in(category: &str) -> String {
    format!("PUBLIC_ORGS#{category}")
}

/// Sort key of a public organization: its lower-cased name first, so a name
/// prefix is a `begins_with` query.
pub fn public_org_order(name_lower: &str, org_id: &str) -> String {
    format!("{name_lower}#{org_id}")
}

/// One entry of an organization's audit log (ids sort by time).
pub fn audit_entry(org_id: &str, audit_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("AUDIT#{audit_id}"))
}

/// The partition and sort-key prefix listing an organization's audit log.
pub fn audit_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "AUDIT#".to_string())
}

/// GSI1 partition of the platform-wide audit log.
pub const ALL_AUDIT: &str = "AUDIT";

// Team invitations (organizations::team).

/// An invitation to join an organization.
pub fn invite(org_id: &str, invite_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("INVITE#{invite_id}"))
}

/// The partition and sort-key prefix listing an organization's invitations.
pub fn invites_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "INVITE#".to_string())
}

/// An invitation code, by its hash; names the invitation it opens.
pub fn invite_code(code_hash: &str) -> Key {
    Key::new(format!("INVITE_CODE#{code_hash}"), "INVITE_CODE")
}

/// Guard item allowing one pending invitation per address and organization.
pub fn pending_invite(org_id: &str, email: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("INVITE_EMAIL#{email}"))
}

/// An organization's verification request (one per organization, overwritten
/// by each submission and decision), found by moderators through GSI1.
pub fn verification_request(org_id: &str) -> Key {
    Key::new(format!("VERIFICATION#{org_id}"), "REQUEST")
}

/// GSI1 partition of the verification requests in `status`: `submitted` is the
/// moderators' queue. The sort key is the request's history entry id (time order).
pub fn verification_requests(status: &str) -> String {
    format!("VERIFICATIONS#{status}")
}

/// One entry of an organization's verification history (ids sort by time).
pub fn verification_history_entry(org_id: &str, entry_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("VERIFICATION#{entry_id}"))
}

/// The partition and sort-key prefix listing an organization's verification history.
pub fn verification_history_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "VERIFICATION#".to_string())
}

// Bookings (bookings::*): the catalog, the schedule, bookings and their locks.

/// A service of an organization.
pub fn service(org_id: &str, service_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("SERVICE#{service_id}"))
}

/// The partition and sort-key prefix listing an organization's services.
pub fn services_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "SERVICE#".to_string())
}

/// An organization's booking schedule and rules.
pub fn schedule(org_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), "SCHEDULE")
}

/// The counters capping an organization's catalog (`staff_count`,
/// `service_count`), raised in the transaction adding a staff member or service.
pub fn catalog_counts(org_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), "CATALOG_COUNTS")
}

/// A staff member of an organization.
pub fn staff_member(org_id: &str, staff_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("STAFF#{staff_id}"))
}

/// The partition and sort-key prefix listing an organization's staff.
pub fn staff_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "STAFF#".to_string())
}

/// A booking, by id alone (customers reach it without knowing the organization;
/// organization routes check its `org_id`).
pub fn booking(booking_id: &str) -> Key {
    Key::new(format!("BOOKING#{booking_id}"), "BOOKING")
}

/// One entry of a booking's history (ids sort by time).
pub fn booking_history_entry(booking_id: &str, entry_id: &str) -> Key {
    Key::new(
        format!("BOOKING#{booking_id}"),
        format!("HISTORY#{entry_id}"),
    )
}

/// The partition and sort-key prefix listing a booking's history.
pub fn booking_history_of(booking_id: &str) -> (String, String) {
    (format!("BOOKING#{booking_id}"), "HISTORY#".to_string())
}

/// GSI1 partition of an organization's bookings (the calendar), sorted by
/// `booking_order`.
pub fn org_bookings(org_id: &str) -> String {
    format!("ORG#{org_id}#BOOKINGS")
}

/// GSI2 partition of a signed-in customer's bookings, sorted by `booking_order`.
pub fn user_bookings(user_id: &str) -> String {
    format!("USER#{user_id}#BOOKINGS")
}

/// Sort key of a booking in the calendars: its UTC start (fixed width, so
/// string order is time order), then its id.
pub fn booking_order(start_utc_secs: i64, booking_id: &str) -> String {
    format!("{start_utc_secs:012}#{booking_id}")
}

/// The lock of one cell of one staff member's time (or `WHOLE_BUSINESS`),
/// held by the booking covering it. An organization's locks share a partition
/// sorted by time, so availability reads a date range's locks with one query.
pub fn slot_lock(org_id: &str, cell_start_utc_secs: i64, resource: &str) -> Key {
    Key::new(
        slot_locks_of(org_id),
        format!("{cell_start_utc_secs:012}#{resource}"),
    )
}

/// The partition holding an organization's slot locks.
pub fn slot_locks_of(org_id: &str) -> String {
    format!("ORG#{org_id}#LOCKS")
}

// Scheduled work (`due`): entries bucketed by the UTC hour they fall due in, so a
// run queries the few hour buckets since its last run instead of scanning.

/// The partition of `kind`'s entries due in the UTC hour `hour` (`2026-11-21T21`).
pub fn due_bucket(kind: &str, hour: &str) -> String {
    format!("DUE#{kind}#{hour}")
}

/// Sort key of a due entry: its due time (Unix seconds, 12 digits) first, so
/// "due by now" is a sort-key range.
pub fn due_order(due_secs: i64, target_id: &str) -> String {
    format!("{due_secs:012}#{target_id}")
}

/// One due entry of `kind` for `target_id`.
pub fn due_entry(kind: &str, hour: &str, due_secs: i64, target_id: &str) -> Key {
    Key::new(due_bucket(kind, hour), due_order(due_secs, target_id))
}

/// How far the runs of `kind` got: the watermark item.
pub fn due_watermark(kind: &str) -> Key {
    Key::new(format!("SCHEDULE#{kind}"), "WATERMARK")
}

// Client onboarding by invitation (organizations::client_onboarding).

/// An onboarding link, by the hash of its token.
pub fn onboarding_token(token_hash: &str) -> Key {
    Key::new(format!("ONBOARDING#{token_hash}"), "ONBOARDING")
}

/// A user's onboarding token in their list (so activation revokes them all).
pub fn user_onboarding_token(user_id: &str, token_hash: &str) -> Key {
    Key::new(
        format!("USER#{user_id}"),
        format!("ONBOARDING#{token_hash}"),
    )
}

/// The partition and sort-key prefix listing a user's onboarding tokens.
pub fn onboarding_tokens_of(user_id: &str) -> (String, String) {
    (format!("USER#{user_id}"), "ONBOARDING#".to_string())
}

// Calendar feeds (bookings::feeds): subscription URLs whose token is the credential.

/// A calendar feed of an organization (the token's hash, scope and creator).
pub fn calendar_feed(org_id: &str, feed_id: &str) -> Key {
    Key::new(format!("ORG#{org_id}"), format!("CALENDAR_FEED#{feed_id}"))
}

/// The partition and sort-key prefix listing an organization's calendar feeds.
pub fn calendar_feeds_of(org_id: &str) -> (String, String) {
    (format!("ORG#{org_id}"), "CALENDAR_FEED#".to_string())
}

/// A calendar feed token, by its hash; names the feed and what it shows.
pub fn calendar_feed_token(token_hash: &str) -> Key {
    Key::new(format!("CALENDAR_FEED_TOKEN#{token_hash}"), "FEED_TOKEN")
}

// Customers (bookings::customers): each customer's record, counters, visits and
// notes share one partition; match items find a customer by email or phone; the
// search partition holds one entry per searchable term, sorted by it.

/// A customer's record (name, contact, account), in GSI1 `customers_by_name`.
pub fn customer(org_id: &str, customer_id: &str) -> Key {
    Key::new(customer_partition(org_id, customer_id), "PROFILE")
}

/// A customer's counters (bookings, visits, paid per currency, last visit),
/// kept apart from the record so counting never conflicts with a contact change.
pub fn customer_stats(org_id: &str, customer_id: &str) -> Key {
    Key::new(customer_partition(org_id, customer_id), "STATS")
}

/// A customer's visit (one per booking), sorted by the booking's UTC start.
pub fn customer_visit(
    org_id: &str,
    customer_id: &str,
    start_utc_secs: i64,
    booking_id: &str,
) -> Key {
    Key::new(
        customer_partition(org_id, customer_id),
        format!("VISIT#{start_utc_secs:012}#{booking_id}"),
    )
}

/// The partition and sort-key prefix listing a customer's visits.
pub fn customer_visits_of(org_id: &str, customer_id: &str) -> (String, String) {
    (
        customer_partition(org_id, customer_id),
        "VISIT#".to_string(),
    )
}

/// A note about a customer (ids sort by time).
pub fn customer_note(org_id: &str, customer_id: &str, note_id: &str) -> Key {
    Key::new(
        customer_partition(org_id, customer_id),
        format!("NOTE#{note_id}"),
    )
}

/// The partition and sort-key prefix listing a customer's notes.
pub fn customer_notes_of(org_id: &str, customer_id: &str) -> (String, String) {
    (customer_partition(org_id, customer_id), "NOTE#".to_string())
}

fn customer_partition(org_id: &str, customer_id: &str) -> String {
    format!("ORG#{org_id}#CUSTOMER#{customer_id}")
}

/// Match item: the customer a (lower-cased) email address belongs to.
pub fn customer_email_match(org_id: &str, email: &str) -> Key {
    Key::new(format!("ORG#{org_id}#CUSTOMER_EMAIL#{email}"), "CUSTOMER")
}

/// Match item: the customer a (normalised) phone number belongs to.
pub fn customer_phone_match(org_id: &str, phone: &str) -> Key {
    Key::new(format!("ORG#{org_id}#CUSTOMER_PHONE#{phone}"), "CUSTOMER")
}

/// The partition of an organization's customer search entries.
pub fn customer_search(org_id: &str) -> String {
    format!("ORG#{org_id}#CUSTOMER_SEARCH")
}

/// A search entry: the term (lower-cased name, phone or email) first, so a
/// prefix of it is a `begins_with` query; `field` keeps a customer's terms apart.
pub fn customer_search_entry(org_id: &str, term: &str, customer_id: &str, field: &str) -> Key {
    Key::new(
        customer_search(org_id),
        format!("{term}#{customer_id}#{field}"),
    )
}

/// GSI1 partition of an organization's customers, sorted by `customer_name_order`.
pub fn customers_by_name(org_id: &str) -> String {
    format!("ORG#{org_id}#CUSTOMERS")
}

/// GSI1 sort key of a customer: the lower-cased name, then the id.
pub fn customer_name_order(name_lower: &str, customer_id: &str) -> String {
    format!("{name_lower}#{customer_id}")
}

// Booking analytics (bookings::analytics): counters kept per organization and
// local day, updated by the analytics worker; a date range is one query.

/// The partition holding an organization's day aggregates.
pub fn analytics_days_of(org_id: &str) -> String {
    format!("ORG#{org_id}#ANALYTICS")
}

/// Sort key of the day aggregate of a local date (`DAY#2026-11-21`): ISO
/// dates sort as strings, so a date range is a `between`.
pub fn analytics_day_order(date: &str) -> String {
    format!("DAY#{date}")
}

/// The aggregate of one local day of an organization's bookings.
pub fn analytics_day(org_id: &str, date: &str) -> Key {
    Key::new(analytics_days_of(org_id), analytics_day_order(date))
}

/// The marker of a booking change already counted (dedupes redeliveries).
pub fn analytics_event(event_id: &str) -> Key {
    Key::new(format!("ANALYTICS_EVENT#{event_id}"), "EVENT")
}
