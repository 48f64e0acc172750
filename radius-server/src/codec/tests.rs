//! Codec tests: the RFC example exchanges byte for byte, then every malformation.

use super::dictionary::{self as attr, vendor};
use super::*;

const SECRET: &[u8] = b"xyzzy5461";

/// Reads a hex fixture: `#` starts a comment, whitespace is ignored.
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let digits: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| line.chars().filter(|ch| !ch.is_whitespace()))
        .collect();
    (0..digits.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&digits[at..at + 2], 16).unwrap())
        .collect()
}

fn header(code: u8, length: u16) -> Vec<u8> {
    let mut out = vec![code, 7];
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&[0x11; 16]);
    out
}

/// A packet of `code` with `attrs` appended and its Length set to match.
fn packet_with(code: u8, attrs: &[u8]) -> Vec<u8> {
    let mut out = header(code, u16::try_from(20 + attrs.len()).unwrap());
    out.extend_from_slice(attrs);
    out
}

#[track_caller]
fn assert_refused(datagram: &[u8], want: Error) {
    assert_eq!(Packet::decode(datagram), Err(want));
}

#[test]
fn rfc2865_telnet_request_decodes_to_nemo_and_his_password() {
    let request = Packet::decode(&fixture("rfc2865-7.1-access-request.hex")).unwrap();
    assert_eq!((request.code, request.identifier), (Code::AccessRequest, 0));
    assert_eq!(request.text(attr::USER_NAME), Some("nemo"));
    let hidden = request.first(attr::USER_PASSWORD).unwrap();
    let password = unhide_password(hidden, SECRET, &request.authenticator).unwrap();
    assert_eq!(password, b"arctangent");
    assert_eq!(
        request.first(attr::NAS_IP_ADDRESS),
        Some(&[192, 168, 1, 16][..])
    );
    assert_eq!(request.integer(attr::NAS_PORT), Some(3));
    assert_eq!(
        request.encode().unwrap(),
        fixture("rfc2865-7.1-access-request.hex")
    );
    let again = hide_password(b"arctangent", SECRET, &request.authenticator).unwrap();
    assert_eq!(again, hidden);
}

#[test]
fn rfc2865_telnet_accept_is_computed_byte_for_byte() {
    let request = Packet::decode(&fixture("rfc2865-7.1-access-request.hex")).unwrap();
    let mut accept = request.reply(Code::AccessAccept);
    accept.attributes = vec![
        Attribute::integer(attr::SERVICE_TYPE, 1),
        Attribute::integer(attr::LOGIN_SERVICE, 0),
        Attribute::new(attr::LOGIN_IP_HOST, [192, 168, 1, 3]),
    ];
    let bytes = accept.encode_reply(SECRET, false).unwrap();
    assert_eq!(bytes, fixture("rfc2865-7.1-access-accept.hex"));
}

#[test]
fn rfc2865_chap_request_verifies_and_its_accept_is_computed_byte_for_byte() {
    let request = Packet::decode(&fixture("rfc2865-7.2-access-request.hex")).unwrap();
    assert_eq!(request.text(attr::USER_NAME), Some("flopsy"));
    assert_eq!(request.first(attr::CHAP_CHALLENGE), None);
    let chap = request.first(attr::CHAP_PASSWORD).unwrap();
    // Without CHAP-Challenge the Request Authenticator is the challenge (§5.3).
    assert!(chap_matches(chap, &request.authenticator, b"arctangent"));
    assert!(!chap_matches(chap, &request.authenticator, b"arctangenT"));
    assert_eq!(request.integer(attr::NAS_PORT), Some(20));
    assert_eq!(request.integer(attr::SERVICE_TYPE), Some(2));
    assert_eq!(request.integer(attr::FRAMED_PROTOCOL), Some(1));

    // The attribute listing the RFC prints above this dump gives Framed-Routing as
    // None (0), but the dump carries 00 00 00 02 (Listen). The dump is right: the
    // printed Response Authenticator verifies only with the value 2.
    let accept_with = |routing: u32| {
        let mut accept = request.reply(Code::AccessAccept);
        accept.attributes = vec![
            Attribute::integer(attr::SERVICE_TYPE, 2),
            Attribute::integer(attr::FRAMED_PROTOCOL, 1),
            Attribute::new(attr::FRAMED_IP_ADDRESS, [255, 255, 255, 254]),
            Attribute::integer(attr::FRAMED_ROUTING, routing),
            Attribute::integer(attr::FRAMED_COMPRESSION, 1),
            Attribute::integer(attr::FRAMED_MTU, 1500),
        ];
        accept.encode_reply(SECRET, false).unwrap()
    };
    let printed = fixture("rfc2865-7.2-access-accept.hex");
    assert_eq!(accept_with(2), printed);
    assert_ne!(accept_with(0)[4..20], printed[4..20]);
}

