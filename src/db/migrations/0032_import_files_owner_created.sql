-- Schema version 32: an import's file lives in a table of its own. SQLite rewrites a whole
-- row on every update, so while the file sat in the import's row, each note of progress
-- (about once a second) wrote the whole file again.
CREATE TABLE import_files (
    import_id INTEGER PRIMARY KEY REFERENCES imports(id) ON DELETE CASCADE,
    file      BLOB NOT NULL
);
INSERT INTO import_files (import_id, file) SELECT id, file FROM imports WHERE file IS NOT NULL;
ALTER TABLE imports DROP COLUMN file;

-- A rep's contacts newest (or oldest) created first: one owner's rows in order of creation,
-- instead of sorting all of the rep's contacts or passing over everybody else's.
CREATE INDEX contacts_live_owner_created ON contacts(owner_id, created_at, id) WHERE deleted_at IS NULL;
