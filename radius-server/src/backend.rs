//! The seam between the RADIUS service and its data: what the server asks of the
//! store, as a trait so tests can stand in for it.

use std::future::Future;

use commons_store::{
    AccountingRecord, Device, Error, GuestAccount, MacAddress, NasClient, NewAuthLogEntry,
    Redemption, SiteId, SitePolicy, Store, Voucher,
};

/// Everything the RADIUS service reads and writes.
pub trait Backend: Send + Sync + 'static {
    /// Every NAS client.
    fn nas_clients(&self) -> impl Future<Output = Result<Vec<NasClient>, Error>> + Send;
    /// The policy of every site.
    fn site_policies(&self) -> impl Future<Output = Result<Vec<SitePolicy>, Error>> + Send;
    /// A site's guest account by user name.
    fn guest(
        &self,
        site: SiteId,
        username: &str,
    ) -> impl Future<Output = Result<Option<GuestAccount>, Error>> + Send;
    /// A site's remembered device.
    fn device(
        &self,
        site: SiteId,
        mac: MacAddress,
    ) -> impl Future<Output = Result<Option<Device>, Error>> + Send;
    /// A voucher by code.
    fn voucher(&self, code: &str) -> impl Future<Output = Result<Option<Voucher>, Error>> + Send;
    /// Spends a voucher use for a device.
    fn redeem_voucher(
        &self,
        id: i64,
        device: Option<MacAddress>,
    ) -> impl Future<Output = Result<Redemption, Error>> + Send;
    /// Appends decisions to the authentication log.
    fn record_auth(
        &self,
        entries: &[NewAuthLogEntry],
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Purges authentication log entries past their retention.
    fn purge_auth_log(&self, at: i64) -> impl Future<Output = Result<u64, Error>> + Send;
    /// Commits an accounting record.
    fn record_accounting(
        &self,
        record: &AccountingRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

impl Backend for Store {
    fn nas_clients(&self) -> impl Future<Output = Result<Vec<NasClient>, Error>> + Send {
        Store::nas_clients(self)
    }

    fn site_policies(&self) -> impl Future<Output = Result<Vec<SitePolicy>, Error>> + Send {
        Store::site_policies(self)
    }

    fn guest(
        &self,
        site: SiteId,
        username: &str,
    ) -> impl Future<Output = Result<Option<GuestAccount>, Error>> + Send {
        Store::guest(self, site, username)
    }

    fn device(
        &self,
        site: SiteId,
        mac: MacAddress,
    ) -> impl Future<Output = Result<Option<Device>, Error>> + Send {
        Store::device(self, site, mac)
    }

    fn voucher(&self, code: &str) -> impl Future<Output = Result<Option<Voucher>, Error>> + Send {
        Store::voucher(self, code)
    }

    fn redeem_voucher(
        &self,
        id: i64,
        device: Option<MacAddress>,
    ) -> impl Future<Output = Result<Redemption, Error>> + Send {
        Store::redeem_voucher(self, id, device)
    }

    fn record_auth(
        &self,
        entries: &[NewAuthLogEntry],
    ) -> impl Future<Output = Result<(), Error>> + Send {
        Store::record_auth(self, entries)
    }

    fn purge_auth_log(&self, at: i64) -> impl Future<Output = Result<u64, Error>> + Send {
        Store::purge_auth_log(self, at)
    }

    fn record_accounting(
        &self,
        record: &AccountingRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        Store::record_accounting(self, record)
    }
}
