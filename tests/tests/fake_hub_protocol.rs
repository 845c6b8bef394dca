//! The fake Hugging Face hub speaks the hub protocol as `shared/notes/hf-hub.md` describes it, and
//! its faults do what they say.

use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard, fixture};
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;

const REPO: &str = "mlx-community/tiny-qwen3";

async fn hub_with_tiny_qwen3() -> (FakeHub, String) {
    let hub = FakeHub::start().await;
    let card = ModelCard {
        downloads: 10,
        likes: 2,
        ..ModelCard::default()
    };
    let commit = hub.publish(REPO, &fixture("tiny-qwen3"), card);
    (hub, commit)
}

/// A client that does not follow redirects, to see the hub's 302s.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn fixture_file(path: &str) -> Vec<u8> {
    std::fs::read(fixture("tiny-qwen3").join(path)).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn git_blob_sha1(bytes: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex::encode(hasher.finalize())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .unwrap()
}

fn resolve_url(hub: &FakeHub, revision: &str, path: &str) -> String {
    format!("{}/{REPO}/resolve/{revision}/{path}", hub.url())
}

/// The CDN location the hub redirects an LFS file to.
async fn cdn_location(hub: &FakeHub, path: &str) -> String {
    let response = client()
        .head(resolve_url(hub, "main", path))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    header(response.headers(), "location").to_owned()
}

