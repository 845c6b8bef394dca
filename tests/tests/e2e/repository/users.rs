//! The user repository behaves the same on SQLite and PostgreSQL.

use mlx_manager_core::CoreError;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{NewUser, UserChanges, UserRepository};
use mlx_manager_core::domain::{Email, UserStatus};
use mlx_manager_tests::backends::sqlite;
use mlx_manager_tests::on_both_backends;

fn new_user(email: &str, status: UserStatus) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$placeholder".into(),
        is_admin: false,
        status,
        approved_by: None,
    }
}

async fn creates_and_finds_users(db: Database) {
    let users = UserRepository::new(db);
    let created = users
        .create(new_user("Ada@Example.com", UserStatus::Pending))
        .await
        .unwrap();
    assert_eq!(created.email.as_str(), "ada@example.com");
    assert_eq!(created.status, UserStatus::Pending);
    assert_eq!(created.approved_at, None);
    assert_eq!(users.find_by_id(created.id).await.unwrap(), created);
    let by_email = users
        .find_by_email(&Email::parse("ADA@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(by_email, Some(created));
    assert_eq!(
        users
            .find_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

async fn a_duplicate_email_is_a_unique_violation(db: Database) {
    let users = UserRepository::new(db);
    users
        .create(new_user("dup@example.com", UserStatus::Pending))
        .await
        .unwrap();
    let error = users
        .create(new_user("DUP@example.com", UserStatus::Pending))
        .await
        .unwrap_err();
    assert!(
        matches!(error, CoreError::UniqueViolation { field: "email", .. }),
        "{error:?}"
    );

    let other = users
        .create(new_user("other@example.com", UserStatus::Pending))
        .await
        .unwrap();
    let changes = UserChanges {
        email: Some(Email::parse("dup@example.com").unwrap()),
        ..Default::default()
    };
    let error = users.update(other.id, changes).await.unwrap_err();
    assert!(
        matches!(error, CoreError::UniqueViolation { field: "email", .. }),
        "{error:?}"
    );
}

async fn missing_users_are_not_found(db: Database) {
    let users = UserRepository::new(db);
    assert!(matches!(
        users.find_by_id(4242).await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        users.delete(4242).await,
        Err(CoreError::NotFound { .. })
    ));
    let changes = UserChanges::admin(true);
    assert!(matches!(
        users.update(4242, changes).await,
        Err(CoreError::NotFound { .. })
    ));
}

async fn lists_newest_first_filters_counts_updates_and_deletes(db: Database) {
    let users = UserRepository::new(db);
    let first = users
        .create(NewUser {
            is_admin: true,
            ..new_user("first@example.com", UserStatus::Approved)
        })
        .await
        .unwrap();
    let second = users
        .create(new_user("second@example.com", UserStatus::Pending))
        .await
        .unwrap();
    let third = users
        .create(new_user("third@example.com", UserStatus::Pending))
        .await
        .unwrap();
    assert!(first.approved_at.is_some());

    let ids: Vec<i32> = users
        .list(None)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, [third.id, second.id, first.id]);
    let pending: Vec<i32> = users
        .list(Some(UserStatus::Pending))
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(pending, [third.id, second.id]);
    assert_eq!(
        users.count_with_status(UserStatus::Pending).await.unwrap(),
        2
    );

    let changes = UserChanges {
        status: Some(UserStatus::Disabled),
        is_admin: Some(true),
        ..Default::default()
    };
    let updated = users.update(second.id, changes).await.unwrap();
    assert_eq!(
        (updated.status, updated.is_admin),
        (UserStatus::Disabled, true)
    );
    assert_eq!(
        users.count_with_status(UserStatus::Pending).await.unwrap(),
        1
    );

    users.delete(third.id).await.unwrap();
    assert!(matches!(
        users.find_by_id(third.id).await,
        Err(CoreError::NotFound { .. })
    ));
}

on_both_backends!(
    creates_and_finds_users,
    a_duplicate_email_is_a_unique_violation,
    missing_users_are_not_found,
    lists_newest_first_filters_counts_updates_and_deletes,
);

#[tokio::test]
async fn migrations_run_once_and_reconnecting_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = mlx_manager_core::Settings::default_database_url(dir.path());
    let db = Database::connect(&url.clone().into()).await.unwrap();
    UserRepository::new(db.clone())
        .create(new_user("kept@example.com", UserStatus::Pending))
        .await
        .unwrap();
    db.close().await.unwrap();
    let reopened = Database::connect(&url.into()).await.unwrap();
    let kept = UserRepository::new(reopened).list(None).await.unwrap();
    assert_eq!(kept.len(), 1);
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_on() {
    use sea_orm::{ConnectionTrait, Statement};
    let (db, _dir) = sqlite().await;
    let conn = db.connection();
    let pragma = |sql: &'static str| async move {
        let row = conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
            .unwrap()
    };
    assert_eq!(pragma("PRAGMA journal_mode").await, "wal");
    assert_eq!(pragma("PRAGMA foreign_keys").await, "1");
    assert_eq!(pragma("PRAGMA busy_timeout").await, "5000");
}
