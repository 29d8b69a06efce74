//! Authentication: who is calling, and for which tenant.

use std::fmt;

use async_trait::async_trait;
use http::header::AUTHORIZATION;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::Error;
use crate::store::TenantId;

/// The caller of one request, as established by an [`Authenticator`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Principal {
    /// The tenant whose data the request may see and change.
    pub tenant: TenantId,
    /// Who the caller is, for logs (never a secret).
    pub subject: Option<String>,
}

impl Principal {
    /// A principal for `tenant`.
    pub fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            subject: None,
        }
    }
}

/// An entry of `authenticationSchemes` in the service provider
/// configuration (RFC 7643 §5).
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationScheme {
    /// `oauthbearertoken`, `httpbasic`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A display name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The specification's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    /// Whether this is the preferred scheme.
    pub primary: bool,
}

impl AuthenticationScheme {
    /// OAuth 2.0 bearer tokens (RFC 6750), which Entra ID uses.
    pub fn bearer_token() -> Self {
        Self {
            kind: "oauthbearertoken".to_owned(),
            name: "OAuth Bearer Token".to_owned(),
            description: "Authentication with a bearer token in the Authorization header"
                .to_owned(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".to_owned()),
            primary: true,
        }
    }
}

/// Establishes the [`Principal`] of a request; applications implement it
/// over their own token or session store.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Authenticates a request from its head.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] (answered with `401` and
    /// `WWW-Authenticate`) or [`Error::Forbidden`].
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error>;

    /// The schemes advertised in `/ServiceProviderConfig`.
    fn schemes(&self) -> Vec<AuthenticationScheme> {
        vec![AuthenticationScheme::bearer_token()]
    }

    /// The `WWW-Authenticate` challenge sent with `401`.
    fn challenge(&self) -> String {
        "Bearer realm=\"SCIM\"".to_owned()
    }
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_token(request: &http::request::Parts) -> Option<&str> {
    let value = request.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// One tenant with one bearer token: enough for tests, examples and
/// single-customer deployments. Compares in constant time.
pub struct SingleTenant {
    token: Vec<u8>,
    tenant: TenantId,
}

impl SingleTenant {
    /// Accepts `token` for the tenant `default`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into().into_bytes(),
            tenant: TenantId::new("default"),
        }
    }

    /// The same authenticator for another tenant id.
    #[must_use]
    pub fn with_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = tenant;
        self
    }
}

impl fmt::Debug for SingleTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleTenant")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// Equality of two byte strings in time that depends only on their
/// lengths, so that a token cannot be guessed byte by byte from timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[async_trait]
impl Authenticator for SingleTenant {
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, Error> {
        match bearer_token(request) {
            Some(token) if constant_time_eq(token.as_bytes(), &self.token) => {
                Ok(Principal::new(self.tenant.clone()))
            }
            Some(_) => Err(Error::unauthorized(
                "the bearer token is not valid".to_owned(),
            )),
            None => Err(Error::unauthorized(
                "send \"Authorization: Bearer <token>\"".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(auth: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::get("/");
        if let Some(a) = auth {
            b = b.header(AUTHORIZATION, a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(bearer_token(&parts(Some("Bearer abc"))), Some("abc"));
        assert_eq!(bearer_token(&parts(Some("bearer  abc "))), Some("abc"));
        assert_eq!(bearer_token(&parts(Some("Basic abc"))), None);
        assert_eq!(bearer_token(&parts(Some("Bearer "))), None);
        assert_eq!(bearer_token(&parts(None)), None);
    }

    #[tokio::test]
    async fn single_tenant_accepts_only_its_token() {
        let auth = SingleTenant::new("s3cret");
        assert!(
            auth.authenticate(&parts(Some("Bearer s3cret")))
                .await
                .is_ok()
        );
        assert!(
            auth.authenticate(&parts(Some("Bearer s3cre")))
                .await
                .is_err()
        );
        assert!(auth.authenticate(&parts(None)).await.is_err());
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
