//! Deny by default: every operation in the spec needs credentials unless it is on the explicit
//! allow-list, bad credentials of every kind are refused, and admin operations refuse users.
//! Routes added later are covered without touching this test.

use std::collections::BTreeSet;

use jsonwebtoken::{EncodingKey, Header};
use mlx_manager_tests::{SpawnOptions, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_one_clear_line, stderr_of};

const SECRET: &str = "deny-by-default-test-secret-0123456789abcdef";
const PUBLIC_OPERATIONS: &[&str] = &[
    "GET /health",
    "POST /api/auth/login",
    "POST /api/auth/register",
    "GET /api/auth/setup",
];

struct Operation {
    method: Method,
    path: String,
    admin_only: bool,
}

/// Every operation the server documents, with path parameters filled in.
async fn operations(app: &TestApp) -> (Vec<Operation>, BTreeSet<String>) {
    let (_, spec) = app.get_json("/api/openapi.json").await;
    let mut secured = Vec::new();
    let mut public = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let requirements = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if requirements.is_empty() {
                public.insert(format!("{method} {path}"));
                continue;
            }
            let admin_only = requirements.iter().any(|r| {
                r.as_object()
                    .unwrap()
                    .values()
                    .any(|roles| roles.as_array().unwrap().contains(&json!("admin")))
            });
            let concrete = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "1"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            secured.push(Operation {
                method,
                path: concrete,
                admin_only,
            });
        }
    }
    (secured, public)
}

fn claims(sub: &str, exp_offset: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json!({
        "sub": sub, "exp": now + exp_offset, "iat": now - 7200, "nbf": now - 7200,
        "iss": "mlx-manager", "aud": "mlx-manager-api", "typ": "access",
        "jti": uuid::Uuid::new_v4().simple().to_string(), "sv": 0,
    })
}

fn signed(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

async fn send(app: &TestApp, operation: &Operation, credential: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .request(operation.method.clone(), app.url(&operation.path))
        .json(&json!({}));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn d3_14_23_every_operation_but_the_allow_list_refuses_missing_and_bad_credentials() {
    let app =
        TestApp::spawn_with(SpawnOptions::default().env("MLX_MANAGER_JWT_SECRET", SECRET)).await;
    let admin = app.admin_token().await;
    let (user_id, user) = app.approved_user(&admin, "user@example.com").await;
    let logged_out = app
        .token_for("user@example.com", mlx_manager_tests::auth::STRONG_PASSWORD)
        .await;
    app.authed(Method::POST, "/api/auth/logout", &logged_out)
        .send()
        .await
        .unwrap();
    let (doomed_id, doomed) = app.approved_user(&admin, "doomed@example.com").await;
    app.authed(
        Method::DELETE,
        &format!("/api/auth/users/{doomed_id}"),
        &admin,
    )
    .send()
    .await
    .unwrap();
    let expired = signed(&claims(&user_id.to_string(), -3600));
    assert_eq!(
        app.me_status(&signed(&claims(&user_id.to_string(), 3600)))
            .await,
        200,
        "crafted tokens are well-formed"
    );

    let (secured, public) = operations(&app).await;
    let expected: BTreeSet<String> = PUBLIC_OPERATIONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(public, expected, "only the allow-list is public");
    assert!(secured.len() >= 12, "the protected operations are found");

    for operation in &secured {
        let name = format!("{} {}", operation.method, operation.path);
        let response = send(&app, operation, None).await;
        assert_eq!(response.status(), 401, "{name} without credentials");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
        for (label, credential) in [
            ("garbage", "not.a.token"),
            ("expired", expired.as_str()),
            ("logged-out", logged_out.as_str()),
            ("deleted user", doomed.as_str()),
            (
                "unknown API key",
                "mlxm_0000000000000000000000000000000000000000000",
            ),
        ] {
            assert_eq!(
                send(&app, operation, Some(credential)).await.status(),
                401,
                "{name} with a {label} token"
            );
        }
        if operation.admin_only {
            assert_eq!(
                send(&app, operation, Some(&user)).await.status(),
                403,
                "{name} as a non-admin"
            );
        }
    }
}

#[tokio::test]
async fn d3_16_17_18_forged_and_malformed_tokens_are_refused() {
    let app =
        TestApp::spawn_with(SpawnOptions::default().env("MLX_MANAGER_JWT_SECRET", SECRET)).await;
    app.admin_token().await;
    let good = claims("1", 3600);
    assert_eq!(app.me_status(&signed(&good)).await, 200);
    let mut cases: Vec<(&str, String)> = Vec::new();
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        signed(&c)
    };
    cases.push(("wrong issuer", with("iss", json!("someone-else"))));
    cases.push(("wrong audience", with("aud", json!("other-api"))));
    cases.push(("refresh-type token", with("typ", json!("refresh"))));
    cases.push((
        "future nbf",
        with("nbf", json!(good["iat"].as_i64().unwrap() + 7200 + 3600)),
    ));
    cases.push(("stale session version", with("sv", json!(7))));
    cases.push(("e-mail as subject", with("sub", json!("admin@example.com"))));
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    cases.push(("no exp", signed(&no_exp)));
    let hs512 = jsonwebtoken::encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    cases.push(("HS512", hs512));
    let other_key = jsonwebtoken::encode(
        &Header::default(),
        &good,
        &EncodingKey::from_secret(&[7u8; 48]),
    )
    .unwrap();
    cases.push(("another key", other_key));
    let token = signed(&good);
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none_header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
    cases.push(("alg none", format!("{none_header}.{}.", parts[1])));
    let tampered =
        engine.encode(serde_json::to_vec(&json!({"sub": "1", "sv": 0, "admin": true})).unwrap());
    parts[1] = tampered;
    cases.push(("tampered payload", parts.join(".")));
    for (label, token) in cases {
        assert_eq!(app.me_status(&token).await, 401, "{label}");
    }
}

#[tokio::test]
async fn d3_19_a_short_jwt_secret_stops_startup_with_one_clear_line() {
    let output = mlx_manager_tests::run_cli(
        &["serve", "--port", "0"],
        &[("MLX_MANAGER_JWT_SECRET", "too-short")],
        std::time::Duration::from_secs(20),
    );
    assert_one_clear_line(&output, "32");
    assert!(
        !stderr_of(&output).contains("too-short"),
        "the secret itself is not echoed"
    );
}

#[tokio::test]
async fn d3_19_a_generated_secret_is_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let secret = app.data_dir.join("jwt-secret");
    let mode = std::fs::metadata(&secret)
        .expect("secret file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert!(std::fs::metadata(&secret).unwrap().len() >= 32);
}