#[test]
fn rfc5997_status_server_to_the_auth_port_gets_the_printed_accept() {
    let raw = fixture("rfc5997-6.1-status-server.hex");
    let request = Packet::decode(&raw).unwrap();
    assert_eq!(
        (request.code, request.identifier),
        (Code::StatusServer, 218)
    );
    assert_eq!(
        message_authenticator_of(&raw, SECRET, false),
        MessageAuthenticator::Valid
    );
    assert_eq!(
        message_authenticator_of(&raw, b"xyzzy5462", false),
        MessageAuthenticator::Invalid
    );
    let accept = request
        .reply(Code::AccessAccept)
        .encode_reply(SECRET, false)
        .unwrap();
    assert_eq!(accept, fixture("rfc5997-6.1-access-accept.hex"));
}

#[test]
fn rfc5997_status_server_to_the_acct_port_gets_an_accounting_response() {
    let raw = fixture("rfc5997-6.2-status-server.hex");
    let request = Packet::decode(&raw).unwrap();
    assert_eq!(
        (request.code, request.identifier),
        (Code::StatusServer, 179)
    );
    assert_eq!(
        message_authenticator_of(&raw, SECRET, false),
        MessageAuthenticator::Valid
    );
    let response = request
        .reply(Code::AccountingResponse)
        .encode_reply(SECRET, false)
        .unwrap();
    let right = fixture("rfc5997-6.2-accounting-response.hex");
    assert_eq!(response, right);
    // The RFC's printed first octet, 02, does not verify (see the fixture).
    let mut as_printed = right;
    as_printed[0] = 2;
    let recomputed = request
        .reply(Code::AccessAccept)
        .encode_reply(SECRET, false)
        .unwrap();
    assert_ne!(recomputed[4..20], as_printed[4..20]);
}

#[test]
fn replies_carry_message_authenticator_first_and_it_verifies() {
    let request = Packet::decode(&fixture("rfc2865-7.1-access-request.hex")).unwrap();
    let mut reject = request.reply(Code::AccessReject);
    reject
        .attributes
        .push(Attribute::text(attr::REPLY_MESSAGE, "no"));
    let bytes = reject.encode_reply(SECRET, true).unwrap();
    let decoded = Packet::decode(&bytes).unwrap();
    assert_eq!(decoded.attributes[0].typ, attr::MESSAGE_AUTHENTICATOR);
    assert_eq!(decoded.attributes.len(), 2);
    // A reply's HMAC covers the Request Authenticator, so put it back to check.
    let mut as_signed = bytes.clone();
    as_signed[4..20].copy_from_slice(&request.authenticator);
    assert_eq!(
        message_authenticator_of(&as_signed, SECRET, false),
        MessageAuthenticator::Valid
    );
    assert_eq!(
        message_authenticator_of(&bytes, SECRET, false),
        MessageAuthenticator::Invalid
    );
}

#[test]
fn a_tampered_or_doubled_message_authenticator_is_invalid() {
    let mut request = Packet::decode(&fixture("rfc2865-7.1-access-request.hex")).unwrap();
    let signed = request.encode_request(SECRET, true).unwrap();
    assert_eq!(
        message_authenticator_of(&signed, SECRET, false),
        MessageAuthenticator::Valid
    );
    let mut tampered = signed;
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        message_authenticator_of(&tampered, SECRET, false),
        MessageAuthenticator::Invalid
    );
    let unsigned = request.encode().unwrap();
    assert_eq!(
        message_authenticator_of(&unsigned, SECRET, false),
        MessageAuthenticator::Absent
    );

    request
        .attributes
        .push(Attribute::new(attr::MESSAGE_AUTHENTICATOR, [0; 16]));
    request
        .attributes
        .push(Attribute::new(attr::MESSAGE_AUTHENTICATOR, [0; 16]));
    let doubled = request.encode().unwrap();
    assert_eq!(
        message_authenticator_of(&doubled, SECRET, false),
        MessageAuthenticator::Invalid
    );
    let short = packet_with(1, &[80, 6, 0, 0, 0, 0]);
    assert_eq!(
        message_authenticator_of(&short, SECRET, false),
        MessageAuthenticator::Invalid
    );
}

