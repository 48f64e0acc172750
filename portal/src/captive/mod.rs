//! The captive portal: the pages people on public Wi-Fi sign up through, and the hand-off
//! back to the access point that lets them online.

// The captive pages call these; until they do, only the tests use them.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "the captive pages use the UniFi client")
)]
pub(crate) mod unifi;
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "the captive pages use the vendor hand-offs")
)]
pub(crate) mod vendor;
