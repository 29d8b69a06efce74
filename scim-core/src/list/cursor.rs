//! RFC 9865 cursors as keyset positions: a cursor names the last resource
//! of the page it ends (its sort key and its id), never an offset, so a
//! walk continues after that resource however many resources were created
//! or deleted before it in the meantime. Every resource present for the
//! whole walk is returned exactly once.
//!
//! A cursor is bound to the query that issued it: the tenant, the resource
//! type, the filter and the sort ([`CursorScope`]). Used with any other
//! query it is refused with `400 invalidCursor` (RFC 9865 §2.2), so a walk
//! cannot silently continue with a different filter or in another tenant.
//! The binding is a digest, not a secret: a client that forges a cursor
//! can only choose where its own query starts.
//!
//! Stores that sort and page in a database issue and read the same
//! cursors through [`Cursor::new`] and [`Cursor::decode`], with
//! [`Position`]s in the order [`sort_key`](super::sort_key) defines:
//! the [`Key::encoded`](crate::index::Key::encoded) bytes of the sort
//! value, resources without one after all others in ascending order and
//! before them in descending order, ties by `id` in byte order.
//!
//! ```
//! use scim_core::list::{Cursor, CursorScope, ListQuery, Page, Position};
//! use scim_core::schema::Registry;
//! use scim_core::store::TenantId;
//!
//! let registry = Registry::standard();
//! let users = registry.resource_type("User").expect("registered");
//! let mut query = ListQuery::new(Page::cursor(None, Some(2), 100, 100));
//! query.filter = Some("active eq true".parse()?);
//! query.bind_cursors(&TenantId::new("acme"), users);
//!
//! let next = Cursor::new(&query.cursor_scope, Position::after_id("2819c223"));
//! let text = next.encode();
//! assert_eq!(Cursor::decode(&text, &query.cursor_scope)?.position().id(), "2819c223");
//!
//! // The same text under another tenant's query is refused.
//! let mut other = query.clone();
//! other.bind_cursors(&TenantId::new("globex"), users);
//! assert!(Cursor::decode(&text, &other.cursor_scope).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{ListQuery, SortOrder};
use crate::Error;
use crate::schema::ResourceSchema;
use crate::store::TenantId;

/// The first byte of every cursor this crate issues; another value is a
/// cursor of another format (or none at all).
const VERSION: u8 = 1;

/// Bytes of the scope digest a cursor carries.
const SCOPE_LEN: usize = 12;

/// The longest cursor text accepted; longer input is refused before it is
/// decoded. Sort keys are attribute values, which the request caps keep
/// well below this.
const MAX_TEXT: usize = 16 * 1024;

/// What a cursor is bound to: a digest of the tenant, the resource type,
/// the filter and the sort of the query that issued it. See
/// [`ListQuery::bind_cursors`].
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
pub struct CursorScope([u8; SCOPE_LEN]);

impl CursorScope {
    /// The scope of `query` in `tenant`, over `schema`'s resource type.
    /// `count` and the projection are not part of it: a client may change
    /// them between pages (RFC 9865 §2.1).
    pub fn of(tenant: &TenantId, schema: &ResourceSchema, query: &ListQuery) -> Self {
        let mut h = Sha256::new();
        let mut part = |bytes: &[u8]| {
            // Length-prefixed, so that no two different queries share a
            // byte stream.
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        part(tenant.as_str().as_bytes());
        part(schema.name().as_bytes());
        match &query.filter {
            Some(f) => part(f.to_string().as_bytes()),
            None => part(b""),
        }
        match &query.sort {
            Some(s) => {
                part(s.by.to_string().to_ascii_lowercase().as_bytes());
                part(match s.order {
                    SortOrder::Ascending => b"a",
                    SortOrder::Descending => b"d",
                });
            }
            None => part(b""),
        }
        let digest = h.finalize();
        let mut out = [0; SCOPE_LEN];
        out.copy_from_slice(&digest[..SCOPE_LEN]);
        Self(out)
    }
}

/// Where a page ends: the sort key and id of its last resource. The next
/// page holds the resources after it in the query's order.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Position {
    key: SortPosition,
    id: String,
}

/// The sort key part of a [`Position`].
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum SortPosition {
    /// The query is unsorted: resources are in `id` order.
    Unsorted,
    /// The last resource's sort value,
    /// [`Key::encoded`](crate::index::Key::encoded).
    Key(Vec<u8>),
    /// The last resource has no sort value.
    Missing,
}