#[test]
fn short_and_oversized_lengths_are_refused_by_reason() {
    assert_refused(&[], Error::DatagramTooShort(0));
    assert_refused(&[1; 19], Error::DatagramTooShort(19));
    assert_refused(&header(1, 19), Error::LengthBelowMinimum(19));
    assert_refused(&header(1, 0), Error::LengthBelowMinimum(0));
    let mut huge = header(1, 4097);
    huge.resize(5000, 0);
    assert_refused(&huge, Error::LengthAboveMaximum(4097));
    assert_refused(
        &header(1, 30),
        Error::LengthExceedsDatagram {
            length: 30,
            datagram: 20,
        },
    );
    assert_refused(&header(0, 20), Error::UnknownCode(0));
    assert_refused(&header(99, 20), Error::UnknownCode(99));
}

#[test]
fn attributes_of_length_zero_or_one_or_past_the_end_are_refused() {
    assert_refused(
        &packet_with(1, &[1, 0, 0, 0]),
        Error::AttributeLengthInvalid {
            offset: 20,
            length: 0,
        },
    );
    assert_refused(
        &packet_with(1, &[1, 3, b'a', 1, 1]),
        Error::AttributeLengthInvalid {
            offset: 23,
            length: 1,
        },
    );
    assert_refused(&packet_with(1, &[1, 9, b'a']), Error::AttributeOverrun(20));
    assert_refused(&packet_with(1, &[1]), Error::AttributeOverrun(20));
}

#[test]
fn octets_past_the_length_are_padding() {
    let mut datagram = fixture("rfc2865-7.1-access-request.hex");
    let exact = Packet::decode(&datagram).unwrap();
    datagram.extend_from_slice(&[0xff, 0x00, 0x01]);
    assert_eq!(Packet::decode(&datagram), Ok(exact));
    datagram.resize(6000, 0xee);
    assert!(Packet::decode(&datagram).is_ok());
}

#[test]
fn unknown_and_empty_attributes_are_kept() {
    let datagram = packet_with(1, &[200, 4, 9, 9, 1, 2]);
    let packet = Packet::decode(&datagram).unwrap();
    assert_eq!(
        packet.attributes,
        [
            Attribute::new(200, [9, 9]),
            Attribute::new(attr::USER_NAME, [])
        ]
    );
    assert_eq!(packet.encode().unwrap(), datagram);
}

#[test]
fn every_prefix_of_a_good_packet_is_refused_without_panicking() {
    let good = fixture("rfc2865-7.2-access-request.hex");
    for end in 0..good.len() {
        assert!(Packet::decode(&good[..end]).is_err(), "prefix of {end}");
    }
    for length in 0..=u16::MAX {
        let mut bytes = good.clone();
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
        let _ = Packet::decode(&bytes);
    }
}

#[test]
fn passwords_of_every_length_up_to_128_round_trip() {
    let authenticator = [7u8; 16];
    for len in 1..=128usize {
        let password: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let hidden = hide_password(&password, SECRET, &authenticator).unwrap();
        assert_eq!(hidden.len(), len.div_ceil(16) * 16);
        assert_eq!(
            unhide_password(&hidden, SECRET, &authenticator).unwrap(),
            password
        );
    }
    assert_eq!(
        hide_password(&[b'x'; 129], SECRET, &authenticator),
        Err(PasswordError::TooLong)
    );
    for bad in [0, 15, 17, 144] {
        assert_eq!(
            unhide_password(&vec![1; bad], SECRET, &authenticator),
            Err(PasswordError::BadHiddenLength(bad))
        );
    }
}

