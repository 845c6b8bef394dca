//! Every lower layer's error as an [`ApiError`]: exhaustive matches, so adding a variant below
//! makes the compiler ask which status it gets.

use mlx_manager_auth::AuthError;
use mlx_manager_core::CoreError;
use mlx_manager_hub::HubError;
use mlx_manager_inference::InferenceError;
use mlx_manager_serving::ServingError;

use super::ApiError;
use crate::problem::FieldError;

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound { entity } => Self::NotFound(format!("{entity} not found")),
            CoreError::UniqueViolation { .. } | CoreError::RuleViolation(_) => {
                Self::Conflict(error.to_string())
            }
            CoreError::Invalid { field, message } => invalid(field, message),
            CoreError::InvalidFields(fields) => Self::Validation(
                fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field.to_string(),
                        message: f.message,
                    })
                    .collect(),
            ),
            CoreError::Forbidden(message) => Self::Forbidden(message),
            CoreError::QuotaExceeded {
                detail,
                retry_after_secs,
            } => Self::QuotaExceeded {
                detail,
                retry_after_secs,
            },
            CoreError::DatabaseUnreachable(_) => {
                tracing::error!(%error, "database unreachable");
                Self::Unavailable("the database is unreachable".into())
            }
            CoreError::InvalidSetting { .. }
            | CoreError::Migration(_)
            | CoreError::Database(_)
            | CoreError::CorruptRecord(_)
            | CoreError::Io { .. } => Self::internal(&error),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Core(core) => core.into(),
            AuthError::InvalidCredentials => Self::Unauthorized {
                detail: "incorrect e-mail or password".into(),
                invalid_token: false,
            },
            AuthError::InvalidToken(reason) => {
                tracing::debug!(%reason, "credential refused");
                Self::Unauthorized {
                    detail: "the credentials are invalid or expired; sign in again".into(),
                    invalid_token: true,
                }
            }
            AuthError::AccountPending => {
                Self::Forbidden("this account is waiting for an administrator's approval".into())
            }
            AuthError::SetupTokenRequired => Self::Forbidden(
                "the first account becomes the administrator: give the setup token that \
                 `mlx-manager serve` printed when it started (it is also in the file \
                 `setup-token` of its data directory)"
                    .into(),
            ),
            AuthError::AccountDisabled => {
                Self::Forbidden("this account has been disabled by an administrator".into())
            }
            AuthError::Throttled { retry_after } => Self::TooManyRequests {
                retry_after_secs: retry_after.as_secs().max(1),
            },
            AuthError::RegistrationClosed { .. } => Self::Unavailable(error.to_string()),
            AuthError::EmailLooksLikeAnother | AuthError::TooManyApiKeys { .. } => {
                Self::Conflict(error.to_string())
            }
            AuthError::WeakPassword { reason } => invalid("password", reason),
            AuthError::CurrentPasswordIncorrect => invalid("current_password", "is incorrect"),
            AuthError::TokenSigning(_)
            | AuthError::SecretTooShort { .. }
            | AuthError::SecretFile { .. }
            | AuthError::Io { .. }
            | AuthError::Hashing(_)
            | AuthError::Random(_) => Self::internal(&error),
        }
    }
}

impl From<HubError> for ApiError {
    fn from(error: HubError) -> Self {
        match error {
            HubError::Core(core) => core.into(),
            HubError::Invalid { field, message } => invalid(field, message),
            HubError::NotFound(message) => Self::NotFound(message),
            HubError::Conflict(message) => Self::Conflict(message),
            HubError::Unavailable { .. } | HubError::Transport { .. } => {
                Self::Unavailable(error.to_string())
            }
            HubError::AccessDenied(message) => Self::Forbidden(message),
            HubError::ChecksumMismatch(message) => Self::Unavailable(message),
            HubError::DiskFull(message) => Self::InsufficientStorage(message),
            HubError::Io { .. } => Self::internal(&error),
        }
    }
}

impl From<ServingError> for ApiError {
    fn from(error: ServingError) -> Self {
        match error {
            ServingError::Core(core) => core.into(),
            ServingError::Hub(hub) => hub.into(),
            ServingError::Inference(inference) => inference.into(),
            ServingError::ModelNotFound(message) => Self::ModelNotFound(message),
            ServingError::NotDownloaded(message) | ServingError::Conflict(message) => {
                Self::Conflict(message)
            }
            ServingError::TaskFailed(_) => Self::internal(&error),
        }
    }
}

/// As the management API sees them: refusals of the pool are conflicts with what runs (409),
/// a full queue asks to come back (429), waits that ran out are 503; a model that fails to load
/// or run is a conflict with its files, reported with the engine's reason.
impl From<InferenceError> for ApiError {
    fn from(error: InferenceError) -> Self {
        match error {
            InferenceError::InsufficientMemory { .. }
            | InferenceError::TooManyModels { .. }
            | InferenceError::NotLoaded { .. }
            | InferenceError::ModelFile { .. }
            | InferenceError::UnsupportedArchitecture { .. }
            | InferenceError::Weight { .. }
            | InferenceError::Tokenizer(_)
            | InferenceError::ChatTemplate(_) => Self::Conflict(error.to_string()),
            InferenceError::Overloaded { .. } => Self::Overloaded {
                detail: error.to_string(),
                retry_after_secs: 1,
            },
            InferenceError::QueueTimeout { .. }
            | InferenceError::Stopped { .. }
            | InferenceError::PoolClosed => Self::Unavailable(error.to_string()),
            InferenceError::PromptTooLong { .. } | InferenceError::InvalidParameter { .. } => {
                Self::BadRequest(error.to_string())
            }
            InferenceError::Mlx(_) => Self::internal(&error),
        }
    }
}

/// As the model API sees them: the OpenAI and Anthropic statuses clients react to. A full
/// queue asks to come back (429); no room, a wait that ran out, a stop are 503 (clients retry
/// those); a model whose files cannot load is a 500 clients must not retry; what the client
/// sent that the model refuses (a prompt too long, a conversation its template rejects) is 400.
pub fn model_api_error(error: ServingError) -> ApiError {
    let inference = match error {
        ServingError::Inference(inference) => inference,
        other => return other.into(),
    };
    match inference {
        InferenceError::Overloaded { .. } => ApiError::Overloaded {
            detail: inference.to_string(),
            retry_after_secs: 1,
        },
        InferenceError::InsufficientMemory { .. }
        | InferenceError::TooManyModels { .. }
        | InferenceError::NotLoaded { .. }
        | InferenceError::QueueTimeout { .. }
        | InferenceError::Stopped { .. }
        | InferenceError::PoolClosed => ApiError::Unavailable(inference.to_string()),
        InferenceError::ModelFile { .. }
        | InferenceError::UnsupportedArchitecture { .. }
        | InferenceError::Weight { .. } => ApiError::ModelFailed(inference.to_string()),
        InferenceError::PromptTooLong { .. }
        | InferenceError::InvalidParameter { .. }
        | InferenceError::Tokenizer(_)
        | InferenceError::ChatTemplate(_) => ApiError::BadRequest(inference.to_string()),
        InferenceError::Mlx(_) => ApiError::internal(&inference),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.to_string(),
        message: message.into(),
    }])
}
