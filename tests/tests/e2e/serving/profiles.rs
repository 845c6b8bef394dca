//! `/api/profiles`: validation of every field, unique names, patch, duplicate, delete, roles.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

fn fields(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn profiles_check_every_field_keep_names_unique_and_patch_duplicate_and_delete() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;

    let (status, body) = app
        .call(
            Method::POST,
            "/api/profiles",
            &admin,
            Some(json!({
                "name": "has/slash",
                "model": "not a repo",
                "temperature": 2.5,
                "top_p": 0.0,
                "top_k": 0,
                "min_p": 1.5,
                "repetition_penalty": 0.0,
                "max_tokens": 0,
                "seed": -1,
                "stop": [""],
                "keep_alive_secs": -2,
                "context_length": 0,
                "embedding_pooling": "cls",
            })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        fields(&body),
        [
            "context_length",
            "embedding_pooling",
            "keep_alive_secs",
            "max_tokens",
            "min_p",
            "model",
            "name",
            "repetition_penalty",
            "seed",
            "stop",
            "temperature",
            "top_k",
            "top_p"
        ]
    );

    // Longer than the downloaded model's context.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/profiles",
            &admin,
            Some(json!({"name": "long", "model": "test-org/tiny-llama", "context_length": 10_000_000})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["context_length"]);

    let (status, created) = app
        .call(
            Method::POST,
            "/api/profiles",
            &admin,
            Some(json!({
                "name": "Tiny:fast",
                "model": "test-org/tiny-llama",
                "temperature": 0.7,
                "stop": ["</s>"],
                "template_options": {"enable_thinking": false},
                "keep_alive_secs": -1,
                "auto_start": true,
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["model_available"], true);
    assert_eq!(created["template_options"]["enable_thinking"], false);
    assert_eq!(created["embedding_pooling"], "last", "the default");
    let id = created["id"].as_i64().unwrap();

    let (status, body) = app
        .call(
            Method::POST,
            "/api/profiles",
            &admin,
            Some(json!({"name": "tiny:FAST", "model": "test-org/absent"})),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    let (status, missing) = app
        .call(
            Method::POST,
            "/api/profiles",
            &admin,
            Some(json!({"name": "later", "model": "test-org/absent"})),
        )
        .await;
    assert_eq!(status, 201, "{missing}");
    assert_eq!(missing["model_available"], false);

    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/api/profiles/{id}"),
            &admin,
            Some(json!({"temperature": null, "description": "quick answers",
                "embedding_pooling": "mean"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["embedding_pooling"], "mean");
    assert_eq!(patched["temperature"], Value::Null);
    assert_eq!(patched["description"], "quick answers");
    assert_eq!(patched["stop"], json!(["</s>"]), "untouched fields stay");

    let (status, copy) = app
        .call(
            Method::POST,
            &format!("/api/profiles/{id}/duplicate"),
            &admin,
            Some(json!({"name": "tiny-copy"})),
        )
        .await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["auto_start"], false);
    assert_eq!(copy["description"], "quick answers");

    let (status, list) = app.call(Method::GET, "/api/profiles", &admin, None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["later", "tiny-copy", "Tiny:fast"]);

    let (status, _) = app
        .call(Method::DELETE, &format!("/api/profiles/{id}"), &admin, None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(Method::GET, &format!("/api/profiles/{id}"), &admin, None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn members_change_profiles_and_start_servers_only_with_members_manage_models() {
    let home = HfHome::new();
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;
    let profile = json!({"name": "mine", "model": "test-org/absent"});

    let (status, body) = app
        .call(
            Method::POST,
            "/api/profiles",
            &member,
            Some(profile.clone()),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = app
        .call(Method::GET, "/api/settings/pool", &member, None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.call(Method::GET, "/api/profiles", &member, None).await;
    assert_eq!(status, 200, "members read profiles");

    let (status, _) = app
        .call(
            Method::PUT,
            "/api/settings/permissions",
            &admin,
            Some(json!({"members_manage_models": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, created) = app
        .call(Method::POST, "/api/profiles", &member, Some(profile))
        .await;
    assert_eq!(status, 201, "{created}");
    // Starting it is allowed now, and refused for what it is: the model is not downloaded.
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/servers/{}/start", created["id"]),
            &member,
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("not downloaded"),
        "{body}"
    );
}
