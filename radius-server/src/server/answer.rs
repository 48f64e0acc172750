//! Deciding a request in its own task and answering it: the duplicate cache entry,
//! the store work, the reply, the metrics and the auth log.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use commons_store::{AuthResult, NewAuthLogEntry, SitePolicy};
use tokio::net::UdpSocket;
use tracing::Instrument;

use super::{
    Shared, dropped,
    packet::{count_request, send_now},
};
use crate::{
    accounting, auth,
    backend::Backend,
    clients::NasEntry,
    codec::{Attribute, Code, Packet, dictionary as attr},
    dedup::{DuplicateCache, Key, Seen},
    policy,
};

/// Looks a request up in the duplicate cache and, when new, decides it in a task.
pub(super) fn start_request<B: Backend>(
    shared: &Arc<Shared<B>>,
    socket: &Arc<UdpSocket>,
    nas: &Arc<NasEntry>,
    packet: Packet,
    peer: SocketAddr,
    started: Instant,
) {
    let key: Key = (peer, packet.identifier, packet.authenticator);
    let pending = match shared.dedup.check(key, started) {
        Seen::New => Some(Pending::new(&shared.dedup, key)),
        // Limitation: past `duplicate_capacity` requests in the window, new requests
        // are decided uncached, so a retransmission among them is decided twice; the
        // bound keeps memory fixed under a flood of distinct requests.
        Seen::Full => None,
        Seen::InProgress => return dropped("duplicate_in_progress"),
        Seen::Answered(reply) => {
            metrics::counter!("radius_duplicates_answered_total").increment(1);
            return send_now(socket, &reply, peer);
        }
    };
    let code = packet.code.name();
    let span = tracing::debug_span!("radius_request", peer = %peer, id = packet.identifier, code);
    let task = answer(
        Arc::clone(shared),
        Arc::clone(socket),
        Arc::clone(nas),
        packet,
        peer,
        pending,
        started,
    );
    tokio::spawn(task.instrument(span));
}

/// A request being decided. Dropped unanswered (the store failed, or the task
/// panicked), it leaves the duplicate cache so the NAS's retry is decided afresh.
struct Pending {
    dedup: Arc<DuplicateCache>,
    key: Key,
    answered: bool,
}

impl Pending {
    fn new(dedup: &Arc<DuplicateCache>, key: Key) -> Self {
        Self {
            dedup: Arc::clone(dedup),
            key,
            answered: false,
        }
    }

    fn answer(mut self, reply: Arc<[u8]>) {
        self.dedup.answer(&self.key, reply);
        self.answered = true;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.answered {
            self.dedup.forget(&self.key);
            if std::thread::panicking() {
                dropped("handler_panicked");
            }
        }
    }
}

async fn answer<B: Backend>(
    shared: Arc<Shared<B>>,
    socket: Arc<UdpSocket>,
    nas: Arc<NasEntry>,
    packet: Packet,
    peer: SocketAddr,
    pending: Option<Pending>,
    started: Instant,
) {
    let reply = match packet.code {
        Code::AccountingRequest => account(&shared, &nas, &packet, started).await,
        _ => decide(&shared, &nas, &packet, started).await,
    };
    let Some(reply) = reply else {
        return;
    };
    let reply: Arc<[u8]> = Arc::from(reply);
    if let Some(pending) = pending {
        pending.answer(Arc::clone(&reply));
    }
    if let Err(err) = socket.send_to(&reply, peer).await {
        tracing::debug!(peer = %peer, error = %err, "reply not sent");
        dropped("send_failed");
    }
}

