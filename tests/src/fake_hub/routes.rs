//! The HTTP endpoints of the fake hub and of its CDN.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::Shared;
use super::body::{RangeRequest, content_body, parse_range};
use super::repo::{Commit, HubFile, Repo};

type Hub = State<Arc<Shared>>;

pub(super) fn hub_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/models", get(list_models))
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

fn hub_error(status: StatusCode, code: Option<&'static str>, message: &str) -> Response {
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

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn truthy(value: &str) -> bool {
    matches!(value, "true" | "1" | "True")
}

/// `GET /api/models`: search (substring of the id, any case), author, filter (tags, repeatable),
/// library, sort (`downloads` — the default —, `likes`, `lastModified`, `createdAt`, `id`),
/// direction (-1 default, 1 ascending), limit (default 50, at most 1000), full / config / expand.
async fn list_models(State(shared): Hub, RawQuery(query): RawQuery) -> Response {
    let params = query_pairs(query.as_deref());
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let search = param("search").map(str::to_lowercase);
    let author = param("author").map(str::to_lowercase);
    let filters: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "filter")
        .flat_map(|(_, v)| v.split(','))
        .filter(|v| !v.is_empty())
        .collect();
    let library = param("library");
    let full = param("full").is_some_and(truthy)
        || params.iter().any(|(k, _)| k == "expand" || k == "expand[]");
    // `expand[]=config` asks for the config as the real hub does; `config=true` is the old way.
    let config = param("config").is_some_and(truthy)
        || params
            .iter()
            .any(|(k, v)| (k == "expand" || k == "expand[]") && v == "config");
    let limit = param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .min(1000);
    let ascending = param("direction").is_some_and(|d| d == "1");

    let repos = shared.repos.lock().unwrap();
    let mut found: Vec<&Repo> = repos
        .values()
        .filter(|repo| {
            let tags = repo.tags();
            let has = |value: &str| tags.iter().any(|t| t == value) || value == "text-generation";
            search
                .as_ref()
                .is_none_or(|s| repo.id.to_lowercase().contains(s))
                && author
                    .as_ref()
                    .is_none_or(|a| repo.author().to_lowercase() == *a)
                && filters.iter().all(|f| has(f))
                && library.is_none_or(|l| l == "mlx")
        })
        .collect();
    let key = |repo: &Repo| -> (u64, String) {
        match param("sort").unwrap_or("downloads") {
            "likes" => (repo.card.likes, String::new()),
            "lastModified" | "last_modified" => (repo.last_modified(), String::new()),
            "createdAt" | "created_at" => (repo.created_at(), String::new()),
            "id" => (0, repo.id.clone()),
            _ => (repo.card.downloads, String::new()),
        }
    };
    found.sort_by(|a, b| {
        let order = key(a).cmp(&key(b));
        let order = if ascending { order } else { order.reverse() };
        order.then_with(|| a.id.cmp(&b.id))
    });
    let models: Vec<Value> = found
        .into_iter()
        .take(limit)
        .map(|repo| repo.summary_json(full, config))
        .collect();
    axum::Json(models).into_response()
}

