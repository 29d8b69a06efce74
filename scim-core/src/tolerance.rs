//! Named tolerances for what real clients send that RFC 7644 does not
//! allow, switchable one by one, and a record of which ones fired.
//!
//! The core is strict: with [`Policy::strict`] every deviation is refused
//! with the RFC's error. Each [`Tolerance`] accepts one deviation and
//! normalises it, so the stored resource and every response stay strict RFC
//! JSON. [`Policy::entra_id`] enables everything Microsoft Entra ID is known
//! to send; it is also [`Policy::default`], because refusing those shapes
//! breaks provisioning for the most common client.
//!
//! Tolerances are narrow. Each accepts only the deviation it names, and the
//! shape tolerances only for the attributes the client is documented to
//! send that way ([`Tolerance::attributes`]: a bare or one-element-array
//! `manager`, never `"userName": ["x"]` or `"emails": "a@example.org"`).
//! What no tolerance covers is refused under every policy, with the RFC's
//! error and a detail naming the attribute.
//!
//! Operations report the tolerances they used in a [`Fired`] set, and a
//! [`Counters`] value totals them, so an integrator can see what an identity
//! provider really sends.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// One deviation from RFC 7643/7644 that a [`Policy`] may accept.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Tolerance {
    /// PATCH `op` in any case (`Replace`, `ADD`): Entra ID's default job
    /// sends PascalCase.
    CaseInsensitiveOp,
    /// The strings `"true"`/`"false"` in any case for boolean attributes
    /// (Entra ID sends `"True"`/`"False"`). Other strings stay errors.
    StringBooleans,
    /// Keys of a path-less PATCH `add`/`replace` value that are themselves
    /// paths: `"name.givenName"`, `"urn:…:enterprise:2.0:User:department"`,
    /// `"emails[type eq \"work\"].value"`.
    PathKeysInValue,
    /// `remove` with a `value` on a multi-valued attribute removes exactly
    /// the listed values (Entra ID's member removal), and on a single-valued
    /// attribute removes the attribute only if it holds that value. At a
    /// filtered path (`emails[type eq "work"].value`) only what matches the
    /// filter *and* holds the value is removed, so someone else's address
    /// removes nothing. Without this tolerance such an operation is
    /// refused, never widened into removing every value.
    RemoveByValue,
    /// A filtered `add`/`replace` (`emails[type eq "other"].value`) whose
    /// filter matches no value creates the value from the filter's `eq`
    /// clauses, when the filter is only `eq` clauses joined by `and`.
    CreateOnFilteredMiss,
    /// A bare string for the Enterprise User's `manager`
    /// (`"manager": "26118915-6090-4610-87e4-49d8ca9f808d"`) means
    /// `{"value": …}`; an empty string means no manager. Entra ID sends
    /// both, in PATCH values and in POST bodies. Only `manager`: a bare
    /// string for any other complex attribute (`"emails": "a@example.org"`)
    /// stays `invalidValue`; see [`Tolerance::attributes`].
    ScalarForComplex,
    /// A one-element array for the Enterprise User's `manager` means its
    /// element (`"manager": [{"$ref": …, "value": …}]`, Entra ID's older
    /// PATCH shape). Only `manager`: `"userName": ["x"]` or
    /// `"active": [true]` stays `invalidValue`.
    SingleValueArray,
    /// A PATCH path naming an extension attribute without its URN
    /// (`"path": "manager"`, Entra ID's documented older manager shape)
    /// means the extension's attribute. Only `manager`; see
    /// [`Tolerance::attributes`].
    UnqualifiedExtensionPath,
    /// The pre-2019 extension notation with a dot after the URN:
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department`.
    LegacyDottedUrn,
    /// `schemas` in a create or replace body may list URIs that are
    /// neither the core schema nor an extension of the resource type
    /// (Entra ID's `http://schemas.microsoft.com/…/ADSCIM/2.0/Group`, typo
    /// URNs such as `…:enterprise:2.0User`); they are dropped. The core
    /// schema must still be listed, and another resource type's core
    /// schema is always refused.
    ExtraSchemaUris,
    /// An extension object in a create or replace body whose URN
    /// `schemas` does not list is accepted, and its URN added (Entra ID
    /// never lists custom extensions).
    UnlistedExtension,
    /// Attributes no schema of the resource type defines — a top-level
    /// attribute (`extensionAttribute7`), an attribute of an extension, a
    /// sub-attribute (`name.nickname`), or a whole object under an
    /// unregistered URN (`"urn:…:extension:Contoso:2.0:User": {…}`) — are
    /// kept, stored and returned verbatim, instead of refused; alike by
    /// POST, PUT and PATCH (where they are set, replaced and removed like
    /// any attribute). Entra ID sends attributes an admin mapped that the
    /// service does not define; refusing one fails the whole request,
    /// and skipping it makes Entra ID re-send it every cycle. A value filter on an unknown attribute stays `invalidPath`:
    /// without a schema nothing says what its values are.
    KeepUnknownAttributes,
}

