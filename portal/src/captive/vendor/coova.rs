//! CoovaChilli's UAM interface: the landing parameters, the `md` checksum over them, and the
//! CHAP logon that hands the person back.

use std::net::{IpAddr, SocketAddr};

use commons_store::MacAddress;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use url::Url;

use super::{
    Grant, HandOff, HandOffError, SiteSecrets, Vendor,
    params::{Params, encode, hex, invalid, unhex},
    target,
};

/// The `res` values with which CoovaChilli reports a person online.
const ONLINE: [&str; 2] = ["success", "already"];

/// What CoovaChilli sends to the portal when it redirects a person there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Coova {
    res: String,
    uam: SocketAddr,
    challenge: Option<[u8; 16]>,
    called: Option<MacAddress>,
    mac: Option<MacAddress>,
    ip: Option<IpAddr>,
    nasid: Option<String>,
    sessionid: Option<String>,
    userurl: Option<Url>,
}

/// Whether the parameters come from CoovaChilli.
pub(super) fn recognises(params: &Params<'_>) -> bool {
    params.has("uamip") || params.has("challenge")
}

impl Coova {
    pub(super) fn parse(params: &Params<'_>) -> Result<Self, HandOffError> {
        let res = params.word("res", 16)?.unwrap_or("notyet").to_owned();
        let challenge = match params.get("challenge")? {
            Some(text) => Some(unhex(text).ok_or(invalid("challenge", "is not 32 hex digits"))?),
            // Only a person already online comes back without a challenge.
            None if ONLINE.contains(&res.as_str()) => None,
            None => return Err(HandOffError::MissingParameter("challenge")),
        };
        let uamip = params
            .ip("uamip")?
            .ok_or(HandOffError::MissingParameter("uamip"))?;
        let uamport = params
            .required("uamport")?
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or(invalid("uamport", "is not a port number"))?;
        Ok(Self {
            res,
            uam: SocketAddr::new(uamip, uamport),
            challenge,
            called: params.mac("called")?,
            mac: params.mac("mac")?,
            ip: params.ip("ip")?,
            nasid: params.text("nasid", 253)?,
            sessionid: params.word("sessionid", 64)?.map(str::to_owned),
            userurl: params.url("userurl")?,
        })
    }
}

impl Vendor for Coova {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("res", self.res.clone()),
            ("uamip", self.uam.ip().to_string()),
            ("uamport", self.uam.port().to_string()),
        ];
        fields.extend(
            self.challenge
                .map(|challenge| ("challenge", hex(&challenge))),
        );
        fields.extend(self.called.map(|mac| ("called", mac.to_string())));
        fields.extend(self.mac.map(|mac| ("mac", mac.to_string())));
        fields.extend(self.ip.map(|ip| ("ip", ip.to_string())));
        fields.extend(self.nasid.clone().map(|nasid| ("nasid", nasid)));
        fields.extend(self.sessionid.clone().map(|id| ("sessionid", id)));
        fields.extend(
            self.userurl
                .as_ref()
                .map(|url| ("userurl", url.to_string())),
        );
        fields
    }

    fn hand_off(&self, grant: &Grant<'_>, site: &SiteSecrets<'_>) -> Result<HandOff, HandOffError> {
        let secret = uam_secret(site)?;
        let challenge = self
            .challenge
            .ok_or(HandOffError::MissingParameter("challenge"))?;
        let mut logon = Url::parse(&format!("http://{}/logon", self.uam))
            .map_err(|_| invalid("uamip", "does not form an address"))?;
        target::check(&logon, site)?;

        let response = chap_response(grant.password, &challenge, secret);
        let mut query = format!("username={}&response={response}", encode(grant.username));
        if let Some(userurl) = &self.userurl {
            query.push_str("&userurl=");
            query.push_str(&encode(userurl.as_str()));
        }
        logon.set_query(Some(&query));
        Ok(HandOff::Redirect(logon))
    }

    fn device(&self) -> Option<MacAddress> {
        self.mac
    }

    fn client_ip(&self) -> Option<IpAddr> {
        self.ip
    }

    fn original_url(&self) -> Option<&Url> {
        self.userurl.as_ref()
    }

    fn already_online(&self) -> bool {
        ONLINE.contains(&self.res.as_str())
    }

    fn verify_landing(
        &self,
        landing_url: &str,
        site: &SiteSecrets<'_>,
    ) -> Result<(), HandOffError> {
        // CoovaChilli appends `md` last, over everything before it and the UAM secret, and
        // always does once it has a `uamsecret`: a site with a secret takes no address
        // without one.
        let Some((signed, md)) = landing_url.rsplit_once("&md=") else {
            return match uam_secret(site) {
                Ok(_) => Err(HandOffError::ChecksumMissing),
                Err(_) => Ok(()),
            };
        };
        let secret = uam_secret(site)?;
        let expected = hex(&Md5::new()
            .chain_update(signed.as_bytes())
            .chain_update(secret.as_bytes())
            .finalize());
        let sent = md.to_ascii_lowercase();
        if bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) {
            Ok(())
        } else {
            Err(HandOffError::ChecksumMismatch)
        }
    }
}

