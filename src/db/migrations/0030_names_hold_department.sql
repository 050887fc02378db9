-- The name indexes of companies and contacts also hold the owner's department, so a
-- department's list by name passes over other departments' rows inside the index instead of
-- reading each from the table.
DROP INDEX contacts_live_name;
CREATE INDEX contacts_live_name ON contacts(name, id, owner_department_id) WHERE deleted_at IS NULL;
DROP INDEX companies_live_name;
CREATE INDEX companies_live_name ON companies(name, id, owner_department_id) WHERE deleted_at IS NULL;