impl Tolerance {
    /// Every tolerance.
    pub const ALL: [Self; 12] = [
        Self::CaseInsensitiveOp,
        Self::StringBooleans,
        Self::PathKeysInValue,
        Self::RemoveByValue,
        Self::CreateOnFilteredMiss,
        Self::ScalarForComplex,
        Self::SingleValueArray,
        Self::UnqualifiedExtensionPath,
        Self::LegacyDottedUrn,
        Self::ExtraSchemaUris,
        Self::UnlistedExtension,
        Self::KeepUnknownAttributes,
    ];

    /// A stable kebab-case name, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::CaseInsensitiveOp => "case-insensitive-op",
            Self::StringBooleans => "string-booleans",
            Self::PathKeysInValue => "path-keys-in-value",
            Self::RemoveByValue => "remove-by-value",
            Self::CreateOnFilteredMiss => "create-on-filtered-miss",
            Self::ScalarForComplex => "scalar-for-complex",
            Self::SingleValueArray => "single-value-array",
            Self::UnqualifiedExtensionPath => "unqualified-extension-path",
            Self::LegacyDottedUrn => "legacy-dotted-urn",
            Self::ExtraSchemaUris => "extra-schema-uris",
            Self::UnlistedExtension => "unlisted-extension",
            Self::KeepUnknownAttributes => "keep-unknown-attributes",
        }
    }

    /// The attributes a shape tolerance is limited to, as canonical paths
    /// (`urn:…:enterprise:2.0:User:manager`; core attributes without their
    /// URN); `None` for a tolerance that is not about one attribute's
    /// shape. A tolerance accepts a client's deviation only where
    /// the client is known to send it, and the rest is refused as the RFC
    /// says.
    pub fn attributes(self) -> Option<&'static [&'static str]> {
        match self {
            Self::ScalarForComplex | Self::SingleValueArray | Self::UnqualifiedExtensionPath => {
                Some(&[MANAGER])
            }
            _ => None,
        }
    }

    /// Whether the tolerance may apply to the attribute at the canonical
    /// `path` (compared without regard to ASCII case).
    pub fn covers(self, path: &str) -> bool {
        self.attributes()
            .is_none_or(|paths| paths.iter().any(|p| p.eq_ignore_ascii_case(path)))
    }

    fn bit(self) -> u32 {
        1 << self.index()
    }

    fn index(self) -> u32 {
        match self {
            Self::CaseInsensitiveOp => 0,
            Self::StringBooleans => 1,
            Self::PathKeysInValue => 2,
            Self::RemoveByValue => 3,
            Self::CreateOnFilteredMiss => 4,
            Self::ScalarForComplex => 5,
            Self::SingleValueArray => 6,
            Self::LegacyDottedUrn => 7,
            Self::UnqualifiedExtensionPath => 8,
            Self::ExtraSchemaUris => 9,
            Self::UnlistedExtension => 10,
            Self::KeepUnknownAttributes => 11,
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The Enterprise User's `manager` (RFC 7643 §4.3), which Entra ID sends as
/// a bare id or a one-element array.
const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

/// Which tolerances are enabled.
///
/// # Examples
///
/// ```
/// use scim_core::tolerance::{Policy, Tolerance};
///
/// let policy = Policy::strict().with(Tolerance::StringBooleans);
/// assert!(policy.allows(Tolerance::StringBooleans));
/// assert!(!policy.allows(Tolerance::RemoveByValue));
/// assert!(Policy::entra_id().allows(Tolerance::RemoveByValue));
/// ```
#[derive(Clone, Copy, Eq, PartialEq)]
pub struct Policy {
    enabled: u32,
}

impl Policy {
    /// No tolerances: RFC 7643/7644 as written.
    pub const fn strict() -> Self {
        Self { enabled: 0 }
    }

    /// Everything Microsoft Entra ID is known to send (see the
    /// [PATCH guide](crate::guide::patch#tolerances)): all tolerances.
    pub fn entra_id() -> Self {
        Tolerance::ALL
            .iter()
            .fold(Self::strict(), |p, t| p.with(*t))
    }

    /// The same policy with `tolerance` enabled.
    #[must_use]
    pub fn with(self, tolerance: Tolerance) -> Self {
        Self {
            enabled: self.enabled | tolerance.bit(),
        }
    }

    /// The same policy with `tolerance` disabled.
    #[must_use]
    pub fn without(self, tolerance: Tolerance) -> Self {
        Self {
            enabled: self.enabled & !tolerance.bit(),
        }
    }

    /// Whether `tolerance` is enabled.
    pub fn allows(self, tolerance: Tolerance) -> bool {
        self.enabled & tolerance.bit() != 0
    }

    /// The enabled tolerances.
    pub fn iter(self) -> impl Iterator<Item = Tolerance> {
        Tolerance::ALL.into_iter().filter(move |t| self.allows(*t))
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::entra_id()
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Tolerance::name))
            .finish()
    }
}

