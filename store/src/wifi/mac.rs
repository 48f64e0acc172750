//! MAC addresses in the spellings access points send, stored in one canonical form.

use std::{fmt, str::FromStr};

/// A 48-bit MAC address, shown and stored as `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress([u8; 6]);

impl MacAddress {
    /// Reads a MAC address in any common spelling: `aa:bb:cc:dd:ee:ff`,
    /// `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff` or `aabbccddeeff`, in either letter case.
    /// Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let groups_ok = match text.len() {
            12 => true,
            17 => separators_at(text, &[2, 5, 8, 11, 14], b":-"),
            14 => separators_at(text, &[4, 9], b"."),
            _ => false,
        };
        if !groups_ok {
            return None;
        }
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !matches!(b, b':' | b'-' | b'.'))
            .collect();
        if digits.len() != 12 {
            return None;
        }
        let mut octets = [0u8; 6];
        for (octet, pair) in octets.iter_mut().zip(digits.chunks_exact(2)) {
            *octet = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Self(octets))
    }

    /// The six octets.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

/// Whether every separator position holds the same allowed separator.
fn separators_at(text: &str, positions: &[usize], allowed: &[u8]) -> bool {
    let bytes = text.as_bytes();
    let Some(first) = positions.first().map(|&at| bytes[at]) else {
        return false;
    };
    allowed.contains(&first) && positions.iter().all(|&at| bytes[at] == first)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl FromStr for MacAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| format!("{text:?} is not a MAC address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_spelling_reads_as_the_same_address() {
        let want = MacAddress([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
        for spelling in [
            "aa:bb:cc:dd:ee:ff",
            "AA-BB-CC-DD-EE-FF",
            "aabb.ccdd.eeff",
            "aabbccddeeff",
            "AaBbCcDdEeFf",
            " aa:bb:cc:dd:ee:ff ",
        ] {
            assert_eq!(MacAddress::parse(spelling), Some(want), "{spelling}");
        }
        assert_eq!(want.to_string(), "aa:bb:cc:dd:ee:ff");
    }

    #[test]
    fn near_misses_are_not_addresses() {
        for text in [
            "",
            "aa:bb:cc:dd:ee",
            "aa:bb-cc:dd:ee:ff",
            "aa:bb:cc:dd:ee:fg",
            "aabb.ccdd:eeff",
            "aabbccddeef",
            "nemo",
            "aa.bb.cc.dd.ee.ff",
        ] {
            assert_eq!(MacAddress::parse(text), None, "{text}");
        }
    }
}
