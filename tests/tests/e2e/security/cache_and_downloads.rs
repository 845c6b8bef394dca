//! The shared model cache: revisions and the hub's commits never become paths outside it
//! (findings 1 and 2), only admins manage it unless they let members (finding 6), and a missing
//! download is not found even offline (finding 14).

use std::path::Path;
use std::time::Duration;

use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::PermissionRepository;
use mlx_manager_core::domain::Permissions;
use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, LONG, fixture, id_of, spawn_with_hub};
use mlx_manager_tests::{TestApp, run_cli};
use reqwest::Method;
use serde_json::{Value, json};

const REPO: &str = "mlx-test/tiny-qwen3";
const OTHER: &str = "mlx-test/tiny-llama";
const THIRD: &str = "mlx-test/tiny-qwen2";

/// A revision that, joined under `refs/`, would climb out of any cache to `target`.
fn climbing_to(target: &Path) -> String {
    format!(
        "{}{}",
        "../".repeat(24),
        target.display().to_string().trim_start_matches('/')
    )
}

/// Every entry under `dir`, recursively (paths relative to it).
fn everything_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

async fn download_with_revision(app: &TestApp, token: &str, revision: &str) -> (u16, Value) {
    app.call(
        Method::POST,
        "/api/models/download",
        token,
        Some(json!({"model_id": REPO, "revision": revision})),
    )
    .await
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str) -> (u16, Value) {
    app.call(
        Method::POST,
        &format!("/api/models/downloads/{id}/{action}"),
        token,
        None,
    )
    .await
}

async fn permissions(app: &TestApp, token: &str) -> (u16, Value) {
    app.call(Method::GET, "/api/settings/permissions", token, None)
        .await
}

async fn set_members_manage_models(app: &TestApp, token: &str, on: bool) -> (u16, Value) {
    app.call(
        Method::PUT,
        "/api/settings/permissions",
        token,
        Some(json!({"members_manage_models": on})),
    )
    .await
}

async fn delete_model(app: &TestApp, token: &str, repo: &str) -> u16 {
    app.call(Method::DELETE, &format!("/api/models/{repo}"), token, None)
        .await
        .0
}

#[tokio::test]
async fn revisions_that_would_leave_the_cache_are_refused_and_a_commit_is_accepted() {
    let hub = FakeHub::start().await;
    let commit = hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    let scratch = tempfile::tempdir().unwrap();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let climbing = climbing_to(&scratch.path().join("pwn-ref"));
    for revision in [
        "../../../../tmp/x",
        "a/../b",
        "/abs",
        "a\\b",
        "a\u{1}b",
        "ma\nin",
        "a\u{7f}",
        "x@{1}",
        "refs/heads/main.lock",
        "a//b",
        climbing.as_str(),
    ] {
        let (status, body) = download_with_revision(&app, &token, revision).await;
        assert_eq!(status, 422, "{revision:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "revision", "{body}");
    }
    assert!(
        everything_under(scratch.path()).is_empty(),
        "written outside the cache: {:?}",
        everything_under(scratch.path())
    );
    assert!(
        !home.repo_dir(REPO).exists(),
        "the cache was touched: {:?}",
        everything_under(home.path())
    );
    let (status, list) = app
        .call(Method::GET, "/api/models/downloads", &token, None)
        .await;
    assert_eq!((status, list), (200, json!([])));
    let (status, pulled) = mlx_pull(&home, &hub, &["--revision", "a/../../b"]);
    assert!(!status, "pull accepted a traversal revision");
    assert!(pulled.contains("revision"), "{pulled}");

    // A full commit sha is a revision too.
    let (status, started) = download_with_revision(&app, &token, &commit).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["revision"], commit.as_str());
    let done = app
        .wait_status(&token, id_of(&started), "completed", LONG)
        .await;
    assert_eq!(done["commit"], commit.as_str());
    assert!(
        home.repo_dir(REPO)
            .join("snapshots")
            .join(&commit)
            .join("config.json")
            .exists()
    );
}

