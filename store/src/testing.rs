//! Fresh, migrated stores for tests, on SQLite and on PostgreSQL.
//!
//! SQLite tests get a file in a temporary directory. PostgreSQL tests get a schema of
//! their own in the database named by `COMMONS_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the project's test script points it at
//! a database made for the run and dropped afterwards.

use std::ops::Deref;

use rand::RngCore;

use crate::{Backend, DatabaseUrl, Store, StoreOptions};

const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A store on a database no other test uses.
#[derive(Debug)]
pub struct TestStore {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl Deref for TestStore {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    /// The database URL, with its password, for handing to a child process under test.
    pub fn url_for_child_process(&self) -> String {
        self.store.url().expose().to_owned()
    }
}

/// The PostgreSQL database tests make their schemas in.
#[expect(
    clippy::disallowed_methods,
    reason = "the test harness is configured by the test script"
)]
pub fn postgres_base_url() -> String {
    std::env::var("COMMONS_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.into())
}

/// Opens a fresh store on `backend` with every migration applied.
///
/// # Panics
///
/// When the database cannot be prepared: a test cannot run without one.
pub async fn fresh(backend: Backend) -> TestStore {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory for a test database");
            let url = DatabaseUrl::sqlite_in(dir.path()).expect("usable temporary directory");
            let store = open(url).await;
            TestStore {
                store,
                _dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let base = postgres_base_url();
            let schema = format!("commons_test_{:016x}", rand::rng().next_u64());
            let admin = open_unmigrated(&base).await;
            admin.create_schema_for_test(&schema).await;
            admin.close().await;
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
            let store = open(DatabaseUrl::parse(&url).expect("test database URL")).await;
            TestStore { store, _dir: None }
        }
    }
}

async fn open_unmigrated(url: &str) -> Store {
    let url = DatabaseUrl::parse(url).expect("test database URL");
    let mut options = StoreOptions::new(url);
    options.max_connections = 4;
    match Store::connect(&options).await {
        Ok(store) => store,
        Err(err) => panic!(
            "test database unreachable ({err}: {:?}); start PostgreSQL or set \
             COMMONS_TEST_DATABASE_URL",
            std::error::Error::source(&err)
        ),
    }
}

async fn open(url: DatabaseUrl) -> Store {
    let store = open_unmigrated(url.expose()).await;
    store
        .migrate()
        .await
        .expect("migrations apply to a fresh database");
    store
}

impl Store {
    async fn create_schema_for_test(&self, schema: &str) {
        let sql = crate::trusted(format!("CREATE SCHEMA {schema}"));
        crate::with_pool!(self, pool => sqlx::query(sql)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .expect("create a schema for the test");
    }
}

/// Declares async tests that each run twice, on a fresh SQLite store and on a fresh
/// PostgreSQL store, in modules named `sqlite` and `postgres` so the output shows both.
///
/// ```ignore
/// commons_store::store_tests! {
///     async fn creates_user(store) { store.create_user("a@b.c", "A", false).await.unwrap(); }
/// }
/// ```
#[macro_export]
macro_rules! store_tests {
    ($(async fn $name:ident($store:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let guard = $crate::testing::fresh($crate::Backend::Sqlite).await;
                    let $store: &$crate::Store = &guard;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let guard = $crate::testing::fresh($crate::Backend::Postgres).await;
                    let $store: &$crate::Store = &guard;
                    $body
                }
            )*
        }
    };
}
