-- Kith schema, version 1. Applied to an empty database; later changes are numbered
-- migrations in src/db/migrate.rs. The schema version is kept in PRAGMA user_version.
-- Times are UTC, RFC 3339 text with milliseconds ("2026-11-24T08:30:00.000Z"), so they sort.

-- The company this installation belongs to (one row), filled in by the first-run setup.
CREATE TABLE company_profile (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL DEFAULT 'CNY',      -- ISO 4217 code
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Shanghai', -- IANA name
    language    TEXT NOT NULL DEFAULT 'zh-CN',    -- default UI language: 'zh-CN' or 'en'
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- People who sign in. Never deleted: disabling keeps their history readable.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'sales', 'service', 'viewer')),
    password_hash TEXT NOT NULL,                   -- argon2id PHC string
    language      TEXT,                            -- NULL: follow the browser
    disabled_at   TEXT,                            -- NULL: active
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1       -- optimistic concurrency
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ip            TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);

-- The tamper-evident audit log. Each entry's hash covers the previous entry's hash and a
-- canonical encoding of the entry, so altering, removing or inserting an entry breaks the chain.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,              -- consecutive, never reused
    at           TEXT NOT NULL,
    actor_id     INTEGER,                          -- NULL: the system (CLI, scheduler, setup)
    actor        TEXT NOT NULL,                    -- who, as shown then (email or 'system')
    ip           TEXT,
    request_id   TEXT,
    action       TEXT NOT NULL,                    -- e.g. 'user.create', 'login.failed'
    entity_type  TEXT,                             -- e.g. 'user'
    entity_id    TEXT,
    changes      TEXT NOT NULL DEFAULT '[]',       -- JSON [{"field","before","after"}]
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_by_actor  ON audit_log(actor_id, id);
CREATE INDEX audit_by_action ON audit_log(action, id);
CREATE INDEX audit_by_entity ON audit_log(entity_type, entity_id, id);
CREATE INDEX audit_by_time   ON audit_log(at);

-- The newest audit entry, kept in the same transaction as each append, so that removing
-- entries from the end of the log is noticed too.
CREATE TABLE audit_head (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL,
    hash   TEXT NOT NULL
);
