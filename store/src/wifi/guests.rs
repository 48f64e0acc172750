//! Guest credentials: issued by the captive portal for one device, or added by an
//! administrator, each with an optional expiry.

use std::{fmt, time::Duration};

use super::{MacAddress, secrets};
use crate::{
    BeginWrite, Error, NewAuditEntry, SiteId, Store, audit::insert_audit, now, trusted, with_pool,
};

/// Length of passwords the portal issues.
pub(super) const ISSUED_PASSWORD_LEN: usize = 10;

/// A guest's sign-in. The password is kept readable because CHAP needs it; `Debug`
/// output hides it.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GuestAccount {
    /// Row id.
    pub id: i64,
    /// The site it is valid at.
    pub site_id: SiteId,
    /// The user name.
    pub username: String,
    password: String,
    /// The device it was issued for, if bound to one (canonical MAC spelling).
    pub mac: Option<String>,
    /// When it stops working, Unix seconds; `None` for never.
    pub expires_at: Option<i64>,
}

impl GuestAccount {
    /// The clear password, for checking a PAP or CHAP answer.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The device the credential is bound to, if any.
    pub fn device(&self) -> Option<MacAddress> {
        self.mac.as_deref().and_then(MacAddress::parse)
    }
}

impl fmt::Debug for GuestAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestAccount")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("username", &self.username)
            .field("password", &"***")
            .field("mac", &self.mac)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A credential the captive portal hands to a person, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct GuestCredential {
    /// The user name to type or submit.
    pub username: String,
    /// The password to type or submit.
    pub password: String,
    /// When it stops working, Unix seconds.
    pub expires_at: i64,
}

impl fmt::Debug for GuestCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestCredential")
            .field("username", &self.username)
            .field("password", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

pub(super) const GUEST_COLUMNS: &str = "id, site_id, username, password, mac, expires_at";

/// A guest account an administrator adds.
#[derive(Clone, PartialEq, Eq)]
pub struct NewGuest {
    /// The user name, unique at the site.
    pub username: String,
    /// The password, 1 to 128 bytes.
    pub password: String,
    /// When it stops working, Unix seconds; `None` for never.
    pub expires_at: Option<i64>,
    /// The only device it works for, if any.
    pub device: Option<MacAddress>,
}

impl fmt::Debug for NewGuest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewGuest")
            .field("username", &self.username)
            .field("password", &"***")
            .field("expires_at", &self.expires_at)
            .field("device", &self.device)
            .finish()
    }
}

/// A password for a guest account, typeable from a screen or paper.
pub fn generate_guest_password() -> String {
    secrets::typeable(ISSUED_PASSWORD_LEN)
}

fn insert_sql() -> String {
    format!(
        "INSERT INTO guest_accounts (site_id, username, password, mac, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {GUEST_COLUMNS}"
    )
}

/// Refuses a user name or password the RADIUS server could not use.
fn check_guest(username: &str, password: &str) -> Result<(), Error> {
    if username.trim().is_empty() {
        return Err(Error::Invalid {
            what: "user name",
            reason: "it is empty".into(),
        });
    }
    // RFC 2865 section 5.2: User-Password carries at most 128 octets.
    if password.is_empty() || password.len() > 128 {
        return Err(Error::Invalid {
            what: "password",
            reason: "it must be 1 to 128 bytes long".into(),
        });
    }
    Ok(())
}

fn expiry_after(ttl: Duration) -> i64 {
    now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Refuses a guest user name that is also a voucher code: the RADIUS server looks a
    /// name up as a guest first, so such a guest would hide the voucher.
    async fn check_not_a_voucher(&self, username: &str) -> Result<(), Error> {
        if self.voucher(username).await?.is_some() {
            return Err(Error::Invalid {
                what: "user name",
                reason: "it is a voucher code; choose another name".into(),
            });
        }
        Ok(())
    }

    /// Adds a guest account with a chosen user name and password.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the site already has that user name;
    /// [`Error::Invalid`] for an empty user name or one that is a voucher code, or a
    /// password that is empty or longer than RADIUS can carry (128 octets, RFC 2865
    /// section 5.2).
    pub async fn add_guest(
        &self,
        site: SiteId,
        username: &str,
        password: &str,
        expires_at: Option<i64>,
        device: Option<MacAddress>,
    ) -> Result<GuestAccount, Error> {
        check_guest(username, password)?;
        self.check_not_a_voucher(username).await?;
        self.insert_guest(site, username, password, expires_at, device)
            .await
    }

    /// Stores a guest account whose name and password have been checked.
    async fn insert_guest(
        &self,
        site: SiteId,
        username: &str,
        password: &str,
        expires_at: Option<i64>,
        device: Option<MacAddress>,
    ) -> Result<GuestAccount, Error> {
        with_pool!(self, pool => sqlx::query_as(trusted(insert_sql()))
            .bind(site)
            .bind(username.trim())
            .bind(password)
            .bind(device.map(|mac| mac.to_string()))
            .bind(expires_at)
            .bind(now())
            .fetch_one(pool)
            .await)
        .map_err(Error::unique("guest account"))
    }

    /// Adds a guest account like [`Store::add_guest`], writing the audit entry `audit`
    /// makes of the new account in the same transaction.
    ///
    /// # Errors
    ///
    /// As [`Store::add_guest`].
    pub async fn add_guest_audited(
        &self,
        site: SiteId,
        new: &NewGuest,
        audit: impl FnOnce(&GuestAccount) -> NewAuditEntry,
    ) -> Result<GuestAccount, Error> {
        check_guest(&new.username, &new.password)?;
        self.check_not_a_voucher(&new.username).await?;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let guest: GuestAccount = sqlx::query_as(trusted(insert_sql()))
                .bind(site)
                .bind(new.username.trim())
                .bind(&new.password)
                .bind(new.device.map(|mac| mac.to_string()))
                .bind(new.expires_at)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("guest account"))?;
            insert_audit!(&mut *tx, &audit(&guest))?;
            tx.commit().await?;
            Ok(guest)
        })
    }

    /// Issues a fresh credential for one device at one site, valid for `ttl`: what the
    /// captive portal calls once a person has signed up.
    ///
    /// # Guarantees
    ///
    /// The credential works only for `device` when the access point reports the
    /// device's MAC address (Calling-Station-Id), and only until it expires.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when it cannot be stored.
    pub async fn issue_guest_credential(
        &self,
        site: SiteId,
        device: MacAddress,
        ttl: Duration,
    ) -> Result<GuestCredential, Error> {
        let expires_at = expiry_after(ttl);
        // The names made here ("guest-" and eight letters) are longer than any voucher
        // code, so they skip the voucher check `add_guest` makes. A clash of random names
        // is possible but rare; a few tries make it vanishing.
        let mut attempts = 0;
        loop {
            let username = format!("guest-{}", secrets::lower(8));
            let password = generate_guest_password();
            match self
                .insert_guest(site, &username, &password, Some(expires_at), Some(device))
                .await
            {
                Ok(_) => {
                    return Ok(GuestCredential {
                        username,
                        password,
                        expires_at,
                    });
                }
                Err(Error::AlreadyExists { .. }) if attempts < 3 => attempts += 1,
                Err(err) => return Err(err),
            }
        }
    }

    /// The guest account of a site with the given user name.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn guest(&self, site: SiteId, username: &str) -> Result<Option<GuestAccount>, Error> {
        let sql = format!(
            "SELECT {GUEST_COLUMNS} FROM guest_accounts WHERE site_id = $1 AND username = $2"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .bind(username)
            .fetch_optional(pool)
            .await)?)
    }
}
