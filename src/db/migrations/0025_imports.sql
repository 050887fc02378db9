-- Schema version 25: imports. An import keeps its file until it has run (so the mapping and
-- the dry run can be repeated), its per-row report, and what it did to each record so it can
-- be undone as a whole.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file        BLOB,
    options     TEXT NOT NULL DEFAULT '{}',
    mapping     TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL DEFAULT 'new'
                CHECK (state IN ('new', 'running', 'done', 'failed', 'undone')),
    rows_total  INTEGER NOT NULL DEFAULT 0,
    rows_done   INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    report      TEXT,
    created_by  INTEGER REFERENCES users(id),
    created_at  TEXT NOT NULL,
    finished_at TEXT,
    undone_at   TEXT
);
CREATE INDEX imports_by_user ON imports(created_by, id);

-- What an import did to each record: `before` holds the values an update replaced.
CREATE TABLE import_records (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    kind      INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('created', 'updated')),
    before    TEXT,
    PRIMARY KEY (import_id, kind, record_id)
) WITHOUT ROWID;

-- Saved column mappings, offered again for a file with the same columns.
CREATE TABLE import_templates (
    id         INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    columns    TEXT NOT NULL,
    mapping    TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (entity, columns)
);