/// A 404 of the hub: `X-Error-Code` and message.
struct NotFound(&'static str, String);

impl IntoResponse for NotFound {
    fn into_response(self) -> Response {
        hub_error(StatusCode::NOT_FOUND, Some(self.0), &self.1)
    }
}

/// The repo id, the commit `revision` names, and whether the repo is gated.
fn find(
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

async fn model_info(State(shared): Hub, Path((org, name)): Path<(String, String)>) -> Response {
    info(&shared, &org, &name, "main")
}

async fn model_info_at(
    State(shared): Hub,
    Path((org, name, revision)): Path<(String, String, String)>,
) -> Response {
    info(&shared, &org, &name, &revision)
}

fn info(shared: &Shared, org: &str, name: &str, revision: &str) -> Response {
    match find(shared, org, name, revision) {
        Ok((repo_id, commit, _)) => {
            let repos = shared.repos.lock().unwrap();
            axum::Json(repos[&repo_id].info_json(&commit)).into_response()
        }
        Err(not_found) => not_found.into_response(),
    }
}

async fn tree(
    State(shared): Hub,
    Path((org, name, revision)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    list_tree(&shared, &org, &name, &revision, "", query.as_deref())
}

async fn tree_under(
    State(shared): Hub,
    Path((org, name, revision, path)): Path<(String, String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    list_tree(&shared, &org, &name, &revision, &path, query.as_deref())
}

/// `GET /api/models/{repo}/tree/{rev}[/{path}]`; no pagination (no `Link` header).
fn list_tree(
    shared: &Shared,
    org: &str,
    name: &str,
    revision: &str,
    path: &str,
    query: Option<&str>,
) -> Response {
    let (_, commit, _) = match find(shared, org, name, revision) {
        Ok(found) => found,
        Err(not_found) => return not_found.into_response(),
    };
    let recursive = query_pairs(query)
        .iter()
        .any(|(k, v)| k == "recursive" && truthy(v));
    match commit.tree_json(path, recursive) {
        Some(entries) => axum::Json(entries).into_response(),
        None => hub_error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            &format!("{path} does not exist on \"{revision}\""),
        ),
    }
}

/// `HEAD`/`GET /{org}/{name}/resolve/{rev}/{path}`: regular files directly, LFS files by a 302 to
/// the CDN carrying the metadata.
async fn resolve(
    State(shared): Hub,
    method: Method,
    Path((org, name, revision, path)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (repo_id, commit, gated) = match find(&shared, &org, &name, &revision) {
        Ok(found) => found,
        Err(not_found) => return not_found.into_response(),
    };
    if gated && let Some(token) = shared.faults.token() {
        let expected = format!("Bearer {token}");
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if sent != Some(expected.as_str()) {
            return hub_error(
                StatusCode::UNAUTHORIZED,
                Some("GatedRepo"),
                &format!(
                    "Access to model {repo_id} is restricted. You must have access to it and be authenticated to access it. Please log in."
                ),
            );
        }
    }
    let Some(file) = commit.files.get(&path) else {
        return hub_error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            &format!("{path} does not exist on \"{revision}\""),
        );
    };
    let commit_header = [(HeaderName::from_static("x-repo-commit"), commit.sha.clone())];
    match &file.lfs {
        Some(lfs) => {
            let location = format!(
                "{}/repos/{repo_id}/{}?path={}",
                shared.cdn_url,
                lfs.sha256,
                url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            );
            let etag = format!("\"{}\"", lfs.sha256);
            let headers = [
                (header::LOCATION, location),
                (HeaderName::from_static("x-linked-etag"), etag.clone()),
                (
                    HeaderName::from_static("x-linked-size"),
                    file.size.to_string(),
                ),
                (header::ETAG, etag),
                (HeaderName::from_static("x-repo-commit"), commit.sha.clone()),
            ];
            (StatusCode::FOUND, headers).into_response()
        }
        None => serve_content(&shared, &method, &headers, &repo_id, file, commit_header),
    }
}

/// `GET`/`HEAD /repos/{org}/{name}/{sha256}?path=…` on the CDN.
async fn cdn_blob(
    State(shared): Hub,
    method: Method,
    Path((org, name, sha256)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let repo_id = format!("{org}/{name}");
    let params = query_pairs(query.as_deref());
    let path = params
        .iter()
        .find(|(k, _)| k == "path")
        .map(|(_, v)| v.as_str());
    let file = {
        let repos = shared.repos.lock().unwrap();
        repos
            .get(&repo_id)
            .and_then(|repo| repo.lfs_file(&sha256, path))
    };
    match file {
        Some(file) => serve_content(&shared, &method, &headers, &repo_id, &file, []),
        None => hub_error(StatusCode::NOT_FOUND, None, "NoSuchKey"),
    }
}

/// Answers a request for the content of `file`: HEAD, full GET or `Range` GET.
fn serve_content<const N: usize>(
    shared: &Arc<Shared>,
    method: &Method,
    request_headers: &HeaderMap,
    repo_id: &str,
    file: &HubFile,
    extra_headers: [(HeaderName, String); N],
) -> Response {
    let len = file.size;
    let range = if *method == Method::GET {
        parse_range(request_headers.get(header::RANGE), len)
    } else {
        RangeRequest::Full
    };
    let (status, start, end) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, len),
        RangeRequest::Partial(first, last) => (StatusCode::PARTIAL_CONTENT, first, last + 1),
        RangeRequest::Unsatisfiable => {
            let mut response = hub_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                None,
                "Requested Range Not Satisfiable",
            );
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("header"),
            );
            return response;
        }
    };
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        shared.file_requests.fetch_add(1, Ordering::SeqCst);
        let plan = shared.faults.take_content_plan(repo_id, &file.path);
        content_body(shared.clone(), repo_id, file, start, end, plan)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("header value"));
    };
    set(header::CONTENT_LENGTH, (end - start).to_string());
    set(header::CONTENT_TYPE, "application/octet-stream".into());
    set(header::ETAG, format!("\"{}\"", file.etag()));
    set(header::ACCEPT_RANGES, "bytes".into());
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{len}", end - 1),
        );
    }
    for (name, value) in extra_headers {
        set(name, value);
    }
    response
}
