//! Auth persistence rules, identical on SQLite and PostgreSQL: the first user becomes the
//! admin exactly once, an approved admin always remains, keys and revocations persist.

use mlx_manager_core::CoreError;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{
    ApiKeyRepository, NewApiKeyRecord, RevokedTokenRepository, UserChanges, UserRepository,
};
use mlx_manager_core::domain::{Email, UserStatus};
use mlx_manager_tests::on_both_backends;

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

async fn the_first_registrant_becomes_an_approved_admin_and_later_ones_wait(db: Database) {
    let users = UserRepository::new(db);
    let first = users
        .register(email("first@example.com"), "h".into(), true)
        .await
        .unwrap();
    assert!(first.is_admin);
    assert_eq!(first.status, UserStatus::Approved);
    assert!(first.approved_at.is_some());
    let second = users
        .register(email("second@example.com"), "h".into(), true)
        .await
        .unwrap();
    assert!(!second.is_admin);
    assert_eq!(second.status, UserStatus::Pending);
}

async fn thirty_concurrent_registrations_make_exactly_one_admin(db: Database) {
    let users = UserRepository::new(db);
    let registrations = (0..30).map(|i| {
        let users = users.clone();
        tokio::spawn(async move {
            users
                .register(email(&format!("racer{i}@example.com")), "h".into(), true)
                .await
        })
    });
    let mut admins = 0;
    for registration in registrations {
        let user = registration
            .await
            .unwrap()
            .expect("every registration succeeds");
        admins += usize::from(user.is_admin);
    }
    assert_eq!(admins, 1);
    let stored = users.list(None).await.unwrap();
    assert_eq!(stored.len(), 30);
    assert_eq!(stored.iter().filter(|u| u.is_admin).count(), 1);
}

async fn the_only_approved_admin_cannot_be_demoted_disabled_or_deleted(db: Database) {
    let users = UserRepository::new(db);
    let admin = users
        .register(email("admin@example.com"), "h".into(), true)
        .await
        .unwrap();
    for changes in [
        UserChanges::admin(false),
        UserChanges::status(UserStatus::Disabled),
        UserChanges::status(UserStatus::Pending),
    ] {
        let error = users.update(admin.id, changes).await.unwrap_err();
        assert!(matches!(error, CoreError::RuleViolation(_)), "{error:?}");
    }
    let error = users.delete(admin.id).await.unwrap_err();
    assert!(matches!(error, CoreError::RuleViolation(_)), "{error:?}");
    let unchanged = users.find_by_id(admin.id).await.unwrap();
    assert!(
        unchanged.is_admin && unchanged.status == UserStatus::Approved,
        "nothing was changed"
    );
}

async fn a_disabled_second_admin_does_not_count_as_the_remaining_admin(db: Database) {
    let users = UserRepository::new(db);
    let first = users
        .register(email("first@example.com"), "h".into(), true)
        .await
        .unwrap();
    let second = users
        .register(email("second@example.com"), "h".into(), true)
        .await
        .unwrap();
    let promoted = UserChanges {
        is_admin: Some(true),
        status: Some(UserStatus::Approved),
        approved_by: Some(first.id),
        ..Default::default()
    };
    let second = users.update(second.id, promoted).await.unwrap();
    assert_eq!(second.approved_by, Some(first.id));
    users
        .update(second.id, UserChanges::status(UserStatus::Disabled))
        .await
        .unwrap();
    let error = users
        .update(first.id, UserChanges::admin(false))
        .await
        .unwrap_err();
    assert!(matches!(error, CoreError::RuleViolation(_)), "{error:?}");
    // With the second admin approved again, the first may step down.
    users
        .update(second.id, UserChanges::status(UserStatus::Approved))
        .await
        .unwrap();
    users
        .update(first.id, UserChanges::admin(false))
        .await
        .unwrap();
}

