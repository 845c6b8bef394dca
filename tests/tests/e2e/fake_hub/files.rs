//! The fake Hugging Face hub serves file content as `shared/notes/hf-hub.md` describes it: regular
//! files directly, LFS files by a redirect to its CDN, `Range` requests, revisions and gated repos.

use mlx_manager_tests::fake_hub::probe::{
    TINY_QWEN3 as REPO, cdn_location, client, fixture_file, get_json, git_blob_sha1, header,
    hub_with_tiny_qwen3, resolve_url, sha256_hex,
};
use mlx_manager_tests::fake_hub::{FakeHub, ModelCard, fixture};
use serde_json::Value;

#[tokio::test]
async fn lfs_files_redirect_to_another_host_with_their_sha256() {
    let (hub, commit) = hub_with_tiny_qwen3().await;
    let content = fixture_file("model.safetensors");
    let sha256 = sha256_hex(&content);
    for request in [
        client().head(resolve_url(&hub, "main", "model.safetensors")),
        client().get(resolve_url(&hub, "main", "model.safetensors")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 302);
        let headers = response.headers();
        assert_eq!(header(headers, "x-linked-etag"), format!("\"{sha256}\""));
        assert_eq!(header(headers, "etag"), format!("\"{sha256}\""));
        assert_eq!(header(headers, "x-linked-size"), content.len().to_string());
        assert_eq!(header(headers, "x-repo-commit"), commit);
        let location = url::Url::parse(header(headers, "location")).unwrap();
        let hub_url = url::Url::parse(&hub.url()).unwrap();
        assert_ne!(location.port(), hub_url.port(), "the CDN is another host");
        assert!(location.path().ends_with(&sha256), "{location}");
    }
    assert_eq!(hub.file_requests(), 0, "302s are not content");

    let location = cdn_location(&hub, "model.safetensors").await;
    let response = client().get(&location).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), format!("\"{sha256}\""));
    assert_eq!(header(response.headers(), "accept-ranges"), "bytes");
    assert_eq!(
        header(response.headers(), "content-length"),
        content.len().to_string()
    );
    assert_eq!(response.bytes().await.unwrap(), content);
    assert_eq!(hub.file_requests(), 1);
    assert_eq!(hub.bytes_served(), content.len() as u64);
    assert_eq!(
        hub.bytes_served_for(REPO, "model.safetensors"),
        content.len() as u64
    );

    // A client that follows redirects (without the hub's credentials) gets the bytes too.
    let followed = reqwest::get(resolve_url(&hub, &commit, "model.safetensors"))
        .await
        .unwrap();
    assert_eq!(followed.bytes().await.unwrap(), content);
}