#[test]
fn password_hiding_agrees_with_the_radius_crate() {
    let authenticator = [0x42u8; 16];
    for len in [1, 15, 16, 17, 64, 127, 128] {
        let password = "p".repeat(len);
        let ours = hide_password(password.as_bytes(), SECRET, &authenticator).unwrap();
        let theirs = radius::core::avp::AVP::from_user_password(
            radius::core::rfc2865::USER_PASSWORD_TYPE,
            password.as_bytes(),
            SECRET,
            &authenticator,
        )
        .unwrap()
        .encode_bytes();
        assert_eq!(ours, theirs, "length {len}");
    }
}

#[test]
fn chap_uses_chap_challenge_when_present() {
    let challenge = b"0123456789abcdef";
    let mut chap = vec![9];
    chap.extend_from_slice(&crypto::md5_of(&[&[9], b"secret", challenge]));
    assert!(chap_matches(&chap, challenge, b"secret"));
    assert!(!chap_matches(&chap, &[0; 16], b"secret"));
    assert!(!chap_matches(&chap[..16], challenge, b"secret"));
}

#[test]
fn vendor_specific_attributes_are_built_and_read() {
    let built = Attribute::vendor(vendor::MIKROTIK, vendor::MIKROTIK_RATE_LIMIT, b"1M/2M");
    assert_eq!(
        built.value,
        [0, 0, 0x3a, 0x8c, 8, 7, b'1', b'M', b'/', b'2', b'M']
    );
    let vsa = built.vendor_specific().unwrap();
    assert_eq!(vsa.vendor_id, 14988);
    let subs = vsa.attributes().unwrap();
    assert_eq!(
        subs,
        [VendorAttribute {
            typ: 8,
            value: b"1M/2M"
        }]
    );
    let opaque = Attribute::new(attr::VENDOR_SPECIFIC, [0, 0, 0, 9, 1, 9, 1]);
    assert_eq!(opaque.vendor_specific().unwrap().attributes(), None);
    assert_eq!(
        Attribute::new(attr::VENDOR_SPECIFIC, [0, 0, 9]).vendor_specific(),
        None
    );
}

#[test]
fn extended_attributes_are_kept_and_long_ones_reassembled() {
    let short = Attribute::new(241, [1, b'h', b'i']);
    let read = short.extended().unwrap();
    assert_eq!(
        (read.typ, read.ext_type, read.more, read.value),
        (241, 1, false, &b"hi"[..])
    );
    assert_eq!(Attribute::new(241, []).extended(), None);
    assert_eq!(Attribute::new(245, [1]).extended(), None);

    let first = Attribute::new(245, [4, 0x80, b'a', b'b']);
    let last = Attribute::new(245, [4, 0x00, b'c']);
    let datagram = packet_with(1, &[245, 6, 4, 0x80, b'a', b'b', 245, 5, 4, 0, b'c']);
    let packet = Packet::decode(&datagram).unwrap();
    assert_eq!(packet.attributes, [first.clone(), last]);
    assert_eq!(
        reassemble_long_extended(&packet.attributes),
        Some((b"abc".to_vec(), 2))
    );
    assert_eq!(reassemble_long_extended(&[first]), None);
}

#[test]
fn accounting_request_authenticators_are_checked() {
    let mut request = Packet {
        code: Code::AccountingRequest,
        identifier: 3,
        authenticator: [0; 16],
        attributes: vec![Attribute::integer(attr::ACCT_STATUS_TYPE, 1)],
    };
    let unsigned = request.encode().unwrap();
    request.authenticator = accounting_request_authenticator(&unsigned, SECRET);
    let signed = request.encode().unwrap();
    assert!(request_authenticator_is_valid(&signed, SECRET));
    assert!(!request_authenticator_is_valid(&signed, b"other-secret"));
}

#[test]
fn over_long_values_and_packets_are_not_written() {
    let mut packet = Packet {
        code: Code::AccessAccept,
        identifier: 0,
        authenticator: [0; 16],
        attributes: vec![Attribute::new(attr::CLASS, vec![0; 254])],
    };
    assert_eq!(
        packet.encode(),
        Err(EncodeError::AttributeTooLong {
            typ: attr::CLASS,
            len: 254
        })
    );
    packet.attributes = vec![Attribute::new(attr::CLASS, vec![0; 253]); 17];
    assert!(matches!(
        packet.encode(),
        Err(EncodeError::PacketTooLong(_))
    ));
    assert_eq!(
        Attribute::text(attr::REPLY_MESSAGE, &"é".repeat(200))
            .value
            .len(),
        252
    );
}
