-- Schema version 6: files attached to companies and contacts, stored inside the database so
-- that every backup holds them. kind: 0 company, 1 contact.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    kind          INTEGER NOT NULL CHECK (kind IN (0, 1)),
    record_id     INTEGER NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX attachments_by_record ON attachments(kind, record_id) WHERE deleted_at IS NULL;
