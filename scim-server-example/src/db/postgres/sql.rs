//! Every SQL statement of the PostgreSQL backend, in one place.
//!
//! Parameters are always bound (`$1`, `$2`, …). Key columns use
//! `COLLATE "C"`: comparisons are byte-exact and `ORDER BY id` is byte
//! order, the order the library's evaluator uses, whatever the database's
//! default collation. Uniqueness and compare-and-swap are enforced by the
//! database (unique constraints, `UPDATE … WHERE revision = $n`), since
//! several server processes share it.

/// The advisory lock held (for the transaction) while migrating, so that
/// server processes starting together migrate one at a time.
pub(super) const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";
/// The lock's key: "scim-hst" in ASCII.
pub(super) const MIGRATION_LOCK_KEY: i64 = 0x7363_696d_2d68_7374;

/// The migration bookkeeping table.
pub(super) const SCHEMA_VERSION_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        applied TEXT NOT NULL
    )";
/// The newest applied migration.
pub(super) const SCHEMA_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
/// Records a migration.
pub(super) const RECORD_VERSION: &str =
    "INSERT INTO schema_version (version, applied) VALUES ($1, $2)";

/// The migrations, in order; `MIGRATIONS[i]` brings the schema to version
/// `i + 1`. Never edit one that has shipped: append a new one.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3_GROUP_NAMES, V4_INDEXES];

/// Version 1: tenants, hosts, host groups, memberships.
const V1: &str = r#"
CREATE TABLE tenants (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    created TEXT NOT NULL,
    CONSTRAINT tenants_name UNIQUE (name),
    CONSTRAINT tenants_token_hash UNIQUE (token_hash)
);

CREATE TABLE hosts (
    tenant_id TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    user_name TEXT NOT NULL,
    user_name_key TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C",
    given_name TEXT,
    family_name TEXT,
    work_email TEXT,
    other_email TEXT,
    work_phone TEXT,
    mobile_phone TEXT,
    organization TEXT,
    department TEXT,
    visible BOOLEAN NOT NULL,
    revision BIGINT NOT NULL,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    doc TEXT NOT NULL,
    CONSTRAINT hosts_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT hosts_user_name_key UNIQUE (tenant_id, user_name_key)
);
CREATE INDEX hosts_external_id ON hosts (tenant_id, external_id);

CREATE TABLE host_groups (
    tenant_id TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    display_name TEXT NOT NULL,
    display_name_key TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C",
    revision BIGINT NOT NULL,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    doc TEXT NOT NULL,
    CONSTRAINT host_groups_pkey PRIMARY KEY (tenant_id, id)
);
CREATE INDEX host_groups_display_name_key ON host_groups (tenant_id, display_name_key);
CREATE INDEX host_groups_external_id ON host_groups (tenant_id, external_id);

CREATE TABLE memberships (
    tenant_id TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL,
    member_id TEXT COLLATE "C" NOT NULL,
    member_key TEXT COLLATE "C" NOT NULL,
    member_host TEXT COLLATE "C",
    member_group TEXT COLLATE "C",
    member_type TEXT,
    display TEXT,
    extra TEXT,
    position BIGINT NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, group_id, member_id),
    CONSTRAINT memberships_group FOREIGN KEY (tenant_id, group_id)
        REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT memberships_member_host FOREIGN KEY (tenant_id, member_host)
        REFERENCES hosts (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT memberships_member_group FOREIGN KEY (tenant_id, member_group)
        REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT memberships_one_kind CHECK (member_host IS NULL OR member_group IS NULL)
);
CREATE INDEX memberships_position ON memberships (tenant_id, group_id, position);
CREATE INDEX memberships_member_key ON memberships (tenant_id, member_key);
CREATE INDEX memberships_member_host ON memberships (tenant_id, member_host);
CREATE INDEX memberships_member_group ON memberships (tenant_id, member_group);
"#;

/// Version 2: token dates, and the previous token that keeps working for
/// a grace period after a rotation (times in Unix seconds).
const V2: &str = "
ALTER TABLE tenants
    ADD COLUMN token_created BIGINT,
    ADD COLUMN token_last_used BIGINT,
    ADD COLUMN previous_token_hash BYTEA
        CHECK (previous_token_hash IS NULL OR octet_length(previous_token_hash) = 32),
    ADD COLUMN previous_token_expires BIGINT,
    ADD COLUMN previous_token_last_used BIGINT,
    ADD CONSTRAINT tenants_previous_token_hash UNIQUE (previous_token_hash);
