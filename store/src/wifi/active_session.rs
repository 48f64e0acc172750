//! The Wi-Fi session a person on the captive page already has, found by the address
//! their device comes from, and what is left of it.

use std::net::IpAddr;

use super::accounting::ClassSubject;
use crate::{Error, SiteId, Store, now, with_pool};

/// A person's current Wi-Fi session, as the captive page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveSession {
    /// When the access point reported it began, Unix seconds.
    pub started_at: i64,
    /// Seconds until the session or its credential ends.
    pub seconds_remaining: Option<i64>,
    /// Bytes left of a voucher's data allowance.
    pub bytes_remaining: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct OpenSession {
    started_at: i64,
    username: String,
    class: Option<String>,
    session_timeout_secs: i64,
}

impl Store {
    /// The open session at a site of the device with address `ip` (its
    /// Framed-IP-Address), with what is left of it: time until the site's session
    /// timeout or the credential, voucher or remembered device expires, whichever is
    /// first, and data left of a voucher's allowance. `None` when there is no open
    /// session or its time is up.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn active_session_by_ip(
        &self,
        site: SiteId,
        ip: IpAddr,
    ) -> Result<Option<ActiveSession>, Error> {
        let sql = "SELECT a.started_at, a.username, a.class, \
                   COALESCE(p.wifi_session_secs, s.session_timeout_secs) AS session_timeout_secs \
                   FROM accounting_sessions a JOIN wifi_sites s ON s.id = a.site_id \
                   LEFT JOIN organisations o ON o.id = s.org_id \
                   LEFT JOIN plans p ON p.id = o.plan_id \
                   WHERE a.site_id = $1 AND a.framed_ip = $2 AND a.stopped_at IS NULL \
                   ORDER BY a.started_at DESC, a.id DESC LIMIT 1";
        let open: Option<OpenSession> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(site)
            .bind(ip.to_canonical().to_string())
            .fetch_optional(pool)
            .await)?;
        let Some(open) = open else {
            return Ok(None);
        };
        let at = now();
        let (subject_end, bytes_remaining) = self.grant_limits(site, &open, at).await?;
        let policy_end = open.started_at.saturating_add(open.session_timeout_secs);
        let end = subject_end.map_or(policy_end, |subject| subject.min(policy_end));
        if end <= at {
            return Ok(None);
        }
        Ok(Some(ActiveSession {
            started_at: open.started_at,
            seconds_remaining: Some(end - at),
            bytes_remaining,
        }))
    }

    /// When the credential behind an open session ends, and the data it has left.
    async fn grant_limits(
        &self,
        site: SiteId,
        open: &OpenSession,
        at: i64,
    ) -> Result<(Option<i64>, Option<i64>), Error> {
        let guest = "SELECT expires_at FROM guest_accounts WHERE site_id = $1 AND id = $2";
        let device = "SELECT expires_at FROM devices WHERE site_id = $1 AND id = $2";
        let (sql, id) = match open.class.as_deref().and_then(ClassSubject::parse) {
            Some(ClassSubject::Guest(id)) => (guest, id),
            Some(ClassSubject::Device(id)) => (device, id),
            Some(ClassSubject::Voucher(id)) => return self.voucher_limits(site, id, at).await,
            // An access point that does not echo the Class: the user name may still be
            // one of the site's guest accounts.
            None => {
                let named = self.guest(site, &open.username).await?;
                return Ok((named.and_then(|guest| guest.expires_at), None));
            }
        };
        let end: Option<Option<i64>> = with_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(site)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok((end.flatten(), None))
    }

    /// When voucher `id` stops granting time, and the data it has left.
    async fn voucher_limits(
        &self,
        site: SiteId,
        id: i64,
        at: i64,
    ) -> Result<(Option<i64>, Option<i64>), Error> {
        type Row = (Option<i64>, Option<i64>, Option<i64>, Option<i64>, i64);
        let sql = "SELECT expires_at, first_used_at, duration_secs, data_limit_bytes, \
                   bytes_used FROM vouchers WHERE site_id = $1 AND id = $2";
        let row: Option<Row> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(site)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        let Some((expires, first_used, duration, limit, used)) = row else {
            return Ok((None, None));
        };
        let allowance_end = duration.map(|secs| first_used.unwrap_or(at).saturating_add(secs));
        let end = match (expires, allowance_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok((end, limit.map(|limit| (limit - used).max(0))))
    }
}
