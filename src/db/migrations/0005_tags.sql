-- Schema version 5: tags (标签) on companies and contacts, created on the fly, with a colour.
CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    color       TEXT NOT NULL DEFAULT 'gray'
                CHECK (color IN ('gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink')),
    created_at  TEXT NOT NULL
);

-- kind: 0 company, 1 contact (as in the search index).
CREATE TABLE record_tags (
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    kind       INTEGER NOT NULL CHECK (kind IN (0, 1)),
    record_id  INTEGER NOT NULL,
    PRIMARY KEY (tag_id, kind, record_id)
) WITHOUT ROWID;
CREATE INDEX record_tags_by_record ON record_tags(kind, record_id);
