//! Every SQL statement of the SQLite backend, in one place.
//!
//! Parameters are always bound (`?1`, `?2`, …); no value is ever spliced
//! into SQL text. Text comparisons use SQLite's default `BINARY` collation
//! (byte order, which is Rust's `str` order); case-insensitive lookups go
//! through the `*_key` columns, folded in Rust.

use std::fmt::Write as _;

/// Settings for every pooled connection. `synchronous=FULL` makes every
/// acknowledged commit durable (with WAL: the log is synced at each
/// commit), so a write the server answered survives `kill -9` and power
/// loss.
pub(super) const CONNECTION_PRAGMAS: &str = "
    PRAGMA foreign_keys = ON;
    PRAGMA synchronous = FULL;
";

/// Settings of the writer's connection, on top of [`CONNECTION_PRAGMAS`]:
/// the savepoint of every write keeps its undo pages in memory, not in a
/// temporary file; a page cache of 8 MiB; and no checkpoints on the
/// writer's thread (a checkpoint there stalled every queued write while it
/// copied pages and synced the database file): the checkpointer thread
/// runs them (`writer.rs`).
///
/// The cache is kept small on purpose. At every commit SQLite drops the
/// cached pages past the end of the database, and while the database is
/// under 1 GiB that walks the whole cache: B-tree rebalancing parks pages
/// at the page number of the lock byte (1 GiB) while it swaps them, which
/// marks the cache as holding pages that far out. With 32 MiB that walk
/// was 6 % of the writer's time in an initial sync (and half the server's
/// memory); the pages a sync writes into are spread over far more than
/// either size holds, and the operating system's cache serves the rest.
pub(super) const WRITER_PRAGMAS: &str = "
    PRAGMA temp_store = MEMORY;
    PRAGMA cache_size = -8192;
    PRAGMA wal_autocheckpoint = 0;
";

/// Copies the committed log into the database file without waiting for
/// readers or writers (the checkpointer thread).
pub(super) const CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// Switches the database file to write-ahead logging (persistent).
pub(super) const WAL: &str = "PRAGMA journal_mode = WAL";

/// The migration bookkeeping table.
pub(super) const SCHEMA_VERSION_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY NOT NULL,
        applied TEXT NOT NULL
    )";
/// The newest applied migration.
pub(super) const SCHEMA_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
/// Records a migration.
pub(super) const RECORD_VERSION: &str =
    "INSERT INTO schema_version (version, applied) VALUES (?1, ?2)";

/// The migrations, in order; `MIGRATIONS[i]` brings the schema to version
/// `i + 1`. Never edit one that has shipped: append a new one.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3_GROUP_NAMES, V4_INDEXES, V5_TEXT_QUEUES];

/// Version 1: tenants, hosts, host groups, memberships.
const V1: &str = "
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL CHECK (length(token_hash) = 32),
    created TEXT NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (name);
CREATE UNIQUE INDEX tenants_token_hash ON tenants (token_hash);

CREATE TABLE hosts (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    given_name TEXT,
    family_name TEXT,
    work_email TEXT,
    other_email TEXT,
    work_phone TEXT,
    mobile_phone TEXT,
    organization TEXT,
    department TEXT,
    visible INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX hosts_user_name_key ON hosts (tenant_id, user_name_key);
CREATE INDEX hosts_external_id ON hosts (tenant_id, external_id);

CREATE TABLE host_groups (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id TEXT,
    revision INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX host_groups_display_name_key ON host_groups (tenant_id, display_name_key);
CREATE INDEX host_groups_external_id ON host_groups (tenant_id, external_id);

-- One row per member. At most one of member_host / member_group is set
-- (none for a member that names no resource, with --member-references unchecked)
-- (the member is a host or a host group); their foreign keys make an
-- unknown member impossible and remove the row when the member is deleted.
CREATE TABLE memberships (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    member_host TEXT,
    member_group TEXT,
    member_type TEXT,
    display TEXT,
    extra TEXT,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, member_host) REFERENCES hosts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, member_group) REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE,
    CHECK (member_host IS NULL OR member_group IS NULL)
);
CREATE INDEX memberships_position ON memberships (tenant_id, group_id, position);
CREATE INDEX memberships_member_key ON memberships (tenant_id, member_key);
CREATE INDEX memberships_member_host ON memberships (tenant_id, member_host);
CREATE INDEX memberships_member_group ON memberships (tenant_id, member_group);
";