impl Position {
    /// After the resource `id` of an unsorted query.
    pub fn after_id(id: impl Into<String>) -> Self {
        Self {
            key: SortPosition::Unsorted,
            id: id.into(),
        }
    }

    /// After the resource `id` whose sort value has this encoded key.
    pub fn after_key(key: Vec<u8>, id: impl Into<String>) -> Self {
        Self {
            key: SortPosition::Key(key),
            id: id.into(),
        }
    }

    /// After the resource `id`, which has no sort value.
    pub fn after_missing(id: impl Into<String>) -> Self {
        Self {
            key: SortPosition::Missing,
            id: id.into(),
        }
    }

    /// The sort key part.
    pub fn sort(&self) -> &SortPosition {
        &self.key
    }

    /// The id of the last resource returned.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A cursor: a [`Position`] bound to a [`CursorScope`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Cursor {
    scope: CursorScope,
    position: Position,
}

const TAG_UNSORTED: u8 = 0;
const TAG_KEY: u8 = 1;
const TAG_MISSING: u8 = 2;

impl Cursor {
    /// A cursor for the page after `position` of the query with `scope`.
    pub fn new(scope: &CursorScope, position: Position) -> Self {
        Self {
            scope: *scope,
            position,
        }
    }

    /// Where the previous page ended.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// The `nextCursor` text: URL-safe base64 (RFC 4648 §5) without
    /// padding, so that it needs no escaping in a query string.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(1 + SCOPE_LEN + 5 + self.position.id.len());
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.scope.0);
        match &self.position.key {
            SortPosition::Unsorted => bytes.push(TAG_UNSORTED),
            SortPosition::Missing => bytes.push(TAG_MISSING),
            SortPosition::Key(key) => {
                bytes.push(TAG_KEY);
                let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
                bytes.extend_from_slice(&len.to_be_bytes());
                bytes.extend_from_slice(key);
            }
        }
        bytes.extend_from_slice(self.position.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a cursor issued for the query with `scope`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCursor`] for text this service did not issue, and
    /// for a cursor issued for another query or tenant.
    pub fn decode(text: &str, scope: &CursorScope) -> Result<Self, Error> {
        let not_ours = || {
            Error::invalid_cursor(format!(
                "{} is not a cursor this service issued; leave \"cursor\" empty for the first \
                 page and pass each response's \"nextCursor\" unchanged",
                shown(text)
            ))
        };
        if text.len() > MAX_TEXT {
            return Err(not_ours());
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| not_ours())?;
        let (&version, rest) = bytes.split_first().ok_or_else(not_ours)?;
        if version != VERSION || rest.len() < SCOPE_LEN + 1 {
            return Err(not_ours());
        }
        let (issued_for, rest) = rest.split_at(SCOPE_LEN);
        if issued_for != scope.0 {
            return Err(Error::invalid_cursor(
                "this cursor belongs to another query: a walk must keep the filter, sortBy and \
                 sortOrder of its first page, in the same tenant; start again with an empty \
                 \"cursor\"",
            ));
        }
        let (&tag, rest) = rest.split_first().ok_or_else(not_ours)?;
        let (key, id) = match tag {
            TAG_UNSORTED => (SortPosition::Unsorted, rest),
            TAG_MISSING => (SortPosition::Missing, rest),
            TAG_KEY => {
                if rest.len() < 4 {
                    return Err(not_ours());
                }
                let (len, rest) = rest.split_at(4);
                let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
                if rest.len() < len {
                    return Err(not_ours());
                }
                let (key, id) = rest.split_at(len);
                (SortPosition::Key(key.to_vec()), id)
            }
            _ => return Err(not_ours()),
        };
        let id = std::str::from_utf8(id).map_err(|_| not_ours())?;
        if id.is_empty() {
            return Err(not_ours());
        }
        Ok(Self {
            scope: *scope,
            position: Position {
                key,
                id: id.to_owned(),
            },
        })
    }
}

/// At most the first 40 characters of a refused cursor, quoted.
fn shown(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::{Page, Sort};
    use crate::schema::Registry;

    fn users() -> std::sync::Arc<ResourceSchema> {
        Registry::standard().resource_type("User").unwrap().clone()
    }

    fn query(filter: Option<&str>, sort: Option<(&str, SortOrder)>) -> ListQuery {
        let schema = users();
        let mut q = ListQuery::new(Page::cursor(None, Some(10), 100, 100));
        q.filter = filter.map(|f| f.parse().unwrap());
        q.sort = sort.map(|(by, order)| Sort::new(&schema, by.parse().unwrap(), order).unwrap());
        q
    }

    fn scope(tenant: &str, q: &ListQuery) -> CursorScope {
        CursorScope::of(&TenantId::new(tenant), &users(), q)
    }

    #[test]
    fn every_position_round_trips() {
        let s = scope("t", &query(None, None));
        for position in [
            Position::after_id("a"),
            Position::after_id("ünïcode-id/with?query&chars"),
            Position::after_key(vec![4, b'x', 0, 255], "b"),
            Position::after_key(Vec::new(), "c"),
            Position::after_missing("d"),
        ] {
            let text = Cursor::new(&s, position.clone()).encode();
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(Cursor::decode(&text, &s).unwrap().position(), &position);
        }
    }

    #[test]
    fn a_cursor_is_refused_by_another_query_or_tenant() {
        let q = query(
            Some("active eq true"),
            Some(("userName", SortOrder::Ascending)),
        );
        let issued = Cursor::new(&scope("t1", &q), Position::after_id("x")).encode();
        assert!(Cursor::decode(&issued, &scope("t1", &q)).is_ok());
        let others = [
            scope("t2", &q),
            scope(
                "t1",
                &query(
                    Some("active eq false"),
                    Some(("userName", SortOrder::Ascending)),
                ),
            ),
            scope(
                "t1",
                &query(
                    Some("active eq true"),
                    Some(("userName", SortOrder::Descending)),
                ),
            ),
            scope(
                "t1",
                &query(
                    Some("active eq true"),
                    Some(("title", SortOrder::Ascending)),
                ),
            ),
            scope("t1", &query(Some("active eq true"), None)),
            scope("t1", &query(None, Some(("userName", SortOrder::Ascending)))),
        ];
        for other in others {
            let e = Cursor::decode(&issued, &other).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidCursor(d) if d.as_str().contains("another query")),
                "{e}"
            );
        }
        // The sort path's case is not part of the query.
        let upper = query(
            Some("active eq true"),
            Some(("USERNAME", SortOrder::Ascending)),
        );
        assert!(Cursor::decode(&issued, &scope("t1", &upper)).is_ok());
    }

    #[test]
    fn the_page_size_and_projection_are_not_part_of_the_scope() {
        let mut a = query(None, None);
        let b = a.clone();
        a.page = Page::cursor(None, Some(3), 100, 100);
        a.projection = crate::project::Projection::id_only();
        assert_eq!(scope("t", &a), scope("t", &b));
    }

    #[test]
    fn text_this_service_did_not_issue_is_refused() {
        let s = scope("t", &query(None, None));
        let good = Cursor::new(&s, Position::after_key(vec![4, b'a'], "id")).encode();
        let bytes = URL_SAFE_NO_PAD.decode(&good).unwrap();
        let mut truncated_key = bytes.clone();
        truncated_key.truncate(1 + SCOPE_LEN + 1 + 3);
        let mut long_len = bytes.clone();
        long_len[1 + SCOPE_LEN + 1..1 + SCOPE_LEN + 5].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut other_version = bytes.clone();
        other_version[0] = 9;
        let mut unknown_tag = bytes.clone();
        unknown_tag[1 + SCOPE_LEN] = 7;
        let mut bad_utf8 = bytes.clone();
        bad_utf8.push(0xff);
        let mut no_id = Vec::from(&bytes[..=SCOPE_LEN]);
        no_id.push(TAG_UNSORTED);
        let mut texts: Vec<String> = [
            truncated_key,
            long_len,
            other_version,
            unknown_tag,
            bad_utf8,
            no_id,
            Vec::new(),
        ]
        .iter()
        .map(|b| URL_SAFE_NO_PAD.encode(b))
        .collect();
        texts.extend([
            "o10".to_owned(),
            "not base64!".to_owned(),
            "A".repeat(MAX_TEXT + 4),
        ]);
        for text in texts {
            let e = Cursor::decode(&text, &s).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidCursor(d) if d.as_str().contains("not a cursor this service issued")),
                "{text:.60}: {e}"
            );
        }
    }

    #[test]
    fn a_refused_cursor_is_shown_shortened() {
        let s = scope("t", &query(None, None));
        let e = Cursor::decode(&"é".repeat(500), &s).unwrap_err();
        assert!(e.to_string().len() < 300, "{e}");
    }
}
