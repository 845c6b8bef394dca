//! The route table and the middleware stack around it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Uri};
use axum::routing::any;
use axum::{Extension, Router};
use mlx_manager_core::settings::ServerSettings;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorShape, reshape_errors};
use crate::extract::{AuthGate, require_authentication};
use crate::hygiene::{
    RouteMethods, X_REQUEST_ID, check_host, protective_headers, sanitize_request_id,
};
use crate::json::BodyLimit;
use crate::middleware::{management_timeout, problem_for_bare_errors, request_span};
use crate::openapi::ApiDoc;
use crate::routes::{health, v1};
use crate::state::AppState;

pub const SPEC_PATH: &str = "/api/openapi.json";
pub const DOCS_PATH: &str = "/api/docs";

/// The layers [`routes`] puts around groups of routes (none, for the spec).
pub(crate) trait RouteLayers {
    /// Around every route that needs credentials: authentication.
    fn protect(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState>;
    /// Around the model API's routes, inside authentication: the quotas.
    fn limit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState>;
    /// Around the model API's routes, outside everything: the audit log.
    fn audit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState>;
}

/// Every documented route, in its layers. Routes exist only through here, so the spec cannot
/// miss one.
pub(crate) fn routes(layers: &impl RouteLayers) -> OpenApiRouter<AppState> {
    let model_api =
        |shape, routes| layers.audit(v1::with_errors(shape, layers.protect(layers.limit(routes))));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .merge(crate::routes::public_routes())
        .merge(layers.protect(crate::routes::protected_routes()))
        .merge(model_api(ErrorShape::OpenAi, v1::openai_routes()))
        .merge(model_api(ErrorShape::Anthropic, v1::anthropic_routes()))
}

/// No layers: the routes as the spec describes them.
pub(crate) struct SpecOnly;

impl RouteLayers for SpecOnly {
    fn protect(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes
    }
    fn limit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes
    }
    fn audit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes
    }
}

/// The layers of the running application.
struct ServedLayers {
    gate: AuthGate,
    state: AppState,
}

impl RouteLayers for ServedLayers {
    fn protect(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes.route_layer(axum::middleware::from_fn_with_state(
            self.gate.clone(),
            require_authentication,
        ))
    }
    fn limit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes.route_layer(axum::middleware::from_fn_with_state(
            self.state.quotas.clone(),
            crate::usage::enforce_quotas,
        ))
    }
    fn audit(&self, routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
        routes.layer(axum::middleware::from_fn_with_state(
            self.state.clone(),
            crate::usage::audit_requests,
        ))
    }
}

/// The complete application: routes, the spec and its viewer, and the middleware stack.
pub fn app(state: AppState, settings: &ServerSettings) -> Router {
    build(state, settings, None)
}

/// [`app`] with a frontend (the web UI) answering every path outside `/api` and `/health`.
pub fn app_with_frontend(state: AppState, settings: &ServerSettings, frontend: Router) -> Router {
    build(state, settings, Some(frontend))
}

/// The separate metrics listener (`metrics_listen`): `GET /metrics` without credentials, for
/// scrapers on the network the operator trusts with that address, and nothing else.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    crate::routes::system::metrics_text(&state)
                },
            ),
        )
        .with_state(state)
}

fn build(mut state: AppState, settings: &ServerSettings, frontend: Option<Router>) -> Router {
    state.trusted_proxies = Arc::new(settings.trusted_proxies.clone());
    let gate = AuthGate {
        auth: state.auth.clone(),
        methods: Arc::new(RouteMethods::from_spec(&crate::openapi::openapi())),
    };
    let layers = ServedLayers {
        gate,
        state: state.clone(),
    };
    let (router, spec) = routes(&layers).split_for_parts();
    let mut spec = spec;
    crate::openapi::document_layer_responses(&mut spec);
    let router = router.merge(SwaggerUi::new(DOCS_PATH).url(SPEC_PATH, spec));
    let router = match frontend {
        // Unknown API paths stay problem+json 404s; everything else belongs to the frontend.
        Some(frontend) => router
            .route("/api", any(not_found))
            .route("/api/{*rest}", any(not_found))
            .fallback_service(frontend),
        None => router.fallback(not_found),
    };
    // Unknown model API paths answer in the OpenAI shape, as the known ones do.
    let openai_not_found = || {
        any(not_found).layer(axum::middleware::from_fn_with_state(
            ErrorShape::OpenAi,
            reshape_errors,
        ))
    };
    let router = router
        .route(v1::PREFIX, openai_not_found())
        .route(&format!("{}/{{*rest}}", v1::PREFIX), openai_not_found());
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.metrics.clone(),
        crate::metrics::record_http,
    ));
    with_middleware(router.with_state(state), settings)
}

/// Wraps a router in the layers every request goes through (outermost first).
pub(crate) fn with_middleware(router: Router, settings: &ServerSettings) -> Router {
    let middleware = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(sanitize_request_id))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Expected failures (a hub that is offline, a slow request) are not errors of
                // the server; real ones are logged where they are built (`ApiError::Internal`).
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(settings.allowed_hosts.clone()),
            check_host,
        ))
        .layer(axum::middleware::from_fn(protective_headers))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(problem_for_bare_errors))
        .option_layer(cors_layer(settings))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(settings.request_timeout_secs),
            management_timeout,
        ))
        .layer(Extension(BodyLimit(settings.body_limit_bytes)))
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes))
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes));
    router.layer(middleware)
}

/// CORS stays off (same origin only) unless origins are allowed explicitly.
fn cors_layer(settings: &ServerSettings) -> Option<CorsLayer> {
    if settings.cors_allowed_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = settings
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(&origin.ascii_serialization()).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(Duration::from_secs(600)),
    )
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}
