//! The UDP side of the service: sockets, the receive loops, the BlastRADIUS rules,
//! the duplicate cache, replies and metrics. The one place that turns what the codec
//! and the decision say into packets sent or dropped.

use std::{
    net::SocketAddr,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use commons_store::{AuthResult, NewAuthLogEntry, SitePolicy};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    Error, Tuning, accounting, auth,
    backend::Backend,
    clients::{ClientTable, NasEntry},
    codec::{
        Attribute, Code, MessageAuthenticator, Packet, dictionary as attr,
        message_authenticator_of, request_authenticator_is_valid,
    },
    dedup::{DuplicateCache, Key, Seen},
    logbook::Logbook,
    policy,
};

/// Largest datagram read: anything up to the UDP maximum, so an oversized packet is
/// seen whole and refused by the codec rather than cut short by the socket.
const RECEIVE_BUFFER: usize = 65_536;
/// How often the duplicate cache is swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The bound sockets, before serving.
pub struct Sockets {
    auth: Vec<Arc<UdpSocket>>,
    acct: Vec<Arc<UdpSocket>>,
}

impl Sockets {
    /// Binds every authentication and accounting address.
    ///
    /// # Errors
    ///
    /// [`Error::BindFailed`] naming the first address that cannot be bound.
    pub async fn bind(auth: &[SocketAddr], acct: &[SocketAddr]) -> Result<Self, Error> {
        Ok(Self {
            auth: bind_all(auth).await?,
            acct: bind_all(acct).await?,
        })
    }

    /// The authentication addresses actually bound (port 0 becomes a real port).
    pub fn auth_addrs(&self) -> Vec<SocketAddr> {
        self.auth
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// The accounting addresses actually bound.
    pub fn acct_addrs(&self) -> Vec<SocketAddr> {
        self.acct
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }
}

async fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<Arc<UdpSocket>>, Error> {
    let mut sockets = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|source| Error::BindFailed {
                addr: *addr,
                source,
            })?;
        tracing::info!(addr = %socket.local_addr().unwrap_or(*addr), "radius listening");
        sockets.push(Arc::new(socket));
    }
    Ok(sockets)
}

/// State shared by the loops and the request tasks.
struct Shared<B> {
    backend: Arc<B>,
    clients: RwLock<Arc<ClientTable>>,
    dedup: Arc<DuplicateCache>,
    logbook: Logbook,
}

impl<B> Shared<B> {
    fn clients(&self) -> Arc<ClientTable> {
        Arc::clone(&self.clients.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Counts a dropped datagram by reason.
fn dropped(reason: &'static str) {
    metrics::counter!("radius_drops_total", "reason" => reason).increment(1);
}

/// Serves on `sockets` with `backend` until `shutdown` is cancelled, then writes what
/// is left of the authentication log.
///
/// # Errors
///
/// [`Error::LoadClientsFailed`] when the NAS clients cannot be loaded at start-up.
pub async fn serve<B: Backend>(
    backend: B,
    sockets: Sockets,
    tuning: Tuning,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let backend = Arc::new(backend);
    let table = load_clients(&*backend)
        .await
        .map_err(Error::LoadClientsFailed)?;
    tracing::info!(nas_clients = table.len(), "radius clients loaded");
    metrics::gauge!("radius_nas_clients").set(table.len() as f64);
    let (logbook, writer) = Logbook::start(Arc::clone(&backend), tuning.purge_interval, &shutdown);
    let shared = Arc::new(Shared {
        backend,
        clients: RwLock::new(Arc::new(table)),
        dedup: Arc::new(DuplicateCache::new(
            tuning.duplicate_window,
            tuning.duplicate_capacity,
        )),
        logbook,
    });

    let mut loops = tokio::task::JoinSet::new();
    loops.spawn(refresh(
        Arc::clone(&shared),
        tuning.refresh_interval,
        shutdown.clone(),
    ));
    loops.spawn(sweep(Arc::clone(&shared.dedup), shutdown.clone()));
    for socket in sockets.auth {
        loops.spawn(receive(
            Arc::clone(&shared),
            socket,
            Port::Auth,
            shutdown.clone(),
        ));
    }
    for socket in sockets.acct {
        loops.spawn(receive(
            Arc::clone(&shared),
            socket,
            Port::Acct,
            shutdown.clone(),
        ));
    }
    shutdown.cancelled().await;
    while loops.join_next().await.is_some() {}
    drop(shared);
    // Request tasks still running hold the log queue open; give them a moment.
    if tokio::time::timeout(Duration::from_secs(5), writer)
        .await
        .is_err()
    {
        tracing::warn!("auth log writer did not finish in time");
    }
    Ok(())
}

async fn load_clients<B: Backend>(backend: &B) -> Result<ClientTable, commons_store::Error> {
    let clients = backend.nas_clients().await?;
    let policies = backend.site_policies().await?;
    Ok(ClientTable::new(clients, &policies))
}

/// Reloads the client table so store changes reach the packet path within one
/// interval; on failure the previous table stays in use.
async fn refresh<B: Backend>(shared: Arc<Shared<B>>, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match load_clients(&*shared.backend).await {
            Ok(table) => {
                let before = shared.clients().len();
                if table.len() != before {
                    tracing::info!(nas_clients = table.len(), before, "radius clients changed");
                }
                metrics::gauge!("radius_nas_clients").set(table.len() as f64);
                *shared
                    .clients
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot reload NAS clients; keeping the last ones")
            }
        }
    }
}

async fn sweep(dedup: Arc<DuplicateCache>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let left = dedup.sweep(Instant::now());
        metrics::gauge!("radius_duplicate_cache_entries").set(left as f64);
    }
}

/// Which service a socket offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Port {
    Auth,
    Acct,
}

