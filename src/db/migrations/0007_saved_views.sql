-- Schema version 7: saved list views, per user and list (a name and the filters/sort).
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    entity      TEXT NOT NULL,                  -- 'companies' or 'contacts'
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,                  -- the list's query string, allow-listed keys only
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, entity, name)
);
