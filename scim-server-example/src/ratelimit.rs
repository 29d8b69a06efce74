//! A per-tenant token bucket: `rate` operations per second with bursts of
//! the same size. Entra ID honours `429` with `Retry-After`.
//!
//! A request takes one token when it is authenticated; a `/Bulk` request
//! is charged for its other operations once it has run
//! ([`RateLimiter::charge`], from `RequestInfo::operations`), so that a
//! tenant cannot multiply its rate by a thousand by batching.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Past this many keys, full buckets (keys idle long enough to have
/// refilled) are dropped: a full bucket is what a new key gets anyway, and
/// keys that are client addresses must not grow the map without bound.
const PRUNE_ABOVE: usize = 10_000;

/// Per-key token buckets.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `rate` operations per second per key (at least one).
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how many whole seconds to wait.
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    /// Whether `key` has a token, without taking it; else how many whole
    /// seconds to wait. With [`RateLimiter::charge`] afterwards, for a
    /// limit on requests that turn out to fail.
    pub(crate) fn peek(&self, key: &str) -> Result<(), u64> {
        self.peek_at(key, Instant::now())
    }

    fn peek_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = self.refill(&mut buckets, key, now);
        self.wait(bucket)
    }

    /// `Err(seconds)` to wait until `bucket` has a whole token.
    fn wait(&self, bucket: &Bucket) -> Result<(), u64> {
        if bucket.tokens >= 1.0 {
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.rate;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let secs = wait.ceil().max(1.0) as u64;
        Err(secs)
    }

    /// Takes `n` more tokens from `key`'s bucket for work already done,
    /// going into debt if need be: the tenant's next requests wait until
    /// the bucket has refilled.
    pub(crate) fn charge(&self, key: &str, n: u64) {
        self.charge_at(key, n, Instant::now());
    }

    fn charge_at(&self, key: &str, n: u64, now: Instant) {
        if n == 0 {
            return;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return;
        };
        let bucket = self.refill(&mut buckets, key, now);
        // At most a bulk request's worth (1,000 by default); exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let n = n as f64;
        bucket.tokens -= n;
    }

    /// `key`'s bucket, refilled up to `now`.
    fn refill<'a>(
        &self,
        buckets: &'a mut HashMap<String, Bucket>,
        key: &str,
        now: Instant,
    ) -> &'a mut Bucket {
        if buckets.len() > PRUNE_ABOVE {
            let rate = self.rate;
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < rate
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.rate,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.rate);
        bucket.at = now;
        bucket
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; don't add a second
            // failure by refusing traffic.
            return Ok(());
        };
        let bucket = self.refill(&mut buckets, key, now);
        self.wait(bucket)?;
        bucket.tokens -= 1.0;
        Ok(())
    }

    /// The number of keys held.
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bursts_up_to_the_rate_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", t0).is_ok());
        }
        assert_eq!(limiter.check_at("a", t0), Err(1));
        // Another tenant has its own bucket.
        assert!(limiter.check_at("b", t0).is_ok());
        // A third of a second later one request fits again.
        assert!(
            limiter
                .check_at("a", t0 + Duration::from_millis(340))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("a", t0 + Duration::from_millis(340))
                .is_err()
        );
    }

    #[test]
    fn peeking_takes_nothing_and_charges_count_after_the_fact() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(limiter.peek_at("ip", t0).is_ok());
        }
        limiter.charge_at("ip", 1, t0);
        limiter.charge_at("ip", 1, t0);
        assert_eq!(limiter.peek_at("ip", t0), Err(1));
    }

    #[test]
    fn idle_keys_are_pruned_past_the_bound() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            limiter.charge_at(&i.to_string(), 1, t0);
        }
        // Every bucket is empty at t0; a second later all have refilled.
        limiter.charge_at("new", 1, t0 + Duration::from_secs(2));
        assert_eq!(limiter.keys(), 1);
    }

    #[test]
    fn a_bulk_charge_is_paid_back_by_waiting() {
        let limiter = RateLimiter::new(10);
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).is_ok());
        // The request was a bulk of 30 operations: 29 more tokens.
        limiter.charge_at("a", 29, t0);
        // 9 - 29 = -20 tokens: 2.1 s until one is whole again.
        assert_eq!(limiter.check_at("a", t0), Err(3));
        assert!(
            limiter
                .check_at("a", t0 + Duration::from_millis(2000))
                .is_err()
        );
        assert!(
            limiter
                .check_at("a", t0 + Duration::from_millis(2200))
                .is_ok()
        );
        // Other tenants are not charged.
        assert!(limiter.check_at("b", t0).is_ok());
        limiter.charge_at("b", 0, t0);
    }
}
