//! The embedded web UI: static files from the SvelteKit build, with the SPA fallback (any other
//! path gets `index.html`, so deep links work) and caching that fits hashed assets.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

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

/// The page may run its own files and the inline start-up scripts of the build (by hash),
/// nothing else: the UI keeps its token in `localStorage`, so injected script must be
/// impossible by policy, not only by care. Inline styles stay allowed (Svelte sets them).
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let mut hashes = String::new();
    for name in Assets::iter().filter(|name| name.ends_with(".html")) {
        if let Some(page) = Assets::get(&name) {
            for script in inline_scripts(&String::from_utf8_lossy(&page.data)) {
                let digest = Sha256::digest(script.as_bytes());
                let hash = format!(" 'sha256-{}'", BASE64.encode(digest));
                if !hashes.contains(&hash) {
                    hashes.push_str(&hash);
                }
            }
        }
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("a CSP is a valid header value")
});

/// The bodies of `<script>` elements without a `src`, exactly as the browser hashes them.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body_and_more = &after[open_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            scripts.push(&body_and_more[..close]);
        }
        rest = &body_and_more[close..];
    }
    scripts
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
    if file.metadata.mimetype().starts_with("text/html") {
        builder = builder.header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY.clone(),
        );
    }
    builder
        .header(header::CONTENT_TYPE, mime)
        .body(Body::from(file.data.into_owned()))
        .expect("valid response")
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = "<head><script src=\"/a.js\"></script></head>\
                    <body><script>\n  start();\n</script><script type=\"module\">x()</script></body>";
        assert_eq!(inline_scripts(html), ["\n  start();\n", "x()"]);
    }

    #[test]
    fn the_policy_allows_the_build_s_own_inline_scripts_only() {
        let policy = CONTENT_SECURITY_POLICY.to_str().unwrap();
        let scripts = policy
            .split(';')
            .map(str::trim)
            .find(|directive| directive.starts_with("script-src"))
            .expect("a script-src directive");
        assert!(scripts.starts_with("script-src 'self'"), "{policy}");
        assert!(!scripts.contains("unsafe"), "{scripts}");
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
