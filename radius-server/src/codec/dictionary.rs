//! Attribute and vendor numbers used by Commons, from the RADIUS RFCs and the vendors'
//! published dictionaries.

/// User-Name (RFC 2865 §5.1).
pub const USER_NAME: u8 = 1;
/// User-Password (RFC 2865 §5.2).
pub const USER_PASSWORD: u8 = 2;
/// CHAP-Password (RFC 2865 §5.3).
pub const CHAP_PASSWORD: u8 = 3;
/// NAS-IP-Address (RFC 2865 §5.4).
pub const NAS_IP_ADDRESS: u8 = 4;
/// NAS-Port (RFC 2865 §5.5).
pub const NAS_PORT: u8 = 5;
/// Service-Type (RFC 2865 §5.6).
pub const SERVICE_TYPE: u8 = 6;
/// Framed-Protocol (RFC 2865 §5.7).
pub const FRAMED_PROTOCOL: u8 = 7;
/// Framed-IP-Address (RFC 2865 §5.8).
pub const FRAMED_IP_ADDRESS: u8 = 8;
/// Framed-Routing (RFC 2865 §5.10).
pub const FRAMED_ROUTING: u8 = 10;
/// Framed-MTU (RFC 2865 §5.12).
pub const FRAMED_MTU: u8 = 12;
/// Framed-Compression (RFC 2865 §5.13).
pub const FRAMED_COMPRESSION: u8 = 13;
/// Login-IP-Host (RFC 2865 §5.14).
pub const LOGIN_IP_HOST: u8 = 14;
/// Login-Service (RFC 2865 §5.15).
pub const LOGIN_SERVICE: u8 = 15;
/// Reply-Message (RFC 2865 §5.18).
pub const REPLY_MESSAGE: u8 = 18;
/// State (RFC 2865 §5.24).
pub const STATE: u8 = 24;
/// Class (RFC 2865 §5.25).
pub const CLASS: u8 = 25;
/// Vendor-Specific (RFC 2865 §5.26).
pub const VENDOR_SPECIFIC: u8 = 26;
/// Session-Timeout (RFC 2865 §5.27).
pub const SESSION_TIMEOUT: u8 = 27;
/// Idle-Timeout (RFC 2865 §5.28).
pub const IDLE_TIMEOUT: u8 = 28;
/// Called-Station-Id (RFC 2865 §5.30).
pub const CALLED_STATION_ID: u8 = 30;
/// Calling-Station-Id (RFC 2865 §5.31).
pub const CALLING_STATION_ID: u8 = 31;
/// NAS-Identifier (RFC 2865 §5.32).
pub const NAS_IDENTIFIER: u8 = 32;
/// Proxy-State (RFC 2865 §5.33).
pub const PROXY_STATE: u8 = 33;
/// Acct-Status-Type (RFC 2866 §5.1).
pub const ACCT_STATUS_TYPE: u8 = 40;
/// Acct-Input-Octets (RFC 2866 §5.3).
pub const ACCT_INPUT_OCTETS: u8 = 42;
/// Acct-Output-Octets (RFC 2866 §5.4).
pub const ACCT_OUTPUT_OCTETS: u8 = 43;
/// Acct-Session-Id (RFC 2866 §5.5).
pub const ACCT_SESSION_ID: u8 = 44;
/// Acct-Session-Time (RFC 2866 §5.7).
pub const ACCT_SESSION_TIME: u8 = 46;
/// Acct-Terminate-Cause (RFC 2866 §5.10).
pub const ACCT_TERMINATE_CAUSE: u8 = 49;
/// Acct-Input-Gigawords (RFC 2869 §5.1).
pub const ACCT_INPUT_GIGAWORDS: u8 = 52;
/// Acct-Output-Gigawords (RFC 2869 §5.2).
pub const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
/// CHAP-Challenge (RFC 2865 §5.40).
pub const CHAP_CHALLENGE: u8 = 60;
/// EAP-Message (RFC 3579 §3.1).
pub const EAP_MESSAGE: u8 = 79;
/// Message-Authenticator (RFC 3579 §3.2).
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
/// Acct-Interim-Interval (RFC 2869 §5.16).
pub const ACCT_INTERIM_INTERVAL: u8 = 85;
/// First of the extended attribute types (RFC 6929 §2.1).
pub const EXTENDED_FIRST: u8 = 241;
/// Last short extended type; 245 and 246 are long extended (RFC 6929 §2.2).
pub const EXTENDED_LAST_SHORT: u8 = 244;
/// Last extended attribute type.
pub const EXTENDED_LAST: u8 = 246;

/// Vendor numbers (IANA private enterprise numbers) and their attributes.
pub mod vendor {
    /// Wireless ISP roaming (WISPr), used by many hotspot vendors.
    pub const WISPR: u32 = 14122;
    /// WISPr-Bandwidth-Max-Up, bit/s.
    pub const WISPR_BANDWIDTH_MAX_UP: u8 = 7;
    /// WISPr-Bandwidth-Max-Down, bit/s.
    pub const WISPR_BANDWIDTH_MAX_DOWN: u8 = 8;

    /// ChilliSpot, as used by CoovaChilli.
    pub const CHILLISPOT: u32 = 14559;
    /// ChilliSpot-Max-Total-Octets.
    pub const CHILLISPOT_MAX_TOTAL_OCTETS: u8 = 3;
    /// ChilliSpot-Bandwidth-Max-Up, kbit/s.
    pub const CHILLISPOT_BANDWIDTH_MAX_UP: u8 = 4;
    /// ChilliSpot-Bandwidth-Max-Down, kbit/s.
    pub const CHILLISPOT_BANDWIDTH_MAX_DOWN: u8 = 5;

    /// MikroTik.
    pub const MIKROTIK: u32 = 14988;
    /// Mikrotik-Rate-Limit, text `rx/tx` as seen by the router.
    pub const MIKROTIK_RATE_LIMIT: u8 = 8;
    /// Mikrotik-Total-Limit, octets modulo 2^32.
    pub const MIKROTIK_TOTAL_LIMIT: u8 = 17;
    /// Mikrotik-Total-Limit-Gigawords.
    pub const MIKROTIK_TOTAL_LIMIT_GIGAWORDS: u8 = 18;

    /// ADSL Forum (RFC 4679), whose rate attributes Cisco Meraki reads.
    pub const ADSL_FORUM: u32 = 3561;
    /// Maximum-Data-Rate-Upstream, bit/s.
    pub const MAXIMUM_DATA_RATE_UPSTREAM: u8 = 135;
    /// Maximum-Data-Rate-Downstream, bit/s.
    pub const MAXIMUM_DATA_RATE_DOWNSTREAM: u8 = 136;
}
