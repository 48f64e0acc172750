//! Random credentials: NAS shared secrets, guest passwords and voucher codes.

use rand::Rng;

/// Letters and digits without the look-alikes 0/O, 1/I/L, so people can type them.
const UNAMBIGUOUS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters drawn uniformly from `alphabet` with the operating system's RNG.
fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A shared secret of `len` random letters and digits.
pub(crate) fn shared_secret(len: usize) -> String {
    random_from(ALPHANUMERIC, len)
}

/// A code or password people type from paper or a screen.
pub(crate) fn typeable(len: usize) -> String {
    random_from(UNAMBIGUOUS, len)
}

/// A lower-case user name suffix.
pub(crate) fn lower(len: usize) -> String {
    typeable(len).to_lowercase()
}
