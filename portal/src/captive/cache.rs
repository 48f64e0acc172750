//! A short-lived in-memory copy of each site's captive view (site, settings, branding),
//! so a landing page costs no query. Entries expire after a few seconds, which is how
//! long an administrator's change takes to show.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use commons_store::{CaptiveSettings, SignUpMode, SiteBranding, Store, WifiSite};

use super::theme::Theme;
use crate::Error;

/// How long a looked-up site is served from memory.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// More entries than this and the cache starts afresh, so scanning random site names
/// cannot grow it without bound.
const MAX_ENTRIES: usize = 10_000;

/// What the captive pages need to know about a site.
#[derive(Debug)]
pub(crate) struct SiteView {
    /// The site.
    pub(crate) site: WifiSite,
    /// Its captive settings (secrets, remembering, hand-off hosts).
    pub(crate) settings: CaptiveSettings,
    /// Its current branding.
    pub(crate) branding: SiteBranding,
    /// The ways of signing up it offers, in its order.
    pub(crate) modes: Vec<SignUpMode>,
    /// Its colours, checked.
    pub(crate) theme: Theme,
}

impl SiteView {
    /// Whether a device may be remembered at this site.
    pub(crate) fn remembers(&self) -> bool {
        self.settings.remember_days > 0
    }
}

type Entries<K> = RwLock<HashMap<K, (Instant, Option<Arc<SiteView>>)>>;

/// Site views by slug, and by UniFi controller site name.
#[derive(Default)]
pub(crate) struct SiteCache {
    by_slug: Entries<String>,
    by_unifi: Entries<String>,
}

fn cached(entries: &Entries<String>, key: &str) -> Option<Option<Arc<SiteView>>> {
    let entries = entries
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    entries
        .get(key)
        .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        .map(|(_, view)| view.clone())
}

fn keep(entries: &Entries<String>, key: &str, view: Option<Arc<SiteView>>) {
    let mut entries = entries
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(key.to_owned(), (Instant::now(), view));
}

impl SiteCache {
    /// The site with slug `slug`, `None` when there is none.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when it cannot be read.
    pub(crate) async fn by_slug(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<SiteView>>, Error> {
        let found = async {
            match store.site_named(slug).await {
                // `site_named` also matches names; only the slug addresses a page.
                Ok(site) => Ok(Some(site).filter(|site| site.slug == slug)),
                Err(commons_store::Error::NotFound { .. }) => Ok(None),
                Err(err) => Err(err),
            }
        };
        lookup(store, &self.by_slug, slug, found).await
    }

    /// The site a UniFi controller calls `unifi_site`, `None` when no site is linked to it.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when it cannot be read.
    pub(crate) async fn by_unifi(
        &self,
        store: &Store,
        unifi_site: &str,
    ) -> Result<Option<Arc<SiteView>>, Error> {
        let found = async {
            match store.site_for_unifi(unifi_site).await {
                Ok(site) => Ok(Some(site)),
                Err(commons_store::Error::NotFound { .. }) => Ok(None),
                Err(err) => Err(err),
            }
        };
        lookup(store, &self.by_unifi, unifi_site, found).await
    }

    /// Drops expired entries.
    pub(crate) fn prune(&self) {
        for entries in [&self.by_slug, &self.by_unifi] {
            entries
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
        }
    }
}

/// The cached view under `key`, else the one of the site `find` finds, kept for next time
/// (its absence too).
async fn lookup(
    store: &Store,
    entries: &Entries<String>,
    key: &str,
    find: impl Future<Output = Result<Option<WifiSite>, commons_store::Error>>,
) -> Result<Option<Arc<SiteView>>, Error> {
    if let Some(view) = cached(entries, key) {
        return Ok(view);
    }
    let view = match find.await? {
        Some(site) => Some(Arc::new(load(store, site).await?)),
        None => None,
    };
    keep(entries, key, view.clone());
    Ok(view)
}

async fn load(store: &Store, site: WifiSite) -> Result<SiteView, Error> {
    let settings = store.captive_settings(site.id).await?;
    let branding = store.current_branding(site.id).await?;
    let theme = Theme::new(&branding);
    Ok(SiteView {
        modes: site.modes(),
        site,
        settings,
        branding,
        theme,
    })
}