";

/// Version 3: group names unique per tenant, ignoring case, when the
/// registry says so (the Sign In Enterprise profile). `display_name_unique`
/// holds the folded name under a unique index. The migration runs only
/// when no two groups of a tenant share a name ([`GROUP_NAME_CLASHES`] is
/// empty); otherwise opening fails and the database stays as it was.
/// PostgreSQL's unique indexes let `NULL`s repeat.
pub(super) const V3_GROUP_NAMES: &str = r#"
ALTER TABLE host_groups ADD COLUMN display_name_unique TEXT COLLATE "C";
UPDATE host_groups SET display_name_unique = display_name_key;
CREATE UNIQUE INDEX host_groups_display_name_unique ON host_groups (tenant_id, display_name_unique);
"#;

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
/// has: a tenant's id by name.
pub(super) const TENANT_ID_BY_NAME: &str = "SELECT id FROM tenants WHERE name = $1";
/// A group's document, locked.
pub(super) const GROUP_DOC: &str =
    "SELECT doc FROM host_groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
/// Another group of the tenant with the folded name `$2` (not `$3`).
pub(super) const OTHER_GROUP_WITH_NAME_KEY: &str = "SELECT id FROM host_groups WHERE tenant_id = $1 AND display_name_key = $2 AND id <> $3 LIMIT 1";
/// Renames a group: `$3` name, `$4` folded name, `$5` document, `$6` now.
pub(super) const RENAME_GROUP: &str = "
    UPDATE host_groups SET display_name = $3, display_name_key = $4, doc = $5,
                           revision = revision + 1, last_modified = $6
    WHERE tenant_id = $1 AND id = $2";

/// Version 4: secondary indexes (see `db/index.rs`). The rows are built
/// at start-up, from the documents, for every declared index. `key` holds
/// at most `index::PG_KEY_LIMIT` bytes (B-tree entries have a size limit);
/// `full_key` the whole key when it is longer; `key_text` the (NUL-escaped)
/// text of text keys, for the `pg_trgm` index created at start-up when the
/// extension is available ([`TRIGRAM_INDEXES`]).
const V4_INDEXES: &str = r#"
CREATE TABLE index_names (
    id BIGSERIAL PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    CONSTRAINT index_names_name UNIQUE (type, name)
);

