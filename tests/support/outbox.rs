//! An outbox whose change committed but whose sending never happened, as when
//! a function stops right after its transaction: what the relay is for.

use serde_json::json;
use shared::{
    Deps,
    notifications::{Audience, NotificationType, emit_in},
    outbox::Outbox,
};

/// Commits an outbox holding one `booking_cancelled` email to `to`, unsent.
pub async fn commit_unsent(deps: &Deps, to: &str) {
    let mut outbox = Outbox::new(deps);
    let audience = Audience::Email {
        email: to.into(),
        name: Some("Chloé".into()),
    };
    let data = json!({
        "service_name": "Haircut", "start": "2027-03-23T09:00:00+01:00",
        "cancelled_by": "the business", "reason": "Alex is ill",
    });
    emit_in(
        &mut outbox,
        deps,
        NotificationType::BookingCancelled,
        audience,
        None,
        data,
    )
    .expect("an outbox message");
    let write = outbox.write(deps).expect("the outbox write");
    deps.table
        .transact(vec![write])
        .await
        .expect("the change commits");
}
