//! Administrative subcommands: `commons migrate` and `commons admin`.

use std::time::Duration;

use anyhow::Context;
use commons_store::{NewAuditEntry, Store, StoreOptions, TokenPurpose, TokenSubject};

use crate::{
    cli::{AdminAction, AdminArgs},
    config::Config,
    failure::Failure,
};

/// How long a one-time account link printed by the CLI stays valid.
pub(crate) const ACCOUNT_LINK_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Opens the configured database and applies pending migrations.
///
/// # Errors
///
/// [`Failure::Startup`] naming the database when it cannot be opened or migrated.
pub(crate) async fn open_store(config: &Config) -> Result<Store, Failure> {
    let url = match &config.database_url {
        Some(url) => commons_store::DatabaseUrl::parse(secrecy::ExposeSecret::expose_secret(url))
            .map_err(|err| Failure::startup(err, "configuration key `database_url`"))?,
        None => commons_store::DatabaseUrl::sqlite_in(&config.data_dir)
            .map_err(|err| Failure::startup(err, "configuration key `data_dir`"))?,
    };
    let store = Store::connect(&StoreOptions::new(url)).await?;
    migrate_with_retry(&store).await?;
    tracing::debug!(database = %store.url(), backend = %store.backend(), "store ready");
    Ok(store)
}

/// Applies migrations, retrying briefly: two processes starting together on one SQLite
/// file may race, and the loser finds the work done on its next try.
async fn migrate_with_retry(store: &Store) -> Result<(), commons_store::Error> {
    let mut attempt = 0;
    loop {
        match store.migrate().await {
            Ok(()) => return Ok(()),
            Err(err) if attempt < 3 => {
                attempt += 1;
                tracing::debug!(error = %err, attempt, "migration attempt failed; retrying");
                tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// `commons migrate`.
pub(crate) async fn migrate(config: &Config) -> Result<(), Failure> {
    let store = open_store(config).await?;
    println!("migrations applied to {}", store.url());
    store.close().await;
    Ok(())
}

/// `commons admin …`.
pub(crate) async fn admin(config: &Config, args: AdminArgs) -> Result<(), Failure> {
    let store = open_store(config).await?;
    let result = match args.action {
        AdminAction::Create { email } => create_admin(config, &store, &email).await,
    };
    store.close().await;
    result
}

async fn create_admin(config: &Config, store: &Store, email: &str) -> Result<(), Failure> {
    if !commons_portal::looks_like_email(email) {
        return Err(Failure::Startup(anyhow::anyhow!(
            "--email: {email:?} is not an email address"
        )));
    }
    let (user, created) = match store.user_by_email(email).await? {
        Some(user) => {
            store.promote_to_council_admin(user.id).await?;
            (user, false)
        }
        None => (store.create_user(email, "", true).await?, true),
    };
    let subject = TokenSubject {
        user_id: Some(user.id),
        ..TokenSubject::default()
    };
    let token = store
        .issue_token(TokenPurpose::SignIn, subject, ACCOUNT_LINK_TTL)
        .await?;
    store
        .record_audit(&NewAuditEntry {
            actor_user_id: None,
            actor: "cli".into(),
            action: if created {
                "admin.create"
            } else {
                "admin.promote"
            }
            .into(),
            object_type: "user".into(),
            object_id: user.id.to_string(),
            org_id: None,
            before: None,
            after: Some(serde_json::json!({ "email": user.email, "council_admin": true })),
        })
        .await?;
    let link = config
        .public_url()
        .join(&format!("setup/{}", token.reveal()))
        .context("building the sign-in link")
        .map_err(Failure::Runtime)?;
    let verb = if created { "created" } else { "promoted" };
    println!(
        "council administrator {} {verb}; sign-in link (one use, 24 hours): {link}",
        user.email
    );
    Ok(())
}
