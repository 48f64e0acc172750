//! Wi-Fi sites and the access policy each one gives its guests.

use std::{fmt, str::FromStr};

use crate::{Error, SiteId, Store, now, trusted, with_pool};

/// A place with public Wi-Fi: a library, a community centre, a park.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WifiSite {
    /// Row id.
    pub id: SiteId,
    /// Short name used on the command line and in URLs.
    pub slug: String,
    /// Name shown to people.
    pub name: String,
    /// How guests may sign up, comma-separated: `terms`, `email`, `voucher`.
    pub signup_modes: String,
    /// Longest session, in seconds.
    pub session_timeout_secs: i64,
    /// Idle time after which a session ends, in seconds.
    pub idle_timeout_secs: i64,
    /// How often the access point reports usage, in seconds.
    pub interim_interval_secs: i64,
    /// Download limit, kbit/s.
    pub down_kbps: Option<i64>,
    /// Upload limit, kbit/s.
    pub up_kbps: Option<i64>,
    /// Days the authentication log of this site is kept.
    pub retention_days: i64,
}

/// A way a person may sign up on a site's captive page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignUpMode {
    /// Accept the terms and go online.
    Terms,
    /// Confirm an email address with a code sent to it.
    Email,
    /// Type a printed voucher code.
    Voucher,
}

impl SignUpMode {
    /// The stored spelling: `terms`, `email` or `voucher`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terms => "terms",
            Self::Email => "email",
            Self::Voucher => "voucher",
        }
    }
}

impl fmt::Display for SignUpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignUpMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "terms" => Ok(Self::Terms),
            "email" => Ok(Self::Email),
            "voucher" => Ok(Self::Voucher),
            other => Err(Error::Invalid {
                what: "sign-up mode",
                reason: format!("{other:?} is not one of terms, email, voucher"),
            }),
        }
    }
}

impl WifiSite {
    /// The sign-up modes the site offers, in the order its settings list them, each
    /// once; unknown words in the stored list are skipped.
    pub fn modes(&self) -> Vec<SignUpMode> {
        let mut modes = Vec::new();
        for mode in self
            .signup_modes
            .split(',')
            .filter_map(|word| word.parse().ok())
        {
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        modes
    }
}

pub(super) const SITE_COLUMNS: &str = "id, slug, name, signup_modes, session_timeout_secs, \
                                       idle_timeout_secs, interim_interval_secs, down_kbps, \
                                       up_kbps, retention_days";

/// What a site grants: its own settings, narrowed or widened by the plan of the
/// organisation that runs it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SitePolicy {
    /// The site.
    pub site_id: SiteId,
    /// Its slug, for logs and metrics.
    pub slug: String,
    /// Longest session, in seconds.
    pub session_timeout_secs: i64,
    /// Idle time after which a session ends, in seconds.
    pub idle_timeout_secs: i64,
    /// How often the access point reports usage, in seconds.
    pub interim_interval_secs: i64,
    /// Download limit, kbit/s.
    pub down_kbps: Option<i64>,
    /// Upload limit, kbit/s.
    pub up_kbps: Option<i64>,
}

/// Turns a site name into a slug: lower-case letters and digits joined by `-`.
pub fn site_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for ch in name.trim().chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

impl Store {
    /// Creates a Wi-Fi site with the default policy.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when a site with the same slug exists;
    /// [`Error::Invalid`] for a name without letters or digits.
    pub async fn create_site(&self, name: &str) -> Result<WifiSite, Error> {
        let slug = site_slug(name);
        if slug.is_empty() {
            return Err(Error::Invalid {
                what: "site name",
                reason: "it needs at least one letter or digit".into(),
            });
        }
        let sql = format!(
            "INSERT INTO wifi_sites (slug, name, created_at) VALUES ($1, $2, $3) \
             RETURNING {SITE_COLUMNS}"
        );
        with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(&slug)
            .bind(name.trim())
            .bind(now())
            .fetch_one(pool)
            .await)
        .map_err(Error::unique("site"))
    }

    /// Finds a site by slug or by name, in any letter case.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn site_named(&self, name: &str) -> Result<WifiSite, Error> {
        let sql = format!(
            "SELECT {SITE_COLUMNS} FROM wifi_sites WHERE slug = $1 OR lower(name) = $2 \
             ORDER BY id LIMIT 1"
        );
        let site: Option<WifiSite> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site_slug(name))
            .bind(name.trim().to_lowercase())
            .fetch_optional(pool)
            .await)?;
        site.ok_or(Error::NotFound { what: "site" })
    }

    /// The policy of every site, with plan values taking the place of site values
    /// where the site's organisation has a plan that sets them.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn site_policies(&self) -> Result<Vec<SitePolicy>, Error> {
        let sql = "SELECT s.id AS site_id, s.slug, \
                   COALESCE(p.wifi_session_secs, s.session_timeout_secs) AS session_timeout_secs, \
                   s.idle_timeout_secs, s.interim_interval_secs, \
                   COALESCE(p.wifi_down_kbps, s.down_kbps) AS down_kbps, \
                   COALESCE(p.wifi_up_kbps, s.up_kbps) AS up_kbps \
                   FROM wifi_sites s \
                   LEFT JOIN organisations o ON o.id = s.org_id \
                   LEFT JOIN plans p ON p.id = o.plan_id \
                   ORDER BY s.id";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?)
    }

    /// Sets a site's bandwidth limits in kbit/s; `None` removes a limit.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn set_site_bandwidth(
        &self,
        site: SiteId,
        down_kbps: Option<i64>,
        up_kbps: Option<i64>,
    ) -> Result<(), Error> {
        let sql = "UPDATE wifi_sites SET down_kbps = $1, up_kbps = $2 WHERE id = $3";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(down_kbps)
            .bind(up_kbps)
            .bind(site)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "site" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{SignUpMode, WifiSite, site_slug};
    use crate::SiteId;

    #[test]
    fn site_names_become_readable_slugs() {
        assert_eq!(site_slug("Central Library"), "central-library");
        assert_eq!(site_slug("  St. Mary's Hall! "), "st-mary-s-hall");
        assert_eq!(site_slug("!!!"), "");
    }

    #[test]
    fn modes_are_read_from_the_stored_list_in_order_once() {
        let site = WifiSite {
            id: SiteId(1),
            slug: "park".into(),
            name: "Park".into(),
            signup_modes: " Voucher,terms,,sms,voucher".into(),
            session_timeout_secs: 3600,
            idle_timeout_secs: 600,
            interim_interval_secs: 300,
            down_kbps: None,
            up_kbps: None,
            retention_days: 30,
        };
        assert_eq!(site.modes(), [SignUpMode::Voucher, SignUpMode::Terms]);
        assert_eq!(SignUpMode::Email.to_string(), "email");
        assert!("sms".parse::<SignUpMode>().is_err());
    }
}