CREATE TABLE host_keys (
    tenant_id TEXT COLLATE "C" NOT NULL,
    index_id BIGINT NOT NULL,
    key BYTEA NOT NULL,
    host_id TEXT COLLATE "C" NOT NULL,
    full_key BYTEA,
    key_text TEXT,
    CONSTRAINT host_keys_pkey PRIMARY KEY (tenant_id, index_id, key, host_id),
    CONSTRAINT host_keys_host FOREIGN KEY (tenant_id, host_id)
        REFERENCES hosts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX host_keys_owner ON host_keys (tenant_id, host_id);

CREATE TABLE group_keys (
    tenant_id TEXT COLLATE "C" NOT NULL,
    index_id BIGINT NOT NULL,
    key BYTEA NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL,
    full_key BYTEA,
    key_text TEXT,
    CONSTRAINT group_keys_pkey PRIMARY KEY (tenant_id, index_id, key, group_id),
    CONSTRAINT group_keys_group FOREIGN KEY (tenant_id, group_id)
        REFERENCES host_groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_keys_owner ON group_keys (tenant_id, group_id);
"#;

// ---------------------------------------------------------------- indexes

pub(super) const INDEX_NAMES: &str = "SELECT id, type, name FROM index_names ORDER BY id";
pub(super) const INSERT_INDEX_NAME: &str =
    "INSERT INTO index_names (type, name) VALUES ($1, $2) RETURNING id";
pub(super) const DELETE_INDEX_NAME: &str = "DELETE FROM index_names WHERE id = $1";
pub(super) const DELETE_HOST_KEYS_OF_INDEX: &str = "DELETE FROM host_keys WHERE index_id = $1";
pub(super) const DELETE_GROUP_KEYS_OF_INDEX: &str = "DELETE FROM group_keys WHERE index_id = $1";

/// Inserts one resource's rows from parallel arrays (`$3` index ids, `$4`
/// keys, `$5` whole keys or NULL, `$6` texts or NULL).
pub(super) const INSERT_HOST_KEYS: &str = "
    INSERT INTO host_keys (tenant_id, index_id, key, host_id, full_key, key_text)
    SELECT $1, u.index_id, u.key, $2, u.full_key, u.key_text
    FROM UNNEST($3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[])
        AS u(index_id, key, full_key, key_text)
    ON CONFLICT DO NOTHING";
pub(super) const INSERT_GROUP_KEYS: &str = "
    INSERT INTO group_keys (tenant_id, index_id, key, group_id, full_key, key_text)
    SELECT $1, u.index_id, u.key, $2, u.full_key, u.key_text
    FROM UNNEST($3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[])
        AS u(index_id, key, full_key, key_text)
    ON CONFLICT DO NOTHING";
/// Backfilling: rows of many resources (`$1` tenants, `$2` ids, `$3`
/// index ids, `$4` keys, `$5` whole keys, `$6` texts).
pub(super) const BACKFILL_HOST_KEYS: &str = "
    INSERT INTO host_keys (tenant_id, index_id, key, host_id, full_key, key_text)
    SELECT u.tenant_id, u.index_id, u.key, u.id, u.full_key, u.key_text
    FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[])
        AS u(tenant_id, id, index_id, key, full_key, key_text)
    ON CONFLICT DO NOTHING";
pub(super) const BACKFILL_GROUP_KEYS: &str = "
    INSERT INTO group_keys (tenant_id, index_id, key, group_id, full_key, key_text)
    SELECT u.tenant_id, u.index_id, u.key, u.id, u.full_key, u.key_text
    FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[])
        AS u(tenant_id, id, index_id, key, full_key, key_text)
    ON CONFLICT DO NOTHING";

/// For the transaction of an index read: index rows are read by key ranges
/// under a `(tenant_id, index_id)` prefix, never by scanning the table.
pub(super) const NO_SEQUENTIAL_SCANS: &str = "SET LOCAL enable_seqscan = off";

/// Enables `pg_trgm` (refused without the privilege or the package; the
/// store then answers `co`/`ew` by scanning the index's rows).
pub(super) const TRIGRAM_EXTENSION: &str = "CREATE EXTENSION IF NOT EXISTS pg_trgm";
/// The trigram indexes over key texts, once the extension exists.
pub(super) const TRIGRAM_INDEXES: &str = "
    CREATE INDEX IF NOT EXISTS host_keys_trigram ON host_keys USING gin (key_text gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS group_keys_trigram ON group_keys USING gin (key_text gin_trgm_ops)";
pub(super) const DELETE_HOST_KEYS: &str =
    "DELETE FROM host_keys WHERE tenant_id = $1 AND host_id = $2";
pub(super) const DELETE_GROUP_KEYS: &str =
    "DELETE FROM group_keys WHERE tenant_id = $1 AND group_id = $2";

/// A group's `meta.lastModified` row after a membership change: `$3` the
/// index, `$4` the new key.
pub(super) const SET_GROUP_LAST_MODIFIED_KEY: &str = "
    UPDATE group_keys SET key = $4 WHERE tenant_id = $1 AND group_id = $2 AND index_id = $3";
/// The same for the groups a host is a member of (`$2`), before it is
/// deleted.
pub(super) const SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_HOST: &str = "
    UPDATE group_keys SET key = $4 WHERE tenant_id = $1 AND index_id = $3 AND group_id IN
        (SELECT group_id FROM memberships WHERE tenant_id = $1 AND member_host = $2)";
/// The same for the groups a group is a member of (`$2`), before it is
/// deleted.
pub(super) const SET_LAST_MODIFIED_KEY_OF_GROUPS_OF_GROUP: &str = "
    UPDATE group_keys SET key = $4 WHERE tenant_id = $1 AND index_id = $3 AND group_id <> $2
        AND group_id IN
        (SELECT group_id FROM memberships WHERE tenant_id = $1 AND member_group = $2)";

/// Backfilling: the next documents after `($1, $2)` across tenants.
pub(super) const HOSTS_AFTER: &str = "
    SELECT tenant_id, id, revision, last_modified, doc FROM hosts
    WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3";
pub(super) const GROUPS_AFTER: &str = "
    SELECT tenant_id, id, revision, last_modified, doc FROM host_groups
    WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3";

/// The ids of a tenant's hosts, at most `$2` of them.
pub(super) const HOST_IDS: &str = "SELECT id FROM hosts WHERE tenant_id = $1 ORDER BY id LIMIT $2";
pub(super) const GROUP_IDS: &str =
    "SELECT id FROM host_groups WHERE tenant_id = $1 ORDER BY id LIMIT $2";

// ---------------------------------------------------------------- hosts

/// `SELECT` of hosts: `(id, revision, last_modified, doc)`.
macro_rules! hosts {
    ($where:literal) => {
        concat!(
            "SELECT h.id, h.revision, h.last_modified, h.doc FROM hosts h WHERE h.tenant_id = $1 AND ",
            $where
        )
    };
}

/// `SELECT` of hosts with their groups as two arrays in group id order:
/// `(id, revision, last_modified, doc, group ids, group displayNames)`
/// (the arrays are NULL for a host in no group).
macro_rules! hosts_with_groups {
    ($from:literal, $where:literal) => {
        concat!(
            "SELECT h.id, h.revision, h.last_modified, h.doc, gs.ids, gs.names FROM ",
            $from,
            " LEFT JOIN LATERAL (
                SELECT array_agg(g.id ORDER BY g.id) AS ids,
                       array_agg(g.display_name ORDER BY g.id) AS names
                FROM memberships m
                JOIN host_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                WHERE m.tenant_id = h.tenant_id AND m.member_host = h.id
              ) gs ON true
              WHERE h.tenant_id = $1 AND ",
            $where
        )
    };
}

