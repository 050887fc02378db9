-- Schema version 16: custom roles and record sharing.

-- users.role may now name a custom role, so its CHECK of the five built-in names goes: the
-- table is rebuilt (foreign keys are off while migrations run, and checked before commit).
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,                   -- a built-in role's name or roles.key
    password_hash TEXT NOT NULL,                   -- argon2id PHC string
    language      TEXT,                            -- NULL: follow the browser
    disabled_at   TEXT,                            -- NULL: active
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,      -- optimistic concurrency
    department_id INTEGER REFERENCES departments(id),
    manager_id    INTEGER REFERENCES users(id)
);
INSERT INTO users_new (id, email, name, role, password_hash, language, disabled_at, created_at,
                       updated_at, version, department_id, manager_id)
    SELECT id, email, name, role, password_hash, language, disabled_at, created_at,
           updated_at, version, department_id, manager_id FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_active_by_name ON users(name COLLATE NOCASE, id) WHERE disabled_at IS NULL;
CREATE INDEX users_department ON users(department_id);
CREATE INDEX users_manager ON users(manager_id);
CREATE INDEX users_role ON users(role);

-- Roles an administrator made by copying a built-in one. users.role holds either a
-- built-in role's name or a custom role's key. `access` is JSON: grants per area and
-- action, and field rules (see auth::access).
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE,
    based_on    TEXT NOT NULL,
    access      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- A record shared by its owner with a user or a whole department (with its
-- sub-departments), to read or to edit.
CREATE TABLE shares (
    id            INTEGER PRIMARY KEY,
    entity        TEXT NOT NULL,
    record_id     INTEGER NOT NULL,
    user_id       INTEGER REFERENCES users(id),
    department_id INTEGER REFERENCES departments(id),
    access        TEXT NOT NULL CHECK (access IN ('read', 'edit')),
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (department_id IS NULL))
);
CREATE UNIQUE INDEX shares_user ON shares(entity, record_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX shares_department ON shares(entity, record_id, department_id)
    WHERE department_id IS NOT NULL;
CREATE INDEX shares_by_user ON shares(user_id, entity) WHERE user_id IS NOT NULL;
CREATE INDEX shares_by_department ON shares(department_id, entity) WHERE department_id IS NOT NULL;