/// Reads a body until it ends or fails; returns the bytes and whether it failed.
async fn read_body(mut response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return (body, false),
            Err(_) => return (body, true),
        }
    }
}

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
async fn cut_after_bytes_truncates_the_next_bodies_then_serves_normally() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().cut_after_bytes(100_000, 2);
    for _ in 0..2 {
        let response = client().get(&cdn).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let (body, failed) = read_body(response).await;
        assert!(failed, "a cut body is an error, not a clean end");
        assert_eq!(body.len(), 100_000);
        assert_eq!(body, model[..100_000]);
    }
    let response = client().get(&cdn).send().await.unwrap();
    let (body, failed) = read_body(response).await;
    assert!(!failed);
    assert_eq!(body, model);

    // Resuming after a cut with Range gives the rest.
    hub.faults().cut_after_bytes(1234, 1);
    let (head, _) = read_body(client().get(&cdn).send().await.unwrap()).await;
    let rest = client()
        .get(&cdn)
        .header("range", format!("bytes={}-", head.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    assert_eq!([head, rest.bytes().await.unwrap().to_vec()].concat(), model);
}

#[tokio::test]
async fn fail_status_answers_n_failures_of_any_kind_then_succeeds() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().fail_status(503, 3);
    let urls = [
        format!("{}/api/models/{REPO}", hub.url()),
        resolve_url(&hub, "main", "config.json"),
        cdn.clone(),
    ];
    for url in &urls {
        let response = client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 503, "{url}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    for url in &urls {
        assert_eq!(
            client().get(url).send().await.unwrap().status(),
            200,
            "{url}"
        );
    }
    hub.faults().fail_status(500, 1);
    assert_eq!(client().head(&cdn).send().await.unwrap().status(), 500);
    assert_eq!(client().head(&cdn).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn corrupt_flips_one_byte_while_the_metadata_keeps_the_right_checksum() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let sha256 = sha256_hex(&model);
    hub.faults().corrupt(REPO, "model.safetensors");
    let head = client()
        .head(resolve_url(&hub, "main", "model.safetensors"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(head.headers(), "x-linked-etag"),
        format!("\"{sha256}\"")
    );
    let served = reqwest::get(resolve_url(&hub, "main", "model.safetensors"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(served.len(), model.len());
    let differing: Vec<usize> = (0..model.len())
        .filter(|&i| served[i] != model[i])
        .collect();
    assert_eq!(differing, [model.len() / 2]);
    assert_ne!(sha256_hex(&served), sha256);

    hub.faults().reset();
    let served = reqwest::get(resolve_url(&hub, "main", "model.safetensors"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(served, model);
}

#[tokio::test]
async fn stall_pauses_the_body_then_sends_the_rest() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().stall(50_000, Duration::from_millis(800), 1);
    let mut response = client().get(&cdn).send().await.unwrap();
    let mut body = Vec::new();
    while body.len() < 50_000 {
        body.extend_from_slice(&response.chunk().await.unwrap().unwrap());
    }
    assert_eq!(body.len(), 50_000, "the stall starts exactly there");
    let started = Instant::now();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    assert!(started.elapsed() >= Duration::from_millis(750));
    assert_eq!(body, model);

    let started = Instant::now();
    let again = client()
        .get(&cdn)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(again, model);
    assert!(started.elapsed() < Duration::from_millis(600), "only once");
}

#[tokio::test]
async fn rate_limit_throttles_bodies_until_lifted() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().rate_limit(Some(1_000_000));
    let started = Instant::now();
    let body = client()
        .get(&cdn)
        .header("range", "bytes=0-299999")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(body.len(), 300_000);
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(1000),
        "300 kB at 1 MB/s took {elapsed:?}"
    );
    hub.faults().rate_limit(None);
    let started = Instant::now();
    client()
        .get(&cdn)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1000),
        "1.7 MB took {elapsed:?}: at 1 MB/s it would take 1.7 s"
    );
}

#[tokio::test]
async fn model_info_tree_and_errors_describe_the_published_files() {
    let (hub, commit) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let info: Value = reqwest::get(format!("{}/api/models/{REPO}", hub.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["id"], REPO);
    assert_eq!(info["author"], "mlx-community");
    assert_eq!(info["sha"], commit.as_str());
    assert_eq!(info["library_name"], "mlx");
    assert_eq!(info["downloads"], 10);
    assert_eq!(info["likes"], 2);
    assert_eq!(info["gated"], false);
    assert_eq!(info["lastModified"], "2026-11-20T10:00:00.000Z");
    assert!(info["tags"].as_array().unwrap().contains(&"mlx".into()));
    let config: Value = serde_json::from_slice(&fixture_file("config.json")).unwrap();
    assert_eq!(info["config"], config);
    let siblings = info["siblings"].as_array().unwrap();
    let names: Vec<&str> = siblings
        .iter()
        .map(|s| s["rfilename"].as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = std::fs::read_dir(fixture("tiny-qwen3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let safetensors = siblings
        .iter()
        .find(|s| s["rfilename"] == "model.safetensors")
        .unwrap();
    assert_eq!(safetensors["lfs"]["sha256"], sha256_hex(&model));
    assert_eq!(safetensors["size"], model.len());
    let total = info["usedStorage"].as_u64().unwrap();
    assert!(total > model.len() as u64);
    assert!(info["safetensors"]["total"].as_u64().unwrap() > 0);

    let at_commit: Value =
        reqwest::get(format!("{}/api/models/{REPO}/revision/{commit}", hub.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(at_commit["sha"], commit.as_str());

    let tree: Value = reqwest::get(format!(
        "{}/api/models/{REPO}/tree/main?recursive=true&expand=false",
        hub.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let entry = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "model.safetensors")
        .unwrap();
    assert_eq!(entry["type"], "file");
    assert_eq!(entry["lfs"]["oid"], sha256_hex(&model));
    let config_entry = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "config.json")
        .unwrap();
    assert_eq!(entry["size"], model.len());
    assert_eq!(
        config_entry["oid"],
        git_blob_sha1(&fixture_file("config.json"))
    );
    assert!(config_entry.get("lfs").is_none());

    let errors = [
        (
            format!("{}/api/models/nobody/nothing", hub.url()),
            "RepoNotFound",
        ),
        (
            format!(
                "{}/api/models/{REPO}/revision/{}",
                hub.url(),
                "0".repeat(40)
            ),
            "RevisionNotFound",
        ),
        (
            format!("{}/nobody/nothing/resolve/main/config.json", hub.url()),
            "RepoNotFound",
        ),
        (resolve_url(&hub, "main", "missing.json"), "EntryNotFound"),
        (resolve_url(&hub, "nope", "config.json"), "RevisionNotFound"),
        (
            format!("{}/api/models/{REPO}/tree/main/missing", hub.url()),
            "EntryNotFound",
        ),
    ];
    for (url, code) in errors {
        let response = client().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        assert_eq!(header(response.headers(), "x-error-code"), code, "{url}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn subfolders_and_big_files_are_listed_and_big_files_go_through_lfs() {
    let hub = FakeHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
    std::fs::write(dir.path().join("top.txt"), "top").unwrap();
    std::fs::write(dir.path().join("sub/deeper/small.txt"), "small").unwrap();
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("sub/big.txt"), &big).unwrap();
    hub.publish("org/nested", dir.path(), ModelCard::default());

    let list = |path: &'static str| {
        let url = format!("{}/api/models/org/nested/tree/main{path}", hub.url());
        async move {
            let tree: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            tree.as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["type"].as_str().unwrap(),
                        e["path"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("?recursive=true").await,
        [
            "directory sub",
            "file sub/big.txt",
            "directory sub/deeper",
            "file sub/deeper/small.txt",
            "file top.txt"
        ]
    );
    assert_eq!(list("").await, ["directory sub", "file top.txt"]);
    assert_eq!(
        list("/sub").await,
        ["file sub/big.txt", "directory sub/deeper"]
    );

    let response = client()
        .get(format!("{}/org/nested/resolve/main/sub/big.txt", hub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        302,
        "files of 1 MiB or more are LFS files"
    );
    assert_eq!(
        header(response.headers(), "x-linked-etag"),
        format!("\"{}\"", sha256_hex(&big))
    );
    let small = reqwest::get(format!(
        "{}/org/nested/resolve/main/sub/deeper/small.txt",
        hub.url()
    ))
    .await
    .unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(small.text().await.unwrap(), "small");
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
async fn listing_searches_filters_and_sorts() {
    let hub = FakeHub::start().await;
    let dir = fixture("tiny-llama-4bit");
    let card = |downloads, likes, tags: &[&str]| ModelCard {
        downloads,
        likes,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        gated: false,
    };
    hub.publish(
        "mlx-community/Tiny-Llama-4bit",
        &dir,
        card(5, 30, &["4-bit"]),
    );
    hub.publish("mlx-community/tiny-qwen3", &dir, card(50, 1, &[]));
    hub.publish("someone/llama-fork", &dir, card(1, 3, &[]));

    let ids = |query: &'static str| {
        let url = format!("{}/api/models?{query}", hub.url());
        async move {
            let models: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            models
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids("search=LLAMA&filter=mlx").await,
        ["mlx-community/Tiny-Llama-4bit", "someone/llama-fork"]
    );
    assert_eq!(ids("filter=4-bit").await, ["mlx-community/Tiny-Llama-4bit"]);
    assert_eq!(ids("filter=gguf").await, Vec::<String>::new());
    assert_eq!(
        ids("author=mlx-community&sort=downloads&direction=-1").await,
        ["mlx-community/tiny-qwen3", "mlx-community/Tiny-Llama-4bit"]
    );
    assert_eq!(
        ids("sort=likes&limit=2").await,
        ["mlx-community/Tiny-Llama-4bit", "someone/llama-fork"]
    );
    assert_eq!(
        ids("sort=lastModified&library=mlx").await,
        [
            "someone/llama-fork",
            "mlx-community/tiny-qwen3",
            "mlx-community/Tiny-Llama-4bit"
        ]
    );
    let full: Value = reqwest::get(format!("{}/api/models?search=fork&full=true", hub.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let model = &full[0];
    assert_eq!(model["pipeline_tag"], "text-generation");
    assert_eq!(model["lastModified"], "2026-11-20T10:02:00.000Z");
    assert!(model["siblings"].as_array().unwrap().len() > 3);
    assert!(model["usedStorage"].as_u64().unwrap() > 0);
    assert!(
        !model["safetensors"]["parameters"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    let brief: Value = reqwest::get(format!("{}/api/models?search=fork", hub.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(brief[0].get("siblings").is_none());
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
    let info: Value = reqwest::get(format!("{}/api/models/org/gated", hub.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

#[tokio::test]
async fn stop_refuses_connections_on_both_listeners() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.stop().await;
    assert!(
        client()
            .get(format!("{}/api/models", hub.url()))
            .send()
            .await
            .is_err()
    );
    assert!(client().get(&cdn).send().await.is_err());
    hub.stop().await;
}

#[tokio::test]
async fn the_request_log_names_every_request() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    client()
        .get(format!("{}/api/models?search=qwen", hub.url()))
        .send()
        .await
        .unwrap();
    let cdn = cdn_location(&hub, "model.safetensors").await;
    client().head(&cdn).send().await.unwrap();
    let log = hub.requests();
    assert_eq!(log[0], "hub GET /api/models?search=qwen -> 200");
    assert_eq!(
        log[1],
        format!("hub HEAD /{REPO}/resolve/main/model.safetensors -> 302")
    );
    assert!(
        log[2].starts_with("cdn HEAD /repos/") && log[2].ends_with("-> 200"),
        "{log:?}"
    );
}
