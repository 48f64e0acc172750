//! The branding of a site's captive page: name, colours, logo, terms and privacy
//! notice, kept as numbered versions so each consent names the texts a person saw.

use std::fmt;

use crate::{
    BeginWrite, Error, NewAuditEntry, SiteId, Store, UserId, audit::insert_audit, now, trusted,
    with_pool,
};

/// Largest logo accepted, bytes: the captive page must load fast on a weak signal.
pub const MAX_LOGO_BYTES: usize = 64 * 1024;
/// Longest terms or privacy notice, characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest display name, characters.
const MAX_NAME_CHARS: usize = 100;
/// Least contrast of the primary colour on the background (WCAG 2.2 criterion 1.4.3, AA).
pub const MIN_CONTRAST: f64 = 4.5;
/// Logo types the captive page serves: raster images only, since SVG can carry scripts.
pub const LOGO_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

const DEFAULT_PRIMARY: &str = "#0b3d5c";
const DEFAULT_BACKGROUND: &str = "#ffffff";
const DEFAULT_TERMS: &str = "This Wi-Fi is free to use. Use it lawfully and do not use it to \
                             harm other people or the network. Access may be limited or \
                             ended at any time, and it comes with no guarantee.";

/// One version of a site's branding. Version 0 is the built-in default, never stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteBranding {
    /// The site.
    pub site_id: SiteId,
    /// Increases by one with every published edit; 0 for the built-in default.
    pub version: i64,
    /// Name shown at the top of the page.
    pub display_name: String,
    /// Colour of buttons and links, `#rrggbb`.
    pub colour_primary: String,
    /// Page background, `#rrggbb`.
    pub colour_background: String,
    /// Terms of use, plain text.
    pub terms: String,
    /// Privacy notice, plain text.
    pub privacy: String,
    /// The logo's media type, when the version has a logo.
    pub logo_mime: Option<String>,
    /// When the version was published, Unix seconds.
    pub created_at: i64,
}

const BRANDING_COLUMNS: &str = "site_id, version, display_name, colour_primary, \
                                colour_background, terms, privacy, logo_mime, created_at";

/// What to do with the logo when publishing a new version.
#[derive(Clone, PartialEq, Eq)]
pub enum LogoChange {
    /// Carry over the current version's logo, or none.
    Keep,
    /// Publish without a logo.
    Remove,
    /// Publish with this image.
    Replace {
        /// Its media type: one of [`LOGO_TYPES`].
        mime: String,
        /// The image, at most [`MAX_LOGO_BYTES`].
        bytes: Vec<u8>,
    },
}

impl fmt::Debug for LogoChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keep => f.write_str("Keep"),
            Self::Remove => f.write_str("Remove"),
            Self::Replace { mime, bytes } => f
                .debug_struct("Replace")
                .field("mime", mime)
                .field("bytes", &bytes.len())
                .finish(),
        }
    }
}

/// An edit of a site's branding, published as a new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandingUpdate {
    /// Name shown at the top of the page.
    pub display_name: String,
    /// Colour of buttons and links, `#rrggbb`.
    pub colour_primary: String,
    /// Page background, `#rrggbb`.
    pub colour_background: String,
    /// Terms of use, plain text.
    pub terms: String,
    /// Privacy notice, plain text.
    pub privacy: String,
    /// The logo.
    pub logo: LogoChange,
}

/// The branding a site shows before anyone has published one.
fn default_branding(site: SiteId, name: String, created_at: i64, retention: i64) -> SiteBranding {
    let privacy = format!(
        "{name} keeps your device's hardware (MAC) address, the times and amount of your \
         use, and your email address if you give one, to run this Wi-Fi and keep it safe. \
         These records are deleted after {retention} days. Ask {name} for a copy of what \
         it holds about you, or for it to be deleted."
    );
    SiteBranding {
        site_id: site,
        version: 0,
        display_name: name,
        colour_primary: DEFAULT_PRIMARY.into(),
        colour_background: DEFAULT_BACKGROUND.into(),
        terms: DEFAULT_TERMS.into(),
        privacy,
        logo_mime: None,
        created_at,
    }
}

/// Reads `#rrggbb` (either letter case) into its three channels.
fn parse_colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// Relative luminance of an sRGB colour (WCAG 2.2, definition of relative luminance).
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// Contrast ratio of two colours, from 1 (none) to 21 (black on white).
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn invalid(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        what,
        reason: reason.into(),
    }
}

fn checked_colour(what: &'static str, text: &str) -> Result<([u8; 3], String), Error> {
    let text = text.trim();
    let rgb = parse_colour(text).ok_or_else(|| {
        invalid(
            what,
            format!("{text:?} is not a colour; write it as # and six hex digits, like #0b3d5c"),
        )
    })?;
    Ok((rgb, text.to_ascii_lowercase()))
}

