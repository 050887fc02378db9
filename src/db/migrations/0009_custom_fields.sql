-- Schema version 9: admin-defined custom fields on companies and contacts. Definitions live in
-- custom_fields; each record keeps its values as a JSON object in its `custom` column.
CREATE TABLE custom_fields (
    id          INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('companies', 'contacts')),
    key         TEXT NOT NULL,                 -- f1, f2, ... stable even when the label changes
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'select', 'multiselect', 'checkbox')),
    options     TEXT NOT NULL DEFAULT '[]',    -- JSON array of choices (select, multiselect)
    required    INTEGER NOT NULL DEFAULT 0,
    in_list     INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    UNIQUE (entity, key)
);
ALTER TABLE companies ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
