//! The MD5-based protections of RADIUS: User-Password hiding (RFC 2865 §5.2), CHAP
//! (RFC 2865 §5.3), Request and Response Authenticators (RFC 2865 §3, RFC 2866 §3) and
//! Message-Authenticator (RFC 3579 §3.2). Every comparison runs in constant time.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::{HEADER_LEN, dictionary};

/// Longest User-Password RFC 2865 §5.2 allows.
const MAX_PASSWORD_LEN: usize = 128;

/// Why a User-Password could not be hidden or revealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Longer than 128 octets.
    #[error("password longer than 128 octets")]
    TooLong,
    /// A hidden value that is empty or not a multiple of 16 octets.
    #[error("hidden password of {0} octets is not 16 to 128 octets in steps of 16")]
    BadHiddenLength(usize),
}

pub(super) fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut md5 = Md5::new();
    for part in parts {
        md5.update(part);
    }
    md5.finalize().into()
}

pub(super) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// XORs `block` with MD5(secret + previous) in place, the step both directions share.
fn xor_block(block: &mut [u8], secret: &[u8], previous: &[u8]) {
    let pad = md5_of(&[secret, previous]);
    for (octet, key) in block.iter_mut().zip(pad) {
        *octet ^= key;
    }
}

/// Hides a User-Password for the request with `authenticator` (RFC 2865 §5.2).
///
/// # Errors
///
/// [`PasswordError::TooLong`] past 128 octets.
pub fn hide_password(
    password: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<Vec<u8>, PasswordError> {
    if password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong);
    }
    let padded = password.len().div_ceil(16).max(1) * 16;
    let mut out = password.to_vec();
    out.resize(padded, 0);
    let mut previous = authenticator.to_vec();
    for block in out.chunks_mut(16) {
        xor_block(block, secret, &previous);
        previous.clear();
        previous.extend_from_slice(block);
    }
    Ok(out)
}

/// Reveals a User-Password hidden for the request with `authenticator`, with its
/// NUL padding removed (RFC 2865 §5.2).
///
/// # Errors
///
/// [`PasswordError::BadHiddenLength`] unless the value is 16 to 128 octets in steps
/// of 16.
pub fn unhide_password(
    hidden: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<Vec<u8>, PasswordError> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) || hidden.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::BadHiddenLength(hidden.len()));
    }
    let mut out = hidden.to_vec();
    let mut previous: &[u8] = authenticator;
    for (block, cipher) in out.chunks_mut(16).zip(hidden.chunks(16)) {
        xor_block(block, secret, previous);
        previous = cipher;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Ok(out)
}

/// Whether a CHAP-Password answers `challenge` for `password` (RFC 2865 §5.3): its
/// first octet is the CHAP identifier, the other 16 the MD5 of identifier, password
/// and challenge.
pub fn chap_matches(chap_password: &[u8], challenge: &[u8], password: &[u8]) -> bool {
    let [ident, response @ ..] = chap_password else {
        return false;
    };
    if response.len() != 16 {
        return false;
    }
    let expected = md5_of(&[&[*ident], password, challenge]);
    expected.ct_eq(response).into()
}

/// What a packet's Message-Authenticator says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageAuthenticator {
    /// The packet has none.
    Absent,
    /// It has exactly one and it is right.
    Valid,
    /// It has one that is wrong or malformed, or more than one.
    Invalid,
}

/// Checks the Message-Authenticator of a packet (`packet` is exactly Length octets and
/// has been decoded). The HMAC-MD5 covers the packet with the attribute's value
/// zeroed; `zero_authenticator` also zeroes the authenticator field, as accounting
/// and CoA requests require (RFC 5176 §3.5), while Access-Request and Status-Server
/// use it as sent (RFC 3579 §3.2).
pub fn message_authenticator_of(
    packet: &[u8],
    secret: &[u8],
    zero_authenticator: bool,
) -> MessageAuthenticator {
    let mut found = None;
    let mut offset = HEADER_LEN;
    while let (Some(&typ), Some(&length)) = (packet.get(offset), packet.get(offset + 1)) {
        let length = usize::from(length);
        if typ == dictionary::MESSAGE_AUTHENTICATOR {
            if found.is_some() || length != 18 {
                return MessageAuthenticator::Invalid;
            }
            found = Some(offset);
        }
        offset += length.max(2);
    }
    let Some(at) = found else {
        return MessageAuthenticator::Absent;
    };
    let Some(sent) = packet.get(at + 2..at + 18) else {
        return MessageAuthenticator::Invalid;
    };
    let zeros = [0u8; 16];
    let authenticator: &[u8] = if zero_authenticator {
        &zeros
    } else {
        &packet[4..HEADER_LEN]
    };
    let expected = hmac_md5(
        secret,
        &[
            &packet[..4],
            authenticator,
            &packet[HEADER_LEN..at + 2],
            &zeros,
            &packet[at + 18..],
        ],
    );
    if bool::from(expected.ct_eq(sent)) {
        MessageAuthenticator::Valid
    } else {
        MessageAuthenticator::Invalid
    }
}

/// The Request Authenticator of an Accounting-Request (RFC 2866 §3): MD5 of the packet
/// with a zeroed authenticator field, then the secret.
pub fn accounting_request_authenticator(packet: &[u8], secret: &[u8]) -> [u8; 16] {
    let header = packet.get(..4).unwrap_or_default();
    let rest = packet.get(HEADER_LEN..).unwrap_or_default();
    md5_of(&[header, &[0u8; 16], rest, secret])
}

/// Whether an Accounting-Request's authenticator is right, compared in constant time.
pub fn request_authenticator_is_valid(packet: &[u8], secret: &[u8]) -> bool {
    let Some(sent) = packet.get(4..HEADER_LEN) else {
        return false;
    };
    accounting_request_authenticator(packet, secret)
        .ct_eq(sent)
        .into()
}
