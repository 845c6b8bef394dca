//! The audit log and quota repositories behave the same on SQLite and PostgreSQL: filters,
//! sums, pruning, the quotas' recent use, and limits that go with their user.

use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{
    AuditLogRepository, NewUser, QuotaRepository, RecentUse, UserRepository,
};
use mlx_manager_core::domain::{AuditEntry, AuditFilter, Email, QuotaLimits, UserStatus};
use mlx_manager_core::settings::AuditSettings;
use mlx_manager_core::usage;
use mlx_manager_tests::on_both_backends;

const T0: i64 = 1_800_000_000_000;

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

fn entry(
    at: i64,
    user_id: Option<i32>,
    model: &str,
    status: u16,
    tokens: (u64, u64),
) -> AuditEntry {
    AuditEntry {
        created_at: at,
        request_id: Some(format!("req-{at}")),
        user_id,
        api_key_id: None,
        model: Some(model.into()),
        endpoint: "/v1/chat/completions".into(),
        status,
        prompt_tokens: Some(tokens.0),
        completion_tokens: Some(tokens.1),
        ttft_ms: Some(12),
        duration_ms: 250,
        error_type: (status != 200).then(|| "model_not_found".to_string()),
        client_address: Some("2001:db8::7".into()),
    }
}

async fn entries_are_filtered_paged_and_summed(db: Database) {
    let repository = AuditLogRepository::new(db);
    repository
        .insert_all(vec![
            entry(T0, Some(1), "qwen", 200, (10, 5)),
            entry(T0 + 1, Some(1), "qwen", 200, (20, 7)),
            entry(T0 + 2, Some(2), "llama", 200, (3, 1)),
            entry(T0 + 3, Some(2), "nope", 404, (0, 0)),
            entry(T0 + 4, None, "qwen", 401, (0, 0)),
        ])
        .await
        .unwrap();
    let all = AuditFilter::default();
    let (page, total) = repository.page(&all, 0, 2).await.unwrap();
    assert_eq!(total, 5);
    // Newest first.
    assert_eq!(page[0].entry.created_at, T0 + 4);
    assert_eq!(page[0].entry.user_id, None);
    assert_eq!(page[1].entry, entry(T0 + 3, Some(2), "nope", 404, (0, 0)));

    let of_one = AuditFilter {
        user_id: Some(1),
        ..Default::default()
    };
    assert_eq!(repository.page(&of_one, 0, 10).await.unwrap().1, 2);
    let in_range = AuditFilter {
        model: Some("qwen".into()),
        since: Some(T0 + 1),
        until: Some(T0 + 4),
        ..Default::default()
    };
    let (page, total) = repository.page(&in_range, 0, 10).await.unwrap();
    assert_eq!((total, page[0].entry.created_at), (1, T0 + 1));
    let failed = AuditFilter {
        status: Some(404),
        endpoint: Some("/v1/chat/completions".into()),
        ..Default::default()
    };
    assert_eq!(repository.page(&failed, 0, 10).await.unwrap().1, 1);

    let stats = repository.stats(&all).await.unwrap();
    assert_eq!(
        (
            stats.total.requests,
            stats.total.prompt_tokens,
            stats.total.completion_tokens
        ),
        (5, 33, 13)
    );
    let statuses: Vec<(u16, u64)> = stats
        .by_status
        .iter()
        .map(|(s, t)| (*s, t.requests))
        .collect();
    assert_eq!(statuses, [(200, 3), (401, 1), (404, 1)]);
    let qwen = stats
        .by_model
        .iter()
        .find(|(model, _)| model.as_deref() == Some("qwen"))
        .unwrap();
    assert_eq!((qwen.1.requests, qwen.1.completion_tokens), (3, 12));
    let anonymous = stats
        .by_user
        .iter()
        .find(|row| row.user_id.is_none())
        .unwrap();
    assert_eq!(anonymous.totals.requests, 1);
    let nothing = AuditFilter {
        since: Some(T0 + 100),
        ..Default::default()
    };
    assert_eq!(repository.stats(&nothing).await.unwrap().total.requests, 0);

    let after = repository
        .after(&all, page_id(&repository).await, 10)
        .await
        .unwrap();
    assert_eq!(after.len(), 4, "everything after the oldest, oldest first");
    assert!(after.windows(2).all(|w| w[0].id < w[1].id));
}

async fn page_id(repository: &AuditLogRepository) -> i32 {
    let (page, _) = repository
        .page(&AuditFilter::default(), 4, 1)
        .await
        .unwrap();
    page[0].id
}

