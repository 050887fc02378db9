-- Schema version 8: which duplicate was merged into which record, so the kept record's page
-- shows the merged one's history too. kind: 0 company, 1 contact.
CREATE TABLE merges (
    kind       INTEGER NOT NULL CHECK (kind IN (0, 1)),
    from_id    INTEGER NOT NULL,
    into_id    INTEGER NOT NULL,
    merged_at  TEXT NOT NULL,
    PRIMARY KEY (kind, from_id)
);
CREATE INDEX merges_into ON merges(kind, into_id);
