//! The OpenAPI document, generated from the routes themselves.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MLX Manager",
        description = "Find, download, run and serve MLX models behind multi-user authentication.\n\n\
            Operations with a security requirement need an access token (from `/api/auth/login`) \
            or an API key, sent as `Authorization: Bearer …` (API keys also as `x-api-key`). \
            A requirement naming the role `admin` is for administrators only.",
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Registration, sign-in and the caller's session"),
        (name = "users", description = "User administration (admins only)"),
        (name = "api-keys", description = "The caller's API keys"),
        (name = "models", description = "Search the Hugging Face hub, model characteristics, the local cache"),
        (name = "downloads", description = "Model downloads: persisted jobs with live progress"),
        (name = "settings", description = "What members may do (admins only)"),
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldError)),
)]
pub struct ApiDoc;

/// `bearer`: access tokens (JWT) and API keys; `api_key`: the `x-api-key` header.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or mlxm_ API key")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
    }
}

/// The complete specification, as served at `/api/openapi.json` and committed as `openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::app::routes(|protected| protected)
        .split_for_parts()
        .1
}
