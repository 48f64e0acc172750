//! NAS clients: the access points and controllers allowed to send RADIUS requests,
//! each with its own shared secret.

use std::{fmt, net::IpAddr, str::FromStr};

use crate::{Error, NasId, SiteId, Store, now, trusted, with_pool};

/// Shortest shared secret accepted.
pub const MIN_SECRET_LEN: usize = 16;
/// Shortest shared secret accepted without a warning.
pub const RECOMMENDED_SECRET_LEN: usize = 24;
/// Length of generated shared secrets.
const GENERATED_SECRET_LEN: usize = 32;

/// A RADIUS shared secret. Shown as `***` in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(String);

impl SharedSecret {
    /// Wraps a secret after checking its length.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a secret shorter than [`MIN_SECRET_LEN`] characters.
    pub fn new(secret: impl Into<String>) -> Result<Self, Error> {
        let secret = secret.into();
        if secret.chars().count() < MIN_SECRET_LEN {
            return Err(Error::Invalid {
                what: "shared secret",
                reason: format!("it must be at least {MIN_SECRET_LEN} characters long"),
            });
        }
        Ok(Self(secret))
    }

    /// A new secret of 32 random letters and digits.
    pub fn generate() -> Self {
        Self(super::secrets::shared_secret(GENERATED_SECRET_LEN))
    }

    /// Whether the secret is shorter than [`RECOMMENDED_SECRET_LEN`].
    pub fn is_weak(&self) -> bool {
        self.0.chars().count() < RECOMMENDED_SECRET_LEN
    }

    /// The secret, for the codec and for showing once to an administrator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(***)")
    }
}

/// A source address or network (`192.0.2.10`, `192.0.2.0/24`, `2001:db8::/48`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network address, host bits cleared.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `addr` lies in this network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(ip) & mask == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(ip) & mask == u128::from(net)
            }
            _ => false,
        }
    }

    /// Whether this names one host rather than a network.
    pub fn is_host(&self) -> bool {
        match self.network {
            IpAddr::V4(_) => self.prefix == 32,
            IpAddr::V6(_) => self.prefix == 128,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not an IP address or CIDR network");
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        let network = match addr {
            IpAddr::V4(ip) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((u32::from(ip) & mask).into())
            }
            IpAddr::V6(ip) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((u128::from(ip) & mask).into())
            }
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A registered NAS client.
#[derive(Clone, Debug)]
pub struct NasClient {
    /// Row id.
    pub id: NasId,
    /// The site it serves.
    pub site_id: SiteId,
    /// Name for people and metrics.
    pub name: String,
    /// Where its requests come from.
    pub address: Cidr,
    /// Its shared secret.
    pub secret: SharedSecret,
    /// Its make, which chooses the vendor attributes of replies.
    pub vendor: String,
    /// Whether its Access-Requests must carry a valid Message-Authenticator.
    pub require_message_authenticator: bool,
}

/// A NAS client to register.
#[derive(Clone, Debug)]
pub struct NewNasClient {
    /// The site it serves.
    pub site_id: SiteId,
    /// Name for people and metrics; the address when empty.
    pub name: String,
    /// Where its requests come from.
    pub address: Cidr,
    /// Its shared secret.
    pub secret: SharedSecret,
    /// Its make, such as `mikrotik`.
    pub vendor: String,
    /// Whether its Access-Requests must carry a valid Message-Authenticator.
    pub require_message_authenticator: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct NasRow {
    id: NasId,
    site_id: SiteId,
    name: String,
    address: String,
    secret: String,
    vendor: String,
    require_message_authenticator: bool,
}

pub(super) const NAS_COLUMNS: &str =
    "id, site_id, name, address, secret, vendor, require_message_authenticator";

impl TryFrom<NasRow> for NasClient {
    type Error = Error;

    fn try_from(row: NasRow) -> Result<Self, Error> {
        let corrupt = |reason: String| Error::Invalid {
            what: "stored NAS client",
            reason,
        };
        Ok(Self {
            id: row.id,
            site_id: row.site_id,
            name: row.name,
            address: row.address.parse().map_err(corrupt)?,
            secret: SharedSecret::new(row.secret)?,
            vendor: row.vendor,
            require_message_authenticator: row.require_message_authenticator,
        })
    }
}

impl Store {
    /// Registers a NAS client.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when another client has the same address.
    pub async fn create_nas_client(&self, new: &NewNasClient) -> Result<NasClient, Error> {
        let name = if new.name.trim().is_empty() {
            new.address.to_string()
        } else {
            new.name.trim().to_owned()
        };
        let sql = format!(
            "INSERT INTO nas_clients (site_id, name, address, secret, vendor, \
             require_message_authenticator, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {NAS_COLUMNS}"
        );
        let row: NasRow = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(new.site_id)
            .bind(&name)
            .bind(new.address.to_string())
            .bind(new.secret.expose())
            .bind(new.vendor.trim().to_lowercase())
            .bind(new.require_message_authenticator)
            .bind(now())
            .fetch_one(pool)
            .await)
        .map_err(Error::unique("NAS client with this address"))?;
        row.try_into()
    }

    /// Every NAS client, oldest first. Rows that no longer parse are skipped with a
    /// warning rather than taking every other client down with them.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn nas_clients(&self) -> Result<Vec<NasClient>, Error> {
        let sql = format!("SELECT {NAS_COLUMNS} FROM nas_clients ORDER BY id");
        let rows: Vec<NasRow> =
            with_pool!(self, pool => sqlx::query_as(trusted(sql)).fetch_all(pool).await)?;
        let mut clients = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            match NasClient::try_from(row) {
                Ok(client) => clients.push(client),
                Err(err) => tracing::warn!(nas = %id, error = %err, "skipping unusable NAS client"),
            }
        }
        Ok(clients)
    }

    /// Removes a NAS client.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such client.
    pub async fn delete_nas_client(&self, id: NasId) -> Result<(), Error> {
        let sql = "DELETE FROM nas_clients WHERE id = $1";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "NAS client" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_networks_parse_and_match() {
        let host: Cidr = "127.0.0.1".parse().unwrap();
        assert!(host.is_host());
        assert!(host.contains("127.0.0.1".parse().unwrap()));
        assert!(host.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!host.contains("127.0.0.2".parse().unwrap()));

        let net: Cidr = "10.1.2.3/16".parse().unwrap();
        assert_eq!(net.to_string(), "10.1.0.0/16");
        assert!(net.contains("10.1.200.7".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));

        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("10.1.200.7".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn bad_addresses_are_refused() {
        for text in ["", "10.0.0.0/33", "::/129", "host.example", "10.0.0.0/x"] {
            assert!(text.parse::<Cidr>().is_err(), "{text}");
        }
    }

    #[test]
    fn short_secrets_are_refused_and_medium_ones_flagged() {
        assert!(SharedSecret::new("fifteen-chars!!").is_err());
        assert!(SharedSecret::new("sixteen-chars!!!").unwrap().is_weak());
        assert!(!SharedSecret::generate().is_weak());
        assert_eq!(SharedSecret::generate().expose().len(), 32);
        assert_eq!(
            format!("{:?}", SharedSecret::generate()),
            "SharedSecret(***)"
        );
    }
}
