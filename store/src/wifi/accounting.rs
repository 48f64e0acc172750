//! Accounting sessions reported by NAS clients (RFC 2866), and the voucher data
//! usage they add up to.

use crate::{BeginWrite, Error, NasId, SiteId, Store, with_pool};

/// What an Accounting-Request reports (RFC 2866 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountingStatus {
    /// A session began.
    Start,
    /// A session goes on; counters so far.
    Interim,
    /// A session ended; final counters.
    Stop,
    /// The NAS started or stopped accounting: its open sessions are over.
    NasRestart,
}

/// One Accounting-Request, as the store keeps it.
#[derive(Clone, Debug)]
pub struct AccountingRecord {
    /// The NAS that reported it.
    pub nas_id: NasId,
    /// Its site.
    pub site_id: SiteId,
    /// What happened.
    pub status: AccountingStatus,
    /// Acct-Session-Id; empty for [`AccountingStatus::NasRestart`].
    pub session_id: String,
    /// User-Name.
    pub username: String,
    /// Calling-Station-Id.
    pub calling_station_id: Option<String>,
    /// Framed-IP-Address, as text.
    pub framed_ip: Option<String>,
    /// The Class we sent in the Access-Accept, as text.
    pub class: Option<String>,
    /// When, Unix seconds.
    pub at: i64,
    /// Acct-Session-Time.
    pub session_secs: i64,
    /// Octets from the user, gigawords included.
    pub input_octets: i64,
    /// Octets to the user, gigawords included.
    pub output_octets: i64,
    /// Acct-Terminate-Cause, as its number.
    pub terminate_cause: Option<String>,
}

/// What a Class we issued in an Access-Accept names as the grant's subject:
/// `commons:site=S:guest=ID`, `…:voucher=ID` or `…:device=ID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ClassSubject {
    /// A guest account.
    Guest(i64),
    /// A voucher.
    Voucher(i64),
    /// A remembered device.
    Device(i64),
}

impl ClassSubject {
    /// Reads the subject from a Class; `None` for a Class we did not write.
    pub(super) fn parse(class: &str) -> Option<Self> {
        let rest = class.strip_prefix("commons:")?;
        rest.split(':').find_map(|part| {
            let (method, id) = part.split_once('=')?;
            let id = id.parse().ok()?;
            match method {
                "guest" => Some(Self::Guest(id)),
                "voucher" => Some(Self::Voucher(id)),
                "device" => Some(Self::Device(id)),
                _ => None,
            }
        })
    }
}

/// The voucher a Class we issued names, if any.
fn voucher_of(class: Option<&str>) -> Option<i64> {
    match ClassSubject::parse(class?)? {
        ClassSubject::Voucher(id) => Some(id),
        _ => None,
    }
}

impl Store {
    /// Records an Accounting-Request. Counters are cumulative per session, so a
    /// retransmission changes nothing; the growth in a voucher session's octets is
    /// added to the voucher's data used.
    ///
    /// # Guarantees
    ///
    /// One transaction: when this returns `Ok`, the record is committed, and only then
    /// may the Accounting-Response go out (RFC 2866 §2).
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when it cannot be written; the NAS will retry.
    pub async fn record_accounting(&self, record: &AccountingRecord) -> Result<(), Error> {
        let close_all = "UPDATE accounting_sessions SET stopped_at = $1, updated_at = $1, \
                         terminate_cause = 'NAS-Reboot' WHERE nas_id = $2 AND stopped_at IS NULL";
        let previous = "SELECT input_octets + output_octets FROM accounting_sessions \
                        WHERE nas_id = $1 AND acct_session_id = $2";
        let upsert = "INSERT INTO accounting_sessions (nas_id, site_id, acct_session_id, username, \
                      calling_station_id, framed_ip, class, started_at, updated_at, stopped_at, \
                      session_secs, input_octets, output_octets, terminate_cause) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13) \
                      ON CONFLICT (nas_id, acct_session_id) DO UPDATE SET \
                      updated_at = excluded.updated_at, \
                      stopped_at = COALESCE(accounting_sessions.stopped_at, excluded.stopped_at), \
                      session_secs = excluded.session_secs, input_octets = excluded.input_octets, \
                      output_octets = excluded.output_octets, \
                      terminate_cause = COALESCE(excluded.terminate_cause, accounting_sessions.terminate_cause), \
                      framed_ip = COALESCE(excluded.framed_ip, accounting_sessions.framed_ip), \
                      class = COALESCE(accounting_sessions.class, excluded.class)";
        let add_usage = "UPDATE vouchers SET bytes_used = bytes_used + $1 WHERE id = $2";
        let stopped_at = (record.status == AccountingStatus::Stop).then_some(record.at);
        let total = record.input_octets.saturating_add(record.output_octets);
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if record.status == AccountingStatus::NasRestart {
                sqlx::query(close_all).bind(record.at).bind(record.nas_id).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(());
            }
            let before: Option<i64> = sqlx::query_scalar(previous)
                .bind(record.nas_id)
                .bind(&record.session_id)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(upsert)
                .bind(record.nas_id)
                .bind(record.site_id)
                .bind(&record.session_id)
                .bind(&record.username)
                .bind(&record.calling_station_id)
                .bind(&record.framed_ip)
                .bind(&record.class)
                .bind(record.at)
                .bind(stopped_at)
                .bind(record.session_secs)
                .bind(record.input_octets)
                .bind(record.output_octets)
                .bind(&record.terminate_cause)
                .execute(&mut *tx)
                .await?;
            let grown = total - before.unwrap_or(0);
            if let (Some(voucher), true) = (voucher_of(record.class.as_deref()), grown > 0) {
                sqlx::query(add_usage).bind(grown).bind(voucher).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many sessions of a NAS are open (started, not stopped).
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn open_sessions(&self, nas: NasId) -> Result<i64, Error> {
        let sql =
            "SELECT COUNT(*) FROM accounting_sessions WHERE nas_id = $1 AND stopped_at IS NULL";
        Ok(with_pool!(self, pool => sqlx::query_scalar(sql).bind(nas).fetch_one(pool).await)?)
    }
}

#[cfg(test)]
mod tests {
    use super::{ClassSubject, voucher_of};

    #[test]
    fn the_voucher_is_read_from_our_class() {
        assert_eq!(voucher_of(Some("commons:site=1:voucher=42")), Some(42));
        assert_eq!(voucher_of(Some("commons:site=1:guest=42")), None);
        assert_eq!(voucher_of(None), None);
    }

    #[test]
    fn the_subject_is_read_only_from_a_class_we_wrote() {
        let subject = ClassSubject::parse("commons:site=1:device=7");
        assert_eq!(subject, Some(ClassSubject::Device(7)));
        assert_eq!(ClassSubject::parse("commons:site=1:guest=x"), None);
        assert_eq!(ClassSubject::parse("other:site=1:guest=3"), None);
    }
}
