//! The domain's errors. Each has a stable code and HTTP status; `http::Problem`
//! turns them into RFC 9457 problem details in one place.

use std::borrow::Cow;

use crate::{media::UploadsError, queue::QueueError, table::TableError};

/// One invalid input field and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path in the request, e.g. `name` or `weekly.mon[1].end`.
    pub field: Cow<'static, str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error(
        "this Idempotency-Key was used with a different request; use a new key for a new request"
    )]
    IdempotencyKeyReused,
    #[error("the Idempotency-Key must be 1 to 255 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("this link or token is unknown, already used, or expired")]
    InvalidToken,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("confirm your email address first: follow the link we sent you")]
    EmailNotVerified,
    #[error(
        "too many failed logins: try again in {retry_after_secs} seconds or reset your password"
    )]
    AccountLocked { retry_after_secs: u64 },
    #[error("this sign-in challenge is unknown or expired: log in again")]
    InvalidChallenge,
    #[error("the code is wrong")]
    InvalidCode,
    #[error("too many wrong codes: log in again to get a new one")]
    TooManyAttempts,
    #[error("the refresh token is unknown, spent or expired: log in again")]
    InvalidRefreshToken,
    #[error("sign in first: the access token is missing, invalid or expired, or its session ended")]
    Unauthorized,
    #[error("the current password is wrong")]
    InvalidCurrentPassword,
    #[error("this slug is taken: choose another")]
    SlugTaken,
    #[error("the record changed while you edited it: read it again and retry")]
    EditConflict,
    #[error("verification is already submitted: wait for the moderators' decision")]
    VerificationPending,
    #[error("this organization has no verification request waiting for a decision")]
    VerificationNotSubmitted,
    #[error("this organization is already verified")]
    AlreadyVerified,
    #[error("you cannot remove your own platform admin role: ask another admin")]
    OwnAdminRole,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("an organization keeps at least one owner: make another member owner first")]
    LastOwner,
    #[error("this invitation is for another email address: sign in with that one")]
    InviteEmailMismatch,
    #[error("this person is already a member")]
    AlreadyMember,
    #[error("this address already has a pending invitation: resend or revoke it")]
    InvitePending,
    #[error("this invitation was already used or has expired: ask for a new one")]
    InviteGone,
    #[error("this time is no longer free: choose another slot")]
    SlotTaken,
    #[error("a booking that is {status} cannot be changed with {action}")]
    InvalidTransition {
        action: &'static str,
        status: &'static str,
    },
    #[error("bookings can be changed until {deadline}; after that, contact the business")]
    ChangeDeadlinePassed { deadline: jiff::Timestamp },
    #[error("{action} is recorded once the booking has begun (at {start})")]
    TooEarly {
        action: &'static str,
        start: jiff::Timestamp,
    },
    #[error("an organization has at most {limit} {what}")]
    LimitReached { what: &'static str, limit: i64 },
    #[error("onboarding is already completed for this organization")]
    AlreadyCompleted,
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("the pagination cursor is not valid for this list: start again without it")]
    InvalidCursor,
    /// An upload of a kind, type or size the rules refuse; says what is allowed.
    #[error("{0}")]
    MediaNotAllowed(String),
    #[error("storage failed: {0}")]
    Table(TableError),
    #[error("queue failed: {0}")]
    Queue(#[from] QueueError),
    #[error("uploads failed: {0}")]
    Uploads(#[from] UploadsError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::Validation(_) | Error::MediaNotAllowed(_) => 422,
            Error::IdempotencyKeyReused => 422,
            Error::InvalidIdempotencyKey => 400,
            Error::InvalidToken | Error::InvalidCursor => 400,
            Error::EmailTaken
            | Error::SlugTaken
            | Error::EditConflict
            | Error::LastOwner
            | Error::AlreadyMember
            | Error::InvitePending
            | Error::VerificationPending
            | Error::VerificationNotSubmitted
            | Error::AlreadyVerified
            | Error::OwnAdminRole
            | Error::AlreadyCompleted
            | Error::SlotTaken
            | Error::InvalidTransition { .. }
            | Error::ChangeDeadlinePassed { .. }
            | Error::TooEarly { .. }
            | Error::LimitReached { .. } => 409,
            Error::InviteGone => 410,
            Error::InviteEmailMismatch => 403,
            Error::InvalidCredentials
            | Error::InvalidChallenge
            | Error::InvalidCode
            | Error::InvalidRefreshToken
            | Error::Unauthorized => 401,
            Error::EmailNotVerified | Error::InvalidCurrentPassword | Error::Forbidden => 403,
            Error::NotFound(_) => 404,
            Error::AccountLocked { .. } | Error::TooManyAttempts => 429,
            Error::Table(TableError::TransactionConflict) => 503,
            Error::Table(_) | Error::Queue(_) | Error::Uploads(_) | Error::Internal(_) => 500,
        }
    }

    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation_failed",
            Error::IdempotencyKeyReused => "idempotency_key_reused",
            Error::InvalidIdempotencyKey => "invalid_idempotency_key",
            Error::InvalidToken => "invalid_token",
            Error::EmailTaken => "email_taken",
            Error::SlugTaken => "slug_taken",
            Error::EditConflict => "edit_conflict",
            Error::VerificationPending => "verification_pending",
            Error::VerificationNotSubmitted => "verification_not_submitted",
            Error::AlreadyVerified => "already_verified",
            Error::OwnAdminRole => "own_admin_role",
            Error::InvalidCredentials => "invalid_credentials",
            Error::EmailNotVerified => "email_not_verified",
            Error::AccountLocked { .. } => "account_locked",
            Error::InvalidChallenge => "invalid_challenge",
            Error::InvalidCode => "invalid_code",
            Error::TooManyAttempts => "too_many_attempts",
            Error::InvalidRefreshToken => "invalid_refresh_token",
            Error::Unauthorized => "unauthorized",
            Error::InvalidCurrentPassword => "invalid_current_password",
            Error::Forbidden => "forbidden",
            Error::LastOwner => "last_owner",
            Error::InviteEmailMismatch => "invite_email_mismatch",
            Error::AlreadyMember => "already_member",
            Error::InvitePending => "invite_pending",
            Error::InviteGone => "invite_gone",
            Error::SlotTaken => "slot_taken",
            Error::InvalidTransition { .. } => "invalid_transition",
            Error::ChangeDeadlinePassed { .. } => "change_deadline_passed",
            Error::TooEarly { .. } => "too_early",
            Error::LimitReached { .. } => "limit_reached",
            Error::AlreadyCompleted => "already_completed",
            Error::NotFound(_) => "not_found",
            Error::InvalidCursor => "invalid_cursor",
            Error::MediaNotAllowed(_) => "media_not_allowed",
            Error::Table(TableError::TransactionConflict) => "conflict_retry",
            Error::Table(_) | Error::Queue(_) | Error::Uploads(_) | Error::Internal(_) => {
                "internal"
            }
        }
    }
}

impl From<TableError> for Error {
    fn from(e: TableError) -> Self {
        match e {
            TableError::InvalidCursor => Error::InvalidCursor,
            other => Error::Table(other),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
