//! The address of the client behind a request: the TCP peer, or, when the peer is one of
//! the configured trusted proxies, the address that proxy forwarded in `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use commons_store::Cidr;

use crate::{AppState, Error};

/// The client's IP address, as far as the portal can believe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::PeerUnknown)?;
        Ok(Self(resolve(
            peer.ip(),
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

/// The client address of a request from `peer`.
///
/// A proxy appends the address it received the request from to `X-Forwarded-For`, so
/// the list is read from the right: addresses of trusted proxies are skipped and the
/// first other address is the client. Nothing to the left of it is believed, since the
/// client itself may have written it. A peer that is not trusted is the client, whatever
/// the header says; an entry that does not parse ends the walk at the last trusted hop.
pub(crate) fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|cidr| cidr.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an IP address, possibly with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|addr| addr.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn proxies() -> Vec<Cidr> {
        vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(
            resolve(ip("203.0.113.5"), &headers, &proxies()),
            ip("203.0.113.5")
        );
        assert_eq!(resolve(ip("203.0.113.5"), &headers, &[]), ip("203.0.113.5"));
    }

    #[test]
    fn a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() {
        let headers = forwarded(&["1.1.1.1, 198.51.100.9", "10.1.1.1"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers, &proxies()),
            ip("198.51.100.9"),
            "the forged 1.1.1.1 on the left is not believed"
        );
    }

    #[test]
    fn a_trusted_proxy_without_the_header_is_the_client() {
        assert_eq!(
            resolve(ip("10.0.0.2"), &HeaderMap::new(), &proxies()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_trusted_hop() {
        let headers = forwarded(&["198.51.100.9, not-an-ip, 10.3.3.3"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers, &proxies()),
            ip("10.3.3.3")
        );
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let headers = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(resolve(ip("::1"), &headers, &proxies()), ip("2001:db8::7"));
        let headers = forwarded(&["198.51.100.9:80"]);
        assert_eq!(
            resolve(ip("::ffff:10.0.0.2"), &headers, &proxies()),
            ip("198.51.100.9")
        );
    }
}
