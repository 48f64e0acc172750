//! Writes authentication decisions to the store in batches, off the packet path, and
//! purges entries past retention.

use std::{sync::Arc, time::Duration};

use commons_store::NewAuthLogEntry;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;

/// Most entries waiting to be written; past this, request tasks wait for room before
/// they answer, so a slow store slows answers down instead of losing log entries.
const QUEUE: usize = 10_000;
/// Most entries written in one transaction: a multiple of the store's rows per insert.
const BATCH: usize = 512;
/// How long the writer waits for a batch to fill once it has an entry.
const GATHER: Duration = Duration::from_millis(20);

/// The sending side, held by the packet path.
#[derive(Clone)]
pub(crate) struct Logbook {
    queue: mpsc::Sender<NewAuthLogEntry>,
}

impl Logbook {
    /// Starts the writer and the purger; they stop when `shutdown` is cancelled, after
    /// writing what is queued.
    pub(crate) fn start<B: Backend>(
        backend: Arc<B>,
        purge_interval: Duration,
        shutdown: &CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, entries) = mpsc::channel(QUEUE);
        let writer = tokio::spawn(write_batches(Arc::clone(&backend), entries));
        tokio::spawn(purge(backend, purge_interval, shutdown.clone()));
        (Self { queue }, writer)
    }

    /// Queues an entry, waiting while the queue is full.
    ///
    /// # Guarantees
    ///
    /// The entry is written unless the store refuses it or the service is stopping;
    /// both are counted in `radius_auth_log_dropped_total`.
    pub(crate) async fn record(&self, entry: NewAuthLogEntry) {
        if self.queue.send(entry).await.is_err() {
            metrics::counter!("radius_auth_log_dropped_total").increment(1);
        }
    }
}

async fn write_batches<B: Backend>(backend: Arc<B>, mut entries: mpsc::Receiver<NewAuthLogEntry>) {
    let mut batch = Vec::with_capacity(BATCH);
    while entries.recv_many(&mut batch, BATCH).await > 0 {
        // Under load, fill the batch so it goes in whole many-row inserts.
        let deadline = tokio::time::Instant::now() + GATHER;
        while batch.len() < BATCH {
            let room = BATCH - batch.len();
            match tokio::time::timeout_at(deadline, entries.recv_many(&mut batch, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        if let Err(err) = backend.record_auth(&batch).await {
            metrics::counter!("radius_auth_log_dropped_total").increment(batch.len() as u64);
            tracing::error!(error = %err, entries = batch.len(), "cannot write the auth log");
        }
        batch.clear();
    }
}

async fn purge<B: Backend>(backend: Arc<B>, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match backend.purge_auth_log(commons_store::now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "auth log entries past retention purged"),
            Err(err) => tracing::warn!(error = %err, "cannot purge the auth log"),
        }
    }
}