pub(super) const HOST_BY_ID: &str = hosts!("h.id = $2");
pub(super) const HOST_BY_USER_NAME_KEY: &str = hosts!("h.user_name_key = $2");
pub(super) const HOST_BY_EXTERNAL_ID: &str = hosts!("h.external_id = $2");
pub(super) const HOSTS_ALL: &str = hosts!("true");
pub(super) const HOSTS_PAGE: &str = hosts!("true ORDER BY h.id LIMIT $2 OFFSET $3");

pub(super) const HOST_BY_ID_WITH_GROUPS: &str = hosts_with_groups!("hosts h", "h.id = $2");
pub(super) const HOST_BY_USER_NAME_KEY_WITH_GROUPS: &str =
    hosts_with_groups!("hosts h", "h.user_name_key = $2");
pub(super) const HOST_BY_EXTERNAL_ID_WITH_GROUPS: &str =
    hosts_with_groups!("hosts h", "h.external_id = $2");
pub(super) const HOSTS_ALL_WITH_GROUPS: &str = hosts_with_groups!("hosts h", "true");
pub(super) const HOSTS_PAGE_WITH_GROUPS: &str = hosts_with_groups!(
    "(SELECT * FROM hosts WHERE tenant_id = $1 ORDER BY id LIMIT $2 OFFSET $3) h",
    "true ORDER BY h.id"
);

pub(super) const HOSTS_COUNT: &str = "SELECT COUNT(*) FROM hosts WHERE tenant_id = $1";

/// The groups of some hosts: `(host id, group id, group displayName)` by
/// host and group id.
pub(super) const GROUPS_OF_HOSTS: &str = "
    SELECT m.member_host, g.id, g.display_name FROM memberships m
    JOIN host_groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
    WHERE m.tenant_id = $1 AND m.member_host = ANY($2)
    ORDER BY m.member_host, g.id";

/// Locks a host for a delete and reads its revision.
pub(super) const LOCK_HOST: &str =
    "SELECT revision FROM hosts WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
pub(super) const HOST_REVISION: &str =
    "SELECT revision FROM hosts WHERE tenant_id = $1 AND id = $2";

