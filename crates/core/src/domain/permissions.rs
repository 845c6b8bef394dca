//! What members (approved users who are not admins) may do besides using models. Admins may do
//! everything; each permission widens what members may do and is off unless an admin turns it
//! on.

/// One permission, stored by [`Permission::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Members manage the shared model cache: start downloads, pause, resume and cancel their
    /// own, delete models.
    MembersManageModels,
}

impl Permission {
    pub const ALL: [Self; 1] = [Self::MembersManageModels];

    pub fn name(self) -> &'static str {
        match self {
            Self::MembersManageModels => "members_manage_models",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What holds until an admin sets it.
    pub fn default_granted(self) -> bool {
        match self {
            Self::MembersManageModels => false,
        }
    }
}

/// Every permission's current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    pub members_manage_models: bool,
}

impl Permissions {
    pub fn granted(&self, permission: Permission) -> bool {
        match permission {
            Permission::MembersManageModels => self.members_manage_models,
        }
    }

    pub fn set(&mut self, permission: Permission, granted: bool) {
        match permission {
            Permission::MembersManageModels => self.members_manage_models = granted,
        }
    }
}

impl Default for Permissions {
    fn default() -> Self {
        let mut permissions = Self {
            members_manage_models: false,
        };
        for permission in Permission::ALL {
            permissions.set(permission, permission.default_granted());
        }
        permissions
    }
}

#[cfg(test)]
mod tests {
    use super::{Permission, Permissions};

    #[test]
    fn every_permission_round_trips_by_name_and_defaults_to_off() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.name()), Some(permission));
            assert!(!Permissions::default().granted(permission));
            let mut permissions = Permissions::default();
            permissions.set(permission, true);
            assert!(permissions.granted(permission));
        }
        assert_eq!(Permission::parse("unknown"), None);
    }
}
