-- Schema version 20: leads (线索), the public forms they arrive through, the rules that
-- assign them, and the public pools (公海) that unattended leads and customers return to.

-- A pool: records with no follow-up for `days` return to it (owner cleared); a rep may hold
-- at most `claim_limit` records claimed from it. `entity` is 'leads' or 'companies'.
CREATE TABLE pools (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    entity      TEXT NOT NULL CHECK (entity IN ('leads', 'companies')),
    days        INTEGER NOT NULL CHECK (days > 0),
    claim_limit INTEGER NOT NULL CHECK (claim_limit > 0),
    department_id INTEGER REFERENCES departments(id),     -- who may claim (NULL: everyone)
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- A public lead form: its token is the secret part of its URL.
CREATE TABLE lead_forms (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    token       TEXT NOT NULL UNIQUE,
    fields      TEXT NOT NULL,                 -- JSON list of lead field names shown
    required    TEXT NOT NULL DEFAULT '[]',    -- JSON list of those that must be filled
    thank_you   TEXT NOT NULL,
    source      TEXT,                          -- the source given to its leads
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- Assignment rules, tried in `position` order: `conditions` is a JSON list of
-- {"field": ..., "value": ...} that must all hold; the lead goes to an active member of
-- `department_id` by `method` ('round_robin' or 'least_open'); `last_user_id` is where the
-- round robin stands. A rule without conditions catches everything.
CREATE TABLE assignment_rules (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    conditions    TEXT NOT NULL DEFAULT '[]',
    department_id INTEGER REFERENCES departments(id),
    user_id       INTEGER REFERENCES users(id),        -- or one fixed person
    method        TEXT NOT NULL DEFAULT 'round_robin' CHECK (method IN ('round_robin', 'least_open', 'fixed')),
    last_user_id  INTEGER REFERENCES users(id),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE leads (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,                -- the person
    company_name  TEXT,                         -- their organisation, as given
    title         TEXT,
    status        TEXT NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'working', 'qualified', 'unqualified', 'converted')),
    source        TEXT,
    mobile        TEXT,
    mobile_digits TEXT,
    phone         TEXT,
    phone_digits  TEXT,
    email         TEXT,
    wechat        TEXT,
    province      TEXT,
    city          TEXT,
    industry_id   INTEGER REFERENCES industries(id),
    notes         TEXT,
    custom        TEXT,
    owner_id      INTEGER REFERENCES users(id),
    pool_id       INTEGER REFERENCES pools(id),  -- in this pool (then without owner)
    pooled_at     TEXT,
    claimed_at    TEXT,                          -- when its owner took it from a pool
    last_activity_at TEXT,
    form_id       INTEGER REFERENCES lead_forms(id),
    rule_id       INTEGER REFERENCES assignment_rules(id),
    converted_at  TEXT,
    company_id    INTEGER REFERENCES companies(id),   -- what it became
    contact_id    INTEGER REFERENCES contacts(id),
    deal_id       INTEGER REFERENCES deals(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    deleted_by    INTEGER REFERENCES users(id),
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX leads_live_updated ON leads(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_created ON leads(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_name    ON leads(name, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_owner   ON leads(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_owner_name   ON leads(owner_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_owner_status ON leads(owner_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_live_status  ON leads(status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_pool         ON leads(pool_id, pooled_at, id) WHERE deleted_at IS NULL AND pool_id IS NOT NULL;
CREATE INDEX leads_mobile       ON leads(mobile) WHERE deleted_at IS NULL;
CREATE INDEX leads_phone        ON leads(phone) WHERE deleted_at IS NULL;
CREATE INDEX leads_email        ON leads(email) WHERE deleted_at IS NULL;
CREATE INDEX leads_trash        ON leads(deleted_at, id) WHERE deleted_at IS NOT NULL;

-- Customers return to pools too.
ALTER TABLE companies ADD COLUMN pool_id INTEGER REFERENCES pools(id);
ALTER TABLE companies ADD COLUMN pooled_at TEXT;
ALTER TABLE companies ADD COLUMN claimed_at TEXT;
CREATE INDEX companies_pool ON companies(pool_id, pooled_at, id) WHERE deleted_at IS NULL AND pool_id IS NOT NULL;

-- Follow-ups may now be about a lead alone, so the table is rebuilt with a wider check
-- (foreign keys are off while migrations run and checked before commit).
CREATE TABLE activities_new (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER REFERENCES companies(id),
    contact_id    INTEGER REFERENCES contacts(id),
    kind          TEXT NOT NULL CHECK (kind IN ('call', 'visit', 'meeting', 'note', 'email')),
    outcome       TEXT,
    body          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    next_follow_up TEXT,
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    deal_id       INTEGER REFERENCES deals(id),
    lead_id       INTEGER REFERENCES leads(id),
    CHECK (company_id IS NOT NULL OR contact_id IS NOT NULL OR lead_id IS NOT NULL)
);
INSERT INTO activities_new (id, company_id, contact_id, kind, outcome, body, occurred_at,
                            next_follow_up, created_by, created_at, deal_id)
SELECT id, company_id, contact_id, kind, outcome, body, occurred_at,
       next_follow_up, created_by, created_at, deal_id FROM activities;
DROP TABLE activities;
ALTER TABLE activities_new RENAME TO activities;
CREATE INDEX activities_by_company ON activities(company_id, occurred_at);
CREATE INDEX activities_by_contact ON activities(contact_id, occurred_at);
CREATE INDEX activities_by_deal ON activities(deal_id, occurred_at) WHERE deal_id IS NOT NULL;
CREATE INDEX activities_by_lead ON activities(lead_id, occurred_at) WHERE lead_id IS NOT NULL;

ALTER TABLE tasks ADD COLUMN lead_id INTEGER REFERENCES leads(id);
CREATE INDEX tasks_by_lead ON tasks(lead_id, done_at) WHERE lead_id IS NOT NULL;
