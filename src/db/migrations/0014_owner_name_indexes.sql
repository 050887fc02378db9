-- Schema version 14: a sales rep's own records by name (list sorted by name, search by
-- name prefix) straight from an index instead of filtering the whole name index.
CREATE INDEX contacts_live_owner_name ON contacts(owner_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_owner_name ON companies(owner_id, name, id) WHERE deleted_at IS NULL;
