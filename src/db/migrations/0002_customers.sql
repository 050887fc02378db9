-- Schema version 2: companies (accounts) and contacts (people), the records of the customer base.
-- Deletion is soft (deleted_at), so the trash can restore; every list index is partial over the
-- live rows and ends in id, which keyset pagination uses as the tie-breaker.

CREATE TABLE companies (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    name_norm    TEXT NOT NULL,            -- lower-cased, legal-form suffixes removed: duplicate check
    status       TEXT NOT NULL DEFAULT 'lead'
                 CHECK (status IN ('lead', 'prospect', 'customer', 'churned')),
    source       TEXT,
    province     TEXT,
    city         TEXT,
    address      TEXT,
    phone        TEXT,                     -- canonical form, e.g. +861012345678
    phone_digits TEXT,                     -- national digits as people type them, for search
    email        TEXT,
    website      TEXT,
    notes        TEXT,
    owner_id     INTEGER REFERENCES users(id),
    created_by   INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    deleted_by   INTEGER REFERENCES users(id),
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX companies_live_updated ON companies(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_created ON companies(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_name    ON companies(name, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_owner   ON companies(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_live_status  ON companies(status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX companies_name_norm    ON companies(name_norm) WHERE deleted_at IS NULL;
CREATE INDEX companies_phone        ON companies(phone) WHERE deleted_at IS NULL;
CREATE INDEX companies_email        ON companies(email) WHERE deleted_at IS NULL;
CREATE INDEX companies_trash        ON companies(deleted_at, id) WHERE deleted_at IS NOT NULL;

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER REFERENCES companies(id),
    name          TEXT NOT NULL,
    title         TEXT,                    -- job title
    status        TEXT NOT NULL DEFAULT 'lead'
                  CHECK (status IN ('lead', 'prospect', 'customer', 'churned')),
    source        TEXT,
    province      TEXT,
    city          TEXT,
    address       TEXT,
    mobile        TEXT,
    mobile_digits TEXT,
    phone         TEXT,
    phone_digits  TEXT,
    email         TEXT,                    -- lower-cased
    wechat        TEXT,
    notes         TEXT,
    owner_id      INTEGER REFERENCES users(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    deleted_by    INTEGER REFERENCES users(id),
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX contacts_live_updated ON contacts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_created ON contacts(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_name    ON contacts(name, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_owner   ON contacts(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_status  ON contacts(status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_live_company ON contacts(company_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_mobile       ON contacts(mobile) WHERE deleted_at IS NULL;
CREATE INDEX contacts_email        ON contacts(email) WHERE deleted_at IS NULL;
CREATE INDEX contacts_phone        ON contacts(phone) WHERE deleted_at IS NULL;
CREATE INDEX contacts_trash        ON contacts(deleted_at, id) WHERE deleted_at IS NOT NULL;
