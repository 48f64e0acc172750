//! What each kind of access point sends to the captive landing page, and how a person who has
//! signed up is handed back to it.
//!
//! Everything here is pure: query parameters in, a checked [`HandOff`] out. The pages decide
//! when to call it; the UniFi controller call itself lives in [`super::unifi`].

mod coova;
mod meraki;
mod nas;
mod opennds;
mod params;
mod target;
mod unifi_portal;

use std::{fmt, net::IpAddr};

use commons_store::MacAddress;
use url::Url;

pub(crate) use coova::Coova;
pub(crate) use meraki::Meraki;
pub(crate) use nas::Nas;
pub(crate) use opennds::OpenNds;
use params::Params;
pub(crate) use unifi_portal::UnifiPortal;

/// Prefix of the hidden form fields that carry the access point's parameters through the
/// sign-up forms.
const FIELD_PREFIX: &str = "ap.";

/// The access point that sent a person to the landing page, with its checked parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AccessPoint {
    /// CoovaChilli over its UAM interface.
    Coova(Coova),
    /// openNDS with a forwarding authentication service at `fas_secure_enabled=1`.
    OpenNds(OpenNds),
    /// A Cisco Meraki access point with an external captive portal.
    Meraki(Meraki),
    /// A UniFi access point with an external portal, authorised through its controller.
    Unifi(UnifiPortal),
    /// Any other RADIUS NAS with a login form, MikroTik's hotspot included.
    Generic(Nas),
}

/// What every vendor's parsed parameters offer.
trait Vendor {
    /// The parameters to carry through the forms, by their vendor names.
    fn fields(&self) -> Vec<(&'static str, String)>;

    /// How to hand the person back once signed up.
    fn hand_off(&self, grant: &Grant<'_>, site: &SiteSecrets<'_>) -> Result<HandOff, HandOffError>;

    /// The person's device, when the access point names it.
    fn device(&self) -> Option<MacAddress>;

    /// The person's address on the Wi-Fi network, when the access point names it.
    fn client_ip(&self) -> Option<IpAddr>;

    /// The page the person first asked for.
    fn original_url(&self) -> Option<&Url>;

    /// Whether the access point says the person is already online.
    fn already_online(&self) -> bool {
        false
    }

    /// Checks what only the landing request itself can show.
    fn verify_landing(
        &self,
        _landing_url: &str,
        _site: &SiteSecrets<'_>,
    ) -> Result<(), HandOffError> {
        Ok(())
    }
}

impl AccessPoint {
    /// Recognises the access point from the landing page's query parameters; `Ok(None)` when
    /// none of them is an access point's (a person opened the page directly).
    ///
    /// # Errors
    ///
    /// [`HandOffError`] when the parameters are recognised but one is missing, repeated or
    /// unusable.
    pub(crate) fn from_query(params: &[(String, String)]) -> Result<Option<Self>, HandOffError> {
        let params = Params::new(params)?;
        let access_point = if coova::recognises(&params) {
            Self::Coova(Coova::parse(&params)?)
        } else if opennds::recognises(&params) {
            Self::OpenNds(OpenNds::parse(&params)?)
        } else if meraki::recognises(&params) {
            Self::Meraki(Meraki::parse(&params)?)
        } else if nas::recognises(&params) {
            Self::Generic(Nas::parse(&params)?)
        } else if unifi_portal::recognises(&params) {
            Self::Unifi(UnifiPortal::parse(&params)?)
        } else {
            return Ok(None);
        };
        Ok(Some(access_point))
    }

    /// Reads back the parameters [`Self::carried_fields`] put in a form; `Ok(None)` when the
    /// form carries none.
    ///
    /// # Errors
    ///
    /// As [`Self::from_query`].
    pub(crate) fn from_form(fields: &[(String, String)]) -> Result<Option<Self>, HandOffError> {
        let carried: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(name, value)| {
                let name = name.strip_prefix(FIELD_PREFIX)?;
                Some((name.to_owned(), value.clone()))
            })
            .collect();
        Self::from_query(&carried)
    }

