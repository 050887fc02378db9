-- Schema version 12: active users in name order without sorting them on every list page.
CREATE INDEX users_active_by_name ON users(name COLLATE NOCASE, id) WHERE disabled_at IS NULL;
