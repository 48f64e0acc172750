//! Attributes (RFC 2865 §5), Vendor-Specific attributes (RFC 2865 §5.26) and the
//! extended types of RFC 6929.

use super::{EncodeError, Error, HEADER_LEN, MAX_VALUE_LEN, dictionary};

/// One attribute as it travels: a type and up to 253 octets of value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute type.
    pub typ: u8,
    /// The value octets.
    pub value: Vec<u8>,
}

/// Splits the attribute area of a packet (whose Length has been checked) into
/// attributes, refusing lengths of 0 or 1 and attributes that overrun the packet.
pub(super) fn decode_all(packet: &[u8]) -> Result<Vec<Attribute>, Error> {
    let mut attributes = Vec::with_capacity(8);
    let mut offset = HEADER_LEN;
    while offset < packet.len() {
        let Some(&length) = packet.get(offset + 1) else {
            return Err(Error::AttributeOverrun(offset));
        };
        if length < 2 {
            return Err(Error::AttributeLengthInvalid { offset, length });
        }
        let end = offset + usize::from(length);
        if end > packet.len() {
            return Err(Error::AttributeOverrun(offset));
        }
        attributes.push(Attribute {
            typ: packet[offset],
            value: packet[offset + 2..end].to_vec(),
        });
        offset = end;
    }
    Ok(attributes)
}

impl Attribute {
    /// An attribute from its parts.
    pub fn new(typ: u8, value: impl Into<Vec<u8>>) -> Self {
        Self {
            typ,
            value: value.into(),
        }
    }

    /// A 32-bit integer attribute.
    pub fn integer(typ: u8, value: u32) -> Self {
        Self::new(typ, value.to_be_bytes())
    }

    /// A text attribute, cut at 253 octets on a character boundary.
    pub fn text(typ: u8, value: &str) -> Self {
        let mut end = value.len().min(MAX_VALUE_LEN);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Self::new(typ, &value.as_bytes()[..end])
    }

    /// A Vendor-Specific attribute holding one sub-attribute in the format RFC 2865
    /// §5.26 suggests: vendor type, vendor length, value.
    pub fn vendor(vendor_id: u32, vendor_type: u8, value: &[u8]) -> Self {
        let mut data = Vec::with_capacity(6 + value.len());
        data.extend_from_slice(&vendor_id.to_be_bytes());
        data.push(vendor_type);
        data.push(u8::try_from(value.len() + 2).unwrap_or(u8::MAX));
        data.extend_from_slice(value);
        Self::new(dictionary::VENDOR_SPECIFIC, data)
    }

    pub(super) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.value.len() > MAX_VALUE_LEN {
            return Err(EncodeError::AttributeTooLong {
                typ: self.typ,
                len: self.value.len(),
            });
        }
        out.push(self.typ);
        out.push(u8::try_from(self.value.len() + 2).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.value);
        Ok(())
    }

    /// Reads a Vendor-Specific attribute, or `None` for any other type or one too
    /// short to hold a vendor id.
    pub fn vendor_specific(&self) -> Option<VendorSpecific<'_>> {
        if self.typ != dictionary::VENDOR_SPECIFIC || self.value.len() < 4 {
            return None;
        }
        let vendor_id =
            u32::from_be_bytes([self.value[0], self.value[1], self.value[2], self.value[3]]);
        Some(VendorSpecific {
            vendor_id,
            data: &self.value[4..],
        })
    }

    /// Reads an extended attribute (RFC 6929 §2.1, §2.2), or `None` for a type outside
    /// 241–246 or one too short to hold its extended header, which RFC 6929 §5 says to
    /// treat as an invalid attribute.
    pub fn extended(&self) -> Option<Extended<'_>> {
        match self.typ {
            dictionary::EXTENDED_FIRST..=dictionary::EXTENDED_LAST_SHORT => {
                let (&ext_type, value) = self.value.split_first()?;
                Some(Extended {
                    typ: self.typ,
                    ext_type,
                    more: false,
                    value,
                })
            }
            245..=dictionary::EXTENDED_LAST => {
                let [ext_type, flags, value @ ..] = self.value.as_slice() else {
                    return None;
                };
                Some(Extended {
                    typ: self.typ,
                    ext_type: *ext_type,
                    more: flags & 0x80 != 0,
                    value,
                })
            }
            _ => None,
        }
    }
}

/// The body of a Vendor-Specific attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    /// The vendor's private enterprise number.
    pub vendor_id: u32,
    /// Everything after the vendor id.
    pub data: &'a [u8],
}

/// One sub-attribute of a Vendor-Specific attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorAttribute<'a> {
    /// The vendor's attribute type.
    pub typ: u8,
    /// Its value.
    pub value: &'a [u8],
}

impl<'a> VendorSpecific<'a> {
    /// The sub-attributes, when the data follows the suggested format of RFC 2865
    /// §5.26 exactly; `None` for vendors with other layouts, whose data stays opaque.
    pub fn attributes(&self) -> Option<Vec<VendorAttribute<'a>>> {
        let mut out = Vec::new();
        let mut rest = self.data;
        while !rest.is_empty() {
            let [typ, length, ..] = rest else {
                return None;
            };
            let length = usize::from(*length);
            if length < 2 || length > rest.len() {
                return None;
            }
            out.push(VendorAttribute {
                typ: *typ,
                value: &rest[2..length],
            });
            rest = &rest[length..];
        }
        Some(out)
    }
}

/// An extended attribute of RFC 6929.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extended<'a> {
    /// The outer type, 241–246.
    pub typ: u8,
    /// The Extended-Type.
    pub ext_type: u8,
    /// The More flag of a long extended attribute: another fragment follows.
    pub more: bool,
    /// The value (one fragment, for long extended types).
    pub value: &'a [u8],
}

/// Joins the fragments of a long extended attribute (RFC 6929 §2.2) starting at
/// `attributes[0]`: consecutive attributes of the same type and Extended-Type, each
/// but the last with the More flag. Returns the value and how many attributes it used,
/// or `None` when the chain is broken.
pub fn reassemble_long_extended(attributes: &[Attribute]) -> Option<(Vec<u8>, usize)> {
    let first = attributes.first()?.extended()?;
    let mut value = Vec::new();
    for (used, attribute) in attributes.iter().enumerate() {
        let part = attribute.extended()?;
        if part.typ != first.typ || part.ext_type != first.ext_type {
            return None;
        }
        value.extend_from_slice(part.value);
        if !part.more {
            return Some((value, used + 1));
        }
    }
    None
}
