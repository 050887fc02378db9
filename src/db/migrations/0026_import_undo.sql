-- Schema version 26: an import is undone in batches, each its own transaction, so undoing a
-- large one does not keep everybody else waiting. While it is being undone it is 'undoing'
-- (also when the undo was cut off, so it can be finished), and each record the undo has
-- dealt with is marked with what happened to it, so it is never undone twice.
CREATE TABLE imports_new (
    id          INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file        BLOB,
    options     TEXT NOT NULL DEFAULT '{}',
    mapping     TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL DEFAULT 'new'
                CHECK (state IN ('new', 'running', 'done', 'failed', 'undoing', 'undone')),
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
INSERT INTO imports_new (id, entity, file_name, file, options, mapping, state, rows_total,
                         rows_done, created, updated, skipped, rejected, report, created_by,
                         created_at, finished_at, undone_at)
SELECT id, entity, file_name, file, options, mapping, state, rows_total, rows_done, created,
       updated, skipped, rejected, report, created_by, created_at, finished_at, undone_at
FROM imports;
DROP TABLE imports;
ALTER TABLE imports_new RENAME TO imports;
CREATE INDEX imports_by_user ON imports(created_by, id);

-- What undoing did to the record: put in the trash or removed ('removed'), given its earlier
-- values back ('restored'), or left as it was (already in the trash or gone: 'skipped').
ALTER TABLE import_records ADD COLUMN undone TEXT
    CHECK (undone IN ('removed', 'restored', 'skipped'));