/// `mlx-manager pull REPO <args>` on this home; (success, stderr).
fn mlx_pull(home: &HfHome, hub: &FakeHub, args: &[&str]) -> (bool, String) {
    let env = home.env(hub);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["pull", REPO];
    all.extend_from_slice(args);
    let output = run_cli(&all, &env, Duration::from_secs(60));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_hub_answering_a_commit_that_is_not_40_hex_creates_nothing() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    let scratch = tempfile::tempdir().unwrap();
    let evil = climbing_to(&scratch.path().join("pwn-sha"));
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    // Asked for directly: refused before any job exists.
    hub.faults().answer_sha(REPO, Some(&evil));
    let (status, body) = app.start_download(&token, REPO).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("invalid commit"),
        "{body}"
    );
    let (_, list) = app
        .call(Method::GET, "/api/models/downloads", &token, None)
        .await;
    assert_eq!(list, json!([]));

    // The CLI's pull refuses it too.
    hub.faults().answer_sha(REPO, Some("../../x"));
    let (ok, stderr) = mlx_pull(&home, &hub, &[]);
    assert!(!ok, "pull accepted the commit ../../x");
    assert!(stderr.contains("invalid commit"), "{stderr}");

    // A job whose hub turns bad while it is paused fails when it resumes.
    hub.faults().answer_sha(REPO, None);
    hub.faults().rate_limit(Some(100_000));
    let (status, started) = app.start_download(&token, REPO).await;
    assert_eq!(status, 202, "{started}");
    let id = id_of(&started);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(0)
    })
    .await;
    let (status, paused) = act(&app, &token, id, "pause").await;
    assert_eq!(status, 200, "{paused}");
    hub.faults().rate_limit(None);
    hub.faults().answer_sha(REPO, Some(&evil));
    let (status, resumed) = act(&app, &token, id, "resume").await;
    assert_eq!(status, 200, "{resumed}");
    let failed = app.wait_status(&token, id, "failed", LONG).await;
    assert!(
        failed["error"].as_str().unwrap().contains("invalid commit"),
        "{failed}"
    );

    assert!(
        everything_under(scratch.path()).is_empty(),
        "written outside the cache: {:?}",
        everything_under(scratch.path())
    );
    let repo = home.repo_dir(REPO);
    for made in ["snapshots", "refs"] {
        assert!(
            !repo.join(made).exists(),
            "{made}: {:?}",
            everything_under(&repo)
        );
    }
}

#[tokio::test]
async fn only_admins_manage_models_unless_members_may_and_then_only_their_own_downloads() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.publish(OTHER, &fixture("tiny-llama"), ModelCard::default());
    hub.publish(THIRD, &fixture("tiny-qwen2"), ModelCard::default());
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let admin = app.admin_token().await;
    let admin_id = app.me(&admin).await["id"].as_i64().unwrap();
    let (member_id, member) = app.approved_user(&admin, "member@example.com").await;

    // Off by default (loading on demand is on); members read them, only admins change them.
    assert_eq!(
        permissions(&app, &admin).await,
        (
            200,
            json!({"members_manage_models": false, "members_load_models": true})
        )
    );
    assert_eq!(
        permissions(&app, &member).await,
        permissions(&app, &admin).await
    );
    assert_eq!(set_members_manage_models(&app, &member, true).await.0, 403);

    // The admin's completed model and a running download of theirs.
    let (_, done) = app.start_download(&admin, REPO).await;
    app.wait_status(&admin, id_of(&done), "completed", LONG)
        .await;
    hub.faults().rate_limit(Some(50_000));
    let (status, running) = app.start_download(&admin, OTHER).await;
    assert_eq!(status, 202, "{running}");
    assert_eq!(running["requested_by"], admin_id);
    let admins_job = id_of(&running);

    // Permission off: a member only looks.
    let (status, body) = app.start_download(&member, THIRD).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("members_manage_models"),
        "{body}"
    );
    for action in ["pause", "resume", "cancel"] {
        let (status, body) = act(&app, &member, admins_job, action).await;
        assert_eq!(status, 403, "{action}: {body}");
    }
    assert_eq!(delete_model(&app, &member, REPO).await, 403);
    let (status, list) = app
        .call(Method::GET, "/api/models/downloads", &member, None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| d["requested_by"] == admin_id),
        "{list}"
    );
    assert_eq!(
        app.download(&member, admins_job).await["status"],
        "downloading"
    );

    // Permission on: members manage their own downloads, not the admin's.
    assert_eq!(
        set_members_manage_models(&app, &admin, true).await,
        (
            200,
            json!({"members_manage_models": true, "members_load_models": true})
        )
    );
    for action in ["pause", "resume", "cancel"] {
        let (status, body) = act(&app, &member, admins_job, action).await;
        assert_eq!(status, 403, "{action} on the admin's job: {body}");
    }
    let (status, mine) = app.start_download(&member, THIRD).await;
    assert_eq!(status, 202, "{mine}");
    assert_eq!(mine["requested_by"], member_id);
    let members_job = id_of(&mine);
    let (status, paused) = act(&app, &member, members_job, "pause").await;
    assert_eq!(
        (status, &paused["status"]),
        (200, &json!("paused")),
        "{paused}"
    );
    let (status, resumed) = act(&app, &member, members_job, "resume").await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["requested_by"], member_id);
    // Admins control everyone's.
    let (status, paused) = act(&app, &admin, members_job, "pause").await;
    assert_eq!(status, 200, "{paused}");
    let (status, cancelled) = act(&app, &member, members_job, "cancel").await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    // A missing download is not found, for a member allowed to manage.
    assert_eq!(act(&app, &member, 99_999, "pause").await.0, 404);
    // The cache is shared: a member allowed to manage may delete any model.
    assert_eq!(delete_model(&app, &member, REPO).await, 204);

    // The setting outlives a restart; turned off, members are refused again.
    let (status, cancelled) = act(&app, &admin, admins_job, "cancel").await;
    assert_eq!(status, 200, "{cancelled}");
    hub.faults().rate_limit(None);
    let app = app.restart().await;
    assert_eq!(
        permissions(&app, &admin).await,
        (
            200,
            json!({"members_manage_models": true, "members_load_models": true})
        )
    );
    let (status, listed) = app
        .call(
            Method::GET,
            &format!("/api/models/downloads/{members_job}"),
            &member,
            None,
        )
        .await;
    assert_eq!((status, &listed["requested_by"]), (200, &json!(member_id)));
    assert_eq!(
        set_members_manage_models(&app, &admin, false).await,
        (
            200,
            json!({"members_manage_models": false, "members_load_models": true})
        )
    );
    assert_eq!(app.start_download(&member, REPO).await.0, 403);
    assert_eq!(act(&app, &member, members_job, "resume").await.0, 403);
}