async fn pruning_drops_old_entries_then_the_surplus(db: Database) {
    let repository = AuditLogRepository::new(db);
    let entries = (0..10)
        .map(|i| entry(T0 + i, Some(1), "qwen", 200, (1, 1)))
        .collect();
    repository.insert_all(entries).await.unwrap();
    // Two are too old; of the other eight, the newest five stay.
    assert_eq!(repository.prune(T0 + 2, 5).await.unwrap(), 5);
    let (page, total) = repository
        .page(&AuditFilter::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(total, 5);
    assert_eq!(page.last().unwrap().entry.created_at, T0 + 5);
    assert_eq!(repository.prune(T0, 5).await.unwrap(), 0);
}

async fn recent_use_leaves_out_quota_refusals_from_the_request_count(db: Database) {
    let repository = AuditLogRepository::new(db);
    let mut refused = entry(T0 + 10, Some(3), "qwen", 429, (0, 0));
    refused.error_type = Some("quota_exceeded".into());
    repository
        .insert_all(vec![
            entry(T0, Some(3), "qwen", 200, (4, 9)),
            refused,
            entry(T0 + 20, None, "qwen", 401, (0, 0)),
            entry(T0 - 1, Some(3), "qwen", 200, (4, 9)),
        ])
        .await
        .unwrap();
    let recent = repository.recent_use(T0).await.unwrap();
    assert_eq!(
        recent,
        [
            RecentUse {
                user_id: 3,
                created_at: T0,
                finished_at: T0 + 250,
                completion_tokens: 9,
                counts_as_request: true,
            },
            RecentUse {
                user_id: 3,
                created_at: T0 + 10,
                finished_at: T0 + 260,
                completion_tokens: 0,
                counts_as_request: false,
            },
        ]
    );
}

async fn quotas_are_stored_per_user_and_go_with_the_user(db: Database) {
    let ada = user(&db, "ada@example.com", false).await;
    let admin = user(&db, "root@example.com", true).await;
    let quotas = QuotaRepository::new(db.clone());
    assert_eq!(
        quotas.members_default().await.unwrap(),
        QuotaLimits::UNLIMITED
    );
    let limits = QuotaLimits::parse(Some(3), Some(5_000_000_000)).unwrap();
    quotas.set_members_default(&limits, admin).await.unwrap();
    quotas.set_members_default(&limits, admin).await.unwrap();
    assert_eq!(quotas.members_default().await.unwrap(), limits);

    let own = QuotaLimits::parse(None, Some(10)).unwrap();
    quotas.set_for_user(ada, &own, admin).await.unwrap();
    assert_eq!(quotas.for_user(ada).await.unwrap(), Some(own));
    assert_eq!(quotas.all_users().await.unwrap(), [(ada, own)]);
    quotas.clear_for_user(ada).await.unwrap();
    assert_eq!(quotas.for_user(ada).await.unwrap(), None);

    quotas.set_for_user(ada, &own, admin).await.unwrap();
    UserRepository::new(db.clone()).delete(ada).await.unwrap();
    assert_eq!(quotas.for_user(ada).await.unwrap(), None);
}

async fn the_audit_log_writes_in_the_background_and_exports_everything(db: Database) {
    use futures_util::TryStreamExt;
    let admin = UserRepository::new(db.clone())
        .create(NewUser {
            email: Email::parse("root@example.com").unwrap(),
            password_hash: "$argon2id$placeholder".into(),
            is_admin: true,
            status: UserStatus::Approved,
            approved_by: None,
        })
        .await
        .unwrap();
    let settings = AuditSettings {
        retention_days: 90,
        max_rows: 1_000_000,
    };
    let (log, quotas) = usage::start(db.clone(), settings).await.unwrap();
    let now = mlx_manager_core::time::now_millis();
    for i in 0..1203 {
        log.record(entry(now + i, Some(admin.id), "qwen", 200, (2, 3)));
    }
    log.flush().await;
    let exported: Vec<_> = log
        .export(&admin, AuditFilter::default())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(exported.len(), 1203, "every batch of the export is read");
    assert!(exported.windows(2).all(|w| w[0].id < w[1].id));
    let usage = quotas.usage(&admin).await.unwrap();
    assert_eq!(usage.tokens_last_day, 3 * 1203);

    // A restarted ledger reads the same use back from the log.
    let (_, restarted) = usage::start(db, settings).await.unwrap();
    assert_eq!(
        restarted.usage(&admin).await.unwrap().tokens_last_day,
        3 * 1203
    );
}

on_both_backends!(
    entries_are_filtered_paged_and_summed,
    pruning_drops_old_entries_then_the_surplus,
    recent_use_leaves_out_quota_refusals_from_the_request_count,
    quotas_are_stored_per_user_and_go_with_the_user,
    the_audit_log_writes_in_the_background_and_exports_everything,
);
