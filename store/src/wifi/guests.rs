//! Guest credentials: issued by the captive portal for one device, or added by an
//! administrator, each with an optional expiry.

use std::{fmt, time::Duration};

use super::{MacAddress, secrets};
use crate::{Error, SiteId, Store, now, trusted, with_pool};

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

fn expiry_after(ttl: Duration) -> i64 {
    now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Adds a guest account with a chosen user name and password.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the site already has that user name;
    /// [`Error::Invalid`] for an empty user name, or a password that is empty or
    /// longer than RADIUS can carry (128 octets, RFC 2865 section 5.2).
    pub async fn add_guest(
        &self,
        site: SiteId,
        username: &str,
        password: &str,
        expires_at: Option<i64>,
        device: Option<MacAddress>,
    ) -> Result<GuestAccount, Error> {
        if username.trim().is_empty() {
            return Err(Error::Invalid {
                what: "user name",
                reason: "it is empty".into(),
            });
        }
        if password.is_empty() || password.len() > 128 {
            return Err(Error::Invalid {
                what: "password",
                reason: "it must be 1 to 128 bytes long".into(),
            });
        }
        let sql = format!(
            "INSERT INTO guest_accounts (site_id, username, password, mac, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {GUEST_COLUMNS}"
        );
        with_pool!(self, pool => sqlx::query_as(trusted(sql))
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
        // A clash of random names is possible but rare; a few tries make it vanishing.
        let mut attempts = 0;
        loop {
            let username = format!("guest-{}", secrets::lower(8));
            let password = secrets::typeable(ISSUED_PASSWORD_LEN);
            match self
                .add_guest(site, &username, &password, Some(expires_at), Some(device))
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
