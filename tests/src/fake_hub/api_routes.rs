//! The hub API: `GET /api/models` (search), model info, and the file tree of a revision.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Shared;
use super::repo::Repo;
use super::routes::{Hub, find, hub_error, query_pairs, truthy};

/// `GET /api/models`: search (substring of the id, any case), author, filter (tags, repeatable),
/// library, sort (`downloads` — the default —, `likes`, `lastModified`, `createdAt`, `id`),
/// direction (-1 default, 1 ascending), limit (default 50, at most 1000), full / config / expand.
pub(super) async fn list_models(State(shared): Hub, RawQuery(query): RawQuery) -> Response {
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

pub(super) async fn model_info(
    State(shared): Hub,
    Path((org, name)): Path<(String, String)>,
) -> Response {
    info(&shared, &org, &name, "main")
}

pub(super) async fn model_info_at(
    State(shared): Hub,
    Path((org, name, revision)): Path<(String, String, String)>,
) -> Response {
    info(&shared, &org, &name, &revision)
}

fn info(shared: &Shared, org: &str, name: &str, revision: &str) -> Response {
    match find(shared, org, name, revision) {
        Ok((repo_id, commit, _)) => {
            let repos = shared.repos.lock().unwrap();
            let mut info = repos[&repo_id].info_json(&commit);
            if let Some(sha) = shared.faults.sha_for(&repo_id) {
                info["sha"] = Value::String(sha);
            }
            axum::Json(info).into_response()
        }
        Err(not_found) => not_found.into_response(),
    }
}

pub(super) async fn tree(
    State(shared): Hub,
    Path((org, name, revision)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    list_tree(&shared, &org, &name, &revision, "", query.as_deref())
}

pub(super) async fn tree_under(
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

/// `GET /api/whoami-v2`: the account of the bearer token — `test-user` for the token set with
/// [`super::Faults::set_token`], 401 for any other (or none).
pub(super) async fn whoami(State(shared): Hub, headers: axum::http::HeaderMap) -> Response {
    let sent = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (shared.faults.token(), sent) {
        (Some(token), Some(sent)) if token == sent => {
            axum::Json(serde_json::json!({"type": "user", "name": "test-user"})).into_response()
        }
        _ => super::routes::hub_error(
            StatusCode::UNAUTHORIZED,
            None,
            "Invalid credentials in Authorization header",
        ),
    }
}
