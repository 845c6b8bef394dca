//! File content: `resolve` on the hub (regular files, or a 302 to the CDN for LFS files) and the
//! CDN's blobs, with HEAD, `Range` and the injected content faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::body::{RangeRequest, content_body, parse_range};
use super::repo::HubFile;
use super::routes::{Hub, find, hub_error, query_pairs};

/// `HEAD`/`GET /{org}/{name}/resolve/{rev}/{path}`: regular files directly, LFS files by a 302 to
/// the CDN carrying the metadata.
pub(super) async fn resolve(
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
pub(super) async fn cdn_blob(
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