    /// The parameters to carry through the sign-up forms as hidden fields, each named
    /// `ap.<vendor parameter>`, and parsed back by [`Self::from_form`].
    pub(crate) fn carried_fields(&self) -> Vec<(String, String)> {
        self.vendor()
            .fields()
            .into_iter()
            .map(|(name, value)| (format!("{FIELD_PREFIX}{name}"), value))
            .collect()
    }

    /// The person's device, when the access point names it.
    pub(crate) fn device(&self) -> Option<MacAddress> {
        self.vendor().device()
    }

    /// The person's address on the Wi-Fi network, when the access point names it.
    pub(crate) fn client_ip(&self) -> Option<IpAddr> {
        self.vendor().client_ip()
    }

    /// The page the person first asked for, when the access point passed it on.
    pub(crate) fn original_url(&self) -> Option<&str> {
        self.vendor().original_url().map(Url::as_str)
    }

    /// Whether the access point reports the person as online already (CoovaChilli sends people
    /// back to the portal with `res=success` or `res=already`).
    pub(crate) fn already_online(&self) -> bool {
        self.vendor().already_online()
    }

    /// Checks what only the landing request shows: CoovaChilli's `md` checksum, which covers the
    /// whole address it redirected to.
    ///
    /// `landing_url` is the address as the access point built it: the portal address configured
    /// on it (CoovaChilli's `uamserver`), then `?` and the query string exactly as received.
    ///
    /// # Errors
    ///
    /// [`HandOffError::UamSecretMissing`] when a checksum came but the site has no UAM secret,
    /// [`HandOffError::ChecksumMissing`] when none came but the site has one,
    /// [`HandOffError::ChecksumMismatch`] when it does not match.
    pub(crate) fn verify_landing(
        &self,
        landing_url: &str,
        site: &SiteSecrets<'_>,
    ) -> Result<(), HandOffError> {
        self.vendor().verify_landing(landing_url, site)
    }

    fn vendor(&self) -> &dyn Vendor {
        match self {
            Self::Coova(vendor) => vendor,
            Self::OpenNds(vendor) => vendor,
            Self::Meraki(vendor) => vendor,
            Self::Unifi(vendor) => vendor,
            Self::Generic(vendor) => vendor,
        }
    }
}

/// The credential the portal issued, to pass to the access point.
#[derive(Clone, Copy)]
pub(crate) struct Grant<'a> {
    /// The RADIUS user name.
    pub(crate) username: &'a str,
    /// The RADIUS password.
    pub(crate) password: &'a str,
    /// How long the session may last, in seconds; positive.
    pub(crate) session_secs: i64,
}

impl fmt::Debug for Grant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("username", &self.username)
            .field("password", &"***")
            .field("session_secs", &self.session_secs)
            .finish()
    }
}

/// The site's settings a hand-off needs.
#[derive(Clone, Copy)]
pub(crate) struct SiteSecrets<'a> {
    /// The secret shared with CoovaChilli (`uamsecret`).
    pub(crate) uam_secret: Option<&'a str>,
    /// The key shared with openNDS (`faskey`).
    pub(crate) fas_key: Option<&'a str>,
    /// Extra host names a hand-off may send people to.
    pub(crate) handoff_hosts: &'a [String],
}

impl fmt::Debug for SiteSecrets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteSecrets")
            .field("uam_secret", &self.uam_secret.map(|_| "***"))
            .field("fas_key", &self.fas_key.map(|_| "***"))
            .field("handoff_hosts", &self.handoff_hosts)
            .finish()
    }
}

/// How the person gets online after signing up.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum HandOff {
    /// Send the person there with a `303 See Other` (CoovaChilli logon, Meraki grant, openNDS
    /// authentication).
    Redirect(Url),
    /// Show a form that the person submits to the access point (Meraki sign-on, other NAS).
    Post {
        /// Where the form goes.
        action: Url,
        /// Its fields, in order; the password among them.
        fields: Vec<(String, String)>,
    },
    /// Authorise the device through the site's UniFi controller, then send the person on.
    AuthoriseUnifi {
        /// The person's device.
        mac: MacAddress,
        /// The access point it is connected to, which speeds the authorisation up.
        ap: Option<MacAddress>,
        /// How long the authorisation lasts.
        minutes: u32,
        /// The page to send the person to afterwards.
        then: Option<Url>,
    },
}

