//! Who used the model API: the audit log, members' own usage, quotas, and the metrics listener.

mod audit_log;
mod metrics_listener;
mod quotas;

use mlx_manager_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// Where the tests' model is installed.
const MODEL: &str = "test-org/tiny-llama";

fn chat(content: &str, max_tokens: u32) -> Value {
    json!({"model": MODEL, "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens, "temperature": 0})
}

/// Every audit entry the filter query selects (admin), newest first.
async fn audit_entries(app: &TestApp, admin: &str, query: &str) -> (u64, Vec<Value>) {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/system/audit-logs?limit=500&{query}"),
            admin,
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let total = page["total"].as_u64().unwrap();
    (total, page["items"].as_array().unwrap().clone())
}