#[tokio::test]
async fn resuming_a_missing_download_offline_is_not_found() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[("HF_HUB_OFFLINE", "1")]).await;
    let token = app.admin_token().await;
    let (status, body) = act(&app, &token, 424_242, "resume").await;
    assert_eq!(status, 404, "{body}");
}

/// The permissions table on both backends: defaults while empty, then upserts.
async fn permissions_hold_their_defaults_until_set_and_each_set_replaces_the_last(db: Database) {
    let repository = PermissionRepository::new(db.clone());
    assert_eq!(repository.get().await.unwrap(), Permissions::default());
    assert!(!Permissions::default().members_manage_models);
    assert!(Permissions::default().members_load_models);
    for on in [true, false, true] {
        let set = Permissions {
            members_manage_models: on,
            members_load_models: !on,
        };
        assert_eq!(repository.set(&set, None).await.unwrap(), set);
        assert_eq!(
            PermissionRepository::new(db.clone()).get().await.unwrap(),
            set
        );
    }
}

mlx_manager_tests::on_both_backends!(
    permissions_hold_their_defaults_until_set_and_each_set_replaces_the_last
);

/// The spec's patterns for `revision`, `model_id` and the `{org}`/`{name}` path parameters are
/// the rules the server applies: tricky and random values get 422 exactly when a pattern
/// refuses them.
#[tokio::test]
async fn the_spec_states_the_revision_and_model_id_rules_the_server_applies() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, spec) = app.get_json("/api/openapi.json").await;
    let request = &spec["components"]["schemas"]["DownloadRequest"]["properties"];
    let pattern_of =
        |schema: &Value| regex::Regex::new(schema["pattern"].as_str().expect("a pattern")).unwrap();
    let revision = pattern_of(&request["revision"]);
    let model_id = pattern_of(&request["model_id"]);
    assert_eq!(request["revision"]["maxLength"], 255);
    assert_eq!(request["model_id"]["maxLength"], 96);
    let delete = &spec["paths"]["/api/models/{org}/{name}"]["delete"]["parameters"];
    let part = pattern_of(&delete[0]["schema"]);
    assert_eq!(
        delete[1]["schema"]["pattern"],
        delete[0]["schema"]["pattern"]
    );

    let tricky = [
        "main",
        "refs/pr/1",
        "v1.0",
        "lock",
        "block",
        "a.lockx",
        "A.LOCK",
        "k",
        "ck",
        "ock",
        " main\n",
        "a.lock",
        "x.lock/y",
        ".lock",
        "a..b",
        ".a",
        "a.",
        "a/.b",
        "a/b.",
        "",
        " ",
        "a//b",
        "/a",
        "a/",
        "a b",
        "a\\b",
        "a@{1}",
        "@",
        "café",
        "a+b",
        "\u{a0}main",
        "o/n",
        "a-.b/c",
        "a--b/c",
        "-a/b",
        "a/b-",
        "a_b/c.d",
        " org/name\r",
        "org/na/me",
    ];
    let samples = tricky.into_iter().map(String::from).chain(generated(
        "lock.lock./ab-_K9 \n\t\u{e9}@{\\\u{1c}~",
        300,
        12,
    ));
    for sample in samples {
        // Valid values reach the hub or the cache, which do not have the model (404).
        let (status, body) = download_with_revision(&app, &token, &sample).await;
        let expected = if revision.is_match(&sample) { 404 } else { 422 };
        assert_eq!(status, expected, "revision {sample:?}: {body}");
        let (status, body) = app
            .call(
                Method::POST,
                "/api/models/download",
                &token,
                Some(json!({"model_id": sample})),
            )
            .await;
        let expected = if model_id.is_match(&sample) { 404 } else { 422 };
        assert_eq!(status, expected, "model_id {sample:?}: {body}");
        if sample.is_empty() || sample == "." || sample == ".." {
            continue; // URLs drop these segments: another route
        }
        let path = format!("/api/models/{}/{}", percent(&sample), percent("name"));
        let (status, body) = app.call(Method::DELETE, &path, &token, None).await;
        let expected = if part.is_match(&sample) { 404 } else { 422 };
        assert_eq!(status, expected, "org {sample:?}: {body}");
    }
}

/// `count` strings of up to `max_len` characters from `alphabet`, always the same ones.
fn generated(alphabet: &str, count: usize, max_len: u64) -> Vec<String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = next() % (max_len + 1);
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect()
}

/// Every byte percent-encoded: the value arrives as it is, whatever it holds.
fn percent(value: &str) -> String {
    value.bytes().map(|b| format!("%{b:02X}")).collect()
}
