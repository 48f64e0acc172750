//! Persistence for Commons: one [`Store`] over SQLite (embedded default) or PostgreSQL.
//!
//! Every SQL statement of the project lives in this crate. Queries are written once in
//! the common dialect of both backends (numbered `$n` parameters, Unix-second
//! timestamps, `RETURNING`) and run against whichever pool the store holds.

mod api_tokens;
mod audit;
mod connect;
mod error;
mod ids;
mod invitations;
mod leases;
mod members;
mod orgs;
mod outbox;
mod plans;
mod rate_limits;
mod reports;
mod sessions;
mod tokens;
mod users;
mod wifi;

#[cfg(feature = "testing")]
pub mod testing;

pub use api_tokens::{API_TOKEN_PREFIX, ApiToken, ApiTokenId};
pub use audit::{AuditEntry, NewAuditEntry};
pub use connect::{Backend, DatabaseUrl, StoreOptions};
pub use error::Error;
pub use ids::{NasId, OrgId, PlanId, SiteId, UserId};
pub use invitations::{Accepted, Invitation};
pub use leases::Lease;
pub use members::{Member, MemberChange};
pub use orgs::{MemberRole, NewOrganisation, NewOwner, OrgKind, OrgStatus, Organisation};
pub use outbox::{NewEmail, OutboxEmail};
pub use plans::{Plan, PlanFields};
pub use reports::DailyCount;
pub use sessions::{SessionKey, SessionRecord};
pub use tokens::{OneTimeToken, TokenPurpose, TokenSecret, TokenSubject};
pub use users::User;
pub use wifi::{
    AccountingRecord, AccountingStatus, ActiveSession, AuthLogEntry, AuthResult, BrandingUpdate,
    CaptiveSettings, Cidr, CodeCheck, Device, ErasedGuest, ExportedAuthEntry, ExportedConsent,
    ExportedDevice, ExportedEmail, ExportedEmailCode, ExportedGuestAccount, ExportedSession,
    GuestAccount, GuestCredential, GuestExport, LOGO_TYPES, LogoChange, MAX_CODE_ATTEMPTS,
    MAX_LOGO_BYTES, MAX_TEXT_CHARS, MIN_CONTRAST, MIN_SECRET_LEN, MacAddress, NasClient,
    NasSettings, NewAuthLogEntry, NewGuest, NewNasClient, NewVouchers, RECOMMENDED_SECRET_LEN,
    Redemption, SharedSecret, SignUp, SignUpMode, SiteBranding, SiteDailyCount, SiteFields,
    SitePolicy, UnifiController, Voucher, VoucherBatch, WifiSite, contrast_ratio,
    generate_guest_password, normalise_voucher_code, site_slug,
};

use sqlx::{PgPool, SqlitePool};

/// Runs `$body` with `$pool` bound to the concrete pool of `$store`.
///
/// The body is compiled once per backend, so the same query text and row types serve
/// both SQLite and PostgreSQL.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Opens a transaction that is going to write.
///
/// SQLite starts it with `BEGIN IMMEDIATE`, taking the write lock at once and waiting
/// for it within the busy timeout. A deferred transaction that reads before it writes
/// cannot wait: when another connection writes in between, SQLite fails it at once with
/// "database is locked" (`SQLITE_BUSY_SNAPSHOT`). PostgreSQL needs no such care.
pub(crate) trait BeginWrite {
    /// The database the transaction runs on.
    type Database: sqlx::Database;

    /// Begins the transaction.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// A handle on the database, cheap to clone and shared by every component of a process.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    url: DatabaseUrl,
}

impl Store {
    /// Which database engine this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database this store is connected to, with any password hidden.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Checks that the database answers a trivial query.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be reached.
    pub async fn ping(&self) -> Result<(), Error> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }
}

/// The current time as Unix seconds, the representation of every timestamp in the store.
pub fn now() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}

/// Marks a statement assembled with `format!` from this crate's own constants (column
/// lists, table names) as free of outside input. Values are always bound, never spliced.
///
/// Pass the `String` itself where it is not needed again: the driver then keeps it
/// without a copy, which matters for statements built on every RADIUS request.
pub(crate) fn trusted(sql: impl Into<String>) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.into())
}
