//! A failure inside a database call, shared by both backends: the
//! driver's error, or one of the store's own answers. Each backend keeps
//! only its dialect, [`DriverError::into_store_error`]: which of its
//! driver's errors are the constraints behind the store's checks.

use std::error::Error as StdError;

use scim_core::store::StoreError;

use super::DbError;
use super::error::Failure;

/// A failure inside a database call of a backend whose driver fails with
/// `E`.
#[derive(Debug)]
pub(crate) enum Fail<E> {
    /// The driver's or the database server's error.
    Sql(E),
    /// A store-level answer (not found, conflict, …).
    Store(StoreError),
    /// A tenant- or database-level answer (no such tenant, duplicate
    /// group names stopping a migration, …).
    Tenant(DbError),
    /// Pool, thread or schema trouble.
    Other(String),
}

/// A database driver's error, as its backend reads it.
pub(crate) trait DriverError: StdError + Send + Sync + 'static {
    /// The store's answer to this error: a conflict or an invalid
    /// reference for the constraints behind the checks inside each
    /// transaction, otherwise a backend error.
    fn into_store_error(self) -> StoreError;
}

impl<E: DriverError> From<E> for Fail<E> {
    fn from(e: E) -> Self {
        Self::Sql(e)
    }
}

impl<E> From<StoreError> for Fail<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl<E: DriverError> From<Fail<E>> for StoreError {
    fn from(f: Fail<E>) -> Self {
        match f {
            Fail::Sql(e) => e.into_store_error(),
            Fail::Store(e) => e,
            Fail::Tenant(e) => StoreError::backend(e),
            Fail::Other(m) => StoreError::backend(Failure(m)),
        }
    }
}

impl<E: DriverError> From<Fail<E>> for DbError {
    fn from(f: Fail<E>) -> Self {
        match f {
            Fail::Sql(e) => Self::Backend(Box::new(e)),
            Fail::Store(e) => Self::Backend(Box::new(e)),
            Fail::Tenant(e) => e,
            Fail::Other(m) => Self::Backend(Box::new(Failure(m))),
        }
    }
}
