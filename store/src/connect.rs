//! Opening a [`Store`]: database URLs, pool settings and schema migrations.

use std::{fmt, path::Path, str::FromStr, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    ConnectOptions, Connection,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{Error, Pool, Store, with_pool};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite connection waits for another writer before giving up. The portal
/// and the RADIUS server may be separate processes sharing one file.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database engines Commons runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file: the default for a laptop or a small site.
    Sqlite,
    /// A PostgreSQL server: for production and for several replicas.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// A database URL (`sqlite://…` or `postgres://…`). It may carry a password, so it is
/// shown with the password replaced by `***` and never printed whole.
#[derive(Clone)]
pub struct DatabaseUrl {
    backend: Backend,
    secret: SecretString,
    redacted: String,
}

impl DatabaseUrl {
    /// Parses and classifies a database URL.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] for anything but a `sqlite:`, `postgres:` or `postgresql:` URL.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let backend = if raw.starts_with("sqlite:") {
            Backend::Sqlite
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::InvalidUrl {
                reason: "expected a URL starting with sqlite: or postgres://".into(),
            });
        };
        let redacted = match (backend, url::Url::parse(raw)) {
            (Backend::Postgres, Ok(url)) => redact_postgres(url),
            (Backend::Postgres, Err(err)) => {
                return Err(Error::InvalidUrl {
                    reason: err.to_string(),
                });
            }
            (Backend::Sqlite, _) => raw.to_owned(),
        };
        Ok(Self {
            backend,
            secret: raw.to_owned().into(),
            redacted,
        })
    }

    /// The URL of the SQLite file `commons.db` in `data_dir`, creating the directory and
    /// checking that it is writable.
    ///
    /// # Errors
    ///
    /// [`Error::DataDirUnusable`] when the directory cannot be created or written.
    pub fn sqlite_in(data_dir: &Path) -> Result<Self, Error> {
        let unusable = |source| Error::DataDirUnusable {
            path: data_dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(unusable)?;
        // Creating a file is the only reliable test: permission bits lie to root and on
        // read-only mounts.
        let probe = data_dir.join(".commons-write-test");
        std::fs::write(&probe, b"ok").map_err(unusable)?;
        std::fs::remove_file(&probe).map_err(unusable)?;
        // The driver reads a URL: characters that mean something in one are escaped.
        let path = data_dir.join("commons.db").display().to_string();
        let path = path
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        Self::parse(&format!("sqlite://{path}"))
    }

    /// Which engine the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with its password, for the driver only.
    pub(crate) fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

/// The URL with its password shown as `***`, whether it is written before the host or,
/// as libpq also accepts, as the `password` query parameter.
fn redact_postgres(mut url: url::Url) -> String {
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" {
                    "***".into()
                } else {
                    value
                };
                (key.into_owned(), value.into_owned())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted)
    }
}

/// How to open a [`Store`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Which database to use.
    pub url: DatabaseUrl,
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long to wait for a connection before reporting the database unreachable.
    pub connect_timeout: Duration,
}

impl StoreOptions {
    /// Options with the defaults used by the `commons` binary.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Store {
    /// Connects to the database. Nothing is migrated; call [`Store::migrate`].
    ///
    /// SQLite files are opened in WAL mode with a busy timeout and foreign keys on, so
    /// several processes can share one file.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectFailed`] naming the database when no connection can be made
    /// within the connect timeout.
    pub async fn connect(options: &StoreOptions) -> Result<Self, Error> {
        let database = options.url.to_string();
        let failed = |source| Error::ConnectFailed {
            database: database.clone(),
            source,
        };
        let pool = match options.url.backend() {
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(options.url.expose())
                    .map_err(failed)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.connect_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(failed)?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let connect = PgConnectOptions::from_str(options.url.expose()).map_err(failed)?;
                // A pool only reports "timed out" when the server is unreachable; one
                // direct attempt first surfaces the real cause (refused, bad password…).
                let probe = tokio::time::timeout(options.connect_timeout, connect.connect()).await;
                match probe {
                    Ok(Ok(conn)) => conn.close().await.map_err(failed)?,
                    Ok(Err(err)) => return Err(failed(err)),
                    Err(_) => return Err(failed(sqlx::Error::PoolTimedOut)),
                }
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.connect_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(failed)?;
                Pool::Postgres(pool)
            }
        };
        Ok(Self {
            pool,
            url: options.url.clone(),
        })
    }

    /// Applies every migration not yet applied.
    ///
    /// # Guarantees
    ///
    /// Idempotent; each migration runs in its own transaction and is recorded, so
    /// concurrent starts of several processes apply it once.
    ///
    /// # Errors
    ///
    /// [`Error::MigrateFailed`] naming the database.
    pub async fn migrate(&self) -> Result<(), Error> {
        let failed = |source| Error::MigrateFailed {
            database: self.url.to_string(),
            source,
        };
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await.map_err(failed),
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await.map_err(failed),
        }
    }

    /// Whether every migration this build knows has been applied.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn migrations_applied(&self) -> Result<bool, Error> {
        let known = match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATIONS.iter().count(),
        };
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let applied: Result<i64, sqlx::Error> =
            with_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await);
        match applied {
            Ok(applied) => Ok(usize::try_from(applied).unwrap_or(0) >= known),
            // No migration table yet: nothing applied.
            Err(sqlx::Error::Database(_)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_wherever_they_are_written() {
        for raw in [
            "postgres://u:hunter2@127.0.0.1/x",
            "postgres://u@127.0.0.1/x?sslmode=disable&password=hunter2",
            "postgresql://u@127.0.0.1/x?password=hunter2",
        ] {
            let url = DatabaseUrl::parse(raw).unwrap();
            let shown = format!("{url} {url:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
            assert_eq!(url.expose(), raw);
        }
        let url = DatabaseUrl::parse("postgres://u@127.0.0.1/x?sslmode=disable").unwrap();
        assert_eq!(url.to_string(), "postgres://u@127.0.0.1/x?sslmode=disable");
    }
}
