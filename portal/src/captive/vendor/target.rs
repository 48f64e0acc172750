//! Where a hand-off may send a person: back to an access point, never to an arbitrary site.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::{HandOffError, SiteSecrets};

/// Meraki's cloud hosts the grant and login pages of its access points under this domain.
const MERAKI_DOMAIN: &str = ".network-auth.com";

/// Checks that `url` goes to an access point: an IP address on a private, loopback or
/// link-local network, Meraki's `*.network-auth.com`, or a host the site lists.
pub(super) fn check(url: &Url, site: &SiteSecrets<'_>) -> Result<(), HandOffError> {
    let not_allowed = || HandOffError::TargetNotAllowed {
        host: url.host_str().unwrap_or_default().to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
        return Err(not_allowed());
    }
    let host = url.host().ok_or_else(not_allowed)?;
    let local = match &host {
        Host::Ipv4(ip) => local_v4(*ip),
        Host::Ipv6(ip) => local_v6(*ip),
        Host::Domain(name) => is_meraki(name),
    };
    if local || listed(&host, site.handoff_hosts) {
        Ok(())
    } else {
        Err(not_allowed())
    }
}

fn local_v4(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback() || ip.is_link_local()
}

fn local_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return local_v4(v4);
    }
    ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local()
}

fn is_meraki(name: &str) -> bool {
    name.len() > MERAKI_DOMAIN.len() && name.to_ascii_lowercase().ends_with(MERAKI_DOMAIN)
}

/// Whether the site lists the host, compared without letter case or IPv6 brackets.
fn listed(host: &Host<&str>, handoff_hosts: &[String]) -> bool {
    let host = match host {
        Host::Domain(name) => name.to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    };
    handoff_hosts.iter().any(|listed| {
        let listed = listed.trim().trim_start_matches('[').trim_end_matches(']');
        !listed.is_empty() && listed.eq_ignore_ascii_case(&host)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(hosts: &[String]) -> SiteSecrets<'_> {
        SiteSecrets {
            uam_secret: None,
            fas_key: None,
            handoff_hosts: hosts,
        }
    }

    #[track_caller]
    fn allowed(url: &str, hosts: &[String]) -> bool {
        check(&Url::parse(url).unwrap(), &site(hosts)).is_ok()
    }

    #[test]
    fn local_addresses_are_allowed_and_public_ones_are_not() {
        for url in [
            "http://10.1.0.1:3990/logon",
            "http://192.168.8.1:2050/opennds_auth/",
            "http://172.16.0.1/login",
            "http://127.0.0.1/",
            "http://169.254.1.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:192.168.1.1]/",
            "https://n143.network-auth.com/splash/grant",
        ] {
            assert!(allowed(url, &[]), "{url}");
        }
        for url in [
            "http://8.8.8.8/",
            "http://100.64.0.1/",
            "http://[2001:db8::1]/",
            "http://[::ffff:8.8.8.8]/",
            "https://evil.example/",
            "https://network-auth.com.evil.example/",
            "https://evilnetwork-auth.com/",
            "ftp://10.0.0.1/",
            "http://ann@10.0.0.1/",
        ] {
            assert!(!allowed(url, &[]), "{url}");
        }
    }

    #[test]
    fn a_listed_host_is_allowed_in_any_letter_case() {
        let hosts = vec!["Hotspot.Example.org".to_owned(), "[2001:db8::1]".to_owned()];
        assert!(allowed("https://hotspot.example.org/login", &hosts));
        assert!(allowed("http://[2001:db8::1]:8080/", &hosts));
        assert!(!allowed("https://example.org/login", &hosts));
        let error = check(&Url::parse("https://example.org/").unwrap(), &site(&hosts));
        assert_eq!(
            error,
            Err(HandOffError::TargetNotAllowed {
                host: "example.org".to_owned()
            })
        );
    }
}
