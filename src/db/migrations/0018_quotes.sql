-- Schema version 18: products and quotes.
--
-- Amounts are whole minor units (分); percentages are hundredths of a percent (7.5% = 750);
-- quantities are thousandths (0.333 = 333). Everything is an exact integer: no REAL column.

-- A quote whose largest effective discount is above this needs a manager's approval
-- (hundredths of a percent; 2000 = 20%).
ALTER TABLE company_profile ADD COLUMN quote_approval_threshold INTEGER NOT NULL DEFAULT 2000
    CHECK (quote_approval_threshold BETWEEN 0 AND 10000);

-- The product catalog. Products are deactivated, never deleted: old quotes point at them.
CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL DEFAULT '',
    price       INTEGER NOT NULL CHECK (price >= 0),
    tax_rate    INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 10000),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX products_sku ON products(sku COLLATE NOCASE);
CREATE INDEX products_by_name ON products(active, name, id);

-- Quotes (报价单) for a deal, numbered per year (Q-2026-0001). `owner_id` is the deal's owner,
-- which decides who sees the quote; `approver_id` is the manager asked to approve it.
-- The totals are kept as computed when the lines were saved (see `crm::quotes::calc`).
CREATE TABLE quotes (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    year            INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    deal_id         INTEGER NOT NULL REFERENCES deals(id),
    owner_id        INTEGER REFERENCES users(id),
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN
                      ('draft', 'pending', 'approved', 'rejected', 'sent', 'accepted', 'declined')),
    currency        TEXT NOT NULL,
    discount        INTEGER NOT NULL DEFAULT 0 CHECK (discount BETWEEN 0 AND 10000),
    subtotal        INTEGER NOT NULL DEFAULT 0,
    discount_amount INTEGER NOT NULL DEFAULT 0,
    tax             INTEGER NOT NULL DEFAULT 0,
    total           INTEGER NOT NULL DEFAULT 0,
    valid_until     TEXT,
    notes           TEXT NOT NULL DEFAULT '',
    approver_id     INTEGER REFERENCES users(id),
    created_by      INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (year, seq)
);
-- The list is newest first (by id), filtered by status and by the viewer's scope.
CREATE INDEX quotes_by_status   ON quotes(status, id);
CREATE INDEX quotes_by_owner    ON quotes(owner_id, id);
CREATE INDEX quotes_owner_state ON quotes(owner_id, status, id);
CREATE INDEX quotes_by_approver ON quotes(approver_id, status) WHERE approver_id IS NOT NULL;
CREATE INDEX quotes_by_deal     ON quotes(deal_id, id);

-- A quote's lines, in order. Catalog values (SKU, name, unit, price, tax rate) are copied in,
-- so a later catalog change never alters a quote. `amount` is after the line's discount,
-- `overall_discount` is the line's share of the quote's discount, `tax` is on what is left.
CREATE TABLE quote_lines (
    id               INTEGER PRIMARY KEY,
    quote_id         INTEGER NOT NULL REFERENCES quotes(id),
    position         INTEGER NOT NULL,
    product_id       INTEGER REFERENCES products(id),
    sku              TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    unit             TEXT NOT NULL DEFAULT '',
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    price            INTEGER NOT NULL CHECK (price >= 0),
    discount         INTEGER NOT NULL DEFAULT 0 CHECK (discount BETWEEN 0 AND 10000),
    tax_rate         INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 10000),
    amount           INTEGER NOT NULL,
    overall_discount INTEGER NOT NULL,
    tax              INTEGER NOT NULL,
    UNIQUE (quote_id, position)
);

-- What happened to a quote's status, with the approver's comment: the approval history.
CREATE TABLE quote_events (
    id          INTEGER PRIMARY KEY,
    quote_id    INTEGER NOT NULL REFERENCES quotes(id),
    action      TEXT NOT NULL CHECK (action IN
                  ('submitted', 'approved', 'rejected', 'reopened', 'sent', 'accepted', 'declined')),
    user_id     INTEGER REFERENCES users(id),
    comment     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX quote_events_by_quote ON quote_events(quote_id, id);
