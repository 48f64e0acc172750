//! How a site's captive portal works with its access points: session lengths, the
//! secrets that sign hand-offs, a UniFi controller and the hosts a hand-off may go to.

use std::{fmt, net::IpAddr};

use super::{WifiSite, sites::SITE_COLUMNS};
use crate::{Error, SiteId, Store, trusted, with_pool};

/// The captive-portal settings of one site.
#[derive(Clone, PartialEq, Eq)]
pub struct CaptiveSettings {
    /// Access granted by accepting the terms, seconds.
    pub terms_session_secs: i64,
    /// Days a device is remembered when its person agrees; 0: never remember.
    pub remember_days: i64,
    /// CoovaChilli's UAM secret.
    pub uam_secret: Option<String>,
    /// openNDS's FAS key.
    pub fas_key: Option<String>,
    /// The UniFi controller that authorises this site's guests.
    pub unifi: Option<UnifiController>,
    /// Extra host names a hand-off may send a person to, lower case.
    pub handoff_hosts: Vec<String>,
}

impl fmt::Debug for CaptiveSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| "***");
        f.debug_struct("CaptiveSettings")
            .field("terms_session_secs", &self.terms_session_secs)
            .field("remember_days", &self.remember_days)
            .field("uam_secret", &hidden(&self.uam_secret))
            .field("fas_key", &hidden(&self.fas_key))
            .field("unifi", &self.unifi)
            .field("handoff_hosts", &self.handoff_hosts)
            .finish()
    }
}

/// A UniFi Network controller and the account Commons signs in to it with.
#[derive(Clone, PartialEq, Eq)]
pub struct UnifiController {
    /// Its base URL, such as `https://unifi.council.example:8443/`.
    pub url: String,
    /// The controller's name for the site, such as `default`.
    pub site: String,
    /// The account's user name.
    pub username: String,
    /// The account's password.
    pub password: String,
}

impl fmt::Debug for UnifiController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnifiController")
            .field("url", &self.url)
            .field("site", &self.site)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    terms_session_secs: i64,
    remember_days: i64,
    uam_secret: Option<String>,
    fas_key: Option<String>,
    unifi_url: Option<String>,
    unifi_site: Option<String>,
    unifi_username: Option<String>,
    unifi_password: Option<String>,
    handoff_hosts: String,
}

