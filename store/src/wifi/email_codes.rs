//! Six-digit codes that confirm a person reads the email address they signed up with.
//! Only a digest of each code is stored; each code allows a few attempts and works once.

use std::time::Duration;

use rand::Rng;
use sha2::{Digest, Sha256};

use super::MacAddress;
use crate::{
    BeginWrite, Error, SiteId, Store, now, tokens::hex, users::normalise_email, with_pool,
};

/// Attempts a code allows before it stops working.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
/// Longest email address accepted (RFC 5321 section 4.5.3.1.3 limits a path to 256
/// octets, brackets included).
const MAX_EMAIL_LEN: usize = 254;

/// What checking a code found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code is right; it is now spent.
    Accepted,
    /// The code is wrong; this many attempts remain.
    Wrong {
        /// Attempts left before the code stops working.
        attempts_left: u32,
    },
    /// The code has expired; the person needs a new one.
    Expired,
    /// Every attempt has been used; the person needs a new code.
    TooManyAttempts,
    /// No unused code was sent to this address at this site.
    NoCode,
}

/// The stored form of `code` sent to `email` at `site`.
///
/// Limitation: six digits make a million codes, so a stolen digest gives the code away
/// to anyone who tries them all offline. A digest only keeps codes out of sight in the
/// database and its backups; the short lifetime, the attempt limit and single use are
/// what protect an address.
fn digest(site: SiteId, email: &str, code: &str) -> String {
    hex(&Sha256::digest(
        format!("{site}\n{email}\n{code}").as_bytes(),
    ))
}

fn checked_email(email: &str) -> Result<String, Error> {
    let email = normalise_email(email);
    let plausible = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !plausible || email.len() > MAX_EMAIL_LEN || email.chars().any(char::is_whitespace) {
        return Err(Error::Invalid {
            what: "email address",
            reason: format!("{email:?} is not an email address; write it like name@example.org"),
        });
    }
    Ok(email)
}

#[derive(sqlx::FromRow)]
struct PendingCode {
    id: i64,
    code_digest: String,
    attempts: i64,
    expires_at: i64,
}

impl Store {
    /// Makes a code for `email` at `site`, valid for `ttl`, and returns it for sending.
    ///
    /// # Guarantees
    ///
    /// Six random digits; only a digest is stored. In one transaction the new code
    /// replaces the unused codes this address had at this site, so only the newest
    /// code works.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for something that is not an email address;
    /// [`Error::QueryFailed`] when the code cannot be stored.
    pub async fn create_email_code(
        &self,
        site: SiteId,
        email: &str,
        device: Option<MacAddress>,
        ttl: Duration,
    ) -> Result<String, Error> {
        let email = checked_email(email)?;
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let replace = "DELETE FROM wifi_email_codes \
                       WHERE site_id = $1 AND email = $2 AND used_at IS NULL";
        let insert = "INSERT INTO wifi_email_codes (site_id, email, mac, code_digest, \
                      expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        let at = now();
        let expires_at = at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(replace).bind(site).bind(&email).execute(&mut *tx).await?;
            sqlx::query(insert)
                .bind(site)
                .bind(&email)
                .bind(device.map(|mac| mac.to_string()))
                .bind(digest(site, &email, &code))
                .bind(expires_at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(code)
    }

    /// Checks a code typed for `email` at `site` against the newest unused one. Spaces
    /// in what was typed are ignored.
    ///
    /// # Guarantees
    ///
    /// One transaction that counts the attempt before comparing, so concurrent guesses
    /// cannot exceed [`MAX_CODE_ATTEMPTS`]; a right code is spent and works only once.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked or changed.
    pub async fn check_email_code(
        &self,
        site: SiteId,
        email: &str,
        code: &str,
    ) -> Result<CodeCheck, Error> {
        let email = normalise_email(email);
        let typed: String = code.chars().filter(|ch| !ch.is_whitespace()).collect();
        let pending = "SELECT id, code_digest, attempts, expires_at FROM wifi_email_codes \
                       WHERE site_id = $1 AND email = $2 AND used_at IS NULL \
                       ORDER BY id DESC LIMIT 1";
        let count = "UPDATE wifi_email_codes SET attempts = attempts + 1 \
                     WHERE id = $1 AND used_at IS NULL AND attempts < $2 RETURNING attempts";
        let spend = "UPDATE wifi_email_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
        let limit = i64::from(MAX_CODE_ATTEMPTS);
        let at = now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let code: Option<PendingCode> = sqlx::query_as(pending)
                .bind(site)
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(code) = code else {
                return Ok(CodeCheck::NoCode);
            };
            if code.attempts >= limit {
                return Ok(CodeCheck::TooManyAttempts);
            }
            if code.expires_at <= at {
                return Ok(CodeCheck::Expired);
            }
            // The conditions are checked again under the row's lock, so a concurrent
            // attempt that got there first is seen.
            let counted: Option<i64> = sqlx::query_scalar(count)
                .bind(code.id)
                .bind(limit)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(attempts) = counted else {
                return Ok(CodeCheck::TooManyAttempts);
            };
            let verdict = if digest(site, &email, &typed) == code.code_digest {
                let spent = sqlx::query(spend).bind(code.id).bind(at).execute(&mut *tx).await?;
                if spent.rows_affected() == 0 { CodeCheck::NoCode } else { CodeCheck::Accepted }
            } else {
                let used = u32::try_from(attempts).unwrap_or(MAX_CODE_ATTEMPTS);
                CodeCheck::Wrong { attempts_left: MAX_CODE_ATTEMPTS.saturating_sub(used) }
            };
            tx.commit().await?;
            Ok(verdict)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{checked_email, digest};
    use crate::SiteId;

    #[test]
    fn digests_bind_the_code_to_its_site_and_address() {
        let one = digest(SiteId(1), "ann@example.org", "123456");
        assert_eq!(one.len(), 64);
        assert_ne!(one, digest(SiteId(2), "ann@example.org", "123456"));
        assert_ne!(one, digest(SiteId(1), "bob@example.org", "123456"));
        assert!(!one.contains("123456"));
    }

    #[test]
    fn only_plausible_addresses_get_a_code() {
        assert_eq!(
            checked_email(" Ann@Example.ORG ").ok().as_deref(),
            Some("ann@example.org")
        );
        for bad in [
            "",
            "ann",
            "@example.org",
            "ann@localhost",
            "a nn@example.org",
        ] {
            assert!(checked_email(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod stored {
    use std::time::Duration;

    use super::digest;
    use crate::{Store, with_pool};

    /// The stored digests of every code, oldest first.
    async fn stored_digests(store: &Store) -> Vec<String> {
        let sql = "SELECT code_digest FROM wifi_email_codes ORDER BY id";
        with_pool!(store, pool => sqlx::query_scalar(sql).fetch_all(pool).await).unwrap()
    }

    crate::store_tests! {
        async fn only_a_digest_of_the_code_is_stored(store) {
            let site = store.create_site("Central Library").await.unwrap();
            let email = "ann@example.org";
            let code = store.create_email_code(site.id, email, None, Duration::from_secs(60)).await.unwrap();
            let stored = stored_digests(store).await;
            assert_eq!(stored, [digest(site.id, email, &code)]);
            assert_eq!(stored[0].len(), 64, "a SHA-256 digest in hex, not the code");
        }
    }
}
