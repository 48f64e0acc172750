//! The NAS client table: who may talk to us, with which secret, for which site, and
//! the policy of that site. Rebuilt from the store every few seconds.

use std::{collections::HashMap, net::IpAddr, sync::Arc};

use commons_store::{NasClient, SitePolicy};

use crate::policy::Vendor;

/// A NAS client ready for use by the packet path.
#[derive(Debug)]
pub struct NasEntry {
    /// The stored client.
    pub client: NasClient,
    /// Its site's policy, when the site still exists.
    pub policy: Option<SitePolicy>,
    /// Its vendor, parsed.
    pub vendor: Vendor,
}

/// Source address to NAS client, exact hosts first, then networks from the longest
/// prefix down.
#[derive(Debug, Default)]
pub struct ClientTable {
    hosts: HashMap<IpAddr, Arc<NasEntry>>,
    networks: Vec<Arc<NasEntry>>,
}

impl ClientTable {
    /// Builds the table from the store's clients and site policies.
    pub fn new(clients: Vec<NasClient>, policies: &[SitePolicy]) -> Self {
        let policies: HashMap<_, _> = policies.iter().map(|p| (p.site_id, p)).collect();
        let mut table = Self::default();
        for client in clients {
            let entry = Arc::new(NasEntry {
                policy: policies.get(&client.site_id).map(|p| (*p).clone()),
                vendor: client.vendor.parse().unwrap_or_default(),
                client,
            });
            if entry.client.address.is_host() {
                table.hosts.insert(entry.client.address.network(), entry);
            } else {
                table.networks.push(entry);
            }
        }
        table
            .networks
            .sort_by_key(|entry| std::cmp::Reverse(entry.client.address.prefix()));
        table
    }

    /// The client a datagram from `source` belongs to.
    pub fn lookup(&self, source: IpAddr) -> Option<&Arc<NasEntry>> {
        let source = source.to_canonical();
        self.hosts.get(&source).or_else(|| {
            self.networks
                .iter()
                .find(|entry| entry.client.address.contains(source))
        })
    }

    /// How many clients the table holds.
    pub fn len(&self) -> usize {
        self.hosts.len() + self.networks.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use commons_store::{NasId, SharedSecret, SiteId};

    use super::*;

    fn client(id: i64, address: &str) -> NasClient {
        NasClient {
            id: NasId(id),
            site_id: SiteId(1),
            name: address.into(),
            address: address.parse().unwrap(),
            secret: SharedSecret::new("0123456789abcdef").unwrap(),
            vendor: "mikrotik".into(),
            require_message_authenticator: true,
        }
    }

    #[test]
    fn the_most_specific_client_wins() {
        let table = ClientTable::new(
            vec![
                client(1, "10.0.0.0/8"),
                client(2, "10.1.0.0/16"),
                client(3, "10.1.2.3"),
            ],
            &[],
        );
        let id = |ip: &str| table.lookup(ip.parse().unwrap()).map(|e| e.client.id.0);
        assert_eq!(id("10.1.2.3"), Some(3));
        assert_eq!(id("::ffff:10.1.2.3"), Some(3));
        assert_eq!(id("10.1.9.9"), Some(2));
        assert_eq!(id("10.9.9.9"), Some(1));
        assert_eq!(id("192.0.2.1"), None);
        assert_eq!(table.len(), 3);
        assert_eq!(
            table.lookup("10.1.2.3".parse().unwrap()).unwrap().vendor,
            Vendor::Mikrotik
        );
    }
}