/// The tolerances one operation used.
#[derive(Clone, Copy, Default, Eq, PartialEq)]
pub struct Fired {
    bits: u32,
}

impl Fired {
    /// Records that `tolerance` was used.
    pub fn record(&mut self, tolerance: Tolerance) {
        self.bits |= tolerance.bit();
    }

    /// Whether `tolerance` was used.
    pub fn contains(self, tolerance: Tolerance) -> bool {
        self.bits & tolerance.bit() != 0
    }

    /// Whether no tolerance was used.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The tolerances used.
    pub fn iter(self) -> impl Iterator<Item = Tolerance> {
        Tolerance::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }

    /// Adds another record to this one.
    pub fn merge(&mut self, other: Self) {
        self.bits |= other.bits;
    }
}

impl fmt::Debug for Fired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Tolerance::name))
            .finish()
    }
}

impl fmt::Display for Fired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(t.name())?;
        }
        Ok(())
    }
}

/// Running totals of fired tolerances, safe to share between threads.
#[derive(Debug, Default)]
pub struct Counters {
    counts: [AtomicU64; Tolerance::ALL.len()],
}

impl Counters {
    /// Adds one to the count of every tolerance in `fired`.
    pub fn add(&self, fired: Fired) {
        for t in fired.iter() {
            self.counts[t.index() as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many operations used `tolerance`.
    pub fn count(&self, tolerance: Tolerance) -> u64 {
        self.counts[tolerance.index() as usize].load(Ordering::Relaxed)
    }

    /// Every tolerance with its count.
    pub fn snapshot(&self) -> Vec<(Tolerance, u64)> {
        Tolerance::ALL
            .iter()
            .map(|t| (*t, self.count(*t)))
            .collect()
    }
}

/// What an operation that accepts client input needs: the policy, and a
/// record of which tolerances it used.
// Two fields that are the whole point of the type; adding a field would
// change what a context is.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// The tolerances the operation may use.
    pub policy: Policy,
    /// The tolerances it used.
    pub fired: Fired,
}

impl Context {
    /// A context for `policy` with nothing fired yet.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            fired: Fired::default(),
        }
    }

    /// If `tolerance` is allowed for the attribute at the canonical `path`
    /// (see [`Tolerance::covers`]), records it and returns `true`.
    pub fn tolerate_at(&mut self, tolerance: Tolerance, path: &str) -> bool {
        tolerance.covers(path) && self.tolerate(tolerance)
    }

    /// If `tolerance` is allowed, records it and returns `true`.
    pub fn tolerate(&mut self, tolerance: Tolerance) -> bool {
        let allowed = self.policy.allows(tolerance);
        if allowed {
            self.fired.record(tolerance);
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_indexes_are_distinct_and_in_range() {
        let mut seen = 0u32;
        for t in Tolerance::ALL {
            assert_eq!(seen & t.bit(), 0, "{t}");
            seen |= t.bit();
            assert!((t.index() as usize) < Tolerance::ALL.len());
        }
    }

    #[test]
    fn shape_tolerances_cover_only_the_manager() {
        let mut cx = Context::new(Policy::entra_id());
        for t in [Tolerance::ScalarForComplex, Tolerance::SingleValueArray] {
            assert!(cx.tolerate_at(t, MANAGER));
            assert!(cx.tolerate_at(
                t,
                "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:MANAGER"
            ));
            for other in ["userName", "active", "emails", "manager.value", "name"] {
                assert!(!cx.tolerate_at(t, other), "{t} {other}");
            }
        }
        assert!(cx.tolerate_at(Tolerance::StringBooleans, "active"));
        let mut strict = Context::new(Policy::strict());
        assert!(!strict.tolerate_at(Tolerance::ScalarForComplex, MANAGER));
        assert!(strict.fired.is_empty());
    }

    #[test]
    fn context_records_only_allowed_tolerances() {
        let mut cx = Context::new(Policy::strict().with(Tolerance::StringBooleans));
        assert!(cx.tolerate(Tolerance::StringBooleans));
        assert!(!cx.tolerate(Tolerance::RemoveByValue));
        assert_eq!(
            cx.fired.iter().collect::<Vec<_>>(),
            [Tolerance::StringBooleans]
        );
        let counters = Counters::default();
        counters.add(cx.fired);
        counters.add(cx.fired);
        assert_eq!(counters.count(Tolerance::StringBooleans), 2);
        assert_eq!(counters.count(Tolerance::RemoveByValue), 0);
        assert_eq!(cx.fired.to_string(), "string-booleans");
    }
}
