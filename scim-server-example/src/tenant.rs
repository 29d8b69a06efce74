//! Tenants' bearer tokens: generation, hashing, the authenticator that
//! maps a token to its tenant, and the record of when each token was last
//! used.
//!
//! A token is 256 random bits from the operating system, shown once and
//! stored only as its SHA-256 hash. A random 256-bit secret needs no slow
//! password hash: SHA-256 makes the stored value useless to an attacker and
//! keeps the lookup on Entra ID's hot path to microseconds. Lookups compare
//! digests, never tokens, so their timing says nothing about a token.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim_core::Error;
use scim_core::error::Refusal;
use scim_core::protocol::{Authenticator, Principal, bearer_token};
use scim_core::store::TenantId;
use sha2::{Digest, Sha256};

use crate::conn::ClientIp;
use crate::db::{Tenant, TenantStore};
use crate::ratelimit::RateLimiter;

/// The prefix that marks our tokens (so that secret scanners can find a
/// leaked one).
const PREFIX: &str = "sie_";

/// A freshly generated token, to be shown once.
pub(crate) struct Token(String);

/// The shortest token an operator may choose: 32 characters of a 64-letter
/// alphabet carry up to 192 bits, far beyond guessing over the network
/// (a generated token carries 256).
pub(crate) const MIN_GIVEN_TOKEN_LEN: usize = 32;

