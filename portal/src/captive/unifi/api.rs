//! The controller API's shapes: addresses, the command, cookies and refusals.

use std::net::IpAddr;

use hyper::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use url::{Host, Url};

use super::{Guest, UnifiError};

/// Checks the configured controller address: `https`, or `http` to this machine only, since
/// the login carries the account's password.
pub(super) fn controller_url(configured: &str) -> Result<Url, UnifiError> {
    let invalid = |reason| UnifiError::InvalidController {
        url: without_credentials(configured),
        reason,
    };
    let mut url = Url::parse(configured.trim()).map_err(|_| invalid("is not an address"))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => return Err(invalid("has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(invalid("must use https, since the login sends a password")),
        _ => return Err(invalid("is not an http or https address")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not hold a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not hold a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The address for messages, without a user name or password someone put in it.
fn without_credentials(configured: &str) -> String {
    match Url::parse(configured.trim()) {
        Ok(mut url) => {
            // Both only fail for addresses that cannot hold credentials anyway.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => configured.trim().to_owned(),
    }
}

pub(super) fn site_name(site: &str) -> Result<&str, UnifiError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    if site.is_empty() || site.len() > 64 || !site.chars().all(plain) {
        return Err(UnifiError::InvalidSite(site.to_owned()));
    }
    Ok(site)
}

pub(super) fn join(base: &Url, path: &str) -> Result<Url, UnifiError> {
    base.join(path).map_err(|_| UnifiError::InvalidController {
        url: base.to_string(),
        reason: "does not form API addresses",
    })
}

/// The controller's address without its path, for messages.
pub(super) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The `authorize-guest` command with the limits that are set.
pub(super) fn authorise_command(guest: &Guest) -> Value {
    let mut command = json!({
        "cmd": "authorize-guest",
        "mac": guest.mac.to_string(),
        "minutes": guest.minutes,
    });
    if let Some(up) = guest.up_kbps {
        command["up"] = up.into();
    }
    if let Some(down) = guest.down_kbps {
        command["down"] = down.into();
    }
    if let Some(megabytes) = guest.megabytes {
        command["bytes"] = megabytes.into();
    }
    if let Some(ap) = guest.ap {
        command["ap_mac"] = ap.to_string().into();
    }
    command
}

/// The `name=value` pairs of the answer's cookies.
pub(super) fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next()?.trim().split_once('='))
        .filter(|(name, value)| !name.is_empty() && !value.is_empty())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The controller's own words for a refusal: `meta.msg` on the Network API, `message` on
/// UniFi OS, else the start of the body.
pub(super) fn reason(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let said = parsed.as_ref().and_then(|body| {
        ["/meta/msg", "/message", "/error"]
            .iter()
            .find_map(|pointer| body.pointer(pointer)?.as_str())
    });
    let text = said.map_or_else(|| String::from_utf8_lossy(body).into_owned(), str::to_owned);
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.trim().is_empty() {
        "no reason given".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    #[test]
    fn a_refusal_is_read_in_either_flavours_words() {
        let network = br#"{"meta":{"rc":"error","msg":"api.err.Invalid"},"data":[]}"#;
        let console = br#"{"code":"AUTHENTICATION_FAILED_LIMIT_REACHED","message":"Too many"}"#;
        assert_eq!(reason(network), "api.err.Invalid");
        assert_eq!(reason(console), "Too many");
        assert_eq!(reason(b"Bad Gateway\r\n"), "Bad Gateway");
        assert_eq!(reason(b""), "no reason given");
        assert_eq!(reason(&[b'x'; 500]).len(), 200);
    }

    #[test]
    fn cookies_keep_name_and_value_only() {
        let mut headers = HeaderMap::new();
        for cookie in [
            "unifises=abc; Path=/; Secure; HttpOnly",
            "csrf_token=def; Path=/",
            "TOKEN=; Max-Age=0",
        ] {
            headers.append(SET_COOKIE, HeaderValue::from_static(cookie));
        }
        let want = [("unifises", "abc"), ("csrf_token", "def")]
            .map(|(name, value)| (name.to_owned(), value.to_owned()));
        assert_eq!(cookies(&headers), want);
    }

    #[test]
    fn controller_addresses_gain_a_trailing_slash_and_keep_their_path() {
        let base = controller_url(" https://unifi.example.org:8443 ").unwrap();
        assert_eq!(
            join(&base, "api/login").unwrap().as_str(),
            "https://unifi.example.org:8443/api/login"
        );
        let proxied = controller_url("https://gateway.example.org/unifi").unwrap();
        assert_eq!(
            join(&proxied, "api/login").unwrap().as_str(),
            "https://gateway.example.org/unifi/api/login"
        );
        assert!(controller_url("http://localhost:8080").is_ok());
        assert!(controller_url("http://[::1]:8080").is_ok());
        assert!(controller_url("http://unifi.example.org").is_err());
        let error = controller_url("https://admin:hunter2@unifi.example.org").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
