//! The embedded web UI: static files from the SvelteKit build, with the SPA fallback (any other
//! path gets `index.html`, so deep links work) and caching that fits hashed assets.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "$MLX_MANAGER_UI_DIR"]
struct Assets;

/// Hashed build output: its name changes whenever its content does.
const IMMUTABLE_PREFIX: &str = "_app/immutable/";

pub fn router() -> Router {
    Router::new().fallback(serve)
}

async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(file) => respond(path, file, &headers),
        // A missing build file is a 404; any other path is a page of the app.
        None if path.starts_with("_app/") => StatusCode::NOT_FOUND.into_response(),
        None => match Assets::get("index.html") {
            Some(index) => respond("index.html", index, &headers),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

fn respond(path: &str, file: rust_embed::EmbeddedFile, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex_prefix(&file.metadata.sha256_hash()));
    let cache = if path.starts_with(IMMUTABLE_PREFIX) {
        "public, max-age=31536000, immutable"
    } else {
        // index.html and friends: always revalidate, so a new release is picked up at once.
        "no-cache"
    };
    let not_modified = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "no-referrer");
    if not_modified {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder.body(Body::empty()).expect("valid response");
    }
    let mime = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    builder
        .header(header::CONTENT_TYPE, mime)
        .body(Body::from(file.data.into_owned()))
        .expect("valid response")
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}