async fn two_admins_demoting_each_other_at_once_leave_one_admin(db: Database) {
    let users = UserRepository::new(db);
    let a = users
        .register(email("a@example.com"), "h".into(), true)
        .await
        .unwrap();
    let b = users
        .register(email("b@example.com"), "h".into(), true)
        .await
        .unwrap();
    let promote = UserChanges {
        is_admin: Some(true),
        status: Some(UserStatus::Approved),
        ..Default::default()
    };
    users.update(b.id, promote).await.unwrap();
    for _ in 0..10 {
        let demote = |id| {
            let users = users.clone();
            tokio::spawn(async move { users.update(id, UserChanges::admin(false)).await })
        };
        let (ra, rb) = (demote(a.id), demote(b.id));
        let outcomes = [ra.await.unwrap().is_ok(), rb.await.unwrap().is_ok()];
        assert_eq!(
            outcomes.iter().filter(|ok| **ok).count(),
            1,
            "exactly one demotion wins"
        );
        for id in [a.id, b.id] {
            users.update(id, UserChanges::admin(true)).await.unwrap();
        }
    }
}

async fn bumping_the_session_version_increments_it(db: Database) {
    let users = UserRepository::new(db);
    let user = users
        .register(email("s@example.com"), "h".into(), true)
        .await
        .unwrap();
    assert_eq!(
        users.bump_session_version(user.id).await.unwrap(),
        user.session_version + 1
    );
    assert!(matches!(
        users.bump_session_version(999).await,
        Err(CoreError::NotFound { .. })
    ));
}

async fn api_keys_are_found_by_hash_until_they_expire_and_go_with_their_user(db: Database) {
    let users = UserRepository::new(db.clone());
    let keys = ApiKeyRepository::new(db);
    let admin = users
        .register(email("admin@example.com"), "h".into(), true)
        .await
        .unwrap();
    let owner = users
        .register(email("owner@example.com"), "h".into(), true)
        .await
        .unwrap();
    let record = |name: &str, hash: &str, expires_at| NewApiKeyRecord {
        user_id: owner.id,
        name: name.into(),
        display_prefix: "mlxm_abcd".into(),
        key_hash: hash.into(),
        expires_at,
    };
    let live = keys
        .create(record("live", "hash-live", None))
        .await
        .unwrap();
    keys.create(record("expired", "hash-expired", Some(1)))
        .await
        .unwrap();
    let found = keys
        .find_usable_by_hash("hash-live")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, live.id);
    assert!(
        keys.find_usable_by_hash("hash-expired")
            .await
            .unwrap()
            .is_none()
    );
    assert!(keys.find_usable_by_hash("nope").await.unwrap().is_none());
    let listed: Vec<String> = keys
        .list_for_user(owner.id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(listed, ["expired", "live"]);
    assert!(
        keys.list_for_user(owner.id)
            .await
            .unwrap()
            .iter()
            .any(|k| k.last_used_at.is_some())
    );

    let error = keys.delete_for_user(admin.id, live.id).await.unwrap_err();
    assert!(
        matches!(error, CoreError::NotFound { .. }),
        "another user's key is not theirs to delete"
    );
    users.delete(owner.id).await.unwrap();
    assert!(
        keys.find_usable_by_hash("hash-live")
            .await
            .unwrap()
            .is_none(),
        "revoked with their user"
    );
}

async fn revoked_tokens_stay_revoked_until_purged_after_expiry(db: Database) {
    let users = UserRepository::new(db.clone());
    let revoked = RevokedTokenRepository::new(db);
    let user = users
        .register(email("t@example.com"), "h".into(), true)
        .await
        .unwrap();
    revoked.revoke("jti-1", user.id, 1_000).await.unwrap();
    revoked.revoke("jti-1", user.id, 1_000).await.unwrap();
    revoked.revoke("jti-2", user.id, 5_000).await.unwrap();
    assert!(revoked.is_revoked("jti-1").await.unwrap());
    assert!(!revoked.is_revoked("jti-3").await.unwrap());
    assert_eq!(revoked.purge_expired(2_000).await.unwrap(), 1);
    assert!(!revoked.is_revoked("jti-1").await.unwrap());
    assert!(revoked.is_revoked("jti-2").await.unwrap());
}

