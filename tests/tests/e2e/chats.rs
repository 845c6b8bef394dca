//! `/api/chats`: a user's own conversations over HTTP — created with their first messages,
//! appended to, cut for a regenerated answer, renamed, deleted — and invisible to everyone
//! else, an admin included.

use mlx_manager_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn field_names(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_chat_is_its_owners_alone_and_keeps_its_messages_in_order() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;

    let (status, created) = app
        .call(
            Method::POST,
            "/api/chats",
            &member,
            Some(json!({"model": "qwen-fast", "messages": [
                {"role": "user", "content": "Where should I go?"},
                {"role": "assistant", "content": "Lyon.", "reasoning": "Food.",
                 "stats": {"ttft_ms": 12.5, "tokens_per_sec": 40}},
            ]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["title"], "New chat");
    assert_eq!(created["model"], "qwen-fast");
    assert_eq!(created["messages"][1]["reasoning"], "Food.");
    assert_eq!(created["messages"][1]["stats"]["ttft_ms"], 12.5);
    let id = created["id"].as_i64().unwrap();
    let chat = format!("/api/chats/{id}");
    let messages = format!("{chat}/messages");

    // Regenerate the answer: cut it, then store the new one at its place.
    let (status, _) = app
        .call(Method::DELETE, &format!("{messages}?from=1"), &member, None)
        .await;
    assert_eq!(status, 204);
    let (status, added) = app
        .call(
            Method::POST,
            &messages,
            &member,
            Some(
                json!({"messages": [{"role": "assistant", "content": "Paris.",
                "tool_calls": [{"id": "call_1", "type": "function",
                  "function": {"name": "get_weather", "arguments": "{}"}}]}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added[0]["position"], 1);

    let (status, renamed) = app
        .call(
            Method::PATCH,
            &chat,
            &member,
            Some(json!({"title": "  France  "})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["title"], "France");
    assert_eq!(renamed["message_count"], 2);

    let (status, opened) = app.call(Method::GET, &chat, &member, None).await;
    assert_eq!(status, 200);
    let contents: Vec<&str> = opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["Where should I go?", "Paris."]);
    assert_eq!(
        opened["messages"][1]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );

    // Nobody else sees or touches it — not even an admin.
    let (status, listed) = app.call(Method::GET, "/api/chats", &admin, None).await;
    assert_eq!((status, listed), (200, json!([])));
    for (method, path, body) in [
        (Method::GET, chat.clone(), None),
        (Method::PATCH, chat.clone(), Some(json!({"title": "mine"}))),
        (
            Method::POST,
            messages.clone(),
            Some(json!({"messages": [{"role": "user", "content": "x"}]})),
        ),
        (Method::DELETE, format!("{messages}?from=0"), None),
        (Method::DELETE, chat.clone(), None),
    ] {
        let (status, body) = app.call(method.clone(), &path, &admin, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (_, mine) = app.call(Method::GET, "/api/chats", &member, None).await;
    assert_eq!(mine[0]["message_count"], 2, "still whole: {mine}");

    // Bad input is refused with every field named, and nothing is stored.
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/chats",
            &member,
            Some(json!({"title": "", "model": "a b", "messages": [{"role": "robot", "content": "x"}]})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_names(&problem), ["title", "model", "messages"]);
    let (status, problem) = app
        .call(
            Method::POST,
            &messages,
            &member,
            Some(json!({"messages": []})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (_, mine) = app.call(Method::GET, "/api/chats", &member, None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    let (status, _) = app.call(Method::DELETE, &chat, &member, None).await;
    assert_eq!(status, 204);
    let (status, _) = app.call(Method::GET, &chat, &member, None).await;
    assert_eq!(status, 404);
}
