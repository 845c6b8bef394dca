//! Who used the model API how much: the audit log (every `/v1` request, never its text), the
//! quotas admins set, and the in-memory ledger both share.

mod audit_log;
mod ledger;
mod quotas;

use std::sync::Arc;

pub use audit_log::AuditLog;
pub use ledger::{OverQuota, QuotaUse, UsageLedger};
pub use quotas::{QuotaService, QuotaUsage};

use crate::CoreError;
use crate::db::Database;
use crate::db::repositories::AuditLogRepository;
use crate::settings::AuditSettings;
use crate::time::now_millis;

/// The audit log and the quotas over one ledger, seeded from the log's last day.
pub async fn start(
    db: Database,
    settings: AuditSettings,
) -> Result<(AuditLog, QuotaService), CoreError> {
    let now = now_millis();
    let recent = AuditLogRepository::new(db.clone())
        .recent_use(now - ledger::DAY_MS)
        .await?;
    let ledger = Arc::new(UsageLedger::seeded(&recent, now));
    Ok((
        AuditLog::start(db.clone(), settings, ledger.clone()),
        QuotaService::new(db, ledger),
    ))
}
