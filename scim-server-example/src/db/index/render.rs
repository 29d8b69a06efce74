//! A planned filter ([`scim_core::index::plan`]) rendered as SQL that
//! selects candidate ids, in either dialect.

use std::fmt::Write as _;
use std::ops::Bound;

use scim_core::index::{Key, KeyTest, Node, prefix_end};
use scim_core::schema::ResourceSchema;

use super::{Dialect, MEMBERS_VALUE, Maintained, PG_KEY_LIMIT, Param};
use crate::db::kind::Kind;

/// `s` as a literal `LIKE` pattern (backslash escapes).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Renders [`Node`]s as id sets.
pub(super) struct Renderer<'a> {
    pub(super) dialect: Dialect,
    pub(super) kind: Kind,
    pub(super) schema: &'a ResourceSchema,
    pub(super) m: &'a Maintained,
    pub(super) params: Vec<Param>,
}

impl Renderer<'_> {
    /// Binds a parameter; its placeholder.
    fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        let n = self.params.len() + 1;
        match self.dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    fn all(&self) -> String {
        let tenant = self.tenant();
        format!(
            "SELECT id FROM {} WHERE tenant_id = {tenant}",
            self.kind.table()
        )
    }

    fn tenant(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "?1",
            Dialect::Postgres => "$1",
        }
    }

    /// The id set of `node`; `None` when it cannot be rendered (a variant
    /// added to scim-core later, an index the store does not maintain):
    /// the caller scans.
    pub(super) fn set(&mut self, node: &Node) -> Option<String> {
        Some(match node {
            Node::All => self.all(),
            // Bound to the tenant like every other set, so that a statement
            // made only of it still takes the tenant parameter
            // (PostgreSQL refuses a parameter the statement does not use).
            Node::Nothing => format!("{} AND 1 = 0", self.all()),
            Node::Match(p) => self.matching(p.index, &p.test)?,
            Node::And(nodes) => self.compound(nodes, "INTERSECT")?,
            Node::Or(nodes) => self.compound(nodes, "UNION")?,
            Node::Not(inner) => {
                let inner = self.set(inner)?;
                format!("{} EXCEPT SELECT id FROM ({inner}) AS n", self.all())
            }
            _ => return None,
        })
    }

    fn compound(&mut self, nodes: &[Node], op: &str) -> Option<String> {
        let mut out = String::new();
        for (i, n) in nodes.iter().enumerate() {
            let inner = self.set(n)?;
            if i > 0 {
                let _ = write!(out, " {op} ");
            }
            let _ = write!(out, "SELECT id FROM ({inner}) AS s{i}");
        }
        Some(out)
    }

    fn matching(&mut self, index: usize, test: &KeyTest) -> Option<String> {
        let def = self.schema.indexes().get(index)?;
        let tenant = self.tenant();
        if self.kind == Kind::HostGroup && def.name() == MEMBERS_VALUE {
            if !self.m.members {
                return None;
            }
            let column = if def.case_exact() {
                "member_id"
            } else {
                "member_key"
            };
            let cond = self.member_test(column, test)?;
            return Some(format!(
                "SELECT group_id AS id FROM memberships WHERE tenant_id = {tenant} AND {cond}"
            ));
        }
        let index_id = self.m.id(def.name())?;
        let (table, id_column) = self.kind.keys_table();
        if let (KeyTest::Contains(s) | KeyTest::Suffix(s), true, Dialect::Sqlite) =
            (test, self.m.trigram, self.dialect)
        {
            // Trigrams need three characters; shorter needles scan the
            // index's rows below.
            if s.chars().count() >= 3 {
                return Some(self.fts(index_id, test, s));
            }
        }
        let cond = self.key_test(test)?;
        Some(format!(
            "SELECT {id_column} AS id FROM {table} WHERE tenant_id = {tenant} AND index_id = {index_id} AND {cond}"
        ))
    }

    /// `co`/`ew` through SQLite's FTS5 trigram table, rechecked on the
    /// stored text (substring semantics, case-sensitive: the text is
    /// already folded where the attribute is not `caseExact`).
    fn fts(&mut self, index_id: i64, test: &KeyTest, s: &str) -> String {
        let tenant = self.tenant();
        let (texts, id_column) = match self.kind {
            Kind::Host => ("host_texts", "host_id"),
            Kind::HostGroup => ("group_texts", "group_id"),
        };
        let phrase = self.bind(Param::Text(format!("\"{}\"", s.replace('"', "\"\""))));
        let needle = self.bind(Param::Text(s.to_owned()));
        let recheck = match test {
            KeyTest::Suffix(_) => {
                let n = s.chars().count();
                format!("length(t.text) >= {n} AND substr(t.text, -{n}) = {needle}")
            }
            _ => format!("instr(t.text, {needle}) > 0"),
        };
        // CROSS JOIN keeps the trigram lookup the outer loop: otherwise
        // SQLite may walk every text of the index and probe FTS per row.
        format!(
            "SELECT t.{id_column} AS id FROM {texts}_fts CROSS JOIN {texts} t ON t.id = {texts}_fts.rowid \
             WHERE {texts}_fts MATCH {phrase} AND t.tenant_id = {tenant} AND t.index_id = {index_id} \
             AND {recheck}"
        )
    }

    /// A condition on `key` (and, in PostgreSQL, `full`).
    fn key_test(&mut self, test: &KeyTest) -> Option<String> {
        let text_start = Key::EMPTY_TEXT_ENCODED.to_vec();
        let text_end = prefix_end(&text_start)?;
        Some(match test {
            KeyTest::Eq(b) => self.range(&Bound::Included(b.clone()), &Bound::Included(b.clone())),
            KeyTest::Range { lower, upper } => self.range(lower, upper),
            KeyTest::Prefix(b) => {
                let upper = prefix_end(b).map_or(Bound::Unbounded, Bound::Excluded);
                self.range(&Bound::Included(b.clone()), &upper)
            }
            KeyTest::Present => {
                let empty = self.bind(Param::Bytes(text_start));
                format!("key <> {empty}")
            }
            KeyTest::Contains(s) | KeyTest::Suffix(s) => {
                let kind = self.range(&Bound::Included(text_start), &Bound::Excluded(text_end));
                if s.is_empty() {
                    return Some(kind);
                }
                let n = s.len();
                let needle = self.bind(Param::Bytes(s.as_bytes().to_vec()));
                let whole = match self.dialect {
                    Dialect::Sqlite => "key",
                    Dialect::Postgres => "coalesce(full_key, key)",
                };
                let like = match (self.dialect, self.m.trigram, test) {
                    (Dialect::Postgres, true, KeyTest::Contains(_)) => {
                        Some(format!("%{}%", like_escape(s)))
                    }
                    (Dialect::Postgres, true, _) => Some(format!("%{}", like_escape(s))),
                    _ => None,
                };
                let like = like.map(|pattern| {
                    let p = self.bind(Param::Text(pattern));
                    format!(" AND key_text LIKE {p}")
                });
                let test = match (self.dialect, test) {
                    (Dialect::Sqlite, KeyTest::Contains(_)) => {
                        format!("instr(substr(key, 2), {needle}) > 0")
                    }
                    (Dialect::Postgres, KeyTest::Contains(_)) => {
                        format!("position({needle} in substring({whole} from 2)) > 0")
                    }
                    (Dialect::Sqlite, _) => {
                        format!("length(key) > {n} AND substr(key, -{n}) = {needle}")
                    }
                    (Dialect::Postgres, _) => format!(
                        "octet_length({whole}) > {n} AND substring({whole} from octet_length({whole}) - {n} + 1) = {needle}"
                    ),
                };
                format!("{kind}{} AND {test}", like.unwrap_or_default())
            }
            _ => return None,
        })
    }

    /// `key` within the bounds. PostgreSQL compares the cut keys with cut
    /// bounds (a superset, since cutting keeps byte order weakly) and
    /// rechecks the whole key when a bound is longer than the cut.
    fn range(&mut self, lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> String {
        let mut conds = Vec::new();
        let mut recheck = Vec::new();
        let limit = match self.dialect {
            Dialect::Sqlite => usize::MAX,
            Dialect::Postgres => PG_KEY_LIMIT,
        };
        if let (Bound::Included(a), Bound::Included(b)) = (lower, upper) {
            if a == b {
                if a.len() <= limit {
                    let p = self.bind(Param::Bytes(a.clone()));
                    return format!("key = {p}");
                }
                let cut = self.bind(Param::Bytes(a[..limit].to_vec()));
                let whole = self.bind(Param::Bytes(a.clone()));
                return format!("key = {cut} AND full_key = {whole}");
            }
        }
        for (bound, strict, loose) in [(lower, ">", ">="), (upper, "<", "<=")] {
            let (b, op) = match bound {
                Bound::Included(b) => (b, loose),
                Bound::Excluded(b) => (b, strict),
                Bound::Unbounded => continue,
            };
            if b.len() <= limit {
                let p = self.bind(Param::Bytes(b.clone()));
                conds.push(format!("key {op} {p}"));
            } else {
                let cut = self.bind(Param::Bytes(b[..limit].to_vec()));
                conds.push(format!("key {loose} {cut}"));
                let whole = self.bind(Param::Bytes(b.clone()));
                recheck.push(format!("coalesce(full_key, key) {op} {whole}"));
            }
        }
        conds.extend(recheck);
        if conds.is_empty() {
            "1 = 1".to_owned()
        } else {
            conds.join(" AND ")
        }
    }

    /// A condition on a `memberships` text column holding the key's text.
    fn member_test(&mut self, column: &str, test: &KeyTest) -> Option<String> {
        let nothing = "1 = 0".to_owned();
        let text_of = |b: &[u8]| -> Option<String> {
            match b.split_first() {
                Some((tag, rest)) if *tag == Key::EMPTY_TEXT_ENCODED[0] => {
                    String::from_utf8(rest.to_vec()).ok()
                }
                _ => None,
            }
        };
        let chars = |s: &str| s.chars().count();
        Some(match test {
            KeyTest::Eq(b) => match text_of(b) {
                Some(t) => {
                    let p = self.bind(Param::Text(t));
                    format!("{column} = {p}")
                }
                None => nothing,
            },
            KeyTest::Present => format!("{column} <> ''"),
            KeyTest::Prefix(b) => {
                if b.as_slice() == Key::EMPTY_TEXT_ENCODED {
                    return Some("1 = 1".to_owned());
                }
                match text_of(b) {
                    Some(t) => {
                        let n = chars(&t);
                        let p = self.bind(Param::Text(t));
                        match self.dialect {
                            Dialect::Sqlite => format!("substr({column}, 1, {n}) = {p}"),
                            Dialect::Postgres => format!("left({column}, {n}) = {p}"),
                        }
                    }
                    None => nothing,
                }
            }
            KeyTest::Contains(s) if s.is_empty() => "1 = 1".to_owned(),
            KeyTest::Contains(s) => {
                let p = self.bind(Param::Text(s.clone()));
                match self.dialect {
                    Dialect::Sqlite => format!("instr({column}, {p}) > 0"),
                    Dialect::Postgres => format!("position({p} in {column}) > 0"),
                }
            }
            KeyTest::Suffix(s) if s.is_empty() => "1 = 1".to_owned(),
            KeyTest::Suffix(s) => {
                let n = chars(s);
                let p = self.bind(Param::Text(s.clone()));
                match self.dialect {
                    Dialect::Sqlite => {
                        format!("length({column}) >= {n} AND substr({column}, -{n}) = {p}")
                    }
                    Dialect::Postgres => format!("right({column}, {n}) = {p}"),
                }
            }
            KeyTest::Range { lower, upper } => {
                let text = Key::EMPTY_TEXT_ENCODED.to_vec();
                let end = prefix_end(&text)?;
                let mut conds = Vec::new();
                for (bound, strict, loose, is_lower) in
                    [(lower, ">", ">=", true), (upper, "<", "<=", false)]
                {
                    let (b, op) = match bound {
                        Bound::Included(b) => (b, loose),
                        Bound::Excluded(b) => (b, strict),
                        Bound::Unbounded => continue,
                    };
                    // Bounds outside the text range: every text key is
                    // above a lower bound below it, and so on.
                    if *b <= text {
                        if is_lower {
                            continue;
                        }
                        if *b < text || op == "<" {
                            return Some(nothing);
                        }
                        // `<= [tag]`: only the empty string.
                        conds.push(format!("{column} = ''"));
                        continue;
                    }
                    if *b >= end {
                        if is_lower {
                            return Some(nothing);
                        }
                        continue;
                    }
                    let t = text_of(b)?;
                    let p = self.bind(Param::Text(t));
                    conds.push(format!("{column} {op} {p}"));
                }
                if conds.is_empty() {
                    "1 = 1".to_owned()
                } else {
                    conds.join(" AND ")
                }
            }
            _ => return None,
        })
    }
}
