//! Deciding an Access-Request: which credential it offers (PAP, CHAP, a remembered
//! device's MAC, a voucher code, a guest credential) and whether it is good.

use commons_store::{
    GuestAccount, MacAddress, Redemption, SiteId, Voucher, normalise_voucher_code, now,
};
use subtle::ConstantTimeEq;

use crate::{
    backend::Backend,
    codec::{Packet, chap_matches, dictionary as attr, unhide_password},
    policy::{Grant, Method, RejectReason},
};

/// The outcome of one Access-Request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The User-Name offered, for the log.
    pub username: String,
    /// The device, from Calling-Station-Id or a MAC user name.
    pub mac: Option<MacAddress>,
    /// Accept with a grant, or reject with a reason.
    pub verdict: Result<Grant, RejectReason>,
    /// What decided it, for the log: the method on accept, a detail on reject.
    pub detail: &'static str,
}

/// The proof of identity a request carries.
enum Credential {
    Pap(Vec<u8>),
    Chap {
        response: Vec<u8>,
        challenge: Vec<u8>,
    },
}

impl Credential {
    /// Whether this credential proves knowledge of `password`, in constant time for
    /// PAP.
    fn proves(&self, password: &[u8]) -> bool {
        match self {
            Self::Pap(offered) => offered.ct_eq(password).into(),
            Self::Chap {
                response,
                challenge,
            } => chap_matches(response, challenge, password),
        }
    }
}

