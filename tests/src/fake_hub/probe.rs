//! Helpers for tests that talk to a fake hub directly over HTTP, as a downloader would: a client
//! that shows the hub's redirects, header and hash helpers, and the `tiny-qwen3` fixture repo.
//! The hashes are computed here, independently of the hub, so that tests can check its answers.

use bytes::Bytes;
use reqwest::IntoUrl;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::{FakeHub, ModelCard, fixture};

/// The repo [`hub_with_tiny_qwen3`] publishes.
pub const TINY_QWEN3: &str = "mlx-community/tiny-qwen3";

/// A started hub with the `tiny-qwen3` fixture published as [`TINY_QWEN3`] (10 downloads, 2 likes),
/// and the sha of its commit.
pub async fn hub_with_tiny_qwen3() -> (FakeHub, String) {
    let hub = FakeHub::start().await;
    let card = ModelCard {
        downloads: 10,
        likes: 2,
        ..ModelCard::default()
    };
    let commit = hub.publish(TINY_QWEN3, &fixture("tiny-qwen3"), card);
    (hub, commit)
}

/// A client that does not follow redirects, to see the hub's 302s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The content of a file of the `tiny-qwen3` fixture.
pub fn fixture_file(path: &str) -> Vec<u8> {
    std::fs::read(fixture("tiny-qwen3").join(path)).unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Git's blob id: sha1 of `"blob {len}\0"` followed by the content.
pub fn git_blob_sha1(bytes: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex::encode(hasher.finalize())
}

/// The value of a header; panics if it is missing or not text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .unwrap()
}

/// `{hub}/{TINY_QWEN3}/resolve/{revision}/{path}`.
pub fn resolve_url(hub: &FakeHub, revision: &str, path: &str) -> String {
    format!("{}/{TINY_QWEN3}/resolve/{revision}/{path}", hub.url())
}

/// The CDN location the hub redirects an LFS file of [`TINY_QWEN3`] to.
pub async fn cdn_location(hub: &FakeHub, path: &str) -> String {
    let response = client()
        .head(resolve_url(hub, "main", path))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    header(response.headers(), "location").to_owned()
}

/// `GET url`, following redirects, and its body as JSON.
pub async fn get_json(url: impl IntoUrl) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// `GET url`, following redirects, and its body.
pub async fn get_bytes(url: impl IntoUrl) -> Bytes {
    reqwest::get(url).await.unwrap().bytes().await.unwrap()
}