/// Inserts a host unless a host group has its id (ids are unique across
/// resource types); no row inserted means the id is taken.
pub(super) const INSERT_HOST: &str = "
    INSERT INTO hosts (tenant_id, id, user_name, user_name_key, external_id, given_name, family_name,
                       work_email, other_email, work_phone, mobile_phone, organization, department,
                       visible, revision, created, last_modified, doc)
    SELECT $1::TEXT, $2::TEXT, $3::TEXT, $4::TEXT, $5::TEXT, $6::TEXT, $7::TEXT, $8::TEXT, $9::TEXT,
           $10::TEXT, $11::TEXT, $12::TEXT, $13::TEXT, $14::BOOLEAN, $15::BIGINT, $16::TEXT, $17::TEXT,
           $18::TEXT
    WHERE NOT EXISTS (SELECT 1 FROM host_groups WHERE tenant_id = $1 AND id = $2)";

/// Compare-and-swap: changes a row only at the expected revision (`$19`).
pub(super) const UPDATE_HOST: &str = "
    UPDATE hosts SET user_name = $3, user_name_key = $4, external_id = $5, given_name = $6,
                     family_name = $7, work_email = $8, other_email = $9, work_phone = $10,
                     mobile_phone = $11, organization = $12, department = $13, visible = $14,
                     revision = $15, created = $16, last_modified = $17, doc = $18
    WHERE tenant_id = $1 AND id = $2 AND revision = $19";

/// Bumps the groups a host is in, before the host is deleted.
pub(super) const BUMP_GROUPS_OF_HOST: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = $3
    WHERE tenant_id = $1 AND id IN
        (SELECT group_id FROM memberships WHERE tenant_id = $1 AND member_host = $2)";

/// Deletes a host; its memberships go by `ON DELETE CASCADE`.
pub(super) const DELETE_HOST: &str = "DELETE FROM hosts WHERE tenant_id = $1 AND id = $2";

// ---------------------------------------------------------- host groups

/// `SELECT` of host groups: `(id, revision, last_modified, doc)`.
macro_rules! groups {
    ($where:literal) => {
        concat!(
            "SELECT g.id, g.revision, g.last_modified, g.doc FROM host_groups g WHERE g.tenant_id = $1 AND ",
            $where
        )
    };
}

pub(super) const GROUP_BY_ID: &str = groups!("g.id = $2");
pub(super) const GROUP_BY_DISPLAY_NAME_KEY: &str = groups!("g.display_name_key = $2");
pub(super) const GROUP_BY_EXTERNAL_ID: &str = groups!("g.external_id = $2");
pub(super) const GROUP_BY_MEMBER_KEY: &str = groups!(
    "g.id IN (SELECT m.group_id FROM memberships m WHERE m.tenant_id = $1 AND m.member_key = $2)"
);
pub(super) const GROUPS_ALL: &str = groups!("true");
pub(super) const GROUPS_PAGE: &str = groups!("true ORDER BY g.id LIMIT $2 OFFSET $3");
pub(super) const GROUPS_COUNT: &str = "SELECT COUNT(*) FROM host_groups WHERE tenant_id = $1";

/// Locks a group for a delete and reads its revision.
pub(super) const LOCK_GROUP: &str =
    "SELECT revision FROM host_groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE";
pub(super) const GROUP_REVISION: &str =
    "SELECT revision FROM host_groups WHERE tenant_id = $1 AND id = $2";

/// Inserts a host group unless a host has its id; no row inserted means
/// the id is taken.
pub(super) const INSERT_GROUP: &str = "
    INSERT INTO host_groups (tenant_id, id, display_name, display_name_key, external_id,
                             revision, created, last_modified, doc, display_name_unique)
    SELECT $1::TEXT, $2::TEXT, $3::TEXT, $4::TEXT, $5::TEXT, $6::BIGINT, $7::TEXT, $8::TEXT, $9::TEXT,
           $10::TEXT
    WHERE NOT EXISTS (SELECT 1 FROM hosts WHERE tenant_id = $1 AND id = $2)";

/// Compare-and-swap on the expected revision (`$10`).
pub(super) const UPDATE_GROUP: &str = "
    UPDATE host_groups SET display_name = $3, display_name_key = $4, external_id = $5,
                           revision = $6, created = $7, last_modified = $8, doc = $9,
                           display_name_unique = $11
    WHERE tenant_id = $1 AND id = $2 AND revision = $10";

/// The unique index behind group names unique per tenant.
pub(super) const GROUP_NAME_INDEX: &str = "host_groups_display_name_unique";