/// Commits an Accounting-Request and only then builds its Accounting-Response
/// (RFC 2866 §2); `None` when it cannot be recorded, so the NAS retries.
async fn account<B: Backend>(
    shared: &Shared<B>,
    nas: &NasEntry,
    packet: &Packet,
    started: Instant,
) -> Option<Vec<u8>> {
    let at = commons_store::now();
    let record = match accounting::record_from(packet, nas.client.id, nas.client.site_id, at) {
        Ok(record) => record,
        Err(reason) => {
            tracing::warn!(nas = %nas.client.name, reason, "dropping accounting request");
            dropped(reason);
            return None;
        }
    };
    if let Err(err) = shared.backend.record_accounting(&record).await {
        let nas = &nas.client.name;
        tracing::error!(nas = %nas, error = %err, "accounting not recorded; left for the retry");
        dropped("store_failed");
        return None;
    }
    let secret = nas.client.secret.expose().as_bytes();
    // Proxy-State goes back unchanged and in order, as in authentication (RFC 2865 §5.33).
    let mut response = packet.reply(Code::AccountingResponse);
    response
        .attributes
        .extend(packet.all(attr::PROXY_STATE).cloned());
    let reply = response.encode_reply(secret, false).ok();
    count_request(packet.code, "recorded", &nas.client.name, started);
    reply
}

/// Decides an Access-Request, logs the decision and builds the reply; `None` when the
/// store failed, so the NAS retries.
async fn decide<B: Backend>(
    shared: &Shared<B>,
    nas: &NasEntry,
    packet: &Packet,
    started: Instant,
) -> Option<Vec<u8>> {
    let secret = nas.client.secret.expose().as_bytes();
    let decision = match auth::decide(&*shared.backend, nas.client.site_id, packet, secret).await {
        Ok(decision) => decision,
        Err(err) => {
            let nas = &nas.client.name;
            tracing::error!(nas = %nas, error = %err, "store failed; request left for the retry");
            dropped("store_failed");
            return None;
        }
    };
    let Ok(reply) = encode_decision(nas, packet, &decision, secret) else {
        dropped("encode_failed");
        return None;
    };

    let result = match decision.verdict {
        Ok(_) => AuthResult::Accept,
        Err(_) => AuthResult::Reject,
    };
    count_request(packet.code, result.as_str(), &nas.client.name, started);
    tracing::debug!(
        nas = %nas.client.name,
        user = %decision.username,
        result = result.as_str(),
        detail = decision.detail,
        "access decided"
    );
    shared
        .logbook
        .record(NewAuthLogEntry {
            at: commons_store::now(),
            nas_id: Some(nas.client.id),
            site_id: Some(nas.client.site_id),
            username: decision.username,
            mac: decision.mac.map(|mac| mac.to_string()),
            result,
            reason: decision.detail.to_owned(),
        })
        .await;
    Some(reply)
}

/// Builds the Access-Accept or Access-Reject: Message-Authenticator first, the grant's
/// attributes or a Reply-Message, and the request's Proxy-State in order (RFC 2865 §5.33).
fn encode_decision(
    nas: &NasEntry,
    request: &Packet,
    decision: &auth::Decision,
    secret: &[u8],
) -> Result<Vec<u8>, crate::codec::EncodeError> {
    let mut reply = match &decision.verdict {
        Ok(grant) => {
            let policy = nas.policy.clone().unwrap_or_else(|| default_policy(nas));
            let mut reply = request.reply(Code::AccessAccept);
            reply.attributes = policy::accept_attributes(grant, &policy, nas.vendor);
            reply
        }
        Err(reason) => {
            let mut reply = request.reply(Code::AccessReject);
            reply
                .attributes
                .push(Attribute::text(attr::REPLY_MESSAGE, reason.message()));
            reply
        }
    };
    reply
        .attributes
        .extend(request.all(attr::PROXY_STATE).cloned());
    reply.encode_reply(secret, true)
}

/// The schema's defaults, for a NAS whose site vanished since the last refresh.
fn default_policy(nas: &NasEntry) -> SitePolicy {
    SitePolicy {
        site_id: nas.client.site_id,
        slug: String::new(),
        session_timeout_secs: 3600,
        idle_timeout_secs: 600,
        interim_interval_secs: 300,
        down_kbps: None,
        up_kbps: None,
    }
}
