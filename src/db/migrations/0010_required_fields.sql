-- Schema version 10: built-in fields an administrator has made required, per entity.
CREATE TABLE required_fields (
    entity  TEXT NOT NULL CHECK (entity IN ('companies', 'contacts')),
    field   TEXT NOT NULL,
    PRIMARY KEY (entity, field)
) WITHOUT ROWID;
