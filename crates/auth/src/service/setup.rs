//! Claiming a fresh install: whether the first admin is still to be created, and whether that
//! needs the setup token (see [`crate::setup_token`]).

use super::AuthService;
use crate::AuthError;
use crate::setup_token::SetupToken;

/// What the sign-up page needs to know before anyone has an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupStatus {
    /// No account exists: the next registration creates the administrator.
    pub first_admin_needed: bool,
    /// That registration must carry the setup token printed at startup.
    pub setup_token_required: bool,
}

impl AuthService {
    /// From now on the first admin can only be claimed with `token`.
    pub fn require_setup_token(&self, token: SetupToken) {
        *self.inner.setup_token.lock().expect("setup token") = Some(token);
    }

    /// The token still waiting for the first admin, and its file: for the startup message.
    pub fn pending_setup_token(&self) -> Option<(String, std::path::PathBuf)> {
        self.inner
            .setup_token
            .lock()
            .expect("setup token")
            .as_ref()
            .map(|token| (token.expose().to_string(), token.path().to_path_buf()))
    }

    pub async fn setup_status(&self) -> Result<SetupStatus, AuthError> {
        let first_admin_needed = self.inner.users.count().await? == 0;
        let token_set = self
            .inner
            .setup_token
            .lock()
            .expect("setup token")
            .is_some();
        Ok(SetupStatus {
            first_admin_needed,
            setup_token_required: first_admin_needed && token_set,
        })
    }

    /// Whether a registration with `given` may become the first admin.
    pub(super) fn may_claim_first_admin(&self, given: Option<&str>) -> bool {
        match &*self.inner.setup_token.lock().expect("setup token") {
            None => true,
            Some(token) => given.is_some_and(|given| token.matches(given)),
        }
    }

    /// The first admin exists: the token and its file are no longer needed.
    pub(super) fn first_admin_claimed(&self) {
        if let Some(token) = self.inner.setup_token.lock().expect("setup token").take() {
            token.consume();
        }
    }
}
