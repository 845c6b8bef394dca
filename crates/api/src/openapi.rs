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
        (name = "system", description = "The machine and the engine, as measured"),
        (name = "chats", description = "The caller's own conversations (private: others get 404)"),
        (name = "settings", description = "What members may do, the model pool (admins only)"),
        (name = "openai", description = "The OpenAI-compatible model API under /v1: errors are OpenAI error objects"),
        (name = "anthropic", description = "The Anthropic-compatible model API (/v1/messages): errors are Anthropic error objects"),
    ),
    components(schemas(
        crate::problem::Problem,
        crate::problem::FieldError,
        crate::routes::v1::errors::OpenAiError,
        crate::routes::v1::anthropic_errors::AnthropicError,
    )),
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
    let mut spec = crate::app::routes(&crate::app::SpecOnly)
        .split_for_parts()
        .1;
    document_layer_responses(&mut spec);
    spec
}

/// Adds the answers the middleware, not the handler, may give to every operation they apply
/// to, so that each operation documents every status it can return.
pub(crate) fn document_layer_responses(spec: &mut utoipa::openapi::OpenApi) {
    for (path, item) in spec.paths.paths.iter_mut() {
        let model_api = path.starts_with("/v1/");
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_params = operation
                .parameters
                .as_ref()
                .is_some_and(|parameters| !parameters.is_empty());
            let has_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| match model_api {
                        true if path.starts_with("/v1/messages") => {
                            error_response(description, "application/json", "AnthropicError")
                        }
                        true => error_response(description, "application/json", "OpenAiError"),
                        false => error_response(description, "application/problem+json", "Problem"),
                    });
            };
            add(
                "400",
                "The request is malformed: a `Host` the server does not answer to (or none), or a \
                 path or query value that cannot be read (a number beyond its range, an unknown \
                 value)",
            );
            // The model API answers invalid fields with 400 (its clients expect no 422).
            if (has_params || has_body) && !model_api {
                add("422", "The request is invalid; `errors` names each field");
            }
            if has_body {
                add("413", "The body is larger than `body_limit_bytes`");
                add(
                    "415",
                    "The body is not JSON (`Content-Type: application/json`)",
                );
            }
            if model_api {
                add(
                    "429",
                    "Over a quota an admin set (`code: quota_exceeded`); `Retry-After` says when \
                     the window frees",
                );
            }
            add(
                "503",
                "A service this needs is unavailable, or the answer took longer than \
                 `request_timeout_secs`",
            );
        }
    }
}

fn error_response(
    description: &str,
    content_type: &str,
    schema: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            content_type,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
        .into()
}
