//! Feeds arbitrary datagrams to the RADIUS decoder and the checks that run on raw
//! packets. Nothing may panic; a packet that decodes must encode back to the octets
//! it came from (up to its Length), and its attribute views must be total.
#![no_main]

use commons_radius::codec::{
    Packet, message_authenticator_of, reassemble_long_extended, request_authenticator_is_valid,
    unhide_password,
};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzzing-secret-0123456789";

fuzz_target!(|datagram: &[u8]| {
    let Ok(packet) = Packet::decode(datagram) else {
        return;
    };
    let length = Packet::checked_length(datagram).expect("decoded packets have a valid length");
    let raw = &datagram[..length];
    assert_eq!(packet.encode().expect("a decoded packet encodes"), raw);

    let _ = message_authenticator_of(raw, SECRET, false);
    let _ = message_authenticator_of(raw, SECRET, true);
    let _ = request_authenticator_is_valid(raw, SECRET);
    for (at, attribute) in packet.attributes.iter().enumerate() {
        if let Some(vsa) = attribute.vendor_specific() {
            let _ = vsa.attributes();
        }
        if attribute.extended().is_some() {
            let _ = reassemble_long_extended(&packet.attributes[at..]);
        }
        let _ = unhide_password(&attribute.value, SECRET, &packet.authenticator);
    }
    let _ = packet.reply(packet.code).encode_reply(SECRET, true);
});
