//! The chat handlers: parse, one chat-service call, render. Every chat is the caller's own.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::dto::{
    AppendMessagesRequest, ChatDetail, ChatMessageOut, ChatPatchRequest, ChatSummary,
    NewChatRequest, TruncateQuery,
};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// The caller's chats, the most recently changed first.
#[utoipa::path(
    get,
    path = "/api/chats",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller's chats", body = Vec<ChatSummary>),
        problems::Unauthorized,
    ),
)]
pub async fn list_chats(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<Vec<ChatSummary>>, ApiError> {
    let chats = state.chats.list(&principal.user).await?;
    Ok(Json(chats.into_iter().map(Into::into).collect()))
}

/// Starts a chat of the caller's, with its first messages if given. 422 naming every bad field.
#[utoipa::path(
    post,
    path = "/api/chats",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    request_body = NewChatRequest,
    responses(
        (status = 201, description = "Created", body = ChatDetail),
        problems::Unauthorized,
        problems::Invalid,
    ),
)]
pub async fn create_chat(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<NewChatRequest>,
) -> Result<(StatusCode, Json<ChatDetail>), ApiError> {
    let messages = body.messages.into_iter().map(Into::into).collect();
    let (chat, messages) = state
        .chats
        .create(&principal.user, body.title, body.model, messages)
        .await?;
    Ok((StatusCode::CREATED, Json(ChatDetail::new(chat, messages))))
}

/// The chat with its messages; 404 unless it is the caller's.
#[utoipa::path(
    get,
    path = "/api/chats/{id}",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "The chat", body = ChatDetail),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn get_chat(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<ChatDetail>, ApiError> {
    let (chat, messages) = state.chats.open(&principal.user, id).await?;
    Ok(Json(ChatDetail::new(chat, messages)))
}

/// Renames the chat or records the model it uses.
#[utoipa::path(
    patch,
    path = "/api/chats/{id}",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    request_body = ChatPatchRequest,
    responses(
        (status = 200, description = "The chat", body = ChatSummary),
        problems::Unauthorized,
        problems::NotFound,
        problems::Invalid,
    ),
)]
pub async fn patch_chat(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<ChatPatchRequest>,
) -> Result<Json<ChatSummary>, ApiError> {
    let chat = state
        .chats
        .update(&principal.user, id, body.title, body.model)
        .await?;
    Ok(Json(chat.into()))
}

/// Deletes the chat and its messages.
#[utoipa::path(
    delete,
    path = "/api/chats/{id}",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 204, description = "Deleted"),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn delete_chat(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.chats.delete(&principal.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds messages after the chat's last one, in order.
#[utoipa::path(
    post,
    path = "/api/chats/{id}/messages",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    request_body = AppendMessagesRequest,
    responses(
        (status = 201, description = "The messages as stored", body = Vec<ChatMessageOut>),
        problems::Unauthorized,
        problems::NotFound,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn append_messages(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<AppendMessagesRequest>,
) -> Result<(StatusCode, Json<Vec<ChatMessageOut>>), ApiError> {
    let messages = body.messages.into_iter().map(Into::into).collect();
    let stored = state.chats.append(&principal.user, id, messages).await?;
    Ok((
        StatusCode::CREATED,
        Json(stored.into_iter().map(Into::into).collect()),
    ))
}

/// Removes the messages from position `from` on: editing a question or regenerating an answer
/// starts there.
#[utoipa::path(
    delete,
    path = "/api/chats/{id}/messages",
    tag = "chats",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path), TruncateQuery),
    responses(
        (status = 204, description = "Removed"),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn truncate_messages(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    Query(query): Query<TruncateQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .chats
        .truncate(&principal.user, id, query.from)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
