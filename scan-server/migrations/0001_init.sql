-- The scan server's schema, version 1. Plain SQL that SQLite and PostgreSQL both read.
-- Times are Unix seconds (keys, secrets) or milliseconds (scans) in BIGINT columns.

-- Access keys, stored only as the SHA-256 of the key; key_id is a prefix of that hash.
CREATE TABLE access_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    permissions TEXT NOT NULL,
    projects TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);

-- The HMAC secret tokens are signed with, made on first start.
CREATE TABLE signing_secrets (
    kid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per scan: the searchable fields (the document is apart, so that searches read
-- narrow rows).
CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    project_name TEXT,
    project_id TEXT,
    outcome TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    username TEXT,
    hostname TEXT,
    command_kind TEXT NOT NULL,
    tags TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
CREATE INDEX scans_started_at ON scans (started_at);
CREATE INDEX scans_project_name ON scans (project_name);

-- The document as published.
CREATE TABLE scan_documents (
    scan_id TEXT PRIMARY KEY REFERENCES scans (id),
    document TEXT NOT NULL
);

CREATE TABLE scan_tags (
    scan_id TEXT NOT NULL REFERENCES scans (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (scan_id, tag)
);
CREATE INDEX scan_tags_tag ON scan_tags (tag);

CREATE TABLE scan_values (
    scan_id TEXT NOT NULL REFERENCES scans (id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scan_id, name, value)
);
CREATE INDEX scan_values_name_value ON scan_values (name, value);
