//! The chat repository behaves the same on SQLite and PostgreSQL: chats are their owner's only,
//! messages keep their order, and a user's chats go with the user.

use mlx_manager_core::CoreError;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::entities::chat_message;
use mlx_manager_core::db::repositories::{ChatRepository, NewUser, UserRepository};
use mlx_manager_core::domain::chat::{ChatMessageDraft, ChatRole};
use mlx_manager_core::domain::{ChatTitle, Email, NewChatMessage, UserStatus};
use mlx_manager_tests::on_both_backends;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

async fn user(db: &Database, email: &str, is_admin: bool) -> i32 {
    UserRepository::new(db.clone())
        .create(NewUser {
            email: Email::parse(email).unwrap(),
            password_hash: "$argon2id$placeholder".into(),
            is_admin,
            status: UserStatus::Approved,
            approved_by: None,
        })
        .await
        .unwrap()
        .id
}

fn messages(items: &[(&str, &str)]) -> Vec<NewChatMessage> {
    let drafts = items
        .iter()
        .map(|(role, content)| ChatMessageDraft {
            role: (*role).into(),
            content: (*content).into(),
            ..Default::default()
        })
        .collect();
    NewChatMessage::parse_all(drafts).unwrap()
}

async fn chats_keep_their_messages_in_order_and_belong_to_their_owner(db: Database) {
    let (ada, bob) = (
        user(&db, "ada@example.com", false).await,
        user(&db, "bob@example.com", false).await,
    );
    let chats = ChatRepository::new(db.clone());
    let title = ChatTitle::parse("Trip").unwrap();
    let chat = chats
        .create(ada, &title, Some("qwen-fast".into()))
        .await
        .unwrap();
    assert_eq!(chat.message_count, 0);

    let mut answer = messages(&[("assistant", "Go to Lyon.")]);
    answer[0].reasoning = Some("They like food.".into());
    answer[0].tool_calls = Some(vec![json!({"id": "call_1", "type": "function"})]);
    answer[0].stats = Some(json!({"ttft_ms": 12}).as_object().unwrap().clone());
    let first = chats
        .append(ada, chat.id, messages(&[("user", "Where?")]))
        .await
        .unwrap();
    let second = chats.append(ada, chat.id, answer.clone()).await.unwrap();
    assert_eq!((first[0].position, second[0].position), (0, 1));
    let stored = chats.messages(ada, chat.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].message.role, ChatRole::User);
    assert_eq!(
        stored[1].message, answer[0],
        "reasoning, tool calls and stats round-trip"
    );

    // Bob sees none of it, and cannot change it.
    assert!(chats.list(bob).await.unwrap().is_empty());
    for result in [
        chats.get(bob, chat.id).await.map(|_| ()),
        chats.messages(bob, chat.id).await.map(|_| ()),
        chats
            .append(bob, chat.id, messages(&[("user", "mine?")]))
            .await
            .map(|_| ()),
        chats.truncate(bob, chat.id, 0).await,
        chats
            .update(bob, chat.id, Some(title.clone()), None)
            .await
            .map(|_| ()),
        chats.delete(bob, chat.id).await,
    ] {
        assert!(
            matches!(result, Err(CoreError::NotFound { .. })),
            "{result:?}"
        );
    }
    assert_eq!(
        chats.messages(ada, chat.id).await.unwrap().len(),
        2,
        "untouched"
    );

    // Regenerating: cut from the answer, append a new one at the same position.
    chats.truncate(ada, chat.id, 1).await.unwrap();
    let again = chats
        .append(ada, chat.id, messages(&[("assistant", "Paris.")]))
        .await
        .unwrap();
    assert_eq!(again[0].position, 1);

    let renamed = chats
        .update(
            ada,
            chat.id,
            Some(ChatTitle::parse("Trip to France").unwrap()),
            Some(None),
        )
        .await
        .unwrap();
    assert_eq!(renamed.title.as_str(), "Trip to France");
    assert_eq!(renamed.model, None);
    assert_eq!(renamed.message_count, 2);

    // The most recently changed chat comes first.
    let other = chats
        .create(ada, &ChatTitle::parse("Later").unwrap(), None)
        .await
        .unwrap();
    let listed: Vec<i32> = chats
        .list(ada)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, [other.id, chat.id]);
    chats.delete(ada, other.id).await.unwrap();
    assert!(matches!(
        chats.get(ada, other.id).await,
        Err(CoreError::NotFound { .. })
    ));
}

async fn a_users_chats_and_messages_go_with_the_user(db: Database) {
    // An approved admin must remain for a user to be deleted.
    user(&db, "admin@example.com", true).await;
    let ada = user(&db, "ada@example.com", false).await;
    let chats = ChatRepository::new(db.clone());
    let chat = chats
        .create(ada, &ChatTitle::parse("Notes").unwrap(), None)
        .await
        .unwrap();
    chats
        .append(
            ada,
            chat.id,
            messages(&[("user", "Hi"), ("assistant", "Hello")]),
        )
        .await
        .unwrap();
    UserRepository::new(db.clone()).delete(ada).await.unwrap();
    assert!(chats.list(ada).await.unwrap().is_empty());
    let left = chat_message::Entity::find()
        .count(db.connection())
        .await
        .unwrap();
    assert_eq!(left, 0, "the messages went with the chat");
}

on_both_backends!(
    chats_keep_their_messages_in_order_and_belong_to_their_owner,
    a_users_chats_and_messages_go_with_the_user,
);
