//! Reading an access point's parameters: each looked up once, checked and bounded in length.

use std::{fmt::Write as _, net::IpAddr};

use commons_store::MacAddress;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::HandOffError;

/// More parameters than any access point sends.
pub(super) const MAX_PARAMETERS: usize = 64;

/// The longest address accepted in a parameter, as browsers commonly allow.
const MAX_URL_LEN: usize = 2048;

/// Characters left as they are in a query value: the unreserved ones of RFC 3986 section 2.3.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The query parameters of one request, read by name.
pub(super) struct Params<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Params<'a> {
    /// Wraps the decoded query parameters.
    pub(super) fn new(pairs: &'a [(String, String)]) -> Result<Self, HandOffError> {
        if pairs.len() > MAX_PARAMETERS {
            return Err(HandOffError::TooManyParameters);
        }
        Ok(Self { pairs })
    }

    /// Whether the parameter is there at all, even empty.
    pub(super) fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }

    /// The parameter's value without surrounding blanks; `None` when absent or empty.
    pub(super) fn get(&self, name: &'static str) -> Result<Option<&'a str>, HandOffError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim());
        let first = values.next();
        if values.next().is_some() {
            return Err(HandOffError::RepeatedParameter(name));
        }
        Ok(first.filter(|value| !value.is_empty()))
    }

    /// A parameter the vendor always sends.
    pub(super) fn required(&self, name: &'static str) -> Result<&'a str, HandOffError> {
        self.get(name)?.ok_or(HandOffError::MissingParameter(name))
    }

    /// A MAC address in any common spelling.
    pub(super) fn mac(&self, name: &'static str) -> Result<Option<MacAddress>, HandOffError> {
        self.get(name)?
            .map(|value| MacAddress::parse(value).ok_or(invalid(name, "is not a MAC address")))
            .transpose()
    }

    /// An IPv4 or IPv6 address.
    pub(super) fn ip(&self, name: &'static str) -> Result<Option<IpAddr>, HandOffError> {
        self.get(name)?
            .map(|value| {
                value
                    .parse()
                    .map_err(|_| invalid(name, "is not an IP address"))
            })
            .transpose()
    }

    /// An `http` or `https` address.
    pub(super) fn url(&self, name: &'static str) -> Result<Option<Url>, HandOffError> {
        self.get(name)?
            .map(|value| web_address(name, value))
            .transpose()
    }

    /// Free text up to `max_len` bytes, without control characters.
    pub(super) fn text(
        &self,
        name: &'static str,
        max_len: usize,
    ) -> Result<Option<String>, HandOffError> {
        let Some(value) = self.get(name)? else {
            return Ok(None);
        };
        if value.len() > max_len {
            return Err(invalid(name, "is too long"));
        }
        if value.chars().any(char::is_control) {
            return Err(invalid(name, "contains control characters"));
        }
        Ok(Some(value.to_owned()))
    }

    /// A short identifier of letters, digits, `-`, `_` and `.`, up to `max_len` bytes.
    pub(super) fn word(
        &self,
        name: &'static str,
        max_len: usize,
    ) -> Result<Option<&'a str>, HandOffError> {
        let Some(value) = self.get(name)? else {
            return Ok(None);
        };
        if value.len() > max_len {
            return Err(invalid(name, "is too long"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if !value.chars().all(allowed) {
            return Err(invalid(
                name,
                "holds characters other than letters, digits, -, _ and .",
            ));
        }
        Ok(Some(value))
    }
}

/// The error for a parameter that is there but unusable.
pub(super) fn invalid(name: &'static str, reason: &'static str) -> HandOffError {
    HandOffError::InvalidParameter { name, reason }
}

/// Parses an `http` or `https` address without user name or password, of bounded length.
pub(super) fn web_address(name: &'static str, value: &str) -> Result<Url, HandOffError> {
    if value.len() > MAX_URL_LEN {
        return Err(invalid(name, "is too long"));
    }
    let url = Url::parse(value).map_err(|_| invalid(name, "is not a web address"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(invalid(name, "is not an http or https address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(name, "carries a user name or password"));
    }
    Ok(url)
}

/// Percent-encodes a query value, leaving only unreserved characters as they are.
pub(super) fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Lower-case hexadecimal.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            // Writing to a String cannot fail.
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// Reads exactly `N` bytes written as hexadecimal digits, in either case.
pub(super) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_repeated_parameter_is_refused_and_an_empty_one_is_absent() {
        let sent = pairs(&[
            ("mac", "aa:bb:cc:dd:ee:ff"),
            ("mac", "11:22:33:44:55:66"),
            ("ip", " "),
        ]);
        let params = Params::new(&sent).unwrap();
        assert_eq!(
            params.get("mac"),
            Err(HandOffError::RepeatedParameter("mac"))
        );
        assert_eq!(params.get("ip"), Ok(None));
        assert!(params.has("ip"));
        assert_eq!(
            params.required("ip"),
            Err(HandOffError::MissingParameter("ip"))
        );
    }

    #[test]
    fn addresses_must_be_web_addresses_without_credentials() {
        assert!(web_address("url", "http://example.com/a?b=c").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com/",
            "http://ann:pw@example.com/",
            "/relative",
        ] {
            assert!(web_address("url", bad).is_err(), "{bad}");
        }
        let long = format!("http://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(
            web_address("url", &long),
            Err(invalid("url", "is too long"))
        );
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let sent: Vec<(String, String)> = (0..=MAX_PARAMETERS)
            .map(|i| (format!("p{i}"), String::new()))
            .collect();
        assert!(matches!(
            Params::new(&sent),
            Err(HandOffError::TooManyParameters)
        ));
    }

    #[test]
    fn hexadecimal_round_trips_and_rejects_wrong_lengths() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(unhex::<3>("00AB7f"), Some([0x00, 0xab, 0x7f]));
        assert_eq!(unhex::<3>("00ab7"), None);
        assert_eq!(unhex::<2>("zz00"), None);
        assert_eq!(encode("a b/ü~"), "a%20b%2F%C3%BC~");
    }
}
