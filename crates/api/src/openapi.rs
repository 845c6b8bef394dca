//! The OpenAPI document, generated from the routes themselves.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MLX Manager",
        description = "Find, download, run and serve MLX models behind multi-user authentication.",
    ),
    tags(
        (name = "health", description = "Liveness and readiness"),
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldError)),
)]
pub struct ApiDoc;

/// The complete specification, as served at `/api/openapi.json` and committed as `openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::app::routes().split_for_parts().1
}