impl Token {
    /// 256 random bits from the operating system.
    pub(crate) fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| anyhow::anyhow!("the operating system has no randomness to offer: {e}"))?;
        Ok(Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// A token chosen by the operator (`SCIM_BOOTSTRAP_TOKEN`).
    ///
    /// It must be at least [`MIN_GIVEN_TOKEN_LEN`] characters of
    /// `[A-Za-z0-9_-]`: long enough to resist guessing, and safe in a
    /// header, a shell and an environment file.
    pub(crate) fn given(token: String) -> anyhow::Result<Self> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if token.len() < MIN_GIVEN_TOKEN_LEN || !token.chars().all(allowed) {
            anyhow::bail!(
                "SCIM_BOOTSTRAP_TOKEN must be at least {MIN_GIVEN_TOKEN_LEN} characters of A-Z, a-z, 0-9, '_' and '-' (it has {} characters); unset it to have the server generate one",
                token.chars().count()
            );
        }
        Ok(Self(token))
    }

    /// The token text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Its SHA-256 hash, the only form stored.
    pub(crate) fn hash(&self) -> [u8; 32] {
        hash(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// SHA-256 of a token.
pub(crate) fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The current time in Unix seconds, the unit of the tokens' dates.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// How long a token lookup is remembered. Rotating, revoking or deleting
/// takes effect within this time on every server process.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(2);

/// How long a token that matched no tenant is remembered as bad, so that
/// a flood of it costs no database query. Tokens are generated before
/// they are handed out, so a token refused now is not about to become
/// valid; a bootstrap token chosen in `SCIM_BOOTSTRAP_TOKEN` works from
/// the first start, before anyone could have tried it.
pub(crate) const NEGATIVE_TTL: Duration = Duration::from_secs(30);

/// The most bad-token hashes remembered; past it, expired ones are
/// dropped, then arbitrary ones. The per-address limit bounds how fast
/// new ones arrive.
pub(crate) const NEGATIVE_CACHE_SIZE: usize = 10_000;

/// How often a token's last use is written to the database, at most.
pub(crate) const USAGE_WRITE_INTERVAL: Duration = Duration::from_secs(60);

/// How often the background task looks for uses to write.
pub(crate) const USAGE_FLUSH_TICK: Duration = Duration::from_secs(10);

/// Authenticates bearer tokens against the tenants table, with a short
/// cache, a negative cache of bad tokens, a per-client-address limit on
/// requests without a valid token, and an optional per-tenant rate limit,
/// and notes each token's last use for [`TenantAuth::flush_usage`].
pub(crate) struct TenantAuth {
    tenants: Arc<dyn TenantStore>,
    cache: Mutex<HashMap<[u8; 32], (Tenant, Instant)>>,
    rejected: Mutex<Rejected>,
    limiter: Option<Arc<RateLimiter>>,
    failures: Option<RateLimiter>,
    usage: Mutex<UsageLog>,
}

impl TenantAuth {
    /// Authenticates against `tenants`, limiting each tenant to `rate_limit`
    /// requests per second if set, and each client address to
    /// `failure_rate` requests per second without a valid token (0: no
    /// limit).
    pub(crate) fn new(
        tenants: Arc<dyn TenantStore>,
        rate_limit: Option<u32>,
        failure_rate: u32,
    ) -> Self {
        Self {
            tenants,
            cache: Mutex::new(HashMap::new()),
            rejected: Mutex::new(Rejected::default()),
            limiter: rate_limit.map(|r| Arc::new(RateLimiter::new(r))),
            failures: (failure_rate > 0).then(|| RateLimiter::new(failure_rate)),
            usage: Mutex::new(UsageLog::default()),
        }
    }

    /// Writes the last uses that are due (each token at most once per
    /// [`USAGE_WRITE_INTERVAL`]; all of them with `all`, at shutdown). A
    /// failed write is logged and retried on the next call.
    pub(crate) async fn flush_usage(&self, all: bool) {
        let now = Instant::now();
        let due = match self.usage.lock() {
            Ok(mut usage) => usage.take_due(now, all),
            Err(_) => return,
        };
        if due.is_empty() {
            return;
        }
        if let Err(e) = self.tenants.record_token_use(due.clone()).await {
            tracing::warn!(error = %e, "cannot record when tokens were last used; retrying later");
            if let Ok(mut usage) = self.usage.lock() {
                usage.put_back(&due);
            }
        }
    }

    /// Writes due uses every [`USAGE_FLUSH_TICK`], off the request path.
    pub(crate) fn spawn_usage_flusher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let auth = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(USAGE_FLUSH_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                auth.flush_usage(false).await;
            }
        })
    }

    /// The rate limiter, shared with the HTTP layer, which charges bulk
    /// requests for their operations.
    pub(crate) fn limiter(&self) -> Option<Arc<RateLimiter>> {
        self.limiter.clone()
    }

    /// The tenant of a token hash in the cache, if fresh.
    fn cached(&self, token_hash: &[u8; 32], now: Instant) -> Option<Tenant> {
        let cache = self.cache.lock().ok()?;
        let (tenant, at) = cache.get(token_hash)?;
        (now.duration_since(*at) < CACHE_TTL).then(|| tenant.clone())
    }

    /// Whether the token hash failed recently.
    fn recently_rejected(&self, token_hash: &[u8; 32], now: Instant) -> bool {
        self.rejected
            .lock()
            .is_ok_and(|rejected| rejected.contains(token_hash, now))
    }

    /// Remembers a token hash that matched no tenant.
    fn reject(&self, token_hash: [u8; 32], now: Instant) {
        if let Ok(mut rejected) = self.rejected.lock() {
            rejected.insert(token_hash, now);
        }
    }

    /// `429` when `client` has used up its requests without a valid token.
    fn check_failures(&self, client: Option<&str>) -> Result<(), Error> {
        let (Some(failures), Some(client)) = (&self.failures, client) else {
            return Ok(());
        };
        failures
            .peek(client)
            .map_err(|retry_after| {
                Refusal::rate_limited(
                    retry_after,
                    "too many requests without a valid bearer token from this address; retry later with the tenant's token",
                )
                .into()
            })
    }

    /// Counts a request without a valid token against `client`, and
    /// returns the error for it.
    fn failed(&self, client: Option<&str>, error: Error) -> Error {
        if let (Some(failures), Some(client)) = (&self.failures, client) {
            failures.charge(client, 1);
        }
        error
    }

    async fn lookup(&self, token_hash: [u8; 32]) -> Result<Option<Tenant>, Error> {
        let now = Instant::now();
        if let Some(tenant) = self.cached(&token_hash, now) {
            return Ok(Some(tenant));
        }
        // The end-to-end tests count these lines.
        tracing::debug!("token looked up in the database");
        let tenant = self
            .tenants
            .tenant_by_token_hash(&token_hash, unix_now())
            .await
            .map_err(|e| Error::Store(scim_core::store::StoreError::backend(e)))?;
        if let (Some(t), Ok(mut cache)) = (&tenant, self.cache.lock()) {
            if cache.len() > 10_000 {
                cache.retain(|_, (_, at)| now.duration_since(*at) < CACHE_TTL);
            }
            cache.insert(token_hash, (t.clone(), now));
        }
        Ok(tenant)
    }
}

