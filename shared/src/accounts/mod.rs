//! Accounts and sessions: sign-up with a confirmed email, login with lockout and
//! an emailed one-time code for new devices, short-lived access tokens with
//! rotating refresh tokens, and the sessions a user can see and end.
//!
//! Workflows: "Authentication Session Flow", "Failed Login" and "Organization
//! Registration Flow" steps 1–5 (000_…), "Login with MFA", "Token Refresh Flow"
//! and "Session Management" (001_…).

mod crypto;
mod store;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use self::crypto::{
    AccessClaims, hashes_equal, new_token, sign_access_token, token_hash, verify_access_token,
};
use self::{
    crypto::{code_hash, hash_password, new_code, verify_password},
    store::{
        ChallengeRecord, DeviceRecord, OneTimeTokenRecord, RefreshRecord, SessionRecord,
        UserRecord, create,
    },
};
use crate::{
    Deps,
    error::{Error, Result},
    keys,
    notifications::{self, Audience, NotificationType},
    outbox::Outbox,
    paging::{Page, PageParams},
    records::{self, from_item},
    roles::PlatformRole,
    table::{Condition, TableError, Update, Write},
    types::{Email, Password, PersonName, is_id},
};

/// How long an access token works.
pub const ACCESS_TOKEN_TTL: SignedDuration = SignedDuration::from_mins(15);
/// How long a session lasts after its login, however it is used.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(90 * 24);
pub const VERIFICATION_TOKEN_TTL: SignedDuration = SignedDuration::from_hours(24);
pub const RESET_TOKEN_TTL: SignedDuration = SignedDuration::from_hours(1);
pub const MFA_CODE_TTL: SignedDuration = SignedDuration::from_mins(10);
pub const MFA_MAX_ATTEMPTS: i64 = 5;
/// Consecutive failed logins that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 3;
/// The first lock; each further lock (before a successful login) doubles it.
pub const FIRST_LOCK: SignedDuration = SignedDuration::from_mins(15);
pub const LONGEST_LOCK: SignedDuration = SignedDuration::from_hours(24);

/// Who is calling: a user in one of their sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub session_id: String,
}

/// A user as the API shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    /// Moderator or admin of the platform, if staff.
    pub platform_role: Option<PlatformRole>,
    pub created_at: Timestamp,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            id: u.id,
            email: u.email.as_str().into(),
            name: u.name.as_str().into(),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            platform_role: u.platform_role,
            created_at: u.created_at,
        }
    }
}

/// The answer to a completed login or refresh.
#[derive(Clone, Debug, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: User,
    /// Seconds until the refresh token's session ends (the cookie's lifetime).
    #[serde(skip)]
    pub session_expires_in: i64,
}

#[derive(Clone, Debug)]
pub enum LoginOutcome {
    SignedIn(Tokens),
    /// A code went to the user's email; `verify_mfa` completes the login.
    MfaRequired {
        challenge_id: String,
    },
}

#[derive(Clone, Debug, Deserialize)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    pub device_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateMeRequest {
    pub name: Option<String>,
    pub mfa_enabled: Option<bool>,
}

/// A session as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: String,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
    /// Whether this is the session of the request.
    pub current: bool,
}