/// A membership change: new revision and `lastModified` (at the expected
/// revision `$4` unless it is NULL). Locks the group row until commit, so
/// concurrent changes of one group take turns.
pub(super) const BUMP_GROUP: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = $3
    WHERE tenant_id = $1 AND id = $2 AND ($4::BIGINT IS NULL OR revision = $4)
    RETURNING revision";

/// Bumps the groups a group is a member of, before it is deleted.
pub(super) const BUMP_GROUPS_OF_GROUP: &str = "
    UPDATE host_groups SET revision = revision + 1, last_modified = $3
    WHERE tenant_id = $1 AND id <> $2 AND id IN
        (SELECT group_id FROM memberships WHERE tenant_id = $1 AND member_group = $2)";

/// Deletes a group; its own memberships and those naming it as a member go
/// by `ON DELETE CASCADE`.
pub(super) const DELETE_GROUP: &str = "DELETE FROM host_groups WHERE tenant_id = $1 AND id = $2";

// ---------------------------------------------------------- memberships

/// The members of one group, in insertion order: `(member_id, type,
/// display, extra)`.
pub(super) const MEMBERS_OF_GROUP: &str = "
    SELECT member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = $1 AND group_id = $2
    ORDER BY position";

/// The members of some groups: `(group_id, member_id, type, display,
/// extra)`, by group and insertion order.
pub(super) const MEMBERS_OF_GROUPS: &str = "
    SELECT group_id, member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = $1 AND group_id = ANY($2)
    ORDER BY group_id, position";

/// The members of every group of a tenant, as [`MEMBERS_OF_GROUPS`].
pub(super) const MEMBERS_OF_TENANT: &str = "
    SELECT group_id, member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = $1
    ORDER BY group_id, position";

/// The memberships whose folded member id is one of `$2`, as
/// [`MEMBERS_OF_GROUPS`].
pub(super) const MEMBERS_WITH_KEYS: &str = "
    SELECT group_id, member_id, member_type, display, extra FROM memberships
    WHERE tenant_id = $1 AND member_key = ANY($2)
    ORDER BY group_id, position";

/// Which of the ids `$2` are hosts (`true`) and which host groups
/// (`false`) of the tenant, in one round trip.
pub(super) const MEMBERS_AMONG: &str = "
    SELECT id, true FROM hosts WHERE tenant_id = $1 AND id = ANY($2)
    UNION ALL
    SELECT id, false FROM host_groups WHERE tenant_id = $1 AND id = ANY($2)";

pub(super) const MAX_POSITION: &str = "SELECT COALESCE(MAX(position), 0)::BIGINT FROM memberships WHERE tenant_id = $1 AND group_id = $2";

/// Adds members from parallel arrays; re-adding one is a no-op.
pub(super) const INSERT_MEMBERS: &str = "
    INSERT INTO memberships (tenant_id, group_id, member_id, member_key, member_host, member_group,
                             member_type, display, extra, position)
    SELECT $1, $2, u.member_id, u.member_key, u.member_host, u.member_group,
           u.member_type, u.display, u.extra, u.position
    FROM UNNEST($3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[],
                $10::BIGINT[])
        AS u(member_id, member_key, member_host, member_group, member_type, display, extra, position)
    ON CONFLICT (tenant_id, group_id, member_id) DO NOTHING";

pub(super) const DELETE_MEMBERS: &str =
    "DELETE FROM memberships WHERE tenant_id = $1 AND group_id = $2 AND member_id = ANY($3)";
pub(super) const DELETE_ALL_MEMBERS: &str =
    "DELETE FROM memberships WHERE tenant_id = $1 AND group_id = $2";

// -------------------------------------------------------------- tenants

/// `/readyz`: does the database answer?
pub(super) const PING: &str = "SELECT 1";

pub(super) const INSERT_TENANT: &str = "
    INSERT INTO tenants (id, name, token_hash, created, token_created)
    SELECT $1, $2, $3, $4, $5
    WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE previous_token_hash = $3)";
