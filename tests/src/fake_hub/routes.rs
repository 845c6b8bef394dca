//! The HTTP endpoints of the fake hub and of its CDN (handlers in `api_routes` and `file_routes`),
//! the request log, and the hub's error answers.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::Shared;
use super::api_routes::{list_models, model_info, model_info_at, tree, tree_under, whoami};
use super::file_routes::{cdn_blob, resolve};
use super::repo::Commit;

pub(super) type Hub = State<Arc<Shared>>;

pub(super) fn hub_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/models", get(list_models))
        .route("/api/whoami-v2", get(whoami))
        .route("/api/models/{org}/{name}", get(model_info))
        .route(
            "/api/models/{org}/{name}/revision/{revision}",
            get(model_info_at),
        )
        .route("/api/models/{org}/{name}/tree/{revision}", get(tree))
        .route(
            "/api/models/{org}/{name}/tree/{revision}/{*path}",
            get(tree_under),
        )
        .route(
            "/{org}/{name}/resolve/{revision}/{*path}",
            get(resolve).head(resolve),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), hub_layer))
        .with_state(shared)
}

pub(super) fn cdn_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/repos/{org}/{name}/{sha256}", get(cdn_blob).head(cdn_blob))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), cdn_layer))
        .with_state(shared)
}

/// Logs every request and answers the pending `fail_status` faults.
async fn hub_layer(State(shared): Hub, request: Request, next: Next) -> Response {
    logged("hub", &shared, request, next).await
}

async fn cdn_layer(State(shared): Hub, request: Request, next: Next) -> Response {
    if request.headers().contains_key(header::AUTHORIZATION) {
        shared.faults.note_cdn_authorization();
    }
    logged("cdn", &shared, request, next).await
}

async fn logged(listener: &str, shared: &Shared, request: Request, next: Next) -> Response {
    let line = format!("{listener} {} {}", request.method(), request.uri());
    let response = match shared.faults.take_fail_status() {
        Some(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = format!("fake hub: injected {status}");
            (status, axum::Json(json!({"error": message}))).into_response()
        }
        None => next.run(request).await,
    };
    shared
        .log
        .lock()
        .unwrap()
        .push(format!("{line} -> {}", response.status().as_u16()));
    response
}

pub(super) fn hub_error(status: StatusCode, code: Option<&'static str>, message: &str) -> Response {
    let mut response = (status, axum::Json(json!({"error": message}))).into_response();
    if let Some(code) = code {
        response
            .headers_mut()
            .insert("x-error-code", HeaderValue::from_static(code));
    }
    response
}

async fn not_found() -> Response {
    hub_error(StatusCode::NOT_FOUND, None, "Not Found")
}

pub(super) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn truthy(value: &str) -> bool {
    matches!(value, "true" | "1" | "True")
}

/// A 404 of the hub: `X-Error-Code` and message.
pub(super) struct NotFound(&'static str, String);

impl IntoResponse for NotFound {
    fn into_response(self) -> Response {
        hub_error(StatusCode::NOT_FOUND, Some(self.0), &self.1)
    }
}

/// The repo id, the commit `revision` names, and whether the repo is gated.
pub(super) fn find(
    shared: &Shared,
    org: &str,
    name: &str,
    revision: &str,
) -> Result<(String, Arc<Commit>, bool), NotFound> {
    let repo_id = format!("{org}/{name}");
    let repos = shared.repos.lock().unwrap();
    let Some(repo) = repos.get(&repo_id) else {
        return Err(NotFound("RepoNotFound", "Repository not found".into()));
    };
    let Some(commit) = repo.revision(revision) else {
        return Err(NotFound(
            "RevisionNotFound",
            format!("Invalid rev id: {revision}"),
        ));
    };
    Ok((repo_id, commit, repo.card.gated))
}
