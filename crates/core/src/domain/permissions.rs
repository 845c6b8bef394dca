//! What members (approved users who are not admins) may do besides using loaded models. Admins
//! may do everything; each permission widens what members may do. Managing models is off until
//! an admin turns it on; loading models on demand (by naming one in a `/v1` request) is on until
//! an admin turns it off.

/// One permission, stored by [`Permission::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Members manage the shared model cache: start downloads, pause, resume and cancel their
    /// own, delete models.
    MembersManageModels,
    /// Members' `/v1` requests may load a model that is not loaded yet (through the pool's
    /// budget and eviction rules). Off: members only use models already loaded.
    MembersLoadModels,
}

impl Permission {
    pub const ALL: [Self; 2] = [Self::MembersManageModels, Self::MembersLoadModels];

    pub fn name(self) -> &'static str {
        match self {
            Self::MembersManageModels => "members_manage_models",
            Self::MembersLoadModels => "members_load_models",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What holds until an admin sets it.
    pub fn default_granted(self) -> bool {
        match self {
            Self::MembersManageModels => false,
            Self::MembersLoadModels => true,
        }
    }
}

/// Every permission's current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    pub members_manage_models: bool,
    pub members_load_models: bool,
}

impl Permissions {
    pub fn granted(&self, permission: Permission) -> bool {
        match permission {
            Permission::MembersManageModels => self.members_manage_models,
            Permission::MembersLoadModels => self.members_load_models,
        }
    }

    pub fn set(&mut self, permission: Permission, granted: bool) {
        match permission {
            Permission::MembersManageModels => self.members_manage_models = granted,
            Permission::MembersLoadModels => self.members_load_models = granted,
        }
    }
}

impl Default for Permissions {
    fn default() -> Self {
        let mut permissions = Self {
            members_manage_models: false,
            members_load_models: false,
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
    fn every_permission_round_trips_by_name_and_starts_at_its_default() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.name()), Some(permission));
            assert_eq!(
                Permissions::default().granted(permission),
                permission.default_granted()
            );
            for granted in [true, false] {
                let mut permissions = Permissions::default();
                permissions.set(permission, granted);
                assert_eq!(permissions.granted(permission), granted);
            }
        }
        assert!(!Permission::MembersManageModels.default_granted());
        assert!(Permission::MembersLoadModels.default_granted());
        assert_eq!(Permission::parse("unknown"), None);
    }
}
