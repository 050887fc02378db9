-- Schema version 13: departments as a tree, and each user's department and manager.
CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES departments(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
-- Sibling departments have different names.
CREATE UNIQUE INDEX departments_name_per_parent ON departments(ifnull(parent_id, 0), name);
CREATE INDEX departments_parent ON departments(parent_id);

ALTER TABLE users ADD COLUMN department_id INTEGER REFERENCES departments(id);
ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users(id);
CREATE INDEX users_department ON users(department_id);
CREATE INDEX users_manager ON users(manager_id);