fn checked_text(what: &'static str, text: &str, max: usize) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(what, "it is empty; write it out"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(invalid(
            what,
            format!("it has {chars} characters; shorten it to {max} at most"),
        ));
    }
    Ok(text.to_owned())
}

/// Whether `bytes` start the way a file of type `mime` does.
fn looks_like(mime: &str, bytes: &[u8]) -> bool {
    match mime {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(b"\xff\xd8\xff"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

fn checked_logo(mime: &str, bytes: &[u8]) -> Result<String, Error> {
    let mime = mime.trim().to_ascii_lowercase();
    if !LOGO_TYPES.contains(&mime.as_str()) {
        return Err(invalid(
            "logo",
            format!("{mime:?} images are not accepted; upload a PNG, JPEG or WebP file"),
        ));
    }
    if bytes.is_empty() || bytes.len() > MAX_LOGO_BYTES {
        return Err(invalid(
            "logo",
            format!(
                "it is {} bytes; upload an image of at most {} KiB",
                bytes.len(),
                MAX_LOGO_BYTES / 1024
            ),
        ));
    }
    if !looks_like(&mime, bytes) {
        return Err(invalid(
            "logo",
            format!("the file is not a {mime} image; upload a PNG, JPEG or WebP file"),
        ));
    }
    Ok(mime)
}

/// An update with every field checked and put in stored form.
struct Checked {
    display_name: String,
    colour_primary: String,
    colour_background: String,
    terms: String,
    privacy: String,
    /// `None` to keep the current logo; `Some(None)` for no logo.
    logo: Option<Option<(String, Vec<u8>)>>,
}

/// A contrast ratio with two decimals, rounded down, so that a ratio under the minimum
/// never reads as the minimum itself.
fn ratio_text(ratio: f64) -> String {
    format!("{:.2}", (ratio * 100.0).floor() / 100.0)
}

fn check(update: &BrandingUpdate) -> Result<Checked, Error> {
    let (primary, colour_primary) = checked_colour("primary colour", &update.colour_primary)?;
    let (background, colour_background) =
        checked_colour("background colour", &update.colour_background)?;
    let ratio = contrast_ratio(primary, background);
    if ratio < MIN_CONTRAST {
        return Err(invalid(
            "colours",
            format!(
                "the primary colour on the background has a contrast of {}:1, and \
                 people need at least {MIN_CONTRAST}:1 to read it; darken one or lighten \
                 the other",
                ratio_text(ratio)
            ),
        ));
    }
    let logo = match &update.logo {
        LogoChange::Keep => None,
        LogoChange::Remove => Some(None),
        LogoChange::Replace { mime, bytes } => {
            Some(Some((checked_logo(mime, bytes)?, bytes.clone())))
        }
    };
    Ok(Checked {
        display_name: checked_text("display name", &update.display_name, MAX_NAME_CHARS)?,
        colour_primary,
        colour_background,
        terms: checked_text("terms", &update.terms, MAX_TEXT_CHARS)?,
        privacy: checked_text("privacy notice", &update.privacy, MAX_TEXT_CHARS)?,
        logo,
    })
}

impl Store {
    /// The branding a site's captive page shows now: its newest version, or the built-in
    /// default (version 0) when none has been published.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn current_branding(&self, site: SiteId) -> Result<SiteBranding, Error> {
        let sql = format!(
            "SELECT {BRANDING_COLUMNS} FROM site_branding WHERE site_id = $1 \
             ORDER BY version DESC LIMIT 1"
        );
        let published: Option<SiteBranding> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
                .bind(site)
                .fetch_optional(pool)
                .await)?;
        if let Some(branding) = published {
            return Ok(branding);
        }
        let sql = "SELECT name, created_at, retention_days FROM wifi_sites WHERE id = $1";
        let row: Option<(String, i64, i64)> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(site).fetch_optional(pool).await)?;
        let (name, created_at, retention) = row.ok_or(Error::NotFound { what: "site" })?;
        Ok(default_branding(site, name, created_at, retention))
    }

    /// Checks an edit and publishes it as the site's next version.
    ///
    /// # Guarantees
    ///
    /// One transaction that holds the site's row, so concurrent publishers get
    /// consecutive versions; earlier versions are never changed.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field: a colour not written `#rrggbb`, colours with
    /// a contrast under [`MIN_CONTRAST`], an empty or over-long text, a logo that is not
    /// PNG, JPEG or WebP, does not match its type, or is over [`MAX_LOGO_BYTES`];
    /// [`Error::NotFound`] when there is no such site.
    pub async fn publish_branding(
        &self,
        site: SiteId,
        update: &BrandingUpdate,
        by: Option<UserId>,
    ) -> Result<SiteBranding, Error> {
        self.publish_branding_with(site, update, by, None).await
    }

    /// Publishes an edit like [`Store::publish_branding`], writing `audit` in the same
    /// transaction.
    ///
    /// # Errors
    ///
    /// As [`Store::publish_branding`].
    pub async fn publish_branding_audited(
        &self,
        site: SiteId,
        update: &BrandingUpdate,
        by: Option<UserId>,
        audit: &NewAuditEntry,
    ) -> Result<SiteBranding, Error> {
        self.publish_branding_with(site, update, by, Some(audit))
            .await
    }

    async fn publish_branding_with(
        &self,
        site: SiteId,
        update: &BrandingUpdate,
        by: Option<UserId>,
        audit: Option<&NewAuditEntry>,
    ) -> Result<SiteBranding, Error> {
        let checked = check(update)?;
        let lock = "UPDATE wifi_sites SET slug = slug WHERE id = $1";
        let latest = "SELECT COALESCE(MAX(version), 0) FROM site_branding WHERE site_id = $1";
        let logo_of = "SELECT logo_mime, logo FROM site_branding \
                       WHERE site_id = $1 AND version = $2 AND logo IS NOT NULL";
        let insert = format!(
            "INSERT INTO site_branding (site_id, version, display_name, colour_primary, \
             colour_background, terms, privacy, logo_mime, logo, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {BRANDING_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if sqlx::query(lock).bind(site).execute(&mut *tx).await?.rows_affected() == 0 {
                return Err(Error::NotFound { what: "site" });
            }
            let previous: i64 = sqlx::query_scalar(latest).bind(site).fetch_one(&mut *tx).await?;
            let logo: Option<(String, Vec<u8>)> = match checked.logo {
                Some(chosen) => chosen,
                None => sqlx::query_as(logo_of)
                    .bind(site)
                    .bind(previous)
                    .fetch_optional(&mut *tx)
                    .await?,
            };
            let (logo_mime, logo) = logo.unzip();
            let published: SiteBranding = sqlx::query_as(trusted(insert))
                .bind(site)
                .bind(previous + 1)
                .bind(&checked.display_name)
                .bind(&checked.colour_primary)
                .bind(&checked.colour_background)
                .bind(&checked.terms)
                .bind(&checked.privacy)
                .bind(logo_mime)
                .bind(logo)
                .bind(now())
                .bind(by)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(audit) = audit {
                insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            Ok(published)
        })
    }

    /// Every published version of a site's branding, newest first; the built-in default
    /// is not among them.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn branding_history(&self, site: SiteId) -> Result<Vec<SiteBranding>, Error> {
        let sql = format!(
            "SELECT {BRANDING_COLUMNS} FROM site_branding WHERE site_id = $1 \
             ORDER BY version DESC"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql)).bind(site).fetch_all(pool).await)?)
    }

    /// The logo of one branding version, as its media type and bytes; `None` when that
    /// version has no logo or does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn branding_logo(
        &self,
        site: SiteId,
        version: i64,
    ) -> Result<Option<(String, Vec<u8>)>, Error> {
        let sql = "SELECT logo_mime, logo FROM site_branding \
                   WHERE site_id = $1 AND version = $2 AND logo IS NOT NULL";
        Ok(with_pool!(self, pool => sqlx::query_as(sql)
            .bind(site)
            .bind(version)
            .fetch_optional(pool)
            .await)?)
    }
}

