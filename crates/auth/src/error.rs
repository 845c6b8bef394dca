use mlx_manager_core::CoreError;
use thiserror::Error;

/// Every way the auth layer can fail; the API crate maps these to responses.
///
/// Messages never contain a password, a token or a secret: they may be logged.
#[derive(Debug, Error)]
pub enum AuthError {
    #[error(transparent)]
    Core(#[from] CoreError),

    /// Wrong e-mail or password; deliberately does not say which.
    #[error("invalid e-mail or password")]
    InvalidCredentials,

    /// Too many attempts from this client (failed logins for an account or overall,
    /// registrations); try again after `retry_after`.
    #[error("too many attempts; retry in {} s", retry_after.as_secs())]
    Throttled { retry_after: std::time::Duration },

    /// Registration is closed while this many accounts wait for approval.
    #[error(
        "registration is closed for now: {pending} accounts are waiting for an administrator's \
         approval (at most {limit}); try again later"
    )]
    RegistrationClosed { pending: u64, limit: u64 },

    /// The e-mail differs from an existing account's but looks the same (UTS #39 skeleton).
    #[error("an account with an e-mail address that looks the same already exists")]
    EmailLooksLikeAnother,

    /// A user already has the most API keys allowed.
    #[error("a user can have at most {limit} API keys; revoke one before creating another")]
    TooManyApiKeys { limit: u64 },

    #[error("the account is waiting for an administrator's approval")]
    AccountPending,

    #[error("the account is disabled")]
    AccountDisabled,

    /// The first account (the administrator) was registered without the right setup token.
    #[error("the first account needs the setup token printed at startup")]
    SetupTokenRequired,

    /// A password change whose "current password" was wrong.
    #[error("the current password is incorrect")]
    CurrentPasswordIncorrect,

    /// A new password was refused; `reason` is plain English meant for the user.
    #[error("password is too weak: {reason}")]
    WeakPassword { reason: String },

    /// An access token failed verification; the reason is for logs, not for the client
    /// (which should only learn "invalid token").
    #[error("invalid access token: {0}")]
    InvalidToken(String),

    /// Signing an access token failed (a bug or a broken crypto backend, never user input).
    #[error("cannot sign access token: {0}")]
    TokenSigning(String),

    /// A signing secret is too short to be safe; `what` names where it came from.
    #[error(
        "{what} is {len} bytes long; it must be at least {min} bytes \
         (for example the output of `openssl rand -hex 32`)",
        min = crate::secret::MIN_SECRET_LEN
    )]
    SecretTooShort { what: String, len: usize },

    /// The stored JWT secret file exists but cannot be trusted or used as it is.
    #[error("JWT secret file {path}: {problem}")]
    SecretFile { path: String, problem: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Hashing failed for a reason other than a wrong password (bad parameters, a panicked
    /// worker, no randomness).
    #[error("password hashing failed: {0}")]
    Hashing(String),

    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}

impl AuthError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