/// The current time, to the second (records and tokens carry whole seconds).
fn now(deps: &Deps) -> Timestamp {
    Timestamp::from_second(deps.clock.now().as_second()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.saturating_add(by).unwrap_or(Timestamp::MAX)
}

/// Creates an account and sends the link that confirms its email.
pub async fn signup(deps: &Deps, request: SignupRequest) -> Result<String> {
    let parsed = (
        Email::parse("email", &request.email),
        Password::parse("password", &request.password),
        PersonName::parse("name", &request.name),
    );
    let (email, password, name) = match parsed {
        (Ok(email), Ok(password), Ok(name)) => (email, password, name),
        (email, password, name) => {
            let errors = [email.err(), password.err(), name.err()];
            return Err(Error::Validation(errors.into_iter().flatten().collect()));
        }
    };

    let now = now(deps);
    let password_hash = hash_password(password.into_inner()).await?;
    let user = new_user(deps, email, name, password_hash, now);
    let (token, token_write) =
        one_time_token(&user, keys::email_verification, VERIFICATION_TOKEN_TTL, now)?;
    let mut writes = account_writes(&user)?;
    writes.push(token_write);
    match deps.table.transact(writes).await {
        Err(TableError::TransactionConditionFailed { index: 1 }) => return Err(Error::EmailTaken),
        other => other?,
    }
    // The account exists now; if the queue is down the user can ask for the link again.
    if let Err(e) = notify(
        deps,
        &user,
        NotificationType::VerifyEmail,
        verification_link(deps, &token),
    )
    .await
    {
        tracing::error!(user_id = %user.id, error = %e, "could not enqueue the verification email");
    }
    Ok(user.id)
}

/// An unverified account with `password_hash`, created now.
fn new_user(
    deps: &Deps,
    email: Email,
    name: PersonName,
    password_hash: String,
    now: Timestamp,
) -> UserRecord {
    UserRecord {
        id: deps.ids.new_id(),
        email,
        name,
        password_hash,
        email_verified: false,
        mfa_enabled: false,
        created_at: now,
        failed_logins: 0,
        locked_until: None,
        lockouts: 0,
        has_signed_in: false,
        platform_role: None,
    }
}

/// The writes creating `user`: its profile, then the guard making its email
/// unique (write 1 fails if the email has an account).
fn account_writes(user: &UserRecord) -> Result<Vec<Write>> {
    Ok(vec![
        create(&keys::user(&user.id), user, None)?,
        create(
            &keys::email_guard(user.email.as_str()),
            &serde_json::json!({ "user_id": user.id }),
            None,
        )?,
    ])
}

/// The account of someone invited by email (an organization's owner created
/// by a platform admin): theirs if the email has one, else a new one.
#[derive(Clone, Debug)]
pub struct InvitedAccount {
    pub user_id: String,
    /// Whether the email already had an account (then `writes` is empty).
    pub existing: bool,
    /// The writes creating a new account, unverified and without a password
    /// (it gets one through an emailed link): the profile, then the email
    /// guard, which fails if the email got an account meanwhile.
    pub writes: Vec<Write>,
}

/// The account of `email`, or the writes creating it for `name`.
pub async fn invited_account(
    deps: &Deps,
    email: &Email,
    name: &PersonName,
) -> Result<InvitedAccount> {
    if let Some(user) = store::user_by_email(&*deps.table, email).await? {
        return Ok(InvitedAccount {
            user_id: user.id,
            existing: true,
            writes: Vec::new(),
        });
    }
    let user = new_user(
        deps,
        email.clone(),
        name.clone(),
        crypto::NO_PASSWORD.to_string(),
        now(deps),
    );
    Ok(InvitedAccount {
        user_id: user.id.clone(),
        existing: false,
        writes: account_writes(&user)?,
    })
}

/// Sets `user_id`'s password from an emailed link, which also proves the
/// email: `spend` (the link's writes, such as deleting it, and an audit entry)
/// goes in the same transaction and must hold, else `Error::InvalidToken`.
/// Then every session of the user ends (a password set by link is a reset)
/// and a new one starts, as a login's.
pub async fn set_password_by_link(
    deps: &Deps,
    user_id: &str,
    password: &str,
    spend: Vec<Write>,
    user_agent: Option<String>,
) -> Result<Tokens> {
    let password = Password::parse("password", password).map_err(|e| Error::Validation(vec![e]))?;
    let user: UserRecord = records::get(&*deps.table, &keys::user(user_id))
        .await?
        .ok_or(Error::InvalidToken)?;
    let update = password_set(hash_password(password.into_inner()).await?);
    let mut writes = spend;
    writes.push(Write::Update {
        key: keys::user(user_id),
        update,
        condition: Some(Condition::Exists),
    });
    match deps.table.transact(writes).await {
        Err(TableError::TransactionConditionFailed { .. }) => return Err(Error::InvalidToken),
        other => other?,
    }
    let ended = store::end_sessions(&*deps.table, user_id, None).await?;
    if ended > 0 {
        let data = json!({ "reason": "your password was set with an onboarding link" });
        notify_security(deps, user_id, NotificationType::SessionsRevoked, data).await;
    }
    let user = UserRecord {
        email_verified: true,
        ..user
    };
    grant_configured_role(deps, &user).await?;
    start_session(deps, &user, None, user_agent, Vec::new()).await
}

/// The update setting a new password hash: the emailed link that allowed it
/// proves the email and lifts any lock.
fn password_set(password_hash: String) -> Update {
    Update::new()
        .set("password_hash", password_hash)
        .set("email_verified", true)
        .set("failed_logins", 0)
        .set("lockouts", 0)
        .remove("locked_until")
}

/// Spends an email verification token and marks the email confirmed.
pub async fn verify_email(deps: &Deps, token: &str) -> Result<()> {
    let key = keys::email_verification(&token_hash(token));
    let update = Update::new().set("email_verified", true);
    let (user_id, _) = spend_token(deps, key, update, None).await?;
    if let Some(user) = records::get::<UserRecord>(&*deps.table, &keys::user(&user_id)).await? {
        grant_configured_role(deps, &user).await?;
    }
    Ok(())
}

/// Sends a new confirmation link if the account exists and is unconfirmed.
/// Says nothing either way, so it cannot tell which emails have accounts.
pub async fn resend_verification(deps: &Deps, email: &str) -> Result<()> {
    let email = Email::parse("email", email).map_err(|e| Error::Validation(vec![e]))?;
    let Some(user) = store::user_by_email(&*deps.table, &email).await? else {
        return Ok(());
    };
    if user.email_verified {
        return Ok(());
    }
    let (token, write) = one_time_token(
        &user,
        keys::email_verification,
        VERIFICATION_TOKEN_TTL,
        now(deps),
    )?;
    deps.table.transact(vec![write]).await?;
    notify(
        deps,
        &user,
        NotificationType::VerifyEmail,
        verification_link(deps, &token),
    )
    .await
}

/// Checks a password login. Unknown emails and wrong passwords fail alike.
pub async fn login(
    deps: &Deps,
    request: LoginRequest,
    user_agent: Option<String>,
) -> Result<LoginOutcome> {
    let email = Email::parse("email", &request.email).map_err(|e| Error::Validation(vec![e]))?;
    let device_hash = match request.device_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) if id.chars().count() > 200 => {
            return Err(Error::validation(
                "device_id",
                "the device id is longer than 200 characters",
            ));
        }
        Some(id) => Some(token_hash(id)),
    };
    let user = store::user_by_email(&*deps.table, &email).await?;
    let now = now(deps);
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|&t| t > now.as_second())
    {
        return Err(Error::AccountLocked {
            retry_after_secs: (until - now.as_second()) as u64,
        });
    }
    let password_ok = verify_password(
        request.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let Some(user) = user else {
        return Err(Error::InvalidCredentials);
    };
    if !password_ok {
        record_failed_login(deps, &user, now).await?;
        return Err(Error::InvalidCredentials);
    }
    if !user.email_verified {
        return Err(Error::EmailNotVerified);
    }
    grant_configured_role(deps, &user).await?;

    let known_device = match &device_hash {
        Some(hash) => deps
            .table
            .get(&keys::device(&user.id, hash))
            .await?
            .is_some(),
        None => false,
    };
    let needs_code = user.mfa_enabled || (user.has_signed_in && !known_device);
    if !needs_code {
        let tokens =
            start_session(deps, &user, device_hash.as_deref(), user_agent, Vec::new()).await?;
        return Ok(LoginOutcome::SignedIn(tokens));
    }

    let challenge_id = deps.ids.new_id();
    let code = new_code();
    let challenge = ChallengeRecord {
        user_id: user.id.clone(),
        code_hash: code_hash(&deps.secrets.token_signing_key, &challenge_id, &code),
        attempts: 0,
        device_hash,
        user_agent,
        new_device: !known_device,
    };
    let ttl = later(now, MFA_CODE_TTL).as_second();
    deps.table
        .transact(vec![
            create(&keys::mfa_challenge(&challenge_id), &challenge, Some(ttl))?,
            // The password was right: the run of failures is over.
            Write::Update {
                key: keys::user(&user.id),
                update: Update::new().set("failed_logins", 0),
                condition: Some(Condition::Exists),
            },
        ])
        .await?;
    notify(
        deps,
        &user,
        NotificationType::MfaCode,
        json!({ "code": code }),
    )
    .await?;
    Ok(LoginOutcome::MfaRequired { challenge_id })
}