impl fmt::Debug for TenantAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantAuth")
            .field("rate_limited", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Authenticator for TenantAuth {
    /// A request without a token, or with one that failed recently, is
    /// refused without a database query; so is any request whose token is
    /// not in the cache once its client address has used up its requests
    /// without a valid token (`429`). A cached valid token always passes,
    /// so that an attacker sharing an egress address with Entra ID cannot
    /// lock a working tenant out beyond its cache's two seconds.
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error> {
        let client = request
            .extensions
            .get::<ClientIp>()
            .map(|ip| ip.0.to_string());
        let client = client.as_deref();
        let Some(token) = bearer_token(request) else {
            self.check_failures(client)?;
            return Err(self.failed(
                client,
                Error::unauthorized(
                    "send the tenant's token as \"Authorization: Bearer <token>\"".to_owned(),
                ),
            ));
        };
        let token_hash = hash(token);
        let now = Instant::now();
        let bad = || Error::unauthorized("the bearer token is not valid for any tenant".to_owned());
        if self.cached(&token_hash, now).is_none() {
            self.check_failures(client)?;
            if self.recently_rejected(&token_hash, now) {
                return Err(self.failed(client, bad()));
            }
        }
        let tenant = self.lookup(token_hash).await?;
        let Some(tenant) = tenant else {
            self.reject(token_hash, now);
            return Err(self.failed(client, bad()));
        };
        // A lock and a map update: the write happens in the background.
        if let Ok(mut usage) = self.usage.lock() {
            usage.note(token_hash, unix_now());
        }
        if let Some(limiter) = &self.limiter {
            if let Err(retry_after) = limiter.check(&tenant.id) {
                return Err(Refusal::rate_limited(
                    retry_after,
                    "too many requests for this tenant; retry later",
                )
                .into());
            }
        }
        let mut principal = Principal::new(TenantId::new(tenant.id.clone()));
        principal.subject = Some(tenant.name);
        Ok(principal)
    }
}

/// The negative cache: hashes of tokens that matched no tenant, each for
/// [`NEGATIVE_TTL`], at most [`NEGATIVE_CACHE_SIZE`] of them. Keyed by
/// digest like the positive cache, so looking one up says nothing about
/// any token's bytes.
#[derive(Debug, Default)]
struct Rejected {
    at: HashMap<[u8; 32], Instant>,
}

impl Rejected {
    fn contains(&self, token_hash: &[u8; 32], now: Instant) -> bool {
        self.at
            .get(token_hash)
            .is_some_and(|at| now.saturating_duration_since(*at) < NEGATIVE_TTL)
    }

    fn insert(&mut self, token_hash: [u8; 32], now: Instant) {
        if self.at.len() >= NEGATIVE_CACHE_SIZE {
            self.at
                .retain(|_, at| now.saturating_duration_since(*at) < NEGATIVE_TTL);
        }
        if self.at.len() >= NEGATIVE_CACHE_SIZE {
            if let Some(any) = self.at.keys().next().copied() {
                self.at.remove(&any);
            }
        }
        self.at.insert(token_hash, now);
    }
}

/// When each valid token was last used, and when that was last written.
/// Only tokens that authenticated are noted, so it holds at most two
/// entries per tenant.
#[derive(Debug, Default)]
struct UsageLog {
    tokens: HashMap<[u8; 32], Usage>,
}

#[derive(Clone, Copy, Debug)]
struct Usage {
    /// The last use (Unix seconds).
    last: i64,
    /// Whether `last` is not written yet.
    pending: bool,
    /// When it was last written.
    written: Option<Instant>,
}

impl UsageLog {
    /// Notes a use at `at` (Unix seconds).
    fn note(&mut self, token_hash: [u8; 32], at: i64) {
        let usage = self.tokens.entry(token_hash).or_insert(Usage {
            last: at,
            pending: true,
            written: None,
        });
        if at >= usage.last {
            usage.last = at;
            usage.pending = true;
        }
    }

    /// The uses to write now, marked written: those not written within
    /// [`USAGE_WRITE_INTERVAL`] (every pending one with `all`).
    fn take_due(&mut self, now: Instant, all: bool) -> Vec<([u8; 32], i64)> {
        let mut due = Vec::new();
        for (hash, usage) in &mut self.tokens {
            let recent = usage
                .written
                .is_some_and(|w| now.duration_since(w) < USAGE_WRITE_INTERVAL);
            if usage.pending && (all || !recent) {
                usage.pending = false;
                usage.written = Some(now);
                due.push((*hash, usage.last));
            }
        }
        due
    }

    /// Marks uses whose write failed as pending again, due at once.
    fn put_back(&mut self, failed: &[([u8; 32], i64)]) {
        for (hash, _) in failed {
            if let Some(usage) = self.tokens.get_mut(hash) {
                usage.pending = true;
                usage.written = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_use_is_written_at_once_then_at_most_once_a_minute() {
        let mut log = UsageLog::default();
        let start = Instant::now();
        let (a, b) = ([1_u8; 32], [2_u8; 32]);
        assert!(log.take_due(start, false).is_empty());
        log.note(a, 100);
        log.note(a, 101);
        assert_eq!(log.take_due(start, false), vec![(a, 101)]);
        assert!(log.take_due(start, false).is_empty(), "nothing new");

        log.note(a, 130);
        log.note(b, 131);
        let soon = start + Duration::from_secs(30);
        assert_eq!(log.take_due(soon, false), vec![(b, 131)], "a waits");
        let later = start + USAGE_WRITE_INTERVAL;
        assert_eq!(log.take_due(later, false), vec![(a, 130)]);

        // An older use (another thread's clock read) does not go back.
        log.note(a, 120);
        assert!(log.take_due(later + USAGE_WRITE_INTERVAL, false).is_empty());

        // Shutdown writes everything pending; a failed write is retried.
        log.note(a, 200);
        let due = log.take_due(later, true);
        assert_eq!(due, vec![(a, 200)]);
        log.put_back(&due);
        assert_eq!(log.take_due(later, false), vec![(a, 200)]);
    }

    #[test]
    fn bad_tokens_are_remembered_for_a_while_and_the_cache_is_bounded() {
        let mut rejected = Rejected::default();
        let t0 = Instant::now();
        rejected.insert(hash("bad"), t0);
        assert!(rejected.contains(&hash("bad"), t0 + Duration::from_secs(1)));
        assert!(!rejected.contains(&hash("other"), t0));
        assert!(!rejected.contains(&hash("bad"), t0 + NEGATIVE_TTL));
        for i in 0..NEGATIVE_CACHE_SIZE + 10 {
            rejected.insert(hash(&i.to_string()), t0);
        }
        assert_eq!(rejected.at.len(), NEGATIVE_CACHE_SIZE);
        // Expired entries make room first.
        rejected.insert(hash("late"), t0 + NEGATIVE_TTL);
        assert_eq!(rejected.at.len(), 1);
    }

    #[test]
    fn tokens_are_random_long_and_prefixed() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_ne!(a.as_str(), b.as_str());
        assert!(a.as_str().starts_with(PREFIX));
        assert_eq!(a.as_str().len(), PREFIX.len() + 43);
        assert_eq!(a.hash(), hash(a.as_str()));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(format!("{a:?}"), "Token(…)");
    }

    #[test]
    fn weak_bootstrap_tokens_are_refused() {
        assert!(Token::given("short".into()).is_err());
        // 31 characters: one short.
        assert!(Token::given("a-bootstrap-token-one-too-short".into()).is_err());
        assert!(Token::given("a bootstrap token with spaces in it".into()).is_err());
        assert!(Token::given("a-bootstrap-token:with-a-colon-in-it".into()).is_err());
        assert!(Token::given("a-bootstrap-token-ünicode-is-refused".into()).is_err());
        assert!(Token::given("a-long-enough_bootstrap-token-0123".into()).is_ok());
    }
}
