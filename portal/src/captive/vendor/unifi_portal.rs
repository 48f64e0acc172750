//! UniFi's external portal: the access point names the device, and the portal authorises it
//! through the site's controller instead of handing a credential back.

use std::net::IpAddr;

use commons_store::MacAddress;
use url::Url;

use super::{
    Grant, HandOff, HandOffError, SiteSecrets, Vendor,
    params::{Params, invalid},
};

/// The longest SSID 802.11 allows, in bytes.
const MAX_SSID_LEN: usize = 32;

/// What a UniFi access point sends with the external portal address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnifiPortal {
    id: MacAddress,
    ap: Option<MacAddress>,
    t: Option<u64>,
    url: Option<Url>,
    ssid: Option<String>,
}

/// Whether the parameters come from UniFi: the device in `id`, with the access point or the
/// time stamp beside it.
pub(super) fn recognises(params: &Params<'_>) -> bool {
    params.has("id") && (params.has("ap") || params.has("t"))
}

impl UnifiPortal {
    pub(super) fn parse(params: &Params<'_>) -> Result<Self, HandOffError> {
        let t = params
            .word("t", 20)?
            .map(|t| t.parse().map_err(|_| invalid("t", "is not a time stamp")))
            .transpose()?;
        Ok(Self {
            id: params
                .mac("id")?
                .ok_or(HandOffError::MissingParameter("id"))?,
            ap: params.mac("ap")?,
            t,
            url: params.url("url")?,
            ssid: params.text("ssid", MAX_SSID_LEN)?,
        })
    }
}

impl Vendor for UnifiPortal {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![("id", self.id.to_string())];
        fields.extend(self.ap.map(|ap| ("ap", ap.to_string())));
        fields.extend(self.t.map(|t| ("t", t.to_string())));
        fields.extend(self.url.as_ref().map(|url| ("url", url.to_string())));
        fields.extend(self.ssid.clone().map(|ssid| ("ssid", ssid)));
        fields
    }

    fn hand_off(
        &self,
        grant: &Grant<'_>,
        _site: &SiteSecrets<'_>,
    ) -> Result<HandOff, HandOffError> {
        // The controller counts whole minutes; round up so the person gets the full time.
        let minutes = (grant.session_secs.saturating_add(59) / 60).max(1);
        Ok(HandOff::AuthoriseUnifi {
            mac: self.id,
            ap: self.ap,
            minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
            then: self.url.clone(),
        })
    }

    fn device(&self) -> Option<MacAddress> {
        Some(self.id)
    }

    fn client_ip(&self) -> Option<IpAddr> {
        None
    }

    fn original_url(&self) -> Option<&Url> {
        self.url.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::captive::vendor::{
        Grant, hand_off,
        tests::{GRANT, landing, parse_query, secrets},
    };

    const UNIFI: &str = include_str!("fixtures/unifi.url");

    #[test]
    fn the_device_is_authorised_through_the_controller_for_whole_minutes() {
        let ap = landing(UNIFI);
        assert_eq!(ap.device(), MacAddress::parse("f4:5c:89:9b:17:67"));
        assert_eq!(ap.client_ip(), None);
        let want = HandOff::AuthoriseUnifi {
            mac: MacAddress::parse("f4:5c:89:9b:17:67").unwrap(),
            ap: MacAddress::parse("80:2a:a8:10:21:9c"),
            minutes: 30,
            then: Some(Url::parse("http://example.com/news?id=7").unwrap()),
        };
        assert_eq!(hand_off(&ap, &GRANT, &secrets(None, None)), Ok(want));

        let odd = Grant {
            session_secs: 61,
            ..GRANT
        };
        let Ok(HandOff::AuthoriseUnifi { minutes, .. }) = hand_off(&ap, &odd, &secrets(None, None))
        else {
            panic!("not a UniFi hand-off");
        };
        assert_eq!(minutes, 2);
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        for (query, error) in [
            (
                "id=f4:5c:89:9b:17&ap=80:2a:a8:10:21:9c",
                invalid("id", "is not a MAC address"),
            ),
            ("id=&t=1733337600", HandOffError::MissingParameter("id")),
            (
                "id=f4:5c:89:9b:17:67&t=yesterday",
                invalid("t", "is not a time stamp"),
            ),
            (
                "id=f4:5c:89:9b:17:67&t=1&ssid=an-ssid-that-is-longer-than-32-bytes",
                invalid("ssid", "is too long"),
            ),
        ] {
            assert_eq!(parse_query(query), Err(error), "{query}");
        }
    }
}
