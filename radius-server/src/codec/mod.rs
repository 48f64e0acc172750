//! The RADIUS wire format (RFC 2865 §3), pure: bytes in, values out, no I/O.
//!
//! Decoding is strict and total: every datagram either becomes a [`Packet`] or an
//! [`Error`] naming why it was refused; nothing panics. Unknown attributes are kept.

mod attributes;
mod crypto;
pub mod dictionary;

pub use attributes::{
    Attribute, Extended, VendorAttribute, VendorSpecific, reassemble_long_extended,
};
pub use crypto::{
    MessageAuthenticator, PasswordError, accounting_request_authenticator, chap_matches,
    hide_password, message_authenticator_of, request_authenticator_is_valid, unhide_password,
};

/// Shortest packet: the header (RFC 2865 §3).
pub const HEADER_LEN: usize = 20;
/// Longest packet (RFC 2865 §3).
pub const MAX_PACKET_LEN: usize = 4096;
/// Longest attribute value: 255 octets less type and length.
pub const MAX_VALUE_LEN: usize = 253;

/// Packet types (RFC 2865 §3, RFC 2866 §3, RFC 5997, RFC 5176).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// 1.
    AccessRequest,
    /// 2.
    AccessAccept,
    /// 3.
    AccessReject,
    /// 4.
    AccountingRequest,
    /// 5.
    AccountingResponse,
    /// 11.
    AccessChallenge,
    /// 12.
    StatusServer,
    /// 13.
    StatusClient,
    /// 40.
    DisconnectRequest,
    /// 41.
    DisconnectAck,
    /// 42.
    DisconnectNak,
    /// 43.
    CoaRequest,
    /// 44.
    CoaAck,
    /// 45.
    CoaNak,
}

impl Code {
    /// The code for a wire value, or `None` for one no RFC assigns.
    pub fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::AccessRequest,
            2 => Self::AccessAccept,
            3 => Self::AccessReject,
            4 => Self::AccountingRequest,
            5 => Self::AccountingResponse,
            11 => Self::AccessChallenge,
            12 => Self::StatusServer,
            13 => Self::StatusClient,
            40 => Self::DisconnectRequest,
            41 => Self::DisconnectAck,
            42 => Self::DisconnectNak,
            43 => Self::CoaRequest,
            44 => Self::CoaAck,
            45 => Self::CoaNak,
            _ => return None,
        })
    }

    /// The wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::AccessRequest => 1,
            Self::AccessAccept => 2,
            Self::AccessReject => 3,
            Self::AccountingRequest => 4,
            Self::AccountingResponse => 5,
            Self::AccessChallenge => 11,
            Self::StatusServer => 12,
            Self::StatusClient => 13,
            Self::DisconnectRequest => 40,
            Self::DisconnectAck => 41,
            Self::DisconnectNak => 42,
            Self::CoaRequest => 43,
            Self::CoaAck => 44,
            Self::CoaNak => 45,
        }
    }

    /// The RFC name, for logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessRequest => "Access-Request",
            Self::AccessAccept => "Access-Accept",
            Self::AccessReject => "Access-Reject",
            Self::AccountingRequest => "Accounting-Request",
            Self::AccountingResponse => "Accounting-Response",
            Self::AccessChallenge => "Access-Challenge",
            Self::StatusServer => "Status-Server",
            Self::StatusClient => "Status-Client",
            Self::DisconnectRequest => "Disconnect-Request",
            Self::DisconnectAck => "Disconnect-ACK",
            Self::DisconnectNak => "Disconnect-NAK",
            Self::CoaRequest => "CoA-Request",
            Self::CoaAck => "CoA-ACK",
            Self::CoaNak => "CoA-NAK",
        }
    }
}

/// Why a datagram is not a RADIUS packet. Each variant is one drop reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer octets than a header.
    #[error("datagram of {0} octets is shorter than a RADIUS header")]
    DatagramTooShort(usize),
    /// The Length field is below 20.
    #[error("length field {0} is below the minimum of 20")]
    LengthBelowMinimum(u16),
    /// The Length field is above 4096.
    #[error("length field {0} is above the maximum of 4096")]
    LengthAboveMaximum(u16),
    /// The Length field claims more octets than arrived.
    #[error("length field {length} exceeds the {datagram} octets received")]
    LengthExceedsDatagram {
        /// The Length field.
        length: u16,
        /// Octets received.
        datagram: usize,
    },
    /// The Code field has no assigned meaning.
    #[error("unknown code {0}")]
    UnknownCode(u8),
    /// An attribute's Length field is 0 or 1.
    #[error("attribute at offset {offset} has length {length}")]
    AttributeLengthInvalid {
        /// Where it starts.
        offset: usize,
        /// Its Length field.
        length: u8,
    },
    /// An attribute runs past the end of the packet.
    #[error("attribute at offset {0} runs past the end of the packet")]
    AttributeOverrun(usize),
}

impl Error {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::DatagramTooShort(_) => "datagram_too_short",
            Self::LengthBelowMinimum(_) => "length_below_minimum",
            Self::LengthAboveMaximum(_) => "length_above_maximum",
            Self::LengthExceedsDatagram { .. } => "length_exceeds_datagram",
            Self::UnknownCode(_) => "unknown_code",
            Self::AttributeLengthInvalid { .. } => "attribute_length_invalid",
            Self::AttributeOverrun(_) => "attribute_overrun",
        }
    }
}

/// Why a packet could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// An attribute value is longer than 253 octets.
    #[error("attribute {typ} value of {len} octets is longer than 253")]
    AttributeTooLong {
        /// Its type.
        typ: u8,
        /// Its value length.
        len: usize,
    },
    /// The whole packet would be longer than 4096 octets.
    #[error("packet of {0} octets is longer than 4096")]
    PacketTooLong(usize),
}