/// Version 2: token dates, and the previous token that keeps working for
/// a grace period after a rotation (times in Unix seconds).
const V2: &str = "
ALTER TABLE tenants ADD COLUMN token_created INTEGER;
ALTER TABLE tenants ADD COLUMN token_last_used INTEGER;
ALTER TABLE tenants ADD COLUMN previous_token_hash BLOB
    CHECK (previous_token_hash IS NULL OR length(previous_token_hash) = 32);
ALTER TABLE tenants ADD COLUMN previous_token_expires INTEGER;
ALTER TABLE tenants ADD COLUMN previous_token_last_used INTEGER;
CREATE UNIQUE INDEX tenants_previous_token_hash ON tenants (previous_token_hash);
";

/// Version 3: group names unique per tenant, ignoring case, when the
/// registry says so (the Sign In Enterprise profile). `display_name_unique`
/// holds the folded name under a unique index. The migration runs only
/// when no two groups of a tenant share a name ([`GROUP_NAME_CLASHES`] is
/// empty); otherwise opening fails and the database stays as it was.
/// SQLite's unique indexes let `NULL`s repeat.
pub(super) const V3_GROUP_NAMES: &str = "
ALTER TABLE host_groups ADD COLUMN display_name_unique TEXT;
UPDATE host_groups SET display_name_unique = display_name_key;
CREATE UNIQUE INDEX host_groups_display_name_unique ON host_groups (tenant_id, display_name_unique);
";

/// The groups whose folded name another group of the tenant has, before
/// `V3_GROUP_NAMES` (columns of every version): `(tenant name, key, id,
/// displayName, created)`, put in time order by `names::in_order`.
pub(super) const GROUP_NAME_CLASHES: &str = "
    SELECT t.name, g.display_name_key, g.id, g.display_name, g.created
    FROM host_groups g JOIN tenants t ON t.id = g.tenant_id
    WHERE EXISTS (SELECT 1 FROM host_groups o
                  WHERE o.tenant_id = g.tenant_id AND o.display_name_key = g.display_name_key
                    AND o.id <> g.id)
    ORDER BY t.name, g.display_name_key, g.id";

/// The repair commands before `V3_GROUP_NAMES`, on columns every version
/// has: a group's document.
pub(super) const GROUP_DOC: &str = "SELECT doc FROM host_groups WHERE tenant_id = ?1 AND id = ?2";
/// Another group of the tenant with the folded name `?2` (not `?3`).
pub(super) const OTHER_GROUP_WITH_NAME_KEY: &str = "SELECT id FROM host_groups WHERE tenant_id = ?1 AND display_name_key = ?2 AND id <> ?3 LIMIT 1";
/// Renames a group: `?3` name, `?4` folded name, `?5` document, `?6` now.
pub(super) const RENAME_GROUP: &str = "
    UPDATE host_groups SET display_name = ?3, display_name_key = ?4, doc = ?5,
                           revision = revision + 1, last_modified = ?6
    WHERE tenant_id = ?1 AND id = ?2";

/// Version 4: secondary indexes (see `db/index.rs`). The rows are built
/// at start-up, from the documents, for every declared index.
const V4_INDEXES: &str = "
CREATE TABLE index_names (
    id INTEGER PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (type, name)
);

CREATE TABLE host_keys (
    tenant_id TEXT NOT NULL,
    index_id INTEGER NOT NULL,
    key BLOB NOT NULL,
    host_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, index_id, key, host_id),
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX host_keys_owner ON host_keys (tenant_id, host_id);

