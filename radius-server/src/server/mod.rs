//! The UDP side of the service: sockets, the receive loops, the BlastRADIUS rules,
//! the duplicate cache, replies and metrics. The one place that turns what the codec
//! and the decision say into packets sent or dropped.

mod answer;
mod packet;

use std::{
    net::SocketAddr,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::{
    Error, Tuning, backend::Backend, clients::ClientTable, dedup::DuplicateCache, logbook::Logbook,
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
pub(super) struct Shared<B> {
    pub(super) backend: Arc<B>,
    pub(super) clients: RwLock<Arc<ClientTable>>,
    pub(super) dedup: Arc<DuplicateCache>,
    pub(super) logbook: Logbook,
}

impl<B> Shared<B> {
    pub(super) fn clients(&self) -> Arc<ClientTable> {
        Arc::clone(&self.clients.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Counts a dropped datagram by reason.
pub(super) fn dropped(reason: &'static str) {
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
pub(super) enum Port {
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
        packet::on_datagram(&shared, &socket, port, &buffer[..len], peer, started);
    }
}
