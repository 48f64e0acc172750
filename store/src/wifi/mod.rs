//! Community Wi-Fi data: sites, NAS clients, guest credentials, remembered devices,
//! vouchers, the authentication log, and the captive portal's branding, consents and
//! email codes.

mod accounting;
mod active_session;
mod admin;
mod auth_log;
mod branding;
mod captive;
mod consents;
mod devices;
mod email_codes;
mod guests;
mod mac;
mod nas;
mod nas_edit;
mod privacy;
mod secrets;
mod sites;
mod vouchers;

pub use accounting::{AccountingRecord, AccountingStatus};
pub use active_session::ActiveSession;
pub use admin::{SiteDailyCount, SiteFields, VoucherBatch};
pub use auth_log::{AuthLogEntry, AuthResult, NewAuthLogEntry};
pub use branding::{
    BrandingUpdate, LOGO_TYPES, LogoChange, MAX_LOGO_BYTES, MAX_TEXT_CHARS, MIN_CONTRAST,
    SiteBranding, contrast_ratio,
};
pub use captive::{CaptiveSettings, UnifiController};
pub use consents::SignUp;
pub use devices::Device;
pub use email_codes::{CodeCheck, MAX_CODE_ATTEMPTS};
pub use guests::{GuestAccount, GuestCredential, NewGuest, generate_guest_password};
pub use mac::MacAddress;
pub use nas::{
    Cidr, MIN_SECRET_LEN, NasClient, NewNasClient, RECOMMENDED_SECRET_LEN, SharedSecret,
};
pub use nas_edit::NasSettings;
pub use privacy::{
    ErasedGuest, ExportedAuthEntry, ExportedConsent, ExportedDevice, ExportedEmail,
    ExportedEmailCode, ExportedGuestAccount, ExportedSession, GuestExport,
};
pub use sites::{SignUpMode, SitePolicy, WifiSite, site_slug};
pub use vouchers::{NewVouchers, Redemption, Voucher, normalise_voucher_code};