/// Makes a verified user whose email is in `PLATFORM_ADMINS` a platform admin
/// (at email confirmation, or at their next login after the list changes).
async fn grant_configured_role(deps: &Deps, user: &UserRecord) -> Result<()> {
    let listed = deps
        .config
        .platform_admins
        .iter()
        .any(|e| e == user.email.as_str());
    if !listed || !user.email_verified || user.platform_role == Some(PlatformRole::Admin) {
        return Ok(());
    }
    deps.table
        .transact(crate::staff::role_writes(
            &user.id,
            Some(PlatformRole::Admin),
        )?)
        .await?;
    tracing::info!(user_id = %user.id, "granted the platform admin role from PLATFORM_ADMINS");
    Ok(())
}

/// Counts a failed login; the failure that reaches the limit locks the account.
async fn record_failed_login(deps: &Deps, user: &UserRecord, now: Timestamp) -> Result<()> {
    let key = keys::user(&user.id);
    let counted = deps
        .table
        .update(
            &key,
            &Update::new().add("failed_logins", 1),
            Some(Condition::Exists),
        )
        .await?;
    let failures = counted
        .get("failed_logins")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if failures < LOCK_AFTER_FAILURES {
        return Ok(());
    }
    let lockouts = counted.get("lockouts").and_then(Value::as_i64).unwrap_or(0);
    let lock = FIRST_LOCK
        .checked_mul(1 << lockouts.clamp(0, 16) as i32)
        .unwrap_or(LONGEST_LOCK)
        .min(LONGEST_LOCK);
    let update = Update::new()
        .set("locked_until", later(now, lock).as_second())
        .set("failed_logins", 0)
        .add("lockouts", 1);
    // Concurrent failures may both reach the limit; only one of them locks.
    match deps
        .table
        .update(
            &key,
            &update,
            Some(Condition::Ge(
                "failed_logins".into(),
                LOCK_AFTER_FAILURES.into(),
            )),
        )
        .await
    {
        Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Completes a login with the emailed code.
pub async fn verify_mfa(deps: &Deps, challenge_id: &str, code: &str) -> Result<Tokens> {
    if !is_id(challenge_id) {
        return Err(Error::InvalidChallenge);
    }
    let key = keys::mfa_challenge(challenge_id);
    let challenge: ChallengeRecord = records::get(&*deps.table, &key)
        .await?
        .ok_or(Error::InvalidChallenge)?;
    if challenge.attempts >= MFA_MAX_ATTEMPTS {
        return Err(Error::TooManyAttempts);
    }
    let attempts_left = Condition::Lt("attempts".into(), MFA_MAX_ATTEMPTS.into());
    let expected = code_hash(&deps.secrets.token_signing_key, challenge_id, code.trim());
    if !hashes_equal(&expected, &challenge.code_hash) {
        match deps
            .table
            .update(
                &key,
                &Update::new().add("attempts", 1),
                Some(Condition::And(vec![Condition::Exists, attempts_left])),
            )
            .await
        {
            Ok(_) => return Err(Error::InvalidCode),
            Err(TableError::ConditionFailed) => return Err(Error::TooManyAttempts),
            Err(e) => return Err(e.into()),
        }
    }
    let user: UserRecord = records::get(&*deps.table, &keys::user(&challenge.user_id))
        .await?
        .ok_or(Error::InvalidChallenge)?;
    // Spending the challenge in the session's own transaction makes a code work once.
    let spend = Write::Delete {
        key,
        condition: Some(Condition::And(vec![Condition::Exists, attempts_left])),
    };
    // A sign-in from a new device is news the user must get: in the session's outbox.
    let notice = if challenge.new_device {
        let data = json!({ "user_agent": challenge.user_agent });
        Some(security_notice(
            deps,
            &user.id,
            NotificationType::NewDeviceSignIn,
            data,
        )?)
    } else {
        None
    };
    let mut extra = vec![spend];
    if let Some(notice) = &notice {
        extra.push(notice.write(deps)?);
    }
    let tokens = start_session(
        deps,
        &user,
        challenge.device_hash.as_deref(),
        challenge.user_agent,
        extra,
    )
    .await?;
    if let Some(notice) = notice {
        notice.send(deps).await;
    }
    Ok(tokens)
}

/// Starts a session: its record, its first refresh token, the device remembered,
/// the failure counters cleared, and `extra` writes, all in one transaction.
async fn start_session(
    deps: &Deps,
    user: &UserRecord,
    device_hash: Option<&str>,
    user_agent: Option<String>,
    extra: Vec<Write>,
) -> Result<Tokens> {
    let now = now(deps);
    let session = SessionRecord {
        id: deps.ids.new_id(),
        user_id: user.id.clone(),
        created_at: now,
        last_used_at: now,
        expires_at: later(now, SESSION_LIFETIME),
        user_agent: user_agent.map(|ua| ua.chars().take(256).collect()),
    };
    let refresh_token = new_token();
    let session_end = Some(session.expires_at.as_second());
    let refresh = RefreshRecord {
        user_id: user.id.clone(),
        session_id: session.id.clone(),
        spent: false,
    };
    let extra_writes = extra.len();
    let mut writes = extra;
    writes.extend([
        create(&keys::session(&user.id, &session.id), &session, session_end)?,
        create(
            &keys::refresh_token(&token_hash(&refresh_token)),
            &refresh,
            session_end,
        )?,
        Write::Update {
            key: keys::user(&user.id),
            update: Update::new()
                .set("has_signed_in", true)
                .set("failed_logins", 0)
                .set("lockouts", 0)
                .remove("locked_until"),
            condition: Some(Condition::Exists),
        },
    ]);
    if let Some(hash) = device_hash {
        let device = DeviceRecord { first_seen: now };
        let item = crate::records::to_item(&keys::device(&user.id, hash), &device, None)?;
        // Remembering a device again changes nothing that matters; no condition.
        writes.push(Write::Put {
            item,
            condition: None,
        });
    }
    match deps.table.transact(writes).await {
        Err(TableError::TransactionConditionFailed { index }) if index < extra_writes => {
            return Err(Error::InvalidChallenge);
        }
        other => other?,
    }
    Ok(tokens_for(
        deps,
        user.clone().into(),
        &session,
        refresh_token,
        now,
    ))
}

fn tokens_for(
    deps: &Deps,
    user: User,
    session: &SessionRecord,
    refresh_token: String,
    now: Timestamp,
) -> Tokens {
    let claims = AccessClaims {
        sub: user.id.clone(),
        sid: session.id.clone(),
        iat: now.as_second(),
        exp: later(now, ACCESS_TOKEN_TTL).as_second(),
    };
    Tokens {
        access_token: sign_access_token(&deps.secrets.token_signing_key, &claims),
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.as_secs(),
        refresh_token,
        user,
        session_expires_in: (session.expires_at.as_second() - now.as_second()).max(0),
    }
}

/// Trades a refresh token for a new pair. A token presented twice means it was
/// copied: the whole session ends, for the thief and the owner alike.
pub async fn refresh(deps: &Deps, refresh_token: &str) -> Result<Tokens> {
    let old_key = keys::refresh_token(&token_hash(refresh_token));
    let record: RefreshRecord = records::get(&*deps.table, &old_key)
        .await?
        .ok_or(Error::InvalidRefreshToken)?;
    let session_key = keys::session(&record.user_id, &record.session_id);
    if record.spent {
        end_session_after_reuse(deps, &record).await?;
        return Err(Error::InvalidRefreshToken);
    }
    let mut session: SessionRecord = records::get(&*deps.table, &session_key)
        .await?
        .ok_or(Error::InvalidRefreshToken)?;
    let user: UserRecord = records::get(&*deps.table, &keys::user(&record.user_id))
        .await?
        .ok_or(Error::InvalidRefreshToken)?;

    let now = now(deps);
    let new_token = new_token();
    let next = RefreshRecord {
        spent: false,
        ..record.clone()
    };
    let writes = vec![
        Write::Update {
            key: old_key,
            update: Update::new().set("spent", true),
            condition: Some(Condition::eq("spent", false)),
        },
        create(
            &keys::refresh_token(&token_hash(&new_token)),
            &next,
            Some(session.expires_at.as_second()),
        )?,
        Write::Update {
            key: session_key,
            update: Update::new().set(
                "last_used_at",
                serde_json::to_value(now).map_err(|e| Error::Internal(e.to_string()))?,
            ),
            condition: Some(Condition::Exists),
        },
    ];
    match deps.table.transact(writes).await {
        // Spent by a concurrent refresh: the same token was used twice.
        Err(TableError::TransactionConditionFailed { index: 0 }) => {
            end_session_after_reuse(deps, &record).await?;
            return Err(Error::InvalidRefreshToken);
        }
        Err(TableError::TransactionConditionFailed { .. }) => {
            return Err(Error::InvalidRefreshToken);
        }
        other => other?,
    }
    session.last_used_at = now;
    Ok(tokens_for(deps, user.into(), &session, new_token, now))
}

async fn end_session_after_reuse(deps: &Deps, record: &RefreshRecord) -> Result<()> {
    tracing::warn!(user_id = %record.user_id, session_id = %record.session_id, "refresh token reused: ending the session");
    deps.table
        .delete(&keys::session(&record.user_id, &record.session_id), None)
        .await?;
    Ok(())
}

/// The caller of a request bearing `access_token`, if its session still lives.
pub async fn authenticate(deps: &Deps, access_token: &str) -> Result<Caller> {
    let claims = verify_access_token(
        &deps.secrets.token_signing_key,
        access_token,
        deps.clock.now(),
    )?;
    // One read per request, so that ending a session stops its tokens at once.
    if deps
        .table
        .get(&keys::session(&claims.sub, &claims.sid))
        .await?
        .is_none()
    {
        return Err(Error::Unauthorized);
    }
    Ok(Caller {
        user_id: claims.sub,
        session_id: claims.sid,
    })
}

pub async fn logout(deps: &Deps, caller: &Caller) -> Result<()> {
    deps.table
        .delete(&keys::session(&caller.user_id, &caller.session_id), None)
        .await?;
    Ok(())
}

/// Changes the password and ends every other session.
pub async fn change_password(
    deps: &Deps,
    caller: &Caller,
    current: String,
    new: &str,
) -> Result<()> {
    let new = Password::parse("new_password", new).map_err(|e| Error::Validation(vec![e]))?;
    let user = current_user(deps, caller).await?;
    if !verify_password(current, Some(user.password_hash.clone())).await? {
        return Err(Error::InvalidCurrentPassword);
    }
    let hash = hash_password(new.into_inner()).await?;
    let notice = security_notice(deps, &user.id, NotificationType::PasswordChanged, json!({}))?;
    let writes = vec![
        Write::Update {
            key: keys::user(&user.id),
            update: Update::new().set("password_hash", hash),
            condition: Some(Condition::Exists),
        },
        notice.write(deps)?,
    ];
    deps.table.transact(writes).await?;
    store::end_sessions(&*deps.table, &user.id, Some(&caller.session_id)).await?;
    notice.send(deps).await;
    Ok(())
}

/// Emails a reset link if the account exists. Says nothing either way.
pub async fn forgot_password(deps: &Deps, email: &str) -> Result<()> {
    let email = Email::parse("email", email).map_err(|e| Error::Validation(vec![e]))?;
    let Some(user) = store::user_by_email(&*deps.table, &email).await? else {
        return Ok(());
    };
    let (token, write) = one_time_token(&user, keys::password_reset, RESET_TOKEN_TTL, now(deps))?;
    deps.table.transact(vec![write]).await?;
    let link = format!("{}/reset-password?token={token}", deps.config.app_url);
    notify(
        deps,
        &user,
        NotificationType::PasswordReset,
        json!({ "link": link }),
    )
    .await
}

/// Sets a new password with an emailed token, lifts any lock (the link proves
/// the email), and ends every session.
pub async fn reset_password(deps: &Deps, token: &str, new_password: &str) -> Result<()> {
    let password =
        Password::parse("new_password", new_password).map_err(|e| Error::Validation(vec![e]))?;
    let update = password_set(hash_password(password.into_inner()).await?);
    let key = keys::password_reset(&token_hash(token));
    let notice = (
        NotificationType::SessionsRevoked,
        json!({ "reason": "your password was reset" }),
    );
    let (user_id, notice) = spend_token(deps, key, update, Some(notice)).await?;
    store::end_sessions(&*deps.table, &user_id, None).await?;
    if let Some(notice) = notice {
        notice.send(deps).await;
    }
    Ok(())
}

pub async fn me(deps: &Deps, caller: &Caller) -> Result<User> {
    Ok(current_user(deps, caller).await?.into())
}

pub async fn update_me(deps: &Deps, caller: &Caller, request: UpdateMeRequest) -> Result<User> {
    let mut update = Update::new();
    if let Some(name) = &request.name {
        let name = PersonName::parse("name", name).map_err(|e| Error::Validation(vec![e]))?;
        update = update.set("name", name.as_str());
    }
    if let Some(mfa_enabled) = request.mfa_enabled {
        update = update.set("mfa_enabled", mfa_enabled);
    }
    if update == Update::new() {
        return me(deps, caller).await;
    }
    let item = deps
        .table
        .update(
            &keys::user(&caller.user_id),
            &update,
            Some(Condition::Exists),
        )
        .await?;
    Ok(from_item::<UserRecord>(item)?.into())
}

pub async fn list_sessions(
    deps: &Deps,
    caller: &Caller,
    page: PageParams,
) -> Result<Page<Session>> {
    let limit = page.limit()?;
    let (sessions, next_cursor) =
        store::sessions_page(&*deps.table, &caller.user_id, limit, page.cursor).await?;
    let items = sessions
        .into_iter()
        .map(|s| Session {
            current: s.id == caller.session_id,
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(Page { items, next_cursor })
}

pub async fn revoke_session(deps: &Deps, caller: &Caller, session_id: &str) -> Result<()> {
    if !is_id(session_id) {
        return Err(Error::NotFound("session"));
    }
    match deps
        .table
        .delete(
            &keys::session(&caller.user_id, session_id),
            Some(Condition::Exists),
        )
        .await
    {
        Err(TableError::ConditionFailed) => Err(Error::NotFound("session")),
        other => other.map(drop).map_err(Into::into),
    }
}

async fn current_user(deps: &Deps, caller: &Caller) -> Result<UserRecord> {
    records::get(&*deps.table, &keys::user(&caller.user_id))
        .await?
        .ok_or(Error::Unauthorized)
}

/// A new single-use token for `user`, and the write storing its hash.
fn one_time_token(
    user: &UserRecord,
    key_of: fn(&str) -> crate::table::Key,
    ttl: SignedDuration,
    now: Timestamp,
) -> Result<(String, Write)> {
    let token = new_token();
    let record = OneTimeTokenRecord {
        user_id: user.id.clone(),
    };
    let write = create(
        &key_of(&token_hash(&token)),
        &record,
        Some(later(now, ttl).as_second()),
    )?;
    Ok((token, write))
}

/// Spends the single-use token stored under `key` and applies `update` to its
/// user, in one transaction with the outbox of the security `notice` the user
/// must get, if any; returns the user's id and that outbox, to send once the
/// caller is done.
async fn spend_token(
    deps: &Deps,
    key: crate::table::Key,
    update: Update,
    notice: Option<(NotificationType, Value)>,
) -> Result<(String, Option<Outbox>)> {
    let record: OneTimeTokenRecord = records::get(&*deps.table, &key)
        .await?
        .ok_or(Error::InvalidToken)?;
    let notice = notice
        .map(|(kind, data)| security_notice(deps, &record.user_id, kind, data))
        .transpose()?;
    let mut writes = vec![
        Write::Delete {
            key,
            condition: Some(Condition::Exists),
        },
        Write::Update {
            key: keys::user(&record.user_id),
            update,
            condition: Some(Condition::Exists),
        },
    ];
    if let Some(notice) = &notice {
        writes.push(notice.write(deps)?);
    }
    match deps.table.transact(writes).await {
        Err(TableError::TransactionConditionFailed { .. }) => Err(Error::InvalidToken),
        other => other.map(|()| (record.user_id, notice)).map_err(Into::into),
    }
}

/// The data of a verify_email notification carrying `token`.
fn verification_link(deps: &Deps, token: &str) -> serde_json::Value {
    json!({ "link": format!("{}/verify-email?token={token}", deps.config.app_url) })
}

/// Notifies `user` through the notifications pipeline.
async fn notify(deps: &Deps, user: &UserRecord, kind: NotificationType, data: Value) -> Result<()> {
    notifications::emit(deps, kind, Audience::User(user.id.clone()), None, data).await
}

/// The outbox of a change that `user_id` must hear of (a new device, a new
/// password), for the change's own transaction.
fn security_notice(
    deps: &Deps,
    user_id: &str,
    kind: NotificationType,
    data: Value,
) -> Result<Outbox> {
    let mut outbox = Outbox::new(deps);
    let audience = Audience::User(user_id.to_string());
    notifications::emit_in(&mut outbox, deps, kind, audience, None, data)?;
    Ok(outbox)
}

/// Notifies `user` of a security event after the change is made: a queue
/// failure is logged, never turned into a failed request.
async fn notify_security(deps: &Deps, user_id: &str, kind: NotificationType, data: Value) {
    if let Err(e) =
        notifications::emit(deps, kind, Audience::User(user_id.to_string()), None, data).await
    {
        tracing::error!(%user_id, kind = kind.name(), error = %e, "could not emit a security notification");
    }
}
