//! Changing a registered NAS client, its settings or its shared secret, each change
//! committed together with its audit entry.

use super::{
    Cidr, NasClient, SharedSecret,
    nas::{NAS_COLUMNS, NasRow},
};
use crate::{
    BeginWrite, Error, NasId, NewAuditEntry, SiteId, Store, audit::insert_audit, now, trusted,
    with_pool,
};

/// The settings of a NAS client an administrator may change; its site and secret stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NasSettings {
    /// Name for people and metrics; the address when empty.
    pub name: String,
    /// Where its requests come from.
    pub address: Cidr,
    /// Its make, such as `mikrotik`.
    pub vendor: String,
    /// Whether its Access-Requests must carry a valid Message-Authenticator.
    pub require_message_authenticator: bool,
}

impl Store {
    /// NAS client `id` of site `site`, secret included.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such client.
    pub async fn site_nas_client(&self, site: SiteId, id: NasId) -> Result<NasClient, Error> {
        let sql = format!("SELECT {NAS_COLUMNS} FROM nas_clients WHERE id = $1 AND site_id = $2");
        let row: Option<NasRow> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .bind(site)
            .fetch_optional(pool)
            .await)?;
        row.ok_or(Error::NotFound { what: "NAS client" })?
            .try_into()
    }

    /// Changes the settings of NAS client `id` of site `site`, writing `audit` in the same
    /// transaction. The RADIUS server picks the change up on its next reload.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such client; [`Error::AlreadyExists`] when
    /// another client has the new address.
    pub async fn update_site_nas_client(
        &self,
        site: SiteId,
        id: NasId,
        settings: &NasSettings,
        audit: &NewAuditEntry,
    ) -> Result<NasClient, Error> {
        let name = if settings.name.trim().is_empty() {
            settings.address.to_string()
        } else {
            settings.name.trim().to_owned()
        };
        let sql = format!(
            "UPDATE nas_clients SET name = $1, address = $2, vendor = $3, \
             require_message_authenticator = $4, updated_at = $5 \
             WHERE id = $6 AND site_id = $7 RETURNING {NAS_COLUMNS}"
        );
        let row: NasRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<NasRow> = sqlx::query_as(trusted(sql))
                .bind(&name)
                .bind(settings.address.to_string())
                .bind(settings.vendor.trim().to_lowercase())
                .bind(settings.require_message_authenticator)
                .bind(now())
                .bind(id)
                .bind(site)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::unique("NAS client with this address"))?;
            let row = row.ok_or(Error::NotFound { what: "NAS client" })?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok::<_, Error>(row)
        })?;
        row.try_into()
    }

    /// Gives NAS client `id` of site `site` the new shared secret `secret`, writing `audit`
    /// (which must not hold the secret) in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such client.
    pub async fn set_site_nas_secret(
        &self,
        site: SiteId,
        id: NasId,
        secret: &SharedSecret,
        audit: &NewAuditEntry,
    ) -> Result<NasClient, Error> {
        let sql = format!(
            "UPDATE nas_clients SET secret = $1, updated_at = $2 WHERE id = $3 AND site_id = $4 \
             RETURNING {NAS_COLUMNS}"
        );
        let row: NasRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<NasRow> = sqlx::query_as(trusted(sql))
                .bind(secret.expose())
                .bind(now())
                .bind(id)
                .bind(site)
                .fetch_optional(&mut *tx)
                .await?;
            let row = row.ok_or(Error::NotFound { what: "NAS client" })?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok::<_, Error>(row)
        })?;
        row.try_into()
    }
}
