//! The fake Hugging Face hub's API speaks the hub protocol as `shared/notes/hf-hub.md` describes
//! it: search, model info, file trees, and the 404s with their `X-Error-Code`.

use mlx_manager_tests::fake_hub::probe::{
    TINY_QWEN3 as REPO, client, fixture_file, get_json, git_blob_sha1, header, hub_with_tiny_qwen3,
    resolve_url, sha256_hex,
};
use mlx_manager_tests::fake_hub::{FakeHub, ModelCard, fixture};
use serde_json::Value;

#[tokio::test]
async fn model_info_tree_and_errors_describe_the_published_files() {
    let (hub, commit) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let info: Value = get_json(format!("{}/api/models/{REPO}", hub.url())).await;
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
        get_json(format!("{}/api/models/{REPO}/revision/{commit}", hub.url())).await;
    assert_eq!(at_commit["sha"], commit.as_str());

    let tree: Value = get_json(format!(
        "{}/api/models/{REPO}/tree/main?recursive=true&expand=false",
        hub.url()
    ))
    .await;
    let entries = tree.as_array().unwrap();
    let find = |path: &str| entries.iter().find(|e| e["path"] == path).unwrap();
    let entry = find("model.safetensors");
    assert_eq!(entry["type"], "file");
    assert_eq!(entry["lfs"]["oid"], sha256_hex(&model));
    let config_entry = find("config.json");
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
            let tree: Value = get_json(url).await;
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
            let models: Value = get_json(url).await;
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
    let full: Value = get_json(format!("{}/api/models?search=fork&full=true", hub.url())).await;
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
    let brief: Value = get_json(format!("{}/api/models?search=fork", hub.url())).await;
    assert!(brief[0].get("siblings").is_none());
}
