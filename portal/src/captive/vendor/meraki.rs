//! Cisco Meraki's external captive portal: click-through (a redirect to the grant address) and
//! sign-on (a form posted to Meraki's login address, checked over RADIUS).

use std::net::IpAddr;

use commons_store::MacAddress;
use url::Url;

use super::{Grant, HandOff, HandOffError, SiteSecrets, Vendor, params::Params, target};

/// What a Meraki access point sends with the splash page address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meraki {
    splash: Splash,
    continue_url: Option<Url>,
    ap_mac: Option<MacAddress>,
    client_mac: Option<MacAddress>,
    client_ip: Option<IpAddr>,
}

/// The two kinds of Meraki splash page.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Splash {
    /// Click-through: Meraki lets the client on when it visits the grant address.
    ClickThrough { base_grant_url: Url },
    /// Sign-on: the person's browser posts the credential to the login address.
    SignOn { login_url: Url },
}

/// Whether the parameters come from Meraki. A sign-on landing shares `login_url` with other
/// NASes, so it also needs one of Meraki's own parameters.
pub(super) fn recognises(params: &Params<'_>) -> bool {
    params.has("base_grant_url")
        || (params.has("login_url") && (params.has("ap_mac") || params.has("continue_url")))
}

impl Meraki {
    pub(super) fn parse(params: &Params<'_>) -> Result<Self, HandOffError> {
        let click_through = params.has("base_grant_url");
        let (splash, continue_url, ap_mac) = if click_through {
            let base_grant_url = params
                .url("base_grant_url")?
                .ok_or(HandOffError::MissingParameter("base_grant_url"))?;
            let splash = Splash::ClickThrough { base_grant_url };
            (
                splash,
                params.url("user_continue_url")?,
                params.mac("node_mac")?,
            )
        } else {
            let login_url = params
                .url("login_url")?
                .ok_or(HandOffError::MissingParameter("login_url"))?;
            let splash = Splash::SignOn { login_url };
            (splash, params.url("continue_url")?, params.mac("ap_mac")?)
        };
        Ok(Self {
            splash,
            continue_url,
            ap_mac,
            client_mac: params.mac("client_mac")?,
            client_ip: params.ip("client_ip")?,
        })
    }
}

impl Vendor for Meraki {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let (address, continue_name, ap_name) = match &self.splash {
            Splash::ClickThrough { base_grant_url } => (
                ("base_grant_url", base_grant_url),
                "user_continue_url",
                "node_mac",
            ),
            Splash::SignOn { login_url } => (("login_url", login_url), "continue_url", "ap_mac"),
        };
        let mut fields = vec![(address.0, address.1.to_string())];
        fields.extend(
            self.continue_url
                .as_ref()
                .map(|url| (continue_name, url.to_string())),
        );
        fields.extend(self.ap_mac.map(|mac| (ap_name, mac.to_string())));
        fields.extend(self.client_mac.map(|mac| ("client_mac", mac.to_string())));
        fields.extend(self.client_ip.map(|ip| ("client_ip", ip.to_string())));
        fields
    }

    fn hand_off(&self, grant: &Grant<'_>, site: &SiteSecrets<'_>) -> Result<HandOff, HandOffError> {
        match &self.splash {
            Splash::ClickThrough { base_grant_url } => {
                target::check(base_grant_url, site)?;
                let mut url = base_grant_url.clone();
                {
                    let mut query = url.query_pairs_mut();
                    if let Some(next) = &self.continue_url {
                        query.append_pair("continue_url", next.as_str());
                    }
                    query.append_pair("duration", &grant.session_secs.to_string());
                }
                Ok(HandOff::Redirect(url))
            }
            Splash::SignOn { login_url } => {
                target::check(login_url, site)?;
                let mut fields = vec![
                    ("username".to_owned(), grant.username.to_owned()),
                    ("password".to_owned(), grant.password.to_owned()),
                ];
                fields.extend(
                    self.continue_url
                        .as_ref()
                        .map(|next| ("success_url".to_owned(), next.to_string())),
                );
                Ok(HandOff::Post {
                    action: login_url.clone(),
                    fields,
                })
            }
        }
    }

    fn device(&self) -> Option<MacAddress> {
        self.client_mac
    }

    fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }

    fn original_url(&self) -> Option<&Url> {
        self.continue_url.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captive::vendor::{
        hand_off,
        tests::{GRANT, landing, secrets},
    };

    const CLICK_THROUGH: &str = include_str!("fixtures/meraki-click-through.url");
    const SIGN_ON: &str = include_str!("fixtures/meraki-sign-on.url");

    #[test]
    fn click_through_redirects_to_the_grant_address_with_the_session_length() {
        let ap = landing(CLICK_THROUGH);
        assert_eq!(ap.device(), MacAddress::parse("f4:5c:89:9b:17:67"));
        assert_eq!(ap.client_ip(), Some("10.162.50.40".parse().unwrap()));
        let want = "https://n143.network-auth.com/splash/grant\
                    ?continue_url=http%3A%2F%2Fexample.com%2Fnews%3Fid%3D7&duration=1800";
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Ok(HandOff::Redirect(Url::parse(want).unwrap()))
        );
    }

    #[test]
    fn sign_on_posts_the_credential_to_merakis_login_address() {
        let ap = landing(SIGN_ON);
        assert_eq!(ap.device(), MacAddress::parse("f4:5c:89:9b:17:67"));
        assert_eq!(ap.original_url(), Some("http://example.com/news?id=7"));
        let action = "https://n143.network-auth.com/splash/login?mauth=MMq7Xk2v9sPqL0aZ4c\
                      &continue_url=http%3A%2F%2Fexample.com%2Fnews%3Fid%3D7";
        let fields = [
            ("username", "guest-4821"),
            ("password", "sunshine-7391"),
            ("success_url", "http://example.com/news?id=7"),
        ];
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Ok(HandOff::Post {
                action: Url::parse(action).unwrap(),
                fields: fields
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                    .collect(),
            })
        );
    }

    #[test]
    fn a_grant_address_outside_merakis_cloud_is_refused() {
        let ap = landing(&CLICK_THROUGH.replace("n143.network-auth.com", "grant.example.net"));
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Err(HandOffError::TargetNotAllowed {
                host: "grant.example.net".to_owned()
            })
        );
    }
}
