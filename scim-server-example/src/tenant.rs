//! Tenants' bearer tokens: generation, hashing, and the authenticator that
//! maps a token to its tenant.
//!
//! A token is 256 random bits from the operating system, shown once and
//! stored only as its SHA-256 hash. A random 256-bit secret needs no slow
//! password hash: SHA-256 makes the stored value useless to an attacker and
//! keeps the lookup on Entra ID's hot path to microseconds. Lookups compare
//! digests, never tokens, so their timing says nothing about a token.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim_core::Error;
use scim_core::protocol::{Authenticator, Principal, bearer_token};
use scim_core::store::TenantId;
use sha2::{Digest, Sha256};

use crate::db::{Tenant, TenantStore};
use crate::ratelimit::RateLimiter;

/// The prefix that marks our tokens (so that secret scanners can find a
/// leaked one).
const PREFIX: &str = "sie_";

/// A freshly generated token, to be shown once.
pub(crate) struct Token(String);

impl Token {
    /// 256 random bits from the operating system.
    pub(crate) fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| anyhow::anyhow!("the operating system has no randomness to offer: {e}"))?;
        Ok(Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// A token chosen by the operator (`SCIM_BOOTSTRAP_TOKEN`).
    pub(crate) fn given(token: String) -> anyhow::Result<Self> {
        if token.len() < 16 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            anyhow::bail!(
                "SCIM_BOOTSTRAP_TOKEN must be at least 16 characters without spaces or control characters"
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

/// How long a token lookup is remembered. Rotating or deleting a tenant
/// takes effect within this time on every server process.
const CACHE_TTL: Duration = Duration::from_secs(2);

/// Authenticates bearer tokens against the tenants table, with a short
/// cache and an optional per-tenant rate limit.
pub(crate) struct TenantAuth {
    tenants: Arc<dyn TenantStore>,
    cache: Mutex<HashMap<[u8; 32], (Tenant, Instant)>>,
    limiter: Option<Arc<RateLimiter>>,
}

impl TenantAuth {
    /// Authenticates against `tenants`, limiting each tenant to `rate_limit`
    /// requests per second if set.
    pub(crate) fn new(tenants: Arc<dyn TenantStore>, rate_limit: Option<u32>) -> Self {
        Self {
            tenants,
            cache: Mutex::new(HashMap::new()),
            limiter: rate_limit.map(|r| Arc::new(RateLimiter::new(r))),
        }
    }

    /// The rate limiter, shared with the HTTP layer, which charges bulk
    /// requests for their operations.
    pub(crate) fn limiter(&self) -> Option<Arc<RateLimiter>> {
        self.limiter.clone()
    }

    async fn lookup(&self, token_hash: [u8; 32]) -> Result<Option<Tenant>, Error> {
        let now = Instant::now();
        if let Ok(cache) = self.cache.lock() {
            if let Some((tenant, at)) = cache.get(&token_hash) {
                if now.duration_since(*at) < CACHE_TTL {
                    return Ok(Some(tenant.clone()));
                }
            }
        }
        let tenant = self
            .tenants
            .tenant_by_token_hash(&token_hash)
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
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error> {
        let Some(token) = bearer_token(request) else {
            return Err(Error::Unauthorized(
                "send the tenant's token as \"Authorization: Bearer <token>\"".to_owned(),
            ));
        };
        let token_hash = hash(token);
        let tenant = self.lookup(token_hash).await?;
        let Some(tenant) = tenant else {
            return Err(Error::Unauthorized(
                "the bearer token is not valid for any tenant".to_owned(),
            ));
        };
        if let Some(limiter) = &self.limiter {
            if let Err(retry_after) = limiter.check(&tenant.id) {
                return Err(Error::TooManyRequests {
                    detail: "too many requests for this tenant; retry later".to_owned(),
                    retry_after,
                });
            }
        }
        let mut principal = Principal::new(TenantId::new(tenant.id.clone()));
        principal.subject = Some(tenant.name);
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Token::given("has a space in it 123".into()).is_err());
        assert!(Token::given("a-long-enough-bootstrap-token".into()).is_ok());
    }
}