impl fmt::Debug for HandOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redirect(url) => f.debug_tuple("Redirect").field(&url.as_str()).finish(),
            Self::Post { action, fields } => {
                let shown: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(name, value)| {
                        let value = if name == "password" {
                            "***"
                        } else {
                            value.as_str()
                        };
                        (name.as_str(), value)
                    })
                    .collect();
                f.debug_struct("Post")
                    .field("action", &action.as_str())
                    .field("fields", &shown)
                    .finish()
            }
            Self::AuthoriseUnifi {
                mac,
                ap,
                minutes,
                then,
            } => f
                .debug_struct("AuthoriseUnifi")
                .field("mac", mac)
                .field("ap", ap)
                .field("minutes", minutes)
                .field("then", &then.as_ref().map(Url::as_str))
                .finish(),
        }
    }
}

/// Works out how to hand the person back to the access point with the credential just issued.
///
/// # Errors
///
/// [`HandOffError::TargetNotAllowed`] when the access point's address is neither local nor
/// listed for the site, [`HandOffError::UamSecretMissing`] or
/// [`HandOffError::FasKeyMissing`] when the site lacks the shared secret the vendor needs,
/// [`HandOffError::InvalidGrant`] for a session length that is not positive.
pub(crate) fn hand_off(
    access_point: &AccessPoint,
    grant: &Grant<'_>,
    site: &SiteSecrets<'_>,
) -> Result<HandOff, HandOffError> {
    if grant.session_secs <= 0 {
        return Err(HandOffError::InvalidGrant);
    }
    access_point.vendor().hand_off(grant, site)
}

/// Why the access point's parameters or the site's settings do not allow a hand-off.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HandOffError {
    /// A parameter the access point always sends is absent or empty.
    #[error(
        "the access point did not send the {0} parameter; reconnect to the Wi-Fi and try again"
    )]
    MissingParameter(&'static str),
    /// A parameter came more than once.
    #[error("the access point sent the {0} parameter more than once")]
    RepeatedParameter(&'static str),
    /// A parameter's value is not what the vendor sends.
    #[error("the access point sent an unusable {name} parameter: it {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More parameters than any access point sends.
    #[error("the address holds more than {} parameters", params::MAX_PARAMETERS)]
    TooManyParameters,
    /// The hand-off would send the person somewhere other than the access point.
    #[error(
        "the access point's address {host} is neither on a local network nor one of this \
         site's hand-off hosts; a council administrator can add it to the site's captive \
         settings"
    )]
    TargetNotAllowed {
        /// The host the access point named.
        host: String,
    },
    /// CoovaChilli needs the site's UAM secret.
    #[error(
        "this site has no UAM secret; a council administrator must enter the access point's \
         CoovaChilli uamsecret in the site's captive settings"
    )]
    UamSecretMissing,
    /// openNDS needs the site's FAS key.
    #[error(
        "this site has no FAS key; a council administrator must enter the access point's \
         openNDS faskey in the site's captive settings"
    )]
    FasKeyMissing,
    /// CoovaChilli's checksum over the landing address does not match the site's UAM secret.
    #[error(
        "the access point's checksum does not match this site's UAM secret: the secrets differ \
         or the address was changed on the way"
    )]
    ChecksumMismatch,
    /// CoovaChilli sent no checksum although the site has a UAM secret; CoovaChilli always
    /// sends one when it has a secret, so the two are set up differently.
    #[error(
        "the access point sent no checksum although this site has a UAM secret: the access \
         point's CoovaChilli uamsecret and uamserver settings must match the site's captive \
         settings"
    )]
    ChecksumMissing,
    /// openNDS sent its parameters encrypted (`fas_secure_enabled` 2 or 3).
    #[error("the access point encrypts its parameters; set openNDS's fas_secure_enabled to 1")]
    EncryptedFas,
    /// The grant's session length is not positive.
    #[error("the session length must be positive")]
    InvalidGrant,
}

#[cfg(test)]
mod tests;
