-- Schema version 15: a rep's own records by status ("my customers") from one index.
CREATE INDEX contacts_live_owner_status ON contacts(owner_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_owner_status ON companies(owner_id, status, updated_at, id) WHERE deleted_at IS NULL;
