//! Captive-portal sign-ups: the credential a person gets, the consent they gave with
//! the branding version they saw, and the device they asked the site to remember.

use std::time::Duration;

use super::{
    Device, GuestCredential, MacAddress, SignUpMode, devices::DEVICE_COLUMNS,
    guests::ISSUED_PASSWORD_LEN, secrets,
};
use crate::{BeginWrite, Error, SiteId, Store, now, trusted, users::normalise_email, with_pool};

/// A person signing up on a site's captive page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUp<'a> {
    /// The site.
    pub site: SiteId,
    /// How they signed up.
    pub mode: SignUpMode,
    /// Their device, when the access point said which.
    pub device: Option<MacAddress>,
    /// Their email address: required for [`SignUpMode::Email`], once it is confirmed.
    pub email: Option<&'a str>,
    /// The branding version whose terms and privacy notice they were shown.
    pub branding_version: i64,
    /// How long to remember the device: `Some` when the person agreed and the site
    /// remembers devices.
    pub remember_for: Option<Duration>,
    /// How long the credential works.
    pub access_for: Duration,
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Checks the parts of a sign-up that need no database; returns the stored email.
fn checked(sign_up: &SignUp<'_>, issue: bool) -> Result<Option<String>, Error> {
    let email = sign_up
        .email
        .map(normalise_email)
        .filter(|email| !email.is_empty());
    if sign_up.mode == SignUpMode::Email && email.is_none() {
        return Err(Error::Invalid {
            what: "sign-up",
            reason: "an email sign-up needs the confirmed email address".into(),
        });
    }
    if issue && sign_up.access_for.as_secs() == 0 {
        return Err(Error::Invalid {
            what: "access time",
            reason: "it must be at least one second".into(),
        });
    }
    if sign_up.branding_version < 0 {
        return Err(Error::Invalid {
            what: "branding version",
            reason: "it cannot be negative".into(),
        });
    }
    Ok(email)
}

/// Whether the site exists, and whether it published branding version `$2`.
const KNOWN: &str = "SELECT (SELECT COUNT(*) FROM wifi_sites WHERE id = $1), \
                     (SELECT COUNT(*) FROM site_branding WHERE site_id = $1 AND version = $2)";
/// A new guest account; no row (rather than an error, which would end a PostgreSQL
/// transaction) when the user name is taken.
const ISSUE: &str = "INSERT INTO guest_accounts (site_id, username, password, email, mac, \
                     expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (site_id, username) DO NOTHING RETURNING id";
const CONSENT: &str = "INSERT INTO guest_consents (site_id, guest_id, mac, email, mode, \
                       branding_version, remember_device, at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// Remembers a device for the new account, renewing a known one; a block is untouched.
const REMEMBER: &str = "INSERT INTO devices (site_id, mac, guest_id, expires_at, created_at) \
                        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, mac) DO UPDATE SET \
                        expires_at = excluded.expires_at, guest_id = excluded.guest_id";

/// Refuses a sign-up at a site that does not exist, or with a branding version it never
/// published (0, the built-in default, always exists).
fn check_known((sites, versions): (i64, i64), version: i64) -> Result<(), Error> {
    if sites == 0 {
        return Err(Error::NotFound { what: "site" });
    }
    if version > 0 && versions == 0 {
        return Err(Error::Invalid {
            what: "branding version",
            reason: format!("the site never published version {version}; reload the page"),
        });
    }
    Ok(())
}

impl Store {
    /// Signs a person up: issues a credential (bound to their device when known),
    /// records their consent with the branding version they saw, and remembers their
    /// device when [`SignUp::remember_for`] is set and the device is known.
    ///
    /// # Guarantees
    ///
    /// One transaction: the credential, the consent and the remembered device are
    /// stored together or not at all. No device is remembered without `remember_for`;
    /// a blocked device stays blocked.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an email sign-up without an address, an access time of
    /// zero, or a branding version the site never published; [`Error::NotFound`] when
    /// there is no such site.
    pub async fn captive_sign_up(&self, sign_up: &SignUp<'_>) -> Result<GuestCredential, Error> {
        self.sign_up(sign_up, true)
            .await?
            .ok_or(Error::AlreadyExists {
                what: "guest account",
            })
    }

    /// Records a sign-up by voucher: the consent with the branding version, and the
    /// remembered device as [`Store::captive_sign_up`] does, but no credential, since
    /// the voucher itself is the person's credential. [`SignUp::access_for`] is unused.
    ///
    /// # Errors
    ///
    /// As [`Store::captive_sign_up`].
    pub async fn record_voucher_sign_up(&self, sign_up: &SignUp<'_>) -> Result<(), Error> {
        self.sign_up(sign_up, false).await.map(drop)
    }

    /// A sign-up in one transaction, with a fresh credential when `issue` is set.
    async fn sign_up(
        &self,
        sign_up: &SignUp<'_>,
        issue: bool,
    ) -> Result<Option<GuestCredential>, Error> {
        let email = checked(sign_up, issue)?;
        let at = now();
        let expires_at = at.saturating_add(secs(sign_up.access_for));
        let mac = sign_up.device.map(|mac| mac.to_string());
        let remembered = sign_up
            .remember_for
            .filter(|ttl| ttl.as_secs() > 0 && mac.is_some());
        // A clash of random names is possible but rare; a few tries make it vanishing.
        let tries = if issue { 4 } else { 0 };
        let candidates: Vec<GuestCredential> = (0..tries)
            .map(|_| GuestCredential {
                username: format!("guest-{}", secrets::lower(8)),
                password: secrets::typeable(ISSUED_PASSWORD_LEN),
                expires_at,
            })
            .collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let known: (i64, i64) = sqlx::query_as(KNOWN)
                .bind(sign_up.site)
                .bind(sign_up.branding_version)
                .fetch_one(&mut *tx)
                .await?;
            check_known(known, sign_up.branding_version)?;
            let mut issued = None;
            for candidate in candidates {
                let id: Option<i64> = sqlx::query_scalar(ISSUE)
                    .bind(sign_up.site)
                    .bind(&candidate.username)
                    .bind(&candidate.password)
                    .bind(&email)
                    .bind(&mac)
                    .bind(expires_at)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(id) = id {
                    issued = Some((id, candidate));
                    break;
                }
            }
            if issue && issued.is_none() {
                return Err(Error::AlreadyExists { what: "guest account" });
            }
            let guest_id = issued.as_ref().map(|(id, _)| *id);
            sqlx::query(CONSENT)
                .bind(sign_up.site)
                .bind(guest_id)
                .bind(&mac)
                .bind(&email)
                .bind(sign_up.mode.as_str())
                .bind(sign_up.branding_version)
                .bind(remembered.is_some())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            if let (Some(ttl), Some(mac)) = (remembered, &mac) {
                sqlx::query(REMEMBER)
                    .bind(sign_up.site)
                    .bind(mac)
                    .bind(guest_id)
                    .bind(at.saturating_add(secs(ttl)))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(issued.map(|(_, credential)| credential))
        })
    }

    /// The device with this MAC address at this site when the site remembers it now:
    /// known, not blocked and not expired.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn remembered_device(
        &self,
        site: SiteId,
        mac: MacAddress,
    ) -> Result<Option<Device>, Error> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE site_id = $1 AND mac = $2 \
             AND blocked = FALSE AND expires_at > $3"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .bind(mac.to_string())
            .bind(now())
            .fetch_optional(pool)
            .await)?)
    }
}