async fn leaving_approved_bumps_the_session_version_and_approving_does_not(db: Database) {
    let users = UserRepository::new(db);
    users
        .register(email("admin@example.com"), "h".into(), true)
        .await
        .unwrap();
    let user = users
        .register(email("u@example.com"), "h".into(), true)
        .await
        .unwrap();
    let approved = users
        .update(user.id, UserChanges::status(UserStatus::Approved))
        .await
        .unwrap();
    assert_eq!(approved.session_version, user.session_version);
    let disabled = users
        .update(user.id, UserChanges::status(UserStatus::Disabled))
        .await
        .unwrap();
    assert_eq!(disabled.session_version, approved.session_version + 1);
    let pending = users
        .update(user.id, UserChanges::status(UserStatus::Pending))
        .await
        .unwrap();
    assert_eq!(pending.session_version, disabled.session_version + 1);
    let other = users
        .update(user.id, UserChanges::admin(false))
        .await
        .unwrap();
    assert_eq!(
        other.session_version, pending.session_version,
        "other edits leave it"
    );
}

async fn a_users_api_keys_are_counted_and_revoked_all_at_once(db: Database) {
    let users = UserRepository::new(db.clone());
    let keys = ApiKeyRepository::new(db);
    let admin = users
        .register(email("admin@example.com"), "h".into(), true)
        .await
        .unwrap();
    let owner = users
        .register(email("owner@example.com"), "h".into(), true)
        .await
        .unwrap();
    for (user, n) in [(owner.id, 0), (owner.id, 1), (owner.id, 2), (admin.id, 3)] {
        keys.create(NewApiKeyRecord {
            user_id: user,
            name: format!("k{n}"),
            display_prefix: "mlxm_abcd".into(),
            key_hash: format!("hash-{n}"),
            expires_at: None,
        })
        .await
        .unwrap();
    }
    assert_eq!(keys.count_for_user(owner.id).await.unwrap(), 3);
    assert_eq!(keys.delete_all_for_user(owner.id).await.unwrap(), 3);
    assert_eq!(keys.count_for_user(owner.id).await.unwrap(), 0);
    assert_eq!(
        keys.count_for_user(admin.id).await.unwrap(),
        1,
        "others' stay"
    );
    assert_eq!(keys.delete_all_for_user(owner.id).await.unwrap(), 0);
}

async fn every_stored_email_is_listed(db: Database) {
    let users = UserRepository::new(db);
    for raw in ["a@example.com", "caf\u{e9}@example.com"] {
        users.register(email(raw), "h".into(), true).await.unwrap();
    }
    let mut listed: Vec<String> = users
        .emails()
        .await
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ["a@example.com", "caf\u{e9}@example.com"]);
}

async fn without_the_setup_token_nobody_becomes_the_first_admin(db: Database) {
    let users = UserRepository::new(db);
    let refused = users
        .register(email("early@example.com"), "h".into(), false)
        .await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    assert_eq!(users.count().await.unwrap(), 0, "nothing was left behind");
    let admin = users
        .register(email("owner@example.com"), "h".into(), true)
        .await
        .unwrap();
    assert!(admin.is_admin);
    // Once an admin exists, later accounts never needed the token.
    let later = users
        .register(email("later@example.com"), "h".into(), false)
        .await
        .unwrap();
    assert_eq!(later.status, UserStatus::Pending);
}

on_both_backends!(
    the_first_registrant_becomes_an_approved_admin_and_later_ones_wait,
    without_the_setup_token_nobody_becomes_the_first_admin,
    thirty_concurrent_registrations_make_exactly_one_admin,
    the_only_approved_admin_cannot_be_demoted_disabled_or_deleted,
    a_disabled_second_admin_does_not_count_as_the_remaining_admin,
    two_admins_demoting_each_other_at_once_leave_one_admin,
    bumping_the_session_version_increments_it,
    api_keys_are_found_by_hash_until_they_expire_and_go_with_their_user,
    revoked_tokens_stay_revoked_until_purged_after_expiry,
    leaving_approved_bumps_the_session_version_and_approving_does_not,
    a_users_api_keys_are_counted_and_revoked_all_at_once,
    every_stored_email_is_listed,
);
