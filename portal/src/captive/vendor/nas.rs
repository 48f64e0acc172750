//! Any other RADIUS NAS with a login form: the person's browser posts the credential to it.
//! MikroTik's hotspot is recognised by its own parameter names.

use std::net::IpAddr;

use commons_store::MacAddress;
use url::Url;

use super::{Grant, HandOff, HandOffError, SiteSecrets, Vendor, params::Params, target};

/// What the NAS sends with the portal address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Nas {
    dialect: Dialect,
    login_url: Url,
    mac: Option<MacAddress>,
    ip: Option<IpAddr>,
    original: Option<Url>,
}

/// The parameter names a NAS uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    /// `login_url`, `mac`, `ip`, `url`; the original address goes back as `url`.
    Generic,
    /// MikroTik's `link-login-only`, `mac`, `ip`, `link-orig` (or `dst`); the original address
    /// goes back as `dst`.
    Mikrotik,
}

impl Dialect {
    fn login_name(self) -> &'static str {
        match self {
            Self::Generic => "login_url",
            Self::Mikrotik => "link-login-only",
        }
    }

    /// The name the original address is carried under, and posted back under.
    fn original_names(self) -> (&'static str, &'static str) {
        match self {
            Self::Generic => ("url", "url"),
            Self::Mikrotik => ("link-orig", "dst"),
        }
    }
}

/// Whether the parameters name a NAS login address.
pub(super) fn recognises(params: &Params<'_>) -> bool {
    params.has("login_url") || params.has("link-login-only")
}

impl Nas {
    pub(super) fn parse(params: &Params<'_>) -> Result<Self, HandOffError> {
        let dialect = if params.has("link-login-only") {
            Dialect::Mikrotik
        } else {
            Dialect::Generic
        };
        let login_name = dialect.login_name();
        let (carried, posted) = dialect.original_names();
        let original = match params.url(carried)? {
            Some(url) => Some(url),
            None => params.url(posted)?,
        };
        Ok(Self {
            dialect,
            login_url: params
                .url(login_name)?
                .ok_or(HandOffError::MissingParameter(login_name))?,
            mac: params.mac("mac")?,
            ip: params.ip("ip")?,
            original,
        })
    }
}

impl Vendor for Nas {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![(self.dialect.login_name(), self.login_url.to_string())];
        fields.extend(self.mac.map(|mac| ("mac", mac.to_string())));
        fields.extend(self.ip.map(|ip| ("ip", ip.to_string())));
        let (carried, _) = self.dialect.original_names();
        fields.extend(self.original.as_ref().map(|url| (carried, url.to_string())));
        fields
    }

    fn hand_off(&self, grant: &Grant<'_>, site: &SiteSecrets<'_>) -> Result<HandOff, HandOffError> {
        target::check(&self.login_url, site)?;
        let mut fields = vec![
            ("username".to_owned(), grant.username.to_owned()),
            ("password".to_owned(), grant.password.to_owned()),
        ];
        let (_, posted) = self.dialect.original_names();
        fields.extend(
            self.original
                .as_ref()
                .map(|url| (posted.to_owned(), url.to_string())),
        );
        Ok(HandOff::Post {
            action: self.login_url.clone(),
            fields,
        })
    }

    fn device(&self) -> Option<MacAddress> {
        self.mac
    }

    fn client_ip(&self) -> Option<IpAddr> {
        self.ip
    }

    fn original_url(&self) -> Option<&Url> {
        self.original.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captive::vendor::{
        AccessPoint, hand_off,
        tests::{GRANT, landing, secrets},
    };

    const MIKROTIK: &str = include_str!("fixtures/mikrotik.url");
    const GENERIC: &str = include_str!("fixtures/nas.url");

    #[track_caller]
    fn post(action: &str, original: (&str, &str)) -> HandOff {
        HandOff::Post {
            action: Url::parse(action).unwrap(),
            fields: vec![
                ("username".to_owned(), "guest-4821".to_owned()),
                ("password".to_owned(), "sunshine-7391".to_owned()),
                (original.0.to_owned(), original.1.to_owned()),
            ],
        }
    }

    #[test]
    fn mikrotik_gets_the_credential_and_dst_posted_to_its_login_address() {
        let ap = landing(MIKROTIK);
        assert_eq!(ap.device(), MacAddress::parse("f4:5c:89:9b:17:67"));
        assert_eq!(ap.client_ip(), Some("10.5.50.23".parse().unwrap()));
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Ok(post(
                "http://10.5.50.1/login",
                ("dst", "http://example.com/news?id=7")
            ))
        );
    }

    #[test]
    fn a_generic_nas_gets_the_credential_and_url_posted_to_its_login_address() {
        let ap = landing(GENERIC);
        assert_eq!(ap.device(), MacAddress::parse("f4:5c:89:9b:17:67"));
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Ok(post(
                "http://172.16.0.1:8002/login",
                ("url", "http://example.com/news?id=7")
            ))
        );
    }

    #[test]
    fn a_login_address_on_a_public_ip_is_refused_unless_listed() {
        let ap = landing(&GENERIC.replace("172.16.0.1", "192.0.2.10"));
        let refused = HandOffError::TargetNotAllowed {
            host: "192.0.2.10".to_owned(),
        };
        assert_eq!(hand_off(&ap, &GRANT, &secrets(None, None)), Err(refused));
        let listed = ["192.0.2.10".to_owned()];
        let site = SiteSecrets {
            handoff_hosts: &listed,
            ..secrets(None, None)
        };
        assert!(hand_off(&ap, &GRANT, &site).is_ok());
    }

    #[test]
    fn a_login_address_must_be_a_web_address() {
        let pairs = vec![("login_url".to_owned(), "javascript:alert(1)".to_owned())];
        assert_eq!(
            AccessPoint::from_query(&pairs),
            Err(crate::captive::vendor::params::invalid(
                "login_url",
                "is not an http or https address"
            ))
        );
    }
}
