//! openNDS with a forwarding authentication service at `fas_secure_enabled=1`: the hashed
//! client id it sends, and the authentication address the person is handed back to.

use std::net::IpAddr;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use commons_store::MacAddress;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use url::Url;

use super::{
    Grant, HandOff, HandOffError, SiteSecrets, Vendor,
    params::{Params, encode, hex, invalid},
    target,
};

/// openNDS's virtual authentication directory unless configured otherwise.
const DEFAULT_AUTHDIR: &str = "opennds_auth";

/// The longest base64 parameter string accepted.
const MAX_FAS_LEN: usize = 8192;

/// What openNDS sends to the forwarding authentication service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenNds {
    hid: String,
    gateway: Url,
    authdir: String,
    clientip: Option<IpAddr>,
    clientmac: Option<MacAddress>,
    gatewayname: Option<String>,
    originurl: Option<Url>,
}

/// Whether the parameters come from openNDS: current versions pack them into `fas`, older
/// ones send `hid` and the rest as separate parameters.
pub(super) fn recognises(params: &Params<'_>) -> bool {
    params.has("fas") || params.has("hid")
}

impl OpenNds {
    pub(super) fn parse(params: &Params<'_>) -> Result<Self, HandOffError> {
        let Some(packed) = params.get("fas")? else {
            return Self::from_fields(params);
        };
        if params.has("iv") {
            return Err(HandOffError::EncryptedFas);
        }
        let unpacked = unpack(packed)?;
        Self::from_fields(&Params::new(&unpacked)?)
    }

    fn from_fields(params: &Params<'_>) -> Result<Self, HandOffError> {
        let hid = params.required("hid")?;
        if hid.len() != 64 || !hid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("hid", "is not a SHA-256 digest"));
        }
        let originurl = match params.url("originurl")? {
            Some(url) => Some(url),
            None => params.url("redir")?,
        };
        Ok(Self {
            hid: hid.to_owned(),
            gateway: gateway_address(params.required("gatewayaddress")?)?,
            authdir: params
                .word("authdir", 64)?
                .unwrap_or(DEFAULT_AUTHDIR)
                .to_owned(),
            clientip: params.ip("clientip")?,
            clientmac: params.mac("clientmac")?,
            gatewayname: params.text("gatewayname", 128)?,
            originurl,
        })
    }
}

/// Reads the `fas` parameter: base64 of `name=value` entries separated by `, `, with values
/// percent-encoded where needed.
fn unpack(packed: &str) -> Result<Vec<(String, String)>, HandOffError> {
    if packed.len() > MAX_FAS_LEN {
        return Err(invalid("fas", "is too long"));
    }
    // A `+` of base64 arrives as a space once the query string is decoded; line breaks are
    // what some base64 tools add.
    let text: String = packed
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| invalid("fas", "is not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("fas", "is not UTF-8 text"))?;
    text.split(", ")
        .filter_map(|entry| entry.trim().split_once('='))
        .map(|(name, value)| {
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| invalid("fas", "holds a value that is not UTF-8 text"))?;
            Ok((name.to_owned(), value.into_owned()))
        })
        .collect()
}

/// The address openNDS authenticates on, `host:port` as it sends it.
fn gateway_address(value: &str) -> Result<Url, HandOffError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']');
    if value.len() > 255 || !value.chars().all(plain) {
        return Err(invalid("gatewayaddress", "is not a host and port"));
    }
    Url::parse(&format!("http://{value}/"))
        .map_err(|_| invalid("gatewayaddress", "is not a host and port"))
}

