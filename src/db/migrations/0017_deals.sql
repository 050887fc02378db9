-- Schema version 17: pipelines with stages, deals (商机) with their stage history, and the
-- in-app notifications that reminders and alerts land in.

CREATE TABLE pipelines (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

-- Stages in board order. A won or lost stage closes a deal; `stall_days` is how long a deal
-- may sit at the stage without a follow-up before it counts as stalled (NULL: never).
CREATE TABLE stages (
    id          INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    outcome     TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost')),
    stall_days  INTEGER CHECK (stall_days IS NULL OR stall_days > 0),
    UNIQUE (pipeline_id, name)
);
CREATE INDEX stages_by_pipeline ON stages(pipeline_id, position);

-- Why deals are lost, offered when a deal moves to a lost stage.
CREATE TABLE lost_reasons (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE deals (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    company_id      INTEGER NOT NULL REFERENCES companies(id),
    contact_id      INTEGER REFERENCES contacts(id),          -- the main contact
    pipeline_id     INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id        INTEGER NOT NULL REFERENCES stages(id),
    amount          INTEGER NOT NULL DEFAULT 0,                -- minor units (分), exact
    currency        TEXT NOT NULL DEFAULT 'CNY',
    expected_close  TEXT,                                      -- YYYY-MM-DD
    source          TEXT,
    lost_reason     TEXT,
    notes           TEXT,
    custom          TEXT,
    owner_id        INTEGER REFERENCES users(id),
    stage_entered_at TEXT,                                     -- UTC, when it reached its stage
    last_activity_at TEXT,                                     -- UTC, the latest follow-up
    stalled_at      TEXT,                                      -- UTC, when it was found stalled
    closed_at       TEXT,                                      -- UTC, when it was won or lost
    created_by      INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    deleted_by      INTEGER REFERENCES users(id),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX deals_live_updated ON deals(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_created ON deals(created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_name    ON deals(name, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_amount  ON deals(amount, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_close   ON deals(expected_close, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_owner   ON deals(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner_name   ON deals(owner_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner_stage  ON deals(owner_id, stage_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_company ON deals(company_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_contact ON deals(contact_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_live_stage   ON deals(stage_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_trash        ON deals(deleted_at, id) WHERE deleted_at IS NOT NULL;

-- A board column's count and totals, kept per owner by triggers so that a board of 300,000
-- deals adds up a few hundred rows instead of reading every deal, for any data scope.
CREATE TABLE stage_totals (
    stage_id    INTEGER NOT NULL,
    owner_id    INTEGER NOT NULL,                              -- 0 for deals nobody owns
    currency    TEXT NOT NULL,
    deals       INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (stage_id, owner_id, currency)
) WITHOUT ROWID;

CREATE TRIGGER deals_totals_insert AFTER INSERT ON deals WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO stage_totals VALUES (new.stage_id, ifnull(new.owner_id, 0), new.currency, 1, new.amount)
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_totals_update AFTER UPDATE OF stage_id, owner_id, currency, amount, deleted_at ON deals BEGIN
    UPDATE stage_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE old.deleted_at IS NULL AND stage_id = old.stage_id
       AND owner_id = ifnull(old.owner_id, 0) AND currency = old.currency;
    INSERT INTO stage_totals SELECT new.stage_id, ifnull(new.owner_id, 0), new.currency, 1, new.amount
     WHERE new.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_totals_delete AFTER DELETE ON deals WHEN old.deleted_at IS NULL BEGIN
    UPDATE stage_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE stage_id = old.stage_id AND owner_id = ifnull(old.owner_id, 0) AND currency = old.currency;
END;

-- When each deal entered each stage (and left it).
CREATE TABLE deal_stages (
    id          INTEGER PRIMARY KEY,
    deal_id     INTEGER NOT NULL REFERENCES deals(id),
    stage_id    INTEGER NOT NULL REFERENCES stages(id),
    entered_at  TEXT NOT NULL,
    left_at     TEXT,
    by_user     INTEGER REFERENCES users(id)
);
CREATE INDEX deal_stages_by_deal ON deal_stages(deal_id, entered_at);

-- Follow-ups and tasks on a deal also carry the deal's company, so they show there too.
ALTER TABLE activities ADD COLUMN deal_id INTEGER REFERENCES deals(id);
ALTER TABLE tasks ADD COLUMN deal_id INTEGER REFERENCES deals(id);
CREATE INDEX activities_by_deal ON activities(deal_id, occurred_at) WHERE deal_id IS NOT NULL;
CREATE INDEX tasks_by_deal ON tasks(deal_id, done_at) WHERE deal_id IS NOT NULL;

-- The in-app notification centre: one row per recipient. `kind` names the message
-- (`notification.<kind>` in the catalogs), `params` fills it in (JSON), `link` opens it.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    link        TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notifications_by_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
