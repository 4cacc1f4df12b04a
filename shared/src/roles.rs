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
