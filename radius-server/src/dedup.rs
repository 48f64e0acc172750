//! The duplicate cache of RFC 5080 §2.2.2: a retransmitted request (same source
//! address and port, Identifier and Request Authenticator) within the window gets the
//! reply already sent, not a second decision.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// What identifies one request.
pub type Key = (SocketAddr, u8, [u8; 16]);

enum Slot {
    Pending(Instant),
    Answered(Instant, Arc<[u8]>),
}

impl Slot {
    fn since(&self) -> Instant {
        match self {
            Self::Pending(at) | Self::Answered(at, _) => *at,
        }
    }
}

/// What the cache knows of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Not seen within the window; it is now marked in progress.
    New,
    /// Being decided; drop the copy.
    InProgress,
    /// Answered; send these octets again.
    Answered(Arc<[u8]>),
    /// The cache is full; decide without caching.
    Full,
}

/// A bounded map of recent requests to their replies.
pub struct DuplicateCache {
    slots: Mutex<HashMap<Key, Slot>>,
    window: Duration,
    capacity: usize,
}

impl DuplicateCache {
    /// A cache remembering requests for `window`, holding at most `capacity`.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            window,
            capacity,
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
        // A panic elsewhere while holding the lock leaves the map consistent: every
        // operation below is a single insert or remove.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks a request up at `now`, marking it in progress when new.
    pub fn check(&self, key: Key, now: Instant) -> Seen {
        let mut slots = self.slots();
        match slots.get(&key) {
            Some(slot) if now.duration_since(slot.since()) < self.window => {
                return match slot {
                    Slot::Pending(_) => Seen::InProgress,
                    Slot::Answered(_, reply) => Seen::Answered(Arc::clone(reply)),
                };
            }
            _ => {}
        }
        if slots.len() >= self.capacity {
            return Seen::Full;
        }
        slots.insert(key, Slot::Pending(now));
        Seen::New
    }

    /// Stores the reply to a request in progress.
    pub fn answer(&self, key: &Key, reply: Arc<[u8]>) {
        let mut slots = self.slots();
        if let Some(slot) = slots.get_mut(key) {
            *slot = Slot::Answered(slot.since(), reply);
        }
    }

    /// Forgets a request, so that a retransmission is decided afresh.
    pub fn forget(&self, key: &Key) {
        self.slots().remove(key);
    }

    /// Removes entries older than the window and returns how many remain.
    pub fn sweep(&self, now: Instant) -> usize {
        let mut slots = self.slots();
        slots.retain(|_, slot| now.duration_since(slot.since()) < self.window);
        slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u8) -> Key {
        ("127.0.0.1:4000".parse().unwrap(), id, [id; 16])
    }

    #[test]
    fn a_retransmission_gets_the_cached_reply_until_the_window_ends() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 10);
        let start = Instant::now();
        assert_eq!(cache.check(key(1), start), Seen::New);
        assert_eq!(cache.check(key(1), start), Seen::InProgress);
        cache.answer(&key(1), Arc::from(&b"reply"[..]));
        let later = start + Duration::from_secs(29);
        assert_eq!(
            cache.check(key(1), later),
            Seen::Answered(Arc::from(&b"reply"[..]))
        );
        let expired = start + Duration::from_secs(30);
        assert_eq!(cache.check(key(1), expired), Seen::New);
        assert_eq!(cache.sweep(expired + Duration::from_secs(31)), 0);
    }

    #[test]
    fn forgotten_and_different_requests_are_new() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 2);
        let now = Instant::now();
        assert_eq!(cache.check(key(1), now), Seen::New);
        cache.forget(&key(1));
        assert_eq!(cache.check(key(1), now), Seen::New);
        assert_eq!(cache.check(key(2), now), Seen::New);
        assert_eq!(cache.check(key(3), now), Seen::Full);
    }
}
