-- A company's or contact's search entry ends with its owner's token, so a search for the
-- customers of a few people asks the index for those people's matches alone instead of
-- checking every match against their records.
--
-- search_stale: entries to rewrite because their record changed hands. The triggers below
--   note every change of owner, whichever statement makes it; the write path rewrites the
--   noted entries before it commits, so the table is empty between transactions.
-- search_rebuild: while it has a row, the entries below `below` (an index row id, always
--   even) were written without their owner. The server rewrites them in the background,
--   newest first; until then searches check matches against the searcher's records as
--   before. At 0 the index is merged a share at a time, and then the row is deleted.

CREATE TABLE search_stale (entry INTEGER PRIMARY KEY);

CREATE TRIGGER companies_owner_search AFTER UPDATE OF owner_id ON companies
WHEN old.owner_id IS NOT new.owner_id BEGIN
    INSERT OR IGNORE INTO search_stale (entry) VALUES (new.id * 2);
END;

CREATE TRIGGER contacts_owner_search AFTER UPDATE OF owner_id ON contacts
WHEN old.owner_id IS NOT new.owner_id BEGIN
    INSERT OR IGNORE INTO search_stale (entry) VALUES (new.id * 2 + 1);
END;

CREATE TABLE search_rebuild (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    below INTEGER NOT NULL
);

INSERT INTO search_rebuild (id, below)
SELECT 1, max(coalesce((SELECT max(id) FROM companies), 0),
              coalesce((SELECT max(id) FROM contacts), 0)) * 2 + 2
 WHERE EXISTS (SELECT 1 FROM companies) OR EXISTS (SELECT 1 FROM contacts);
