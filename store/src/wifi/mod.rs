//! Community Wi-Fi data: sites, NAS clients, guest credentials, remembered devices,
//! vouchers and the authentication log.

mod accounting;
mod admin;
mod auth_log;
mod devices;
mod guests;
mod mac;
mod nas;
mod nas_edit;
mod secrets;
mod sites;
mod vouchers;

pub use accounting::{AccountingRecord, AccountingStatus};
pub use admin::{SiteDailyCount, SiteFields, VoucherBatch};
pub use auth_log::{AuthLogEntry, AuthResult, NewAuthLogEntry};
pub use devices::Device;
pub use guests::{GuestAccount, GuestCredential, NewGuest, generate_guest_password};
pub use mac::MacAddress;
pub use nas::{
    Cidr, MIN_SECRET_LEN, NasClient, NewNasClient, RECOMMENDED_SECRET_LEN, SharedSecret,
};
pub use nas_edit::NasSettings;
pub use sites::{SitePolicy, WifiSite, site_slug};
pub use vouchers::{NewVouchers, Redemption, Voucher, normalise_voucher_code};