impl Vendor for OpenNds {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let gateway = self.gateway.host_str().map_or_else(String::new, |host| {
            self.gateway
                .port()
                .map_or_else(|| host.to_owned(), |port| format!("{host}:{port}"))
        });
        let mut fields = vec![
            ("hid", self.hid.clone()),
            ("gatewayaddress", gateway),
            ("authdir", self.authdir.clone()),
        ];
        fields.extend(self.clientip.map(|ip| ("clientip", ip.to_string())));
        fields.extend(self.clientmac.map(|mac| ("clientmac", mac.to_string())));
        fields.extend(self.gatewayname.clone().map(|name| ("gatewayname", name)));
        fields.extend(
            self.originurl
                .as_ref()
                .map(|url| ("originurl", url.to_string())),
        );
        fields
    }

    fn hand_off(
        &self,
        _grant: &Grant<'_>,
        site: &SiteSecrets<'_>,
    ) -> Result<HandOff, HandOffError> {
        let key = site
            .fas_key
            .filter(|key| !key.is_empty())
            .ok_or(HandOffError::FasKeyMissing)?;
        target::check(&self.gateway, site)?;

        // openNDS lets the client on when `tok` is SHA-256 over the hid it sent and the faskey.
        let tok = hex(&Sha256::new()
            .chain_update(self.hid.as_bytes())
            .chain_update(key.as_bytes())
            .finalize());
        let mut url = self
            .gateway
            .join(&format!("{}/", self.authdir))
            .map_err(|_| invalid("authdir", "does not form an address"))?;
        let mut query = format!("tok={tok}");
        if let Some(origin) = &self.originurl {
            query.push_str("&redir=");
            query.push_str(&encode(origin.as_str()));
        }
        url.set_query(Some(&query));
        Ok(HandOff::Redirect(url))
    }

    fn device(&self) -> Option<MacAddress> {
        self.clientmac
    }

    fn client_ip(&self) -> Option<IpAddr> {
        self.clientip
    }

    fn original_url(&self) -> Option<&Url> {
        self.originurl.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captive::vendor::{
        AccessPoint, hand_off,
        tests::{GRANT, landing, parse_query, secrets},
    };

    const PACKED: &str = include_str!("fixtures/opennds-fas.url");
    const SEPARATE: &str = include_str!("fixtures/opennds-hid.url");
    const FAS_KEY: &str = "c0uncilFasKey2024";

    // Derived with Python's hashlib:
    //   sha256(b"3f1e5b8a…2a3b" + b"c0uncilFasKey2024").hexdigest()
    const TOK: &str = "c56a6834e17f19fd47f38cd90889fd7bc1ace5227b3b475885f1a687e02150e6";

    #[test]
    fn packed_and_separate_parameters_hand_off_to_the_auth_directory() {
        let want = format!(
            "http://192.168.8.1:2050/opennds_auth/?tok={TOK}\
             &redir=http%3A%2F%2Fexample.com%2Fnews%3Fid%3D7"
        );
        for fixture in [PACKED, SEPARATE] {
            let ap = landing(fixture);
            assert_eq!(ap.device(), MacAddress::parse("04:15:52:6a:e4:ad"));
            assert_eq!(ap.client_ip(), Some("192.168.8.23".parse().unwrap()));
            assert_eq!(ap.original_url(), Some("http://example.com/news?id=7"));
            let handoff = hand_off(&ap, &GRANT, &secrets(None, Some(FAS_KEY)));
            assert_eq!(handoff, Ok(HandOff::Redirect(Url::parse(&want).unwrap())));
        }
    }

    #[test]
    fn a_plus_turned_into_a_space_still_decodes() {
        // The base64 of these entries holds a `+`, which form decoding turns into a space.
        let entries = format!(
            "hid={}, gatewayaddress=10.0.0.1:2050, authdir=auth, {}",
            "a".repeat(64),
            "originurl=http://a.example/?q=~~~>"
        );
        let packed = STANDARD.encode(entries);
        assert!(packed.contains('+'));
        let pairs = vec![("fas".to_owned(), packed.replace('+', " "))];
        let Some(AccessPoint::OpenNds(nds)) = AccessPoint::from_query(&pairs).unwrap() else {
            panic!("not openNDS");
        };
        assert_eq!(nds.authdir, "auth");
        assert_eq!(nds.gateway.as_str(), "http://10.0.0.1:2050/");
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let ap = landing(PACKED);
        assert_eq!(
            hand_off(&ap, &GRANT, &secrets(None, None)),
            Err(HandOffError::FasKeyMissing)
        );
        let public = landing(&SEPARATE.replace("192.168.8.1%3A2050", "198.51.100.7%3A2050"));
        assert_eq!(
            hand_off(&public, &GRANT, &secrets(None, Some(FAS_KEY))),
            Err(HandOffError::TargetNotAllowed {
                host: "198.51.100.7".to_owned()
            })
        );
        for (query, error) in [
            ("fas=AAAA&iv=0123456789abcdef", HandOffError::EncryptedFas),
            ("fas=%%%", invalid("fas", "is not base64")),
            (
                "hid=abc&gatewayaddress=10.0.0.1:2050",
                invalid("hid", "is not a SHA-256 digest"),
            ),
            (
                "hid=&gatewayaddress=10.0.0.1:2050",
                HandOffError::MissingParameter("hid"),
            ),
            (
                &format!("hid={}&gatewayaddress=10.0.0.1/evil", "b".repeat(64)),
                invalid("gatewayaddress", "is not a host and port"),
            ),
        ] {
            assert_eq!(parse_query(query), Err(error), "{query}");
        }
    }
}