#[cfg(test)]
mod tests {
    use super::{contrast_ratio, looks_like, parse_colour, ratio_text};

    #[test]
    fn colours_are_read_only_as_hash_and_six_hex_digits() {
        assert_eq!(parse_colour("#0B3d5c"), Some([0x0b, 0x3d, 0x5c]));
        for bad in ["0b3d5c", "#0b3d5", "#0b3d5cc", "#0g3d5c", "#fff", "#٠١٢٣٤٥"] {
            assert_eq!(parse_colour(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_follows_the_wcag_formula() {
        let ratio = contrast_ratio([0, 0, 0], [255, 255, 255]);
        assert!((ratio - 21.0).abs() < 1e-9, "{ratio}");
        assert!((contrast_ratio([9, 9, 9], [9, 9, 9]) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic lightest grey that passes AA.
        let grey = contrast_ratio([0x76, 0x76, 0x76], [255, 255, 255]);
        assert!((4.5..4.6).contains(&grey), "{grey}");
        let lighter = contrast_ratio([0x77, 0x77, 0x77], [255, 255, 255]);
        assert!(lighter < 4.5, "{lighter}");
        assert_eq!(ratio_text(lighter), "4.47");
        assert_eq!(ratio_text(4.499_9), "4.49");
        assert_eq!(ratio_text(21.0), "21.00");
    }

    #[test]
    fn logos_must_start_like_their_type() {
        assert!(looks_like("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(looks_like("image/jpeg", b"\xff\xd8\xff\xe0"));
        assert!(looks_like("image/webp", b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!looks_like("image/png", b"\xff\xd8\xff\xe0"));
        assert!(!looks_like("image/svg+xml", b"<svg/>"));
    }
}
