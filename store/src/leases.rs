//! Named leases: at most one holder at a time across every process sharing the database,
//! each lease ending on release or, when its holder vanished, at its expiry.

use std::{fmt, time::Duration};

use rand::RngCore;

use crate::{Error, Store, now, with_pool};

/// A lease this process holds. Release it with [`Store::release_lease`]; until then, or
/// until it expires, no one else can take a lease of the same name.
#[derive(Clone, PartialEq, Eq)]
pub struct Lease {
    name: String,
    holder: String,
}

impl Lease {
    /// The name the lease was taken under.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").field("name", &self.name).finish()
    }
}

impl Store {
    /// Takes lease `name` for `ttl` unless someone holds it; `None` when someone does.
    ///
    /// # Guarantees
    ///
    /// One statement decides, so of several callers at once exactly one gets the lease.
    /// A lease past its expiry is free again, so a crashed holder blocks others for at
    /// most `ttl`.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn try_lease(&self, name: &str, ttl: Duration) -> Result<Option<Lease>, Error> {
        let sql = "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                   expires_at = excluded.expires_at WHERE leases.expires_at <= $4";
        let at = now();
        let expires_at = at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let holder = format!(
            "{:016x}{:016x}",
            rand::rng().next_u64(),
            rand::rng().next_u64()
        );
        let taken = with_pool!(self, pool => sqlx::query(sql)
            .bind(name)
            .bind(&holder)
            .bind(expires_at)
            .bind(at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok((taken == 1).then(|| Lease {
            name: name.to_owned(),
            holder,
        }))
    }

    /// Gives `lease` back, so the next caller of [`Store::try_lease`] gets it.
    ///
    /// # Guarantees
    ///
    /// Idempotent; a lease that expired and was taken by someone else stays theirs.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn release_lease(&self, lease: &Lease) -> Result<(), Error> {
        let sql = "DELETE FROM leases WHERE name = $1 AND holder = $2";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(&lease.name)
            .bind(&lease.holder)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
