//! Vouchers: printed codes that grant Wi-Fi access, with a number of uses, an expiry,
//! a time allowance from first use and a data allowance.

use std::time::Duration;

use super::{MacAddress, secrets};
use crate::{BeginWrite, Error, NewAuditEntry, SiteId, Store, now, trusted, with_pool};

/// Characters in a voucher code.
const CODE_LEN: usize = 10;

/// A voucher as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Voucher {
    /// Row id.
    pub id: i64,
    /// The site it is valid at.
    pub site_id: SiteId,
    /// The code people type, upper case without separators.
    pub code: String,
    /// The batch it was issued in.
    pub batch: String,
    /// How many devices may redeem it.
    pub max_uses: i64,
    /// How many have.
    pub uses: i64,
    /// Time allowance from first use, seconds.
    pub duration_secs: Option<i64>,
    /// Data allowance, bytes.
    pub data_limit_bytes: Option<i64>,
    /// Data used so far, bytes, from accounting.
    pub bytes_used: i64,
    /// First redemption, Unix seconds.
    pub first_used_at: Option<i64>,
    /// Last moment it can be used at all, Unix seconds.
    pub expires_at: Option<i64>,
}

pub(super) const VOUCHER_COLUMNS: &str = "id, site_id, code, batch, max_uses, uses, \
                                          duration_secs, data_limit_bytes, bytes_used, \
                                          first_used_at, expires_at";

/// A batch of vouchers to print.
#[derive(Clone, Debug)]
pub struct NewVouchers {
    /// How many codes.
    pub count: u32,
    /// How many devices may redeem each.
    pub max_uses: u32,
    /// Time allowance from first use.
    pub duration: Option<Duration>,
    /// Data allowance in bytes.
    pub data_limit_bytes: Option<u64>,
    /// How long an unused code stays valid.
    pub valid_for: Option<Duration>,
}

/// What redeeming a voucher did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redemption {
    /// A use was spent; the voucher as it now stands.
    Spent(Voucher),
    /// This device had already redeemed it, so no use was spent.
    Returning(Voucher),
    /// Every use has been spent by other devices.
    Exhausted,
}

/// Puts a typed code into stored form: upper case, spaces and dashes removed.
pub fn normalise_voucher_code(text: &str) -> String {
    text.chars()
        .filter(|ch| !matches!(ch, '-' | ' '))
        .flat_map(char::to_uppercase)
        .collect()
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

impl Store {
    /// Issues a batch of vouchers for a site and returns them, codes included.
    ///
    /// # Guarantees
    ///
    /// All or nothing: one transaction.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a count or number of uses of zero.
    pub async fn issue_vouchers(
        &self,
        site: SiteId,
        batch: &NewVouchers,
    ) -> Result<Vec<Voucher>, Error> {
        self.issue_vouchers_with(site, batch, None).await
    }

    /// Issues a batch of vouchers like [`Store::issue_vouchers`], writing `audit` in the
    /// same transaction.
    ///
    /// # Guarantees
    ///
    /// All or nothing: the codes and the audit entry commit together.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a count or number of uses of zero.
    pub async fn issue_vouchers_audited(
        &self,
        site: SiteId,
        batch: &NewVouchers,
        audit: &NewAuditEntry,
    ) -> Result<Vec<Voucher>, Error> {
        self.issue_vouchers_with(site, batch, Some(audit)).await
    }

    async fn issue_vouchers_with(
        &self,
        site: SiteId,
        batch: &NewVouchers,
        audit: Option<&NewAuditEntry>,
    ) -> Result<Vec<Voucher>, Error> {
        if batch.count == 0 || batch.max_uses == 0 {
            return Err(Error::Invalid {
                what: "voucher batch",
                reason: "count and uses must be at least 1".into(),
            });
        }
        let at = now();
        let batch_name = format!("{at}-{}", secrets::lower(4));
        let sql = format!(
            "INSERT INTO vouchers (site_id, code, batch, max_uses, duration_secs, \
             data_limit_bytes, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {VOUCHER_COLUMNS}"
        );
        let data_limit = batch
            .data_limit_bytes
            .map(|bytes| i64::try_from(bytes).unwrap_or(i64::MAX));
        let expires_at = batch.valid_for.map(|ttl| at.saturating_add(secs(ttl)));
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut issued = Vec::with_capacity(batch.count as usize);
            for _ in 0..batch.count {
                let voucher: Voucher = sqlx::query_as(trusted(sql.as_str()))
                    .bind(site)
                    .bind(secrets::typeable(CODE_LEN))
                    .bind(&batch_name)
                    .bind(i64::from(batch.max_uses))
                    .bind(batch.duration.map(secs))
                    .bind(data_limit)
                    .bind(expires_at)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(Error::unique("voucher code"))?;
                issued.push(voucher);
            }
            if let Some(audit) = audit {
                crate::audit::insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            Ok(issued)
        })
    }

    /// The voucher with this code, in any letter case and with or without dashes.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn voucher(&self, code: &str) -> Result<Option<Voucher>, Error> {
        let sql = format!("SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE code = $1");
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(normalise_voucher_code(code))
            .fetch_optional(pool)
            .await)?)
    }

    /// Redeems a voucher for a device: spends a use unless this device already did.
    /// Without a MAC address every redemption spends a use.
    ///
    /// # Guarantees
    ///
    /// One transaction; a use is spent only while uses remain, even when several
    /// devices redeem the last use at the same moment.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the voucher no longer exists.
    pub async fn redeem_voucher(
        &self,
        id: i64,
        device: Option<MacAddress>,
    ) -> Result<Redemption, Error> {
        let select = format!("SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE id = $1");
        let returning =
            "SELECT COUNT(*) FROM voucher_redemptions WHERE voucher_id = $1 AND mac = $2";
        let spend = format!(
            "UPDATE vouchers SET uses = uses + 1, first_used_at = COALESCE(first_used_at, $2) \
             WHERE id = $1 AND uses < max_uses RETURNING {VOUCHER_COLUMNS}"
        );
        let remember = "INSERT INTO voucher_redemptions (voucher_id, mac, at) VALUES ($1, $2, $3) \
                        ON CONFLICT (voucher_id, mac) DO NOTHING";
        let mac = device.map(|mac| mac.to_string());
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            if let Some(mac) = &mac {
                let seen: i64 = sqlx::query_scalar(returning)
                    .bind(id)
                    .bind(mac)
                    .fetch_one(&mut *tx)
                    .await?;
                if seen > 0 {
                    let voucher: Option<Voucher> =
                        sqlx::query_as(trusted(&select)).bind(id).fetch_optional(&mut *tx).await?;
                    tx.commit().await?;
                    return voucher
                        .map(Redemption::Returning)
                        .ok_or(Error::NotFound { what: "voucher" });
                }
            }
            let spent: Option<Voucher> = sqlx::query_as(trusted(&spend))
                .bind(id)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(voucher) = spent else {
                tx.commit().await?;
                return Ok(Redemption::Exhausted);
            };
            if let Some(mac) = &mac {
                sqlx::query(remember).bind(id).bind(mac).bind(at).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Redemption::Spent(voucher))
        })
    }

    /// Adds data used under a voucher, from accounting.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn add_voucher_usage(&self, id: i64, bytes: i64) -> Result<(), Error> {
        let sql = "UPDATE vouchers SET bytes_used = bytes_used + $1 WHERE id = $2";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(bytes)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_voucher_code;

    #[test]
    fn codes_are_read_in_any_case_with_or_without_dashes() {
        assert_eq!(normalise_voucher_code("abcd-efgh 23"), "ABCDEFGH23");
    }
}
