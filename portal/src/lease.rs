//! Running one step at a time across every portal process on the database, under a named
//! store lease.

use std::time::Duration;

use commons_store::{Lease, Store};

use crate::Error;

/// How long a step may hold its lease; a holder that vanished blocks others this long.
const LEASE_TTL: Duration = Duration::from_secs(60);
/// How long a step waits for the lease before giving up.
const WAIT: Duration = Duration::from_secs(20);
/// Pause between two tries for a held lease.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// Runs `step` while holding lease `name`, after waiting for any other holder.
///
/// # Guarantees
///
/// No two steps under the same name run at once, in this process or another on the same
/// database, while each finishes within the lease's 60 seconds (hosting calls give up
/// after 10). The lease is given back when the step ends, and also when the request is
/// dropped half-way.
///
/// # Errors
///
/// [`Error::Conflict`] with `busy` when another holder keeps the lease for longer than
/// the wait; otherwise the step's own error.
pub(crate) async fn exclusively<T>(
    store: &Store,
    name: &str,
    busy: &'static str,
    step: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    exclusively_within(store, name, (busy, WAIT), step).await
}

/// [`exclusively`], waiting at most `wait` for the lease.
async fn exclusively_within<T>(
    store: &Store,
    name: &str,
    (busy, wait): (&'static str, Duration),
    step: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let held = Held {
        store: store.clone(),
        lease: Some(acquire(store, name, busy, wait).await?),
    };
    let outcome = step.await;
    held.release().await;
    outcome
}

async fn acquire(
    store: &Store,
    name: &str,
    busy: &'static str,
    wait: Duration,
) -> Result<Lease, Error> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(lease) = store.try_lease(name, LEASE_TTL).await? {
            return Ok(lease);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::Conflict(busy));
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// A lease held for one step; dropping it unreleased releases it in the background.
struct Held {
    store: Store,
    lease: Option<Lease>,
}

impl Held {
    async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            give_back(&self.store, &lease).await;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        let store = self.store.clone();
        // The request was dropped mid-step; without a runtime the lease simply expires.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { give_back(&store, &lease).await });
        }
    }
}

async fn give_back(store: &Store, lease: &Lease) {
    if let Err(err) = store.release_lease(lease).await {
        tracing::warn!(lease = lease.name(), error = %err, "cannot release a lease; it expires");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: &str = "busy";
    const SHORT: Duration = Duration::from_millis(300);

    commons_store::store_tests! {
        async fn a_held_lease_makes_the_step_wait_then_give_up(store) {
            let other = store.try_lease("apps:1", LEASE_TTL).await.unwrap().unwrap();
            let refused: Result<(), Error> = exclusively_within(store, "apps:1", (BUSY, SHORT), async {
                panic!("the step ran while another held the lease")
            }).await;
            assert!(matches!(refused, Err(Error::Conflict(BUSY))), "{refused:?}");

            // Freed while waiting: the step runs, and leaves the lease free again.
            let release = async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                store.release_lease(&other).await.unwrap();
            };
            let step = exclusively_within(store, "apps:1", (BUSY, SHORT * 3), async { Ok::<_, Error>(7) });
            let (ran, ()) = tokio::join!(step, release);
            assert_eq!(ran.unwrap(), 7);
            assert!(store.try_lease("apps:1", LEASE_TTL).await.unwrap().is_some());
        }

        async fn a_step_dropped_half_way_gives_its_lease_back(store) {
            let forever = exclusively_within(store, "apps:2", (BUSY, SHORT), async {
                std::future::pending::<Result<(), Error>>().await
            });
            let cut = tokio::time::timeout(Duration::from_millis(200), forever).await;
            assert!(cut.is_err(), "the step was cut off");
            // The release runs on the runtime after the drop.
            let mut free = false;
            for _ in 0..50 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if let Some(lease) = store.try_lease("apps:2", LEASE_TTL).await.unwrap() {
                    store.release_lease(&lease).await.unwrap();
                    free = true;
                    break;
                }
            }
            assert!(free, "the lease stayed held after its step was dropped");
        }
    }
}