impl From<SettingsRow> for CaptiveSettings {
    fn from(row: SettingsRow) -> Self {
        let unifi = match (
            row.unifi_url,
            row.unifi_site,
            row.unifi_username,
            row.unifi_password,
        ) {
            (Some(url), Some(site), Some(username), Some(password)) => Some(UnifiController {
                url,
                site,
                username,
                password,
            }),
            _ => None,
        };
        Self {
            terms_session_secs: row.terms_session_secs,
            remember_days: row.remember_days,
            uam_secret: row.uam_secret,
            fas_key: row.fas_key,
            unifi,
            handoff_hosts: row
                .handoff_hosts
                .split(',')
                .map(str::trim)
                .filter(|host| !host.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

fn invalid(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        what,
        reason: reason.into(),
    }
}

/// A trimmed secret, or `None` when blank.
fn optional(text: Option<&String>) -> Option<String> {
    text.map(|text| text.trim())
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// A host name (letters, digits, `-` and `.`) or IP address, in stored form.
fn checked_host(text: &str) -> Result<String, Error> {
    let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let plain_name = text.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if (plain_name && text.len() <= 253) || text.parse::<IpAddr>().is_ok() {
        return Ok(text);
    }
    Err(invalid(
        "hand-off host",
        format!("{text:?} is not a host name; write names like ap.council.example, one per entry"),
    ))
}

fn checked_unifi(unifi: &UnifiController) -> Result<UnifiController, Error> {
    let url = url::Url::parse(unifi.url.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| {
            invalid(
                "UniFi controller URL",
                format!(
                    "{:?} is not an http or https URL; write it like https://unifi.example:8443/",
                    unifi.url
                ),
            )
        })?;
    let site = unifi.site.trim();
    if site.is_empty() || site.contains(['/', '?', '#']) || site.chars().any(char::is_whitespace) {
        return Err(invalid(
            "UniFi site name",
            format!(
                "{site:?} is not a site name; use the controller's name for it, such as default"
            ),
        ));
    }
    if unifi.username.trim().is_empty() || unifi.password.is_empty() {
        return Err(invalid(
            "UniFi account",
            "the user name or password is empty; enter the account Commons signs in with",
        ));
    }
    Ok(UnifiController {
        url: url.to_string(),
        site: site.to_owned(),
        username: unifi.username.trim().to_owned(),
        password: unifi.password.clone(),
    })
}

impl Store {
    /// The captive-portal settings of a site.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn captive_settings(&self, site: SiteId) -> Result<CaptiveSettings, Error> {
        let sql = "SELECT terms_session_secs, remember_days, uam_secret, fas_key, unifi_url, \
                   unifi_site, unifi_username, unifi_password, handoff_hosts \
                   FROM wifi_sites WHERE id = $1";
        let row: Option<SettingsRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(site).fetch_optional(pool).await)?;
        row.map(CaptiveSettings::from)
            .ok_or(Error::NotFound { what: "site" })
    }

    /// Replaces the captive-portal settings of a site. Blank secrets are stored as none;
    /// host names are stored in lower case.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field: a terms session under one second, negative
    /// remember days, a UniFi controller with a bad URL, site name or empty account, or
    /// a hand-off host that is not a host name; [`Error::AlreadyExists`] when another
    /// site uses the same UniFi site name; [`Error::NotFound`] when there is no such site.
    pub async fn set_captive_settings(
        &self,
        site: SiteId,
        settings: &CaptiveSettings,
    ) -> Result<(), Error> {
        if settings.terms_session_secs <= 0 {
            return Err(invalid("terms session", "it must be at least one second"));
        }
        if settings.remember_days < 0 {
            return Err(invalid(
                "remember days",
                "it must be 0 (never remember) or more",
            ));
        }
        let unifi = settings.unifi.as_ref().map(checked_unifi).transpose()?;
        let hosts = settings
            .handoff_hosts
            .iter()
            .filter(|host| !host.trim().is_empty())
            .map(|host| checked_host(host))
            .collect::<Result<Vec<_>, _>>()?;
        let sql = "UPDATE wifi_sites SET terms_session_secs = $1, remember_days = $2, \
                   uam_secret = $3, fas_key = $4, unifi_url = $5, unifi_site = $6, \
                   unifi_username = $7, unifi_password = $8, handoff_hosts = $9 WHERE id = $10";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(settings.terms_session_secs)
            .bind(settings.remember_days)
            .bind(optional(settings.uam_secret.as_ref()))
            .bind(optional(settings.fas_key.as_ref()))
            .bind(unifi.as_ref().map(|u| &u.url))
            .bind(unifi.as_ref().map(|u| &u.site))
            .bind(unifi.as_ref().map(|u| &u.username))
            .bind(unifi.as_ref().map(|u| &u.password))
            .bind(hosts.join(","))
            .bind(site)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(Error::unique("site with this UniFi site name"))?;
        if done == 0 {
            return Err(Error::NotFound { what: "site" });
        }
        Ok(())
    }

    /// The site whose UniFi controller calls it `unifi_site`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no site uses that name.
    pub async fn site_for_unifi(&self, unifi_site: &str) -> Result<WifiSite, Error> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM wifi_sites WHERE unifi_site = $1");
        let site: Option<WifiSite> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(unifi_site)
            .fetch_optional(pool)
            .await)?;
        site.ok_or(Error::NotFound { what: "site" })
    }
}

#[cfg(test)]
mod tests {
    use super::checked_host;

    #[test]
    fn hand_off_hosts_are_plain_names_or_addresses() {
        assert_eq!(
            checked_host(" AP.Council.Example. ").ok().as_deref(),
            Some("ap.council.example")
        );
        assert_eq!(checked_host("192.0.2.1").ok().as_deref(), Some("192.0.2.1"));
        for bad in [
            "*.example.org",
            "https://ap.example",
            "a..b",
            "ap example",
            "host/path",
        ] {
            assert!(checked_host(bad).is_err(), "{bad}");
        }
    }
}
