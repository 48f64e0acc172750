//! The store's error type.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL could not be understood.
    #[error("invalid database URL: {reason}")]
    InvalidUrl {
        /// Why the URL was refused.
        reason: String,
    },
    /// The data directory for the SQLite file could not be created or written.
    #[error("data directory {path} is not usable")]
    DataDirUnusable {
        /// The directory that was tried.
        path: String,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// The database did not accept a connection.
    #[error("cannot connect to database {database}")]
    ConnectFailed {
        /// The database, password hidden.
        database: String,
        /// The driver's answer.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the schema migrations failed.
    #[error("cannot apply migrations to database {database}")]
    MigrateFailed {
        /// The database, password hidden.
        database: String,
        /// The migrator's answer.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A row that must be unique already exists.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What kind of object collided, such as "user".
        what: &'static str,
    },
    /// The requested row does not exist (or is not visible to the caller).
    #[error("{what} not found")]
    NotFound {
        /// What kind of object was looked for.
        what: &'static str,
    },
    /// A value was refused before it reached the database.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was refused, such as "shared secret".
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A query failed for another reason.
    #[error("database query failed")]
    QueryFailed(#[from] sqlx::Error),
}

impl Error {
    /// Turns a unique-constraint violation into [`Error::AlreadyExists`], anything else
    /// into [`Error::QueryFailed`].
    pub(crate) fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::AlreadyExists { what },
            _ => Self::QueryFailed(err),
        }
    }
}