fn uam_secret<'a>(site: &SiteSecrets<'a>) -> Result<&'a str, HandOffError> {
    site.uam_secret
        .filter(|secret| !secret.is_empty())
        .ok_or(HandOffError::UamSecretMissing)
}

/// The CHAP response CoovaChilli checks (RFC 1994 section 4.1, identifier 0): MD5 over a zero
/// octet, the password and the challenge, where the challenge is first hashed with the UAM
/// secret as CoovaChilli does when it has one.
fn chap_response(password: &str, challenge: &[u8; 16], uam_secret: &str) -> String {
    let challenge = Md5::new()
        .chain_update(challenge)
        .chain_update(uam_secret.as_bytes())
        .finalize();
    hex(&Md5::new()
        .chain_update([0u8])
        .chain_update(password.as_bytes())
        .chain_update(challenge)
        .finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captive::vendor::tests::{GRANT, landing, parse_query, secrets};

    const NOTYET: &str = include_str!("fixtures/coova-notyet.url");
    const SUCCESS: &str = include_str!("fixtures/coova-success.url");
    const UAM_SECRET: &str = "library-uam-secret";

    #[test]
    fn chap_response_matches_an_independent_computation() {
        // Derived with Python's hashlib:
        //   c = md5(bytes.fromhex("6f9c3b2a8d4e1f7065a1b2c3d4e5f607") + b"library-uam-secret")
        //   md5(b"\0" + b"sunshine-7391" + c.digest()).hexdigest()
        let challenge = unhex("6f9c3b2a8d4e1f7065a1b2c3d4e5f607").unwrap();
        assert_eq!(
            chap_response("sunshine-7391", &challenge, UAM_SECRET),
            "05e627a0a654cade7cb8de025bdbbd4a"
        );
    }

    #[test]
    fn a_notyet_redirect_hands_off_to_the_logon_address_with_chap() {
        let ap = landing(NOTYET);
        assert_eq!(ap.device(), MacAddress::parse("3c:22:fb:8e:51:07"));
        assert_eq!(ap.client_ip(), Some("10.1.0.23".parse().unwrap()));
        assert_eq!(ap.original_url(), Some("http://example.com/news?id=7"));
        assert!(!ap.already_online());

        let handoff = super::super::hand_off(&ap, &GRANT, &secrets(Some(UAM_SECRET), None));
        let want = "http://10.1.0.1:3990/logon?username=guest-4821\
                    &response=05e627a0a654cade7cb8de025bdbbd4a\
                    &userurl=http%3A%2F%2Fexample.com%2Fnews%3Fid%3D7";
        assert_eq!(handoff, Ok(HandOff::Redirect(Url::parse(want).unwrap())));
    }

    #[test]
    fn the_md_checksum_is_verified_against_the_uam_secret() {
        // md computed with Python's hashlib: md5(<address before "&md="> + b"library-uam-secret")
        let ap = landing(NOTYET);
        assert_eq!(
            ap.verify_landing(NOTYET, &secrets(Some(UAM_SECRET), None)),
            Ok(())
        );
        assert_eq!(
            ap.verify_landing(NOTYET, &secrets(Some("another-secret"), None)),
            Err(HandOffError::ChecksumMismatch)
        );
        let altered = NOTYET.replace("uamip=10.1.0.1", "uamip=10.1.0.9");
        assert_eq!(
            ap.verify_landing(&altered, &secrets(Some(UAM_SECRET), None)),
            Err(HandOffError::ChecksumMismatch)
        );
        assert_eq!(
            ap.verify_landing(NOTYET, &secrets(None, None)),
            Err(HandOffError::UamSecretMissing)
        );
        // Without a checksum or a secret there is nothing to verify; with a secret, a
        // missing checksum means the access point is set up differently.
        assert_eq!(ap.verify_landing(SUCCESS, &secrets(None, None)), Ok(()));
        assert_eq!(ap.verify_landing(SUCCESS, &secrets(Some(""), None)), Ok(()));
        assert_eq!(
            ap.verify_landing(SUCCESS, &secrets(Some(UAM_SECRET), None)),
            Err(HandOffError::ChecksumMissing)
        );
        let unsigned = NOTYET.split("&md=").next().unwrap();
        assert_eq!(
            ap.verify_landing(unsigned, &secrets(Some(UAM_SECRET), None)),
            Err(HandOffError::ChecksumMissing)
        );
    }

    #[test]
    fn a_success_redirect_reports_the_person_online() {
        let ap = landing(SUCCESS);
        assert!(ap.already_online());
        assert_eq!(
            super::super::hand_off(&ap, &GRANT, &secrets(Some(UAM_SECRET), None)),
            Err(HandOffError::MissingParameter("challenge"))
        );
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let ap = landing(NOTYET);
        assert_eq!(
            super::super::hand_off(&ap, &GRANT, &secrets(None, None)),
            Err(HandOffError::UamSecretMissing)
        );
        for (query, error) in [
            (
                "res=notyet&uamip=10.1.0.1&uamport=3990",
                HandOffError::MissingParameter("challenge"),
            ),
            (
                "res=notyet&uamip=10.1.0.1&uamport=3990&challenge=6f9c",
                invalid("challenge", "is not 32 hex digits"),
            ),
            (
                "res=<b>&uamip=10.1.0.1&uamport=3990&challenge=6f9c3b2a8d4e1f7065a1b2c3d4e5f607",
                invalid(
                    "res",
                    "holds characters other than letters, digits, -, _ and .",
                ),
            ),
            (
                "res=notyet&uamip=10.1.0.1&uamport=0&challenge=6f9c3b2a8d4e1f7065a1b2c3d4e5f607",
                invalid("uamport", "is not a port number"),
            ),
            (
                "uamip=10.1.0.1&uamport=3990&challenge=6f9c3b2a8d4e1f7065a1b2c3d4e5f607&mac=3C-22",
                invalid("mac", "is not a MAC address"),
            ),
        ] {
            assert_eq!(parse_query(query), Err(error), "{query}");
        }
    }

    #[test]
    fn a_public_uam_address_is_not_a_target() {
        let ap = landing(&NOTYET.replace("uamip=10.1.0.1", "uamip=203.0.113.9"));
        assert_eq!(
            super::super::hand_off(&ap, &GRANT, &secrets(Some(UAM_SECRET), None)),
            Err(HandOffError::TargetNotAllowed {
                host: "203.0.113.9".to_owned()
            })
        );
    }
}