/// A decoded packet. Octets past the Length field are not part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// What kind of packet.
    pub code: Code,
    /// Matches replies to requests.
    pub identifier: u8,
    /// Request or Response Authenticator.
    pub authenticator: [u8; 16],
    /// Attributes in wire order, unknown ones included.
    pub attributes: Vec<Attribute>,
}

/// Reads the Length field of a datagram already known to hold a header.
fn length_field(datagram: &[u8]) -> u16 {
    u16::from_be_bytes([datagram[2], datagram[3]])
}

impl Packet {
    /// Decodes one datagram.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the first rule the datagram breaks. A datagram longer than
    /// its Length field is accepted and the excess ignored as padding (RFC 2865 §3).
    pub fn decode(datagram: &[u8]) -> Result<Self, Error> {
        let length = Self::checked_length(datagram)?;
        let code = Code::from_u8(datagram[0]).ok_or(Error::UnknownCode(datagram[0]))?;
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&datagram[4..HEADER_LEN]);
        let attributes = attributes::decode_all(&datagram[..length])?;
        Ok(Self {
            code,
            identifier: datagram[1],
            authenticator,
            attributes,
        })
    }

    /// Checks the header's Length against the datagram and the RFC bounds and returns
    /// it as a length in octets.
    ///
    /// # Errors
    ///
    /// The length errors of [`Error`].
    pub fn checked_length(datagram: &[u8]) -> Result<usize, Error> {
        if datagram.len() < HEADER_LEN {
            return Err(Error::DatagramTooShort(datagram.len()));
        }
        let length = length_field(datagram);
        if usize::from(length) < HEADER_LEN {
            return Err(Error::LengthBelowMinimum(length));
        }
        if usize::from(length) > MAX_PACKET_LEN {
            return Err(Error::LengthAboveMaximum(length));
        }
        if usize::from(length) > datagram.len() {
            return Err(Error::LengthExceedsDatagram {
                length,
                datagram: datagram.len(),
            });
        }
        Ok(usize::from(length))
    }

    /// The value of the first attribute of type `typ`.
    pub fn first(&self, typ: u8) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|attribute| attribute.typ == typ)
            .map(|attribute| attribute.value.as_slice())
    }

    /// Every attribute of type `typ`, in order.
    pub fn all(&self, typ: u8) -> impl Iterator<Item = &Attribute> {
        self.attributes
            .iter()
            .filter(move |attribute| attribute.typ == typ)
    }

    /// The first attribute of type `typ` as UTF-8 text, if it is valid text.
    pub fn text(&self, typ: u8) -> Option<&str> {
        self.first(typ)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The first attribute of type `typ` as a 32-bit integer, if it is 4 octets.
    pub fn integer(&self, typ: u8) -> Option<u32> {
        let value: [u8; 4] = self.first(typ)?.try_into().ok()?;
        Some(u32::from_be_bytes(value))
    }

    /// Writes the packet as it stands: header, then attributes, with the
    /// authenticator as given. Requests and test vectors use this; replies use
    /// [`Packet::encode_reply`].
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when an attribute or the packet is too long.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let length = HEADER_LEN
            + self
                .attributes
                .iter()
                .map(|attribute| 2 + attribute.value.len())
                .sum::<usize>();
        if length > MAX_PACKET_LEN {
            return Err(EncodeError::PacketTooLong(length));
        }
        let mut out = Vec::with_capacity(length);
        out.push(self.code.as_u8());
        out.push(self.identifier);
        out.extend_from_slice(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(&self.authenticator);
        for attribute in &self.attributes {
            attribute.encode_into(&mut out)?;
        }
        Ok(out)
    }

    /// Writes a reply to a request whose Request Authenticator is `self.authenticator`:
    /// with `message_authenticator`, a Message-Authenticator goes in as the first
    /// attribute (RFC 3579 §3.2), computed before the Response Authenticator
    /// (RFC 2865 §3), which covers it.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when an attribute or the packet is too long.
    pub fn encode_reply(
        &self,
        secret: &[u8],
        message_authenticator: bool,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = self.encode_with_message_authenticator(secret, message_authenticator)?;
        let response = crypto::md5_of(&[&out, secret]);
        out[4..HEADER_LEN].copy_from_slice(&response);
        Ok(out)
    }

    /// Writes a request (Access-Request, Status-Server) with the authenticator as given,
    /// adding a Message-Authenticator first when asked.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when an attribute or the packet is too long.
    pub fn encode_request(
        &self,
        secret: &[u8],
        message_authenticator: bool,
    ) -> Result<Vec<u8>, EncodeError> {
        self.encode_with_message_authenticator(secret, message_authenticator)
    }

    fn encode_with_message_authenticator(
        &self,
        secret: &[u8],
        message_authenticator: bool,
    ) -> Result<Vec<u8>, EncodeError> {
        if !message_authenticator {
            return self.encode();
        }
        let mut with_slot = self.clone();
        with_slot
            .attributes
            .retain(|a| a.typ != dictionary::MESSAGE_AUTHENTICATOR);
        with_slot.attributes.insert(
            0,
            Attribute::new(dictionary::MESSAGE_AUTHENTICATOR, vec![0; 16]),
        );
        let mut out = with_slot.encode()?;
        let mac = crypto::hmac_md5(secret, &[&out]);
        out[HEADER_LEN + 2..HEADER_LEN + 18].copy_from_slice(&mac);
        Ok(out)
    }

    /// A reply skeleton for this request: same identifier, the request's authenticator
    /// (replaced when encoded), no attributes.
    pub fn reply(&self, code: Code) -> Self {
        Self {
            code,
            identifier: self.identifier,
            authenticator: self.authenticator,
            attributes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