/// The check at the start of every write: the tenant exists, and cannot
/// be deleted until the write commits.
pub(super) const LOCK_TENANT_FOR_WRITE: &str = "SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE";
pub(super) const LOCK_TENANT_BY_NAME: &str = "SELECT id FROM tenants WHERE name = $1 FOR UPDATE";
/// The tenant of a current token, or of a previous one before `$2` (now).
pub(super) const TENANT_BY_TOKEN_HASH: &str = "
    SELECT id, name, created FROM tenants WHERE token_hash = $1
    UNION ALL
    SELECT id, name, created FROM tenants
    WHERE previous_token_hash = $1 AND previous_token_expires > $2
    LIMIT 1";
/// `$1` name, `$2` new hash, `$3` now, `$4` end of the old token's grace
/// (NULL: none). Right-hand sides read the row before the update; a hash
/// that is another tenant's previous token is refused (no row).
pub(super) const ROTATE_TOKEN: &str = "
    UPDATE tenants SET
        previous_token_hash = CASE WHEN $4::BIGINT IS NULL THEN NULL ELSE token_hash END,
        previous_token_expires = $4::BIGINT,
        previous_token_last_used =
            CASE WHEN $4::BIGINT IS NULL THEN NULL ELSE token_last_used END,
        token_hash = $2,
        token_created = $3,
        token_last_used = NULL
    WHERE name = $1
      AND NOT EXISTS (SELECT 1 FROM tenants WHERE previous_token_hash = $2)
    RETURNING id, name, created";
pub(super) const TENANT_EXISTS: &str = "SELECT 1 FROM tenants WHERE name = $1";
/// Ends the previous token's grace; returns whether it still worked at `$2`.
pub(super) const REVOKE_PREVIOUS_TOKEN: &str = "
    UPDATE tenants t SET
        previous_token_hash = NULL, previous_token_expires = NULL, previous_token_last_used = NULL
    FROM (SELECT id, previous_token_hash IS NOT NULL AND previous_token_expires > $2 AS works
          FROM tenants WHERE name = $1 FOR UPDATE) old
    WHERE t.id = old.id
    RETURNING old.works";
pub(super) const RECORD_TOKEN_USE: &str = "
    UPDATE tenants SET token_last_used = $2
    WHERE token_hash = $1 AND (token_last_used IS NULL OR token_last_used < $2)";
pub(super) const RECORD_PREVIOUS_TOKEN_USE: &str = "
    UPDATE tenants SET previous_token_last_used = $2
    WHERE previous_token_hash = $1
      AND (previous_token_last_used IS NULL OR previous_token_last_used < $2)";
pub(super) const TENANTS: &str = "
    SELECT id, name, created, token_created, token_last_used,
           previous_token_hash IS NOT NULL, previous_token_expires, previous_token_last_used
    FROM tenants ORDER BY name";
pub(super) const DELETE_TENANT_MEMBERSHIPS: &str = "DELETE FROM memberships WHERE tenant_id = $1";
pub(super) const DELETE_TENANT_GROUPS: &str = "DELETE FROM host_groups WHERE tenant_id = $1";
pub(super) const DELETE_TENANT_HOSTS: &str = "DELETE FROM hosts WHERE tenant_id = $1";
pub(super) const DELETE_TENANT: &str = "DELETE FROM tenants WHERE id = $1";

// -------------------------------------------------------------- product

pub(super) const PRODUCT_HOSTS: &str = "
    SELECT id, user_name, given_name, family_name, work_email, work_phone, mobile_phone,
           department, visible
    FROM hosts WHERE tenant_id = $1 AND ($2 OR visible)
    ORDER BY user_name_key, id";

pub(super) const PRODUCT_GROUPS: &str = "
    SELECT g.id, g.display_name,
           (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id),
           (SELECT COUNT(*) FROM memberships m
            JOIN hosts h ON h.tenant_id = m.tenant_id AND h.id = m.member_host
            WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id AND h.visible)
    FROM host_groups g WHERE g.tenant_id = $1
    ORDER BY g.display_name_key, g.id";

// ------------------------------------------------------- index reads

/// Hosts by id (`$2`), by id.
pub(super) const HOSTS_WITH_IDS: &str = hosts!("h.id = ANY($2) ORDER BY h.id");
pub(super) const HOSTS_WITH_IDS_WITH_GROUPS: &str =
    hosts_with_groups!("hosts h", "h.id = ANY($2) ORDER BY h.id");
pub(super) const GROUPS_WITH_IDS: &str = groups!("g.id = ANY($2) ORDER BY g.id");