type Verdict = (Result<Grant, RejectReason>, &'static str);

fn reject(reason: RejectReason, detail: &'static str) -> Verdict {
    (Err(reason), detail)
}

/// Decides an Access-Request that has already passed the Message-Authenticator rules,
/// from a NAS of `site`, whose shared secret is `secret`.
///
/// # Errors
///
/// A store error; the caller drops the request so the NAS retries.
pub async fn decide<B: Backend>(
    backend: &B,
    site: SiteId,
    request: &Packet,
    secret: &[u8],
) -> Result<Decision, commons_store::Error> {
    let username = request
        .first(attr::USER_NAME)
        .map(|raw| String::from_utf8_lossy(raw).into_owned())
        .unwrap_or_default();
    let calling = request
        .text(attr::CALLING_STATION_ID)
        .and_then(MacAddress::parse);
    let user_mac = MacAddress::parse(&username);
    let mac = user_mac.or(calling);
    let verdict = match credential(request, secret) {
        Ok(credential) => verdict(backend, site, &username, user_mac, calling, &credential).await?,
        Err(verdict) => verdict,
    };
    Ok(Decision {
        username,
        mac,
        verdict: verdict.0,
        detail: verdict.1,
    })
}

/// Reads the credential: User-Password (RFC 2865 §5.2) or CHAP-Password with
/// CHAP-Challenge, else the Request Authenticator, as challenge (§5.3).
fn credential(request: &Packet, secret: &[u8]) -> Result<Credential, Verdict> {
    if let Some(hidden) = request.first(attr::USER_PASSWORD) {
        return unhide_password(hidden, secret, &request.authenticator)
            .map(Credential::Pap)
            .map_err(|_| reject(RejectReason::BadCredentials, "malformed_password"));
    }
    if let Some(response) = request.first(attr::CHAP_PASSWORD) {
        let challenge = request
            .first(attr::CHAP_CHALLENGE)
            .unwrap_or(&request.authenticator);
        return Ok(Credential::Chap {
            response: response.to_vec(),
            challenge: challenge.to_vec(),
        });
    }
    if request.first(attr::EAP_MESSAGE).is_some() {
        return Err(reject(RejectReason::Unsupported, "eap"));
    }
    Err(reject(RejectReason::BadCredentials, "no_credential"))
}

async fn verdict<B: Backend>(
    backend: &B,
    site: SiteId,
    username: &str,
    user_mac: Option<MacAddress>,
    calling: Option<MacAddress>,
    credential: &Credential,
) -> Result<Verdict, commons_store::Error> {
    // A blocked device is refused whatever it offers.
    for mac in [calling, user_mac].into_iter().flatten() {
        if backend.device(site, mac).await?.is_some_and(|d| d.blocked) {
            return Ok(reject(RejectReason::DeviceBlocked, "device_blocked"));
        }
    }

    if let Some(mac) = user_mac {
        return device_verdict(backend, site, username, mac, credential).await;
    }
    // Limitation: an unknown user name skips the password comparison, so its reject
    // may come a few microseconds sooner than a wrong password's; the Reply-Message is
    // the same. Equalising the work would need a dummy comparison per lookup path.

    if let Some(guest) = backend.guest(site, username).await? {
        return Ok(guest_verdict(&guest, calling, credential));
    }
    voucher_verdict(backend, site, username, calling, credential).await
}

/// MAC authentication: the user name is the MAC, and the password is the MAC in any
/// spelling, the user name itself, or empty.
async fn device_verdict<B: Backend>(
    backend: &B,
    site: SiteId,
    username: &str,
    mac: MacAddress,
    credential: &Credential,
) -> Result<Verdict, commons_store::Error> {
    let proves = match credential {
        Credential::Pap(offered) => {
            offered.is_empty()
                || std::str::from_utf8(offered)
                    .ok()
                    .and_then(MacAddress::parse)
                    == Some(mac)
        }
        Credential::Chap { .. } => credential.proves(username.as_bytes()),
    };
    if !proves {
        return Ok(reject(RejectReason::BadCredentials, "bad_mac_password"));
    }
    let Some(device) = backend.device(site, mac).await? else {
        return Ok(reject(RejectReason::BadCredentials, "unknown_device"));
    };
    let left = device.expires_at - now();
    if left <= 0 {
        return Ok(reject(RejectReason::Expired, "device_expired"));
    }
    let grant = Grant {
        method: Method::Device,
        subject_id: device.id,
        seconds_left: Some(left),
        octets_left: None,
    };
    Ok((Ok(grant), "device"))
}

fn guest_verdict(
    guest: &GuestAccount,
    calling: Option<MacAddress>,
    credential: &Credential,
) -> Verdict {
    if !credential.proves(guest.password().as_bytes()) {
        return reject(RejectReason::BadCredentials, "bad_password");
    }
    let left = guest.expires_at.map(|at| at - now());
    if left.is_some_and(|left| left <= 0) {
        return reject(RejectReason::Expired, "guest_expired");
    }
    if let (Some(bound), Some(calling)) = (guest.device(), calling)
        && bound != calling
    {
        return reject(RejectReason::OtherDevice, "other_device");
    }
    let grant = Grant {
        method: Method::Guest,
        subject_id: guest.id,
        seconds_left: left,
        octets_left: None,
    };
    (Ok(grant), "guest")
}

/// A voucher code as the user name (with the code or nothing as password), or as the
/// password under any user name.
async fn voucher_verdict<B: Backend>(
    backend: &B,
    site: SiteId,
    username: &str,
    calling: Option<MacAddress>,
    credential: &Credential,
) -> Result<Verdict, commons_store::Error> {
    let as_username = match backend.voucher(username).await? {
        Some(voucher) => {
            let code = voucher.code.as_bytes();
            let proves = match credential {
                Credential::Pap(offered) => {
                    offered.is_empty()
                        || normalise_voucher_code(&String::from_utf8_lossy(offered)).as_bytes()
                            == code
                }
                Credential::Chap { .. } => {
                    credential.proves(code) || credential.proves(username.as_bytes())
                }
            };
            if !proves {
                return Ok(reject(RejectReason::BadCredentials, "bad_voucher_password"));
            }
            Some(voucher)
        }
        None => None,
    };
    let voucher = match (as_username, credential) {
        (Some(voucher), _) => Some(voucher),
        (None, Credential::Pap(offered)) if !offered.is_empty() => {
            backend.voucher(&String::from_utf8_lossy(offered)).await?
        }
        _ => None,
    };
    let Some(voucher) = voucher.filter(|v| v.site_id == site) else {
        return Ok(reject(RejectReason::BadCredentials, "unknown_user"));
    };
    redeem(backend, &voucher, calling).await
}

/// Checks a voucher's expiry and allowances, then spends a use for this device.
async fn redeem<B: Backend>(
    backend: &B,
    voucher: &Voucher,
    device: Option<MacAddress>,
) -> Result<Verdict, commons_store::Error> {
    let at = now();
    if voucher.expires_at.is_some_and(|expires| expires <= at) {
        return Ok(reject(RejectReason::Expired, "voucher_expired"));
    }
    if time_left(voucher, at).is_some_and(|left| left <= 0) {
        return Ok(reject(RejectReason::AllowanceUsed, "voucher_time_used"));
    }
    if data_left(voucher).is_some_and(|left| left <= 0) {
        return Ok(reject(RejectReason::AllowanceUsed, "voucher_data_used"));
    }
    let voucher = match backend.redeem_voucher(voucher.id, device).await? {
        Redemption::Spent(voucher) | Redemption::Returning(voucher) => voucher,
        Redemption::Exhausted => {
            return Ok(reject(RejectReason::AllowanceUsed, "voucher_uses_used"));
        }
    };
    let until_expiry = voucher.expires_at.map(|expires| expires - at);
    let seconds_left = match (time_left(&voucher, at), until_expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let grant = Grant {
        method: Method::Voucher,
        subject_id: voucher.id,
        seconds_left,
        octets_left: data_left(&voucher),
    };
    Ok((Ok(grant), "voucher"))
}

fn time_left(voucher: &Voucher, at: i64) -> Option<i64> {
    let duration = voucher.duration_secs?;
    let started = voucher.first_used_at.unwrap_or(at);
    Some(started.saturating_add(duration) - at)
}

fn data_left(voucher: &Voucher) -> Option<i64> {
    voucher
        .data_limit_bytes
        .map(|limit| limit - voucher.bytes_used)
}
