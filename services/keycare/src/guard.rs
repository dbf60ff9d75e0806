//! What keeps one caller, or one council, from taking the gateway from everyone else:
//! token buckets per user, per council and (for failed sign-ins) per address, and a cap on
//! operations running at once, overall and per council, past which requests are shed.
//! All in memory, per replica.

use crate::limits::Limits;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// Why a request is turned away before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Over a rate (429 `RATE_LIMITED`): who is limited, and when to come back.
    RateLimited {
        scope: &'static str,
        retry_after: Duration,
    },
    /// Too much running at once (503): when to come back.
    Busy { retry_after: Duration },
}

/// The rate limiters and the in-flight caps of one replica.
pub struct Guard {
    users: DefaultKeyedRateLimiter<Uuid>,
    councils: DefaultKeyedRateLimiter<Uuid>,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    in_flight: Arc<Semaphore>,
    per_council: usize,
    councils_in_flight: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
    ws_per_user: usize,
    sockets: Arc<Mutex<HashMap<Uuid, usize>>>,
}

/// A user's place among their open websockets: given back when dropped.
pub struct SocketPermit {
    user: Uuid,
    sockets: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut map = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
}

/// The permits of a running operation: dropped when it ends.
pub struct Running {
    _all: OwnedSemaphorePermit,
    _council: OwnedSemaphorePermit,
}

/// A quota of `per_minute`, with a burst of a tenth of it (at least 10, at most the rate).
fn quota(per_minute: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(
        (per_minute / 10)
            .clamp(10.min(per_minute), per_minute)
            .max(1),
    )
    .unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(rate).allow_burst(burst)
}

/// A quota of `per_minute` that may all be spent at once (failed sign-ins come in bursts:
/// a token expires, a page retries).
fn whole_minute(per_minute: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(rate).allow_burst(rate)
}

impl Guard {
    pub fn new(limits: &Limits) -> Guard {
        Guard {
            users: DefaultKeyedRateLimiter::keyed(quota(limits.rate_per_user)),
            councils: DefaultKeyedRateLimiter::keyed(quota(limits.rate_per_council)),
            failures: DefaultKeyedRateLimiter::keyed(whole_minute(
                limits.auth_failures_per_address,
            )),
            clock: DefaultClock::default(),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            per_council: limits.max_in_flight_per_council.min(limits.max_in_flight),
            councils_in_flight: Mutex::new(HashMap::new()),
            ws_per_user: limits.ws_per_user,
            sockets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A place for one more websocket of `user`, or `Busy` when they hold as many as allowed.
    pub fn open_socket(&self, user: Uuid) -> Result<SocketPermit, Refused> {
        let mut map = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        let open = map.entry(user).or_insert(0);
        if *open >= self.ws_per_user {
            return Err(Refused::Busy {
                retry_after: Duration::from_secs(1),
            });
        }
        *open += 1;
        Ok(SocketPermit {
            user,
            sockets: self.sockets.clone(),
        })
    }

    /// Takes one request of this user in this council from their buckets.
    pub fn admit(&self, user: Uuid, council: Uuid) -> Result<(), Refused> {
        if let Err(not_until) = self.users.check_key(&user) {
            return Err(Refused::RateLimited {
                scope: "user",
                retry_after: not_until.wait_time_from(self.clock.now()),
            });
        }
        if let Err(not_until) = self.councils.check_key(&council) {
            return Err(Refused::RateLimited {
                scope: "council",
                retry_after: not_until.wait_time_from(self.clock.now()),
            });
        }
        Ok(())
    }

    /// Counts a failed sign-in from `address`: past the allowance, the answer is 429.
    pub fn failed_sign_in(&self, address: IpAddr) -> Result<(), Refused> {
        self.failures
            .check_key(&address)
            .map_err(|not_until| Refused::RateLimited {
                scope: "address",
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    /// A place among the operations running now, or `Busy` at once (load is shed, not
    /// queued: a queue only makes everyone late).
    pub fn start(&self, council: Uuid) -> Result<Running, Refused> {
        let busy = Refused::Busy {
            retry_after: Duration::from_secs(1),
        };
        let council_slots = {
            let mut map = self
                .councils_in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry(council)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_council)))
                .clone()
        };
        let council = council_slots
            .try_acquire_owned()
            .map_err(|_| busy.clone())?;
        let all = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy)?;
        Ok(Running {
            _all: all,
            _council: council,
        })
    }

    /// Forgets buckets that are full again (call now and then: keeps memory bounded).
    pub fn tidy(&self) {
        self.users.retain_recent();
        self.councils.retain_recent();
        self.failures.retain_recent();
        self.users.shrink_to_fit();
        self.councils.shrink_to_fit();
        self.failures.shrink_to_fit();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_user_past_the_rate_is_told_when_to_come_back_and_others_are_not() {
        let mut limits = Limits::defaults(true);
        limits.rate_per_user = 10;
        let guard = Guard::new(&limits);
        let (alice, bob, council) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        for _ in 0..10 {
            guard.admit(alice, council).unwrap();
        }
        match guard.admit(alice, council) {
            Err(Refused::RateLimited { scope, retry_after }) => {
                assert_eq!(scope, "user");
                assert!(retry_after <= Duration::from_secs(6));
            }
            other => panic!("{other:?}"),
        }
        guard.admit(bob, council).unwrap();
    }

    #[test]
    fn one_council_cannot_take_every_place() {
        let mut limits = Limits::defaults(true);
        limits.max_in_flight = 4;
        limits.max_in_flight_per_council = 2;
        let guard = Guard::new(&limits);
        let (busy, quiet) = (Uuid::new_v4(), Uuid::new_v4());
        let _a = guard.start(busy).unwrap();
        let _b = guard.start(busy).unwrap();
        assert!(matches!(guard.start(busy), Err(Refused::Busy { .. })));
        let _c = guard.start(quiet).unwrap();
        drop(_a);
        assert!(guard.start(busy).is_ok());
    }
}