async fn receive<B: Backend>(
    shared: Arc<Shared<B>>,
    socket: Arc<UdpSocket>,
    port: Port,
    shutdown: CancellationToken,
) {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, peer) = tokio::select! {
            () = shutdown.cancelled() => return,
            received = socket.recv_from(&mut buffer) => match received {
                Ok(received) => received,
                Err(err) => {
                    tracing::debug!(error = %err, "udp receive failed");
                    continue;
                }
            },
        };
        let started = Instant::now();
        on_datagram(&shared, &socket, port, &buffer[..len], peer, started);
    }
}

/// Everything that can be decided without the store happens here, in the receive
/// loop: source check, decoding, the Message-Authenticator rules, Status-Server and
/// the duplicate cache. Decisions go to a task of their own.
fn on_datagram<B: Backend>(
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
            tracing::warn!(nas = %nas.client.name, peer = %peer, error = %err, "dropping malformed packet");
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
                tracing::warn!(nas = %nas.client.name, peer = %peer, reason, "dropping access request");
                return dropped(reason);
            }
            start_request(shared, socket, nas, packet, peer, started);
        }
        (Port::Acct, Code::AccountingRequest) => {
            if let Err(reason) = accounting_rules(raw, secret) {
                tracing::warn!(nas = %nas.client.name, peer = %peer, reason, "dropping accounting request");
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

fn send_now(socket: &UdpSocket, reply: &[u8], peer: SocketAddr) {
    if let Err(err) = socket.try_send_to(reply, peer) {
        tracing::debug!(peer = %peer, error = %err, "reply not sent");
        dropped("send_failed");
    }
}

fn count_request(code: Code, result: &'static str, nas: &str, started: Instant) {
    metrics::counter!("radius_requests_total", "code" => code.name(), "result" => result, "nas" => nas.to_owned())
        .increment(1);
    metrics::histogram!("radius_request_duration_seconds", "code" => code.name())
        .record(started.elapsed().as_secs_f64());
}

/// Looks a request up in the duplicate cache and, when new, decides it in a task.
fn start_request<B: Backend>(
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
    let span = tracing::debug_span!("radius_request", peer = %peer, id = packet.identifier, code = packet.code.name());
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
        Code::AccountingRequest => account(&shared, &nas, &packet).await,
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
        tracing::error!(nas = %nas.client.name, error = %err, "accounting not recorded; left for the retry");
        dropped("store_failed");
        return None;
    }
    let secret = nas.client.secret.expose().as_bytes();
    let reply = packet
        .reply(Code::AccountingResponse)
        .encode_reply(secret, false)
        .ok();
    metrics::counter!("radius_requests_total", "code" => packet.code.name(), "result" => "recorded", "nas" => nas.client.name.clone())
        .increment(1);
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
            tracing::error!(nas = %nas.client.name, error = %err, "store failed; request left for the retry");
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
    tracing::debug!(nas = %nas.client.name, user = %decision.username, result = result.as_str(), detail = decision.detail, "access decided");
    shared.logbook.record(NewAuthLogEntry {
        at: commons_store::now(),
        nas_id: Some(nas.client.id),
        site_id: Some(nas.client.site_id),
        username: decision.username,
        mac: decision.mac.map(|mac| mac.to_string()),
        result,
        reason: decision.detail.to_owned(),
    });
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