CREATE TABLE group_keys (
    tenant_id TEXT NOT NULL,
    index_id INTEGER NOT NULL,
    key BLOB NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, index_id, key, group_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX group_keys_owner ON group_keys (tenant_id, group_id);

-- The text of every text key, with an FTS5 trigram index over it for
-- `co` and `ew` (kept in sync by the triggers; rows go with their
-- resource by ON DELETE CASCADE, which fires them).
CREATE TABLE host_texts (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    index_id INTEGER NOT NULL,
    host_id TEXT NOT NULL,
    text TEXT NOT NULL,
    FOREIGN KEY (tenant_id, host_id) REFERENCES hosts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX host_texts_owner ON host_texts (tenant_id, host_id);
CREATE INDEX host_texts_index ON host_texts (index_id);
CREATE VIRTUAL TABLE host_texts_fts USING fts5(
    text, content = 'host_texts', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER host_texts_insert AFTER INSERT ON host_texts BEGIN
    INSERT INTO host_texts_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER host_texts_delete AFTER DELETE ON host_texts BEGIN
    INSERT INTO host_texts_fts (host_texts_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TABLE group_texts (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    index_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    text TEXT NOT NULL,
    FOREIGN KEY (tenant_id, group_id) REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_texts_owner ON group_texts (tenant_id, group_id);
CREATE INDEX group_texts_index ON group_texts (index_id);
CREATE VIRTUAL TABLE group_texts_fts USING fts5(
    text, content = 'group_texts', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER group_texts_insert AFTER INSERT ON group_texts BEGIN
    INSERT INTO group_texts_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER group_texts_delete AFTER DELETE ON group_texts BEGIN
    INSERT INTO group_texts_fts (group_texts_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
";

/// Version 5: the trigram indexes are brought up to date once per
/// transaction ([`FLUSH_TEXTS`]) instead of by every statement.
///
/// FTS5 writes its pending rows out as a new segment at every savepoint,
/// and SQLite opens one for every statement of a transaction that touches
/// it, so with the version 4 triggers each index-row insert of each write
/// made (and later merged) a segment of its own. Now the triggers only
/// note the text rows added (`*_texts_pending`) and the indexed ones
/// removed, with their text (`*_texts_gone`: an external-content FTS5
/// table deletes by the text it indexed); a row added and removed in the
/// same transaction was never indexed and is only taken off the pending
/// list. The FTS5 tables were in sync when this runs, so nothing is
/// rebuilt.
const V5_TEXT_QUEUES: &str = "
DROP TRIGGER host_texts_insert;
DROP TRIGGER host_texts_delete;
DROP TRIGGER group_texts_insert;
DROP TRIGGER group_texts_delete;

CREATE TABLE host_texts_pending (id INTEGER PRIMARY KEY);
CREATE TABLE host_texts_gone (id INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TRIGGER host_texts_insert AFTER INSERT ON host_texts BEGIN
    INSERT INTO host_texts_pending (id) VALUES (new.id);
END;
CREATE TRIGGER host_texts_delete AFTER DELETE ON host_texts BEGIN
    INSERT INTO host_texts_gone (id, text) SELECT old.id, old.text
        WHERE NOT EXISTS (SELECT 1 FROM host_texts_pending WHERE id = old.id);
    DELETE FROM host_texts_pending WHERE id = old.id;
END;

CREATE TABLE group_texts_pending (id INTEGER PRIMARY KEY);
CREATE TABLE group_texts_gone (id INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TRIGGER group_texts_insert AFTER INSERT ON group_texts BEGIN
    INSERT INTO group_texts_pending (id) VALUES (new.id);
END;
CREATE TRIGGER group_texts_delete AFTER DELETE ON group_texts BEGIN
    INSERT INTO group_texts_gone (id, text) SELECT old.id, old.text
        WHERE NOT EXISTS (SELECT 1 FROM group_texts_pending WHERE id = old.id);
    DELETE FROM group_texts_pending WHERE id = old.id;
END;
";

/// Brings the trigram indexes up to date with the text rows (see
/// [`V5_TEXT_QUEUES`]), last in every transaction that wrote index rows,
/// outside any savepoint: removals first, since a rowid removed and
/// reused is on both lists. One statement each, in this order.
pub(super) const FLUSH_TEXTS: &[&str] = &[
    "INSERT INTO host_texts_fts (host_texts_fts, rowid, text)
         SELECT 'delete', id, text FROM host_texts_gone",
    "DELETE FROM host_texts_gone",
    "INSERT INTO host_texts_fts (rowid, text)
         SELECT t.id, t.text FROM host_texts_pending p JOIN host_texts t ON t.id = p.id",
    "DELETE FROM host_texts_pending",
    "INSERT INTO group_texts_fts (group_texts_fts, rowid, text)
         SELECT 'delete', id, text FROM group_texts_gone",
    "DELETE FROM group_texts_gone",
    "INSERT INTO group_texts_fts (rowid, text)
         SELECT t.id, t.text FROM group_texts_pending p JOIN group_texts t ON t.id = p.id",
    "DELETE FROM group_texts_pending",
];

// ---------------------------------------------------------------- indexes

pub(super) const INDEX_NAMES: &str = "SELECT id, type, name FROM index_names ORDER BY id";
pub(super) const INSERT_INDEX_NAME: &str =
    "INSERT INTO index_names (type, name) VALUES (?1, ?2) RETURNING id";
pub(super) const DELETE_INDEX_NAME: &str = "DELETE FROM index_names WHERE id = ?1";
pub(super) const DELETE_HOST_KEYS_OF_INDEX: &str = "
    DELETE FROM host_keys WHERE index_id = ?1; DELETE FROM host_texts WHERE index_id = ?1";
pub(super) const DELETE_GROUP_KEYS_OF_INDEX: &str = "
    DELETE FROM group_keys WHERE index_id = ?1; DELETE FROM group_texts WHERE index_id = ?1";

/// The head of a multi-row insert of index rows: `?1` the tenant, `?2`
/// the resource, then `(index id, key)` pairs ([`keys_values`]).
pub(super) const INSERT_HOST_KEYS: &str =
    "INSERT INTO host_keys (tenant_id, index_id, key, host_id) VALUES ";
pub(super) const INSERT_GROUP_KEYS: &str =
    "INSERT INTO group_keys (tenant_id, index_id, key, group_id) VALUES ";
/// Ends [`INSERT_HOST_KEYS`] and [`INSERT_GROUP_KEYS`].
pub(super) const INSERT_KEYS_END: &str = " ON CONFLICT DO NOTHING";
pub(super) const DELETE_HOST_KEYS: &str =
    "DELETE FROM host_keys WHERE tenant_id = ?1 AND host_id = ?2";
pub(super) const DELETE_GROUP_KEYS: &str =
    "DELETE FROM group_keys WHERE tenant_id = ?1 AND group_id = ?2";
pub(super) const DELETE_HOST_TEXTS: &str =
    "DELETE FROM host_texts WHERE tenant_id = ?1 AND host_id = ?2";
pub(super) const DELETE_GROUP_TEXTS: &str =
    "DELETE FROM group_texts WHERE tenant_id = ?1 AND group_id = ?2";
/// The head of a multi-row insert of text rows: `?1` the tenant, `?2`
/// the resource, then `(index id, text)` pairs ([`texts_values`]).
pub(super) const INSERT_HOST_TEXTS: &str =
    "INSERT INTO host_texts (tenant_id, index_id, host_id, text) VALUES ";
pub(super) const INSERT_GROUP_TEXTS: &str =
    "INSERT INTO group_texts (tenant_id, index_id, group_id, text) VALUES ";

/// `n` value rows `(?1, ?k, ?k+1, ?2)` for the keys tables, from `?3` on.
pub(super) fn keys_values(head: &str, n: usize) -> String {
    values(head, n, |sql, k| {
        let _ = write!(sql, "(?1, ?{k}, ?{}, ?2)", k + 1);
    }) + INSERT_KEYS_END
}

/// `n` value rows `(?1, ?k, ?2, ?k+1)` for the texts tables, from `?3` on.
pub(super) fn texts_values(head: &str, n: usize) -> String {
    values(head, n, |sql, k| {
        let _ = write!(sql, "(?1, ?{k}, ?2, ?{})", k + 1);
    })
}

fn values(head: &str, n: usize, row: impl Fn(&mut String, usize)) -> String {
    let mut sql = String::with_capacity(head.len() + n * 24 + 32);
    sql.push_str(head);
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        row(&mut sql, 3 + 2 * i);
    }
    sql
}

/// A group's `meta.lastModified` row after a membership change: `?3` the
/// index, `?4` the new key.
pub(super) const SET_GROUP_LAST_MODIFIED_KEY: &str = "
    UPDATE group_keys SET key = ?4 WHERE tenant_id = ?1 AND group_id = ?2 AND index_id = ?3";
/// The same for the groups a host is a member of (`?2`), before it is
/// deleted.
pub(super) const SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_HOST: &str = "
    UPDATE group_keys SET key = ?4 WHERE tenant_id = ?1 AND index_id = ?3 AND group_id IN
        (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_host = ?2)";
/// The same for the groups a group is a member of (`?2`), before it is
/// deleted.
pub(super) const SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_GROUP: &str = "
    UPDATE group_keys SET key = ?4 WHERE tenant_id = ?1 AND index_id = ?3 AND group_id <> ?2
        AND group_id IN
        (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_group = ?2)";

/// Backfilling: the next documents after `(?1, ?2)` across tenants.
pub(super) const HOSTS_AFTER: &str = "
    SELECT tenant_id, id, revision, last_modified, doc FROM hosts
    WHERE (tenant_id, id) > (?1, ?2) ORDER BY tenant_id, id LIMIT ?3";
pub(super) const GROUPS_AFTER: &str = "
    SELECT tenant_id, id, revision, last_modified, doc FROM host_groups
    WHERE (tenant_id, id) > (?1, ?2) ORDER BY tenant_id, id LIMIT ?3";

/// The ids of a tenant's hosts, at most `?2` of them.
pub(super) const HOST_IDS: &str = "SELECT id FROM hosts WHERE tenant_id = ?1 ORDER BY id LIMIT ?2";
pub(super) const GROUP_IDS: &str =
    "SELECT id FROM host_groups WHERE tenant_id = ?1 ORDER BY id LIMIT ?2";

// ---------------------------------------------------------------- hosts

/// `SELECT` of hosts: `(id, revision, last_modified, doc)`.
macro_rules! hosts {
    ($where:literal) => {
        concat!(
            "SELECT h.id, h.revision, h.last_modified, h.doc FROM hosts h WHERE h.tenant_id = ?1 AND ",
            $where
        )
    };
}

/// `SELECT` of hosts with their groups, one row per (host, group), a host
/// without groups once with NULLs: `(id, revision, last_modified, doc,
/// group id, group displayName)`, ordered by host and group id.
macro_rules! hosts_with_groups {
    ($from:literal, $where:literal) => {
        concat!(
            "SELECT h.id, h.revision, h.last_modified, h.doc, g.id, g.display_name FROM ",
            $from,
            " LEFT JOIN memberships m ON m.tenant_id = h.tenant_id AND m.member_host = h.id
              LEFT JOIN host_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
              WHERE h.tenant_id = ?1 AND ",
            $where,
            " ORDER BY h.id, g.id"
        )
    };
}

pub(super) const HOST_BY_ID: &str = hosts!("h.id = ?2");
pub(super) const HOST_BY_USER_NAME_KEY: &str = hosts!("h.user_name_key = ?2");
pub(super) const HOST_BY_EXTERNAL_ID: &str = hosts!("h.external_id = ?2");
pub(super) const HOSTS_ALL: &str = hosts!("1 ORDER BY h.id");
pub(super) const HOSTS_PAGE: &str = hosts!("1 ORDER BY h.id LIMIT ?2 OFFSET ?3");

pub(super) const HOST_BY_ID_WITH_GROUPS: &str = hosts_with_groups!("hosts h", "h.id = ?2");
pub(super) const HOST_BY_USER_NAME_KEY_WITH_GROUPS: &str =
    hosts_with_groups!("hosts h", "h.user_name_key = ?2");
pub(super) const HOST_BY_EXTERNAL_ID_WITH_GROUPS: &str =
    hosts_with_groups!("hosts h", "h.external_id = ?2");
pub(super) const HOSTS_ALL_WITH_GROUPS: &str = hosts_with_groups!("hosts h", "1");
pub(super) const HOSTS_PAGE_WITH_GROUPS: &str = hosts_with_groups!(
    "(SELECT * FROM hosts WHERE tenant_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3) h",
    "1"
);

pub(super) const HOSTS_COUNT: &str = "SELECT COUNT(*) FROM hosts WHERE tenant_id = ?1";

/// The groups of one host: `(group id, displayName)` by group id.
pub(super) const GROUPS_OF_HOST: &str = "
    SELECT g.id, g.display_name FROM memberships m
    JOIN host_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
    WHERE m.tenant_id = ?1 AND m.member_host = ?2
    ORDER BY g.id";

pub(super) const HOST_REVISION: &str =
    "SELECT revision FROM hosts WHERE tenant_id = ?1 AND id = ?2";
pub(super) const HOST_WITH_USER_NAME_KEY: &str =
    "SELECT id FROM hosts WHERE tenant_id = ?1 AND user_name_key = ?2";

pub(super) const INSERT_HOST: &str = "
    INSERT INTO hosts (tenant_id, id, user_name, user_name_key, external_id, given_name, family_name,
                       work_email, other_email, work_phone, mobile_phone, organization, department,
                       visible, revision, created, last_modified, doc)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

/// Compare-and-swap: changes a row only at the expected revision (`?19`).
pub(super) const UPDATE_HOST: &str = "
    UPDATE hosts SET user_name = ?3, user_name_key = ?4, external_id = ?5, given_name = ?6,
                     family_name = ?7, work_email = ?8, other_email = ?9, work_phone = ?10,
                     mobile_phone = ?11, organization = ?12, department = ?13, visible = ?14,
                     revision = ?15, created = ?16, last_modified = ?17, doc = ?18
    WHERE tenant_id = ?1 AND id = ?2 AND revision = ?19";

/// Bumps the groups a host is in, before the host is deleted.
pub(super) const BUMP_GROUPS_OF_HOST: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = ?3
    WHERE tenant_id = ?1 AND id IN
        (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_host = ?2)";

/// Deletes a host; its memberships go by `ON DELETE CASCADE`.
pub(super) const DELETE_HOST: &str = "DELETE FROM hosts WHERE tenant_id = ?1 AND id = ?2";

// ---------------------------------------------------------- host groups

/// `SELECT` of host groups: `(id, revision, last_modified, doc)`.
macro_rules! groups {
    ($where:literal) => {
        concat!(
            "SELECT g.id, g.revision, g.last_modified, g.doc FROM host_groups g WHERE g.tenant_id = ?1 AND ",
            $where
        )
    };
}

pub(super) const GROUP_BY_ID: &str = groups!("g.id = ?2");
pub(super) const GROUP_BY_DISPLAY_NAME_KEY: &str = groups!("g.display_name_key = ?2");
pub(super) const GROUP_BY_EXTERNAL_ID: &str = groups!("g.external_id = ?2");
pub(super) const GROUP_BY_MEMBER_KEY: &str = groups!(
    "g.id IN (SELECT m.group_id FROM memberships m WHERE m.tenant_id = ?1 AND m.member_key = ?2)"
);
pub(super) const GROUPS_ALL: &str = groups!("1 ORDER BY g.id");
pub(super) const GROUPS_PAGE: &str = groups!("1 ORDER BY g.id LIMIT ?2 OFFSET ?3");
pub(super) const GROUPS_COUNT: &str = "SELECT COUNT(*) FROM host_groups WHERE tenant_id = ?1";

pub(super) const GROUP_REVISION: &str =
    "SELECT revision FROM host_groups WHERE tenant_id = ?1 AND id = ?2";
/// The group holding a unique (folded) name.
pub(super) const GROUP_WITH_UNIQUE_NAME: &str =
    "SELECT id FROM host_groups WHERE tenant_id = ?1 AND display_name_unique = ?2";

pub(super) const INSERT_GROUP: &str = "
    INSERT INTO host_groups (tenant_id, id, display_name, display_name_key, external_id,
                             revision, created, last_modified, doc, display_name_unique)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Compare-and-swap on the expected revision (`?10`).
pub(super) const UPDATE_GROUP: &str = "
    UPDATE host_groups SET display_name = ?3, display_name_key = ?4, external_id = ?5,
                           revision = ?6, created = ?7, last_modified = ?8, doc = ?9,
                           display_name_unique = ?11
    WHERE tenant_id = ?1 AND id = ?2 AND revision = ?10";

/// A membership change: new revision and `lastModified`, nothing else.
pub(super) const BUMP_GROUP: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = ?3
    WHERE tenant_id = ?1 AND id = ?2
    RETURNING revision";

/// Bumps the groups a group is a member of, before it is deleted.
pub(super) const BUMP_GROUPS_OF_GROUP: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = ?3
    WHERE tenant_id = ?1 AND id <> ?2 AND id IN
        (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_group = ?2)";

/// Deletes a group; its own memberships and those naming it as a member go
/// by `ON DELETE CASCADE`.
pub(super) const DELETE_GROUP: &str = "DELETE FROM host_groups WHERE tenant_id = ?1 AND id = ?2";

// ---------------------------------------------------------- memberships

/// The members of one group, in insertion order: `(member_id, type,
/// display, extra)`.
pub(super) const MEMBERS_OF_GROUP: &str = "
    SELECT member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = ?1 AND group_id = ?2
    ORDER BY position";

/// The members of every group of a tenant: `(group_id, member_id, type,
/// display, extra)`, by group and insertion order.
pub(super) const MEMBERS_OF_TENANT: &str = "
    SELECT group_id, member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = ?1
    ORDER BY group_id, position";

/// The memberships whose folded member id is `?2`: `(group_id, member_id,
/// type, display, extra, position)`.
pub(super) const MEMBERS_WITH_KEY: &str = "
    SELECT group_id, member_id, member_type, display, extra, position FROM memberships
    WHERE tenant_id = ?1 AND member_key = ?2";

pub(super) const HOST_EXISTS: &str = "SELECT 1 FROM hosts WHERE tenant_id = ?1 AND id = ?2";
pub(super) const GROUP_EXISTS: &str = "SELECT 1 FROM host_groups WHERE tenant_id = ?1 AND id = ?2";

pub(super) const MAX_POSITION: &str =
    "SELECT COALESCE(MAX(position), 0) FROM memberships WHERE tenant_id = ?1 AND group_id = ?2";

/// Adds a member; re-adding one is a no-op.
pub(super) const INSERT_MEMBER: &str = "
    INSERT INTO memberships (tenant_id, group_id, member_id, member_key, member_host, member_group,
                             member_type, display, extra, position)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
    ON CONFLICT (tenant_id, group_id, member_id) DO NOTHING";

pub(super) const DELETE_MEMBER: &str =
    "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3";
pub(super) const DELETE_ALL_MEMBERS: &str =
    "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2";

// -------------------------------------------------------------- tenants

/// `/readyz`: does the database answer?
pub(super) const PING: &str = "SELECT 1";

pub(super) const INSERT_TENANT: &str = "
    INSERT INTO tenants (id, name, token_hash, created, token_created)
    VALUES (?1, ?2, ?3, ?4, ?5)";
/// Whether a tenant (by id) exists: the check at the start of every write.
pub(super) const TENANT_ID_EXISTS: &str = "SELECT 1 FROM tenants WHERE id = ?1";
pub(super) const TENANT_BY_NAME: &str = "SELECT id, name, created FROM tenants WHERE name = ?1";
/// The tenant of a current token, or of a previous one before `?2` (now).
pub(super) const TENANT_BY_TOKEN_HASH: &str = "
    SELECT id, name, created FROM tenants WHERE token_hash = ?1
    UNION ALL
    SELECT id, name, created FROM tenants
    WHERE previous_token_hash = ?1 AND previous_token_expires > ?2
    LIMIT 1";
pub(super) const TENANT_WITH_TOKEN_HASH: &str =
    "SELECT 1 FROM tenants WHERE token_hash = ?1 OR previous_token_hash = ?1";
/// `?1` name, `?2` new hash, `?3` now, `?4` end of the old token's grace
/// (NULL: none). Right-hand sides read the row before the update.
pub(super) const ROTATE_TOKEN: &str = "
    UPDATE tenants SET
        previous_token_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE token_hash END,
        previous_token_expires = ?4,
        previous_token_last_used = CASE WHEN ?4 IS NULL THEN NULL ELSE token_last_used END,
        token_hash = ?2,
        token_created = ?3,
        token_last_used = NULL
    WHERE name = ?1";
/// Whether the tenant's previous token works at `?2` (no row: no tenant).
pub(super) const PREVIOUS_TOKEN_WORKS: &str = "
    SELECT previous_token_hash IS NOT NULL AND previous_token_expires > ?2
    FROM tenants WHERE name = ?1";
pub(super) const REVOKE_PREVIOUS_TOKEN: &str = "
    UPDATE tenants SET
        previous_token_hash = NULL, previous_token_expires = NULL, previous_token_last_used = NULL
    WHERE name = ?1";
pub(super) const RECORD_TOKEN_USE: &str = "
    UPDATE tenants SET token_last_used = ?2
    WHERE token_hash = ?1 AND (token_last_used IS NULL OR token_last_used < ?2)";
pub(super) const RECORD_PREVIOUS_TOKEN_USE: &str = "
    UPDATE tenants SET previous_token_last_used = ?2
    WHERE previous_token_hash = ?1
      AND (previous_token_last_used IS NULL OR previous_token_last_used < ?2)";
pub(super) const TENANTS: &str = "
    SELECT id, name, created, token_created, token_last_used,
           previous_token_hash IS NOT NULL, previous_token_expires, previous_token_last_used
    FROM tenants ORDER BY name";
pub(super) const DELETE_TENANT_MEMBERSHIPS: &str = "DELETE FROM memberships WHERE tenant_id = ?1";
pub(super) const DELETE_TENANT_GROUPS: &str = "DELETE FROM host_groups WHERE tenant_id = ?1";
pub(super) const DELETE_TENANT_HOSTS: &str = "DELETE FROM hosts WHERE tenant_id = ?1";
pub(super) const DELETE_TENANT: &str = "DELETE FROM tenants WHERE id = ?1";

// -------------------------------------------------------------- product

pub(super) const PRODUCT_HOSTS: &str = "
    SELECT id, user_name, given_name, family_name, work_email, work_phone, mobile_phone,
           department, visible
    FROM hosts WHERE tenant_id = ?1 AND (?2 OR visible)
    ORDER BY user_name_key, id";

pub(super) const PRODUCT_GROUPS: &str = "
    SELECT g.id, g.display_name,
           (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id),
           (SELECT COUNT(*) FROM memberships m
            JOIN hosts h ON h.tenant_id = m.tenant_id AND h.id = m.member_host
            WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id AND h.visible)
    FROM host_groups g WHERE g.tenant_id = ?1
    ORDER BY g.display_name_key, g.id";
