//! Roles: within an organization, and on the platform.

use serde::{Deserialize, Serialize};

/// A member's role in an organization, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Owner,
    Admin,
    Manager,
    Editor,
    Analyst,
    Viewer,
}

impl OrgRole {
    fn rank(self) -> u8 {
        match self {
            OrgRole::Owner => 6,
            OrgRole::Admin => 5,
            OrgRole::Manager => 4,
            OrgRole::Editor => 3,
            OrgRole::Analyst => 2,
            OrgRole::Viewer => 1,
        }
    }

    /// Whether this role is `other` or above it.
    pub fn at_least(self, other: OrgRole) -> bool {
        self.rank() >= other.rank()
    }

    /// Whether this role grants `permission`: the permission matrix, one row per
    /// permission naming the least role that holds it (roles are ranked, so each
    /// role holds everything its lower roles hold).
    pub fn can(self, permission: Permission) -> bool {
        let least = match permission {
            Permission::ViewOrganization => OrgRole::Viewer,
            Permission::ViewAnalytics => OrgRole::Analyst,
            Permission::EditProfile | Permission::ManageServices => OrgRole::Editor,
            Permission::ManageBookings | Permission::ManageSchedule => OrgRole::Manager,
            Permission::ManageTeam | Permission::ViewAudit | Permission::ViewEmailLog => {
                OrgRole::Admin
            }
            Permission::TransferOwnership | Permission::CompleteOnboarding => OrgRole::Owner,
            Permission::SubmitVerification => OrgRole::Admin,
        };
        self.at_least(least)
    }
}

/// What a member may do in an organization; `OrgRole::can` says who holds which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the organization's profile and onboarding checklist.
    ViewOrganization,
    /// Read analytics.
    ViewAnalytics,
    /// Change the profile (description, contacts, photos, ...).
    EditProfile,
    /// Handle bookings.
    ManageBookings,
    /// Create, edit and archive the services offered.
    ManageServices,
    /// Set the booking schedule and manage the staff who perform services.
    ManageSchedule,
    /// Invite, change and remove members.
    ManageTeam,
    /// Read the organization's audit log.
    ViewAudit,
    /// Read the organization's email log.
    ViewEmailLog,
    /// Hand the organization to another member.
    TransferOwnership,
    /// Ask the platform to verify the organization.
    SubmitVerification,
    /// Declare the onboarding of an organization created by invitation done.
    CompleteOnboarding,
}

/// A role of platform staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    Moderator,
    Admin,
}

impl PlatformRole {
    /// Whether this role is `other` or above it (an admin is also a moderator).
    pub fn at_least(self, other: PlatformRole) -> bool {
        self == other || self == PlatformRole::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrgRole::*;
    use Permission::*;

    /// The documented matrix, written out cell by cell (README's table).
    #[test]
    fn the_permission_matrix() {
        let roles = [Owner, Admin, Manager, Editor, Analyst, Viewer];
        let rows: [(Permission, [bool; 6]); 12] = [
            (ViewOrganization, [true, true, true, true, true, true]),
            (ViewAnalytics, [true, true, true, true, true, false]),
            (EditProfile, [true, true, true, true, false, false]),
            (ManageBookings, [true, true, true, false, false, false]),
            (ManageServices, [true, true, true, true, false, false]),
            (ManageSchedule, [true, true, true, false, false, false]),
            (ManageTeam, [true, true, false, false, false, false]),
            (ViewAudit, [true, true, false, false, false, false]),
            (ViewEmailLog, [true, true, false, false, false, false]),
            (TransferOwnership, [true, false, false, false, false, false]),
            (SubmitVerification, [true, true, false, false, false, false]),
            (
                CompleteOnboarding,
                [true, false, false, false, false, false],
            ),
        ];
        for (permission, allowed) in rows {
            for (role, expected) in roles.into_iter().zip(allowed) {
                assert_eq!(role.can(permission), expected, "{role:?} {permission:?}");
            }
        }
    }
}
