//! The onboarding checklist, read from the profile's fields and counters alone.
//!
//! `percentage` weighs the steps a public listing needs (profile, contacts,
//! photos, verification) twice as much as the optional ones (video, products,
//! QR code, team, posts): each required step counts 2, each optional one 1,
//! out of 13, rounded down; 100 means every step is done.

use serde::Serialize;

use super::{Organization, VerificationStatus, member_access};
use crate::{Deps, accounts::Caller, error::Result, roles::Permission};

const REQUIRED_WEIGHT: u32 = 2;
const OPTIONAL_WEIGHT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Onboarding {
    /// A description and an address (required).
    pub profile_complete: bool,
    /// A phone number or an email address (required).
    pub contacts_complete: bool,
    /// At least one photo (required).
    pub photos_uploaded: bool,
    pub video_added: bool,
    pub products_added: bool,
    pub qr_created: bool,
    /// Verification asked for, whatever its outcome (required).
    pub verification_submitted: bool,
    /// Someone besides the owner is a member.
    pub team_invited: bool,
    pub posts_published: bool,
    pub percentage: u32,
    /// When the owner declared onboarding done (`POST .../onboarding/complete`).
    pub onboarding_completed_at: Option<jiff::Timestamp>,
}

impl Onboarding {
    pub fn of(org: &Organization) -> Self {
        let required = [
            org.profile.description.is_some() && org.profile.address.is_some(),
            org.profile.phone.is_some() || org.profile.email.is_some(),
            !org.profile.photos.is_empty(),
            org.verification_status != VerificationStatus::NotSubmitted,
        ];
        let optional = [
            org.profile.video_url.is_some(),
            org.product_count > 0,
            org.qr_count > 0,
            org.member_count > 1,
            org.post_count > 0,
        ];
        let weight = |steps: &[bool], each: u32| {
            let done = steps.iter().filter(|done| **done).count() as u32;
            (done * each, steps.len() as u32 * each)
        };
        let (required_done, required_total) = weight(&required, REQUIRED_WEIGHT);
        let (optional_done, optional_total) = weight(&optional, OPTIONAL_WEIGHT);
        let [
            profile_complete,
            contacts_complete,
            photos_uploaded,
            verification_submitted,
        ] = required;
        let [
            video_added,
            products_added,
            qr_created,
            team_invited,
            posts_published,
        ] = optional;
        Onboarding {
            profile_complete,
            contacts_complete,
            photos_uploaded,
            video_added,
            products_added,
            qr_created,
            verification_submitted,
            team_invited,
            posts_published,
            percentage: (required_done + optional_done) * 100 / (required_total + optional_total),
            onboarding_completed_at: org.onboarding_completed_at,
        }
    }
}

/// The checklist of `org_id`, for any member (`Permission::ViewOrganization`).
pub async fn onboarding(deps: &Deps, caller: &Caller, org_id: &str) -> Result<Onboarding> {
    let (organization, _) =
        member_access(deps, caller, org_id, Permission::ViewOrganization).await?;
    Ok(Onboarding::of(&organization))
}
