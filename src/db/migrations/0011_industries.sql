-- Schema version 11: the two-level industry taxonomy (行业), editable by administrators, and
-- each company's industry. The first-run setup fills in a default list in the chosen language.
CREATE TABLE industries (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES industries(id),
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX industries_unique_name ON industries(coalesce(parent_id, 0), name);
ALTER TABLE companies ADD COLUMN industry_id INTEGER REFERENCES industries(id);
CREATE INDEX companies_live_industry ON companies(industry_id, updated_at, id) WHERE deleted_at IS NULL;
