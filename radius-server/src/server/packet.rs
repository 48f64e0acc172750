//! The receive-loop side of a datagram: source check, decoding, the Message-Authenticator
//! rules, Status-Server, and handing requests on.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use tokio::net::UdpSocket;

use super::{Port, Shared, answer::start_request, dropped};
use crate::{
    backend::Backend,
    clients::NasEntry,
    codec::{
        Code, MessageAuthenticator, Packet, dictionary as attr, message_authenticator_of,
        request_authenticator_is_valid,
    },
};

/// Everything that can be decided without the store happens here, in the receive
/// loop: source check, decoding, the Message-Authenticator rules, Status-Server and
/// the duplicate cache. Decisions go to a task of their own.
pub(super) fn on_datagram<B: Backend>(
    shared: &Arc<Shared<B>>,
    socket: &Arc<UdpSocket>,
    port: Port,
    datagram: &[u8],
    peer: SocketAddr,
    started: Instant,
) {
    let table = shared.clients();
    let Some(nas) = table.lookup(peer.ip()) else {
        tracing::debug!(peer = %peer, "dropping datagram from unknown source");
        return dropped("unknown_client");
    };
    let packet = match Packet::checked_length(datagram).and_then(|_| Packet::decode(datagram)) {
        Ok(packet) => packet,
        Err(err) => {
            tracing::warn!(nas = %nas.client.name, %peer, error = %err, "dropping malformed packet");
            return dropped(err.reason());
        }
    };
    let raw = &datagram[..Packet::checked_length(datagram).unwrap_or(datagram.len())];
    let secret = nas.client.secret.expose().as_bytes();
    let signature = message_authenticator_of(raw, secret, false);

    match (port, packet.code) {
        (_, Code::StatusServer) => {
            status_server(socket, nas, &packet, signature, peer, port, started)
        }
        (Port::Auth, Code::AccessRequest) => {
            if let Err(reason) = blast_radius_rules(nas, &packet, signature) {
                tracing::warn!(nas = %nas.client.name, %peer, reason, "dropping access request");
                return dropped(reason);
            }
            start_request(shared, socket, nas, packet, peer, started);
        }
        (Port::Acct, Code::AccountingRequest) => {
            if let Err(reason) = accounting_rules(raw, secret) {
                tracing::warn!(nas = %nas.client.name, %peer, reason, "dropping accounting request");
                return dropped(reason);
            }
            start_request(shared, socket, nas, packet, peer, started);
        }
        _ => dropped("unexpected_code"),
    }
}

/// The BlastRADIUS (CVE-2024-3596) defence, as FreeRADIUS 3.2.5 applies it: an
/// Access-Request needs a valid Message-Authenticator when its NAS requires one; a
/// legacy NAS may omit it, but not while sending Proxy-State; a wrong one is always
/// fatal (RFC 3579 §3.2).
fn blast_radius_rules(
    nas: &NasEntry,
    packet: &Packet,
    signature: MessageAuthenticator,
) -> Result<(), &'static str> {
    match signature {
        MessageAuthenticator::Valid => Ok(()),
        MessageAuthenticator::Invalid => Err("bad_message_authenticator"),
        MessageAuthenticator::Absent if nas.client.require_message_authenticator => {
            Err("missing_message_authenticator")
        }
        MessageAuthenticator::Absent if packet.first(attr::PROXY_STATE).is_some() => {
            Err("proxy_state_without_message_authenticator")
        }
        MessageAuthenticator::Absent => Ok(()),
    }
}

/// An Accounting-Request must carry the right Request Authenticator (RFC 2866 §3) and,
/// when it has a Message-Authenticator, a right one (computed over a zeroed
/// authenticator field).
fn accounting_rules(raw: &[u8], secret: &[u8]) -> Result<(), &'static str> {
    if !request_authenticator_is_valid(raw, secret) {
        return Err("bad_request_authenticator");
    }
    match message_authenticator_of(raw, secret, true) {
        MessageAuthenticator::Invalid => Err("bad_message_authenticator"),
        MessageAuthenticator::Valid | MessageAuthenticator::Absent => Ok(()),
    }
}

/// Answers Status-Server (RFC 5997 §3): only with a valid Message-Authenticator;
/// Access-Accept on the authentication port, Accounting-Response on the accounting port.
fn status_server(
    socket: &UdpSocket,
    nas: &NasEntry,
    packet: &Packet,
    signature: MessageAuthenticator,
    peer: SocketAddr,
    port: Port,
    started: Instant,
) {
    if signature != MessageAuthenticator::Valid {
        return dropped("status_server_without_message_authenticator");
    }
    let code = match port {
        Port::Auth => Code::AccessAccept,
        Port::Acct => Code::AccountingResponse,
    };
    let secret = nas.client.secret.expose().as_bytes();
    match packet.reply(code).encode_reply(secret, true) {
        Ok(reply) => send_now(socket, &reply, peer),
        Err(_) => return dropped("encode_failed"),
    }
    count_request(Code::StatusServer, "accept", &nas.client.name, started);
}

pub(super) fn send_now(socket: &UdpSocket, reply: &[u8], peer: SocketAddr) {
    if let Err(err) = socket.try_send_to(reply, peer) {
        tracing::debug!(peer = %peer, error = %err, "reply not sent");
        dropped("send_failed");
    }
}

pub(super) fn count_request(code: Code, result: &'static str, nas: &str, started: Instant) {
    let code = code.name();
    let nas = nas.to_owned();
    metrics::counter!("radius_requests_total", "code" => code, "result" => result, "nas" => nas)
        .increment(1);
    metrics::histogram!("radius_request_duration_seconds", "code" => code)
        .record(started.elapsed().as_secs_f64());
}