#[tokio::test]
async fn regular_files_are_served_directly_with_their_git_blob_sha1() {
    let (hub, commit) = hub_with_tiny_qwen3().await;
    let content = fixture_file("config.json");
    let etag = format!("\"{}\"", git_blob_sha1(&content));

    let head = client()
        .head(resolve_url(&hub, "main", "config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(head.headers(), "etag"), etag);
    assert_eq!(header(head.headers(), "x-repo-commit"), commit);
    assert_eq!(
        header(head.headers(), "content-length"),
        content.len().to_string()
    );
    assert_eq!(hub.file_requests(), 0, "HEAD sends no content");

    let get = client()
        .get(resolve_url(&hub, &commit, "config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(header(get.headers(), "etag"), etag);
    assert_eq!(header(get.headers(), "accept-ranges"), "bytes");
    assert_eq!(get.bytes().await.unwrap(), content);
    assert_eq!(hub.file_requests(), 1);
    assert_eq!(
        hub.bytes_served_for(REPO, "config.json"),
        content.len() as u64
    );
}

#[tokio::test]
async fn range_requests_get_206_with_exactly_the_requested_bytes() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let len = model.len();
    let cdn = cdn_location(&hub, "model.safetensors").await;
    let tokenizer = fixture_file("tokenizer.json");
    let hub_file = resolve_url(&hub, "main", "tokenizer.json");
    for (url, content) in [(cdn.as_str(), &model), (hub_file.as_str(), &tokenizer)] {
        let len = content.len();
        let cases = [
            ("bytes=1000-".to_owned(), 1000, len - 1),
            ("bytes=10-19".to_owned(), 10, 19),
            (format!("bytes=0-{}", len + 100), 0, len - 1),
            ("bytes=-5".to_owned(), len - 5, len - 1),
        ];
        for (range, first, last) in cases {
            let response = client()
                .get(url)
                .header("range", &range)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 206, "{range}");
            assert_eq!(
                header(response.headers(), "content-range"),
                format!("bytes {first}-{last}/{len}")
            );
            assert_eq!(
                header(response.headers(), "content-length"),
                (last - first + 1).to_string()
            );
            assert_eq!(response.bytes().await.unwrap(), content[first..=last]);
        }
        let response = client()
            .get(url)
            .header("range", format!("bytes={len}-"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 416);
        assert_eq!(
            header(response.headers(), "content-range"),
            format!("bytes */{len}")
        );
    }
    assert_eq!(
        hub.bytes_served_for(REPO, "model.safetensors"),
        (len - 1000 + 10 + len + 5) as u64
    );
}

#[tokio::test]
async fn republishing_moves_main_to_a_new_commit_and_keeps_the_old_one() {
    let hub = FakeHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{\"v\": 1}").unwrap();
    let first = hub.publish("org/model", dir.path(), ModelCard::default());
    std::fs::write(dir.path().join("config.json"), "{\"v\": 2}").unwrap();
    let second = hub.publish("org/model", dir.path(), ModelCard::default());
    assert_ne!(first, second);
    assert_eq!(first.len(), 40);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()));

    let get = |revision: String| {
        let url = format!("{}/org/model/resolve/{revision}/config.json", hub.url());
        async move {
            let response = reqwest::get(url).await.unwrap();
            let commit = header(response.headers(), "x-repo-commit").to_owned();
            (commit, response.text().await.unwrap())
        }
    };
    assert_eq!(
        get("main".into()).await,
        (second.clone(), "{\"v\": 2}".into())
    );
    assert_eq!(
        get(first.clone()).await,
        (first.clone(), "{\"v\": 1}".into())
    );
    assert_eq!(get(second.clone()).await, (second, "{\"v\": 2}".into()));

    let other = FakeHub::start().await;
    let again = other.publish("org/model", dir.path(), ModelCard::default());
    assert_eq!(again, first, "commit shas are deterministic");
}

#[tokio::test]
async fn gated_repos_need_the_token_and_the_cdn_records_authorization_headers() {
    let hub = FakeHub::start().await;
    let card = ModelCard {
        gated: true,
        ..ModelCard::default()
    };
    hub.publish("org/gated", &fixture("tiny-qwen3"), card);
    let url = format!("{}/org/gated/resolve/main/model.safetensors", hub.url());
    assert_eq!(
        client().head(&url).send().await.unwrap().status(),
        302,
        "no token set: open"
    );

    hub.faults().set_token(Some("hf_secret".into()));
    for token in [None, Some("Bearer hf_wrong")] {
        let mut request = client().head(&url);
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(header(response.headers(), "x-error-code"), "GatedRepo");
    }
    let response = client()
        .head(&url)
        .bearer_auth("hf_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let info: Value = get_json(format!("{}/api/models/org/gated", hub.url())).await;
    assert_eq!(info["gated"], "auto", "model info stays public");

    let location = header(response.headers(), "location").to_owned();
    client().get(&location).send().await.unwrap();
    assert!(!hub.faults().cdn_saw_authorization());
    client()
        .get(&location)
        .bearer_auth("hf_secret")
        .send()
        .await
        .unwrap();
    assert!(hub.faults().cdn_saw_authorization());
}
