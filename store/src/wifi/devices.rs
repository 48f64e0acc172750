//! Remembered devices: a MAC address that may join a site without signing in again,
//! until its memory expires or an administrator blocks it.

use std::time::Duration;

use super::MacAddress;
use crate::{Error, SiteId, Store, now, trusted, with_pool};

/// A device a site knows.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Device {
    /// Row id.
    pub id: i64,
    /// The site that remembers it.
    pub site_id: SiteId,
    /// Its MAC address, canonical spelling.
    pub mac: String,
    /// Blocked devices are refused whatever credential they offer.
    pub blocked: bool,
    /// When the site forgets it, Unix seconds.
    pub expires_at: i64,
}

pub(super) const DEVICE_COLUMNS: &str = "id, site_id, mac, blocked, expires_at";

impl Store {
    /// Remembers a device for `ttl` from now, or renews the memory of a known one.
    ///
    /// # Guarantees
    ///
    /// Idempotent apart from the expiry; a blocked device stays blocked.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when it cannot be stored.
    pub async fn remember_device(
        &self,
        site: SiteId,
        mac: MacAddress,
        ttl: Duration,
    ) -> Result<Device, Error> {
        let at = now();
        let expires = at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sql = format!(
            "INSERT INTO devices (site_id, mac, expires_at, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (site_id, mac) DO UPDATE SET expires_at = excluded.expires_at \
             RETURNING {DEVICE_COLUMNS}"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .bind(mac.to_string())
            .bind(expires)
            .bind(at)
            .fetch_one(pool)
            .await)?)
    }

    /// Blocks or unblocks a known device.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site does not know the device.
    pub async fn set_device_blocked(
        &self,
        site: SiteId,
        mac: MacAddress,
        blocked: bool,
    ) -> Result<(), Error> {
        let sql = "UPDATE devices SET blocked = $1 WHERE site_id = $2 AND mac = $3";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(blocked)
            .bind(site)
            .bind(mac.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "device" });
        }
        Ok(())
    }

    /// The device with this MAC address at this site, expired or not.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn device(&self, site: SiteId, mac: MacAddress) -> Result<Option<Device>, Error> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE site_id = $1 AND mac = $2");
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .bind(mac.to_string())
            .fetch_optional(pool)
            .await)?)
    }

    /// Device `id` of site `site`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such device.
    pub async fn site_device(&self, site: SiteId, id: i64) -> Result<Device, Error> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1 AND site_id = $2");
        let device: Option<Device> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .bind(site)
            .fetch_optional(pool)
            .await)?;
        device.ok_or(Error::NotFound { what: "device" })
    }
}
