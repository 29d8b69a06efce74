//! Which version a write expects (`If-Match`), as both backends compare
//! it with a row's `revision` column.

use scim_core::id::Version;
use scim_core::store::StoreError;

/// Which version a write expects.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Expect {
    /// Any (no `If-Match`).
    Any,
    /// This revision.
    Revision(i64),
    /// A version this store never issued: nothing matches.
    Never,
}

impl Expect {
    /// What `expected` (`None`: no `If-Match`) asks of a row.
    pub(crate) fn of(expected: Option<&Version>) -> Self {
        match expected {
            None => Self::Any,
            Some(v) => expected_revision(v).map_or(Self::Never, Self::Revision),
        }
    }

    /// The revision to compare with in SQL (`None`: any).
    pub(crate) fn bind(self) -> Option<i64> {
        match self {
            Self::Any => None,
            Self::Revision(r) => Some(r),
            // Revisions start at 1.
            Self::Never => Some(-1),
        }
    }

    /// Checks the current revision of a row (`None`: no row).
    pub(crate) fn check(self, current: Option<i64>) -> Result<i64, StoreError> {
        match (self, current) {
            (_, None) => Err(StoreError::NotFound),
            (Self::Any, Some(c)) => Ok(c),
            (Self::Revision(r), Some(c)) if r == c => Ok(c),
            _ => Err(StoreError::VersionMismatch),
        }
    }
}

/// The revision a caller expects, or `None` for a version this store never
/// issued (which then matches nothing).
fn expected_revision(expected: &Version) -> Option<i64> {
    expected.revision().and_then(|r| i64::try_from(r).ok())
}
