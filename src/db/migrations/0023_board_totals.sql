-- Schema version 23: the board's running totals also keep one row per stage and currency for
-- all owners together (owner_id -1), so the board of a whole pipeline reads a handful of rows.
DROP TRIGGER deals_totals_insert;
DROP TRIGGER deals_totals_update;
DROP TRIGGER deals_totals_delete;

INSERT INTO stage_totals
SELECT stage_id, -1, currency, sum(deals), sum(amount) FROM stage_totals
WHERE owner_id >= 0 GROUP BY stage_id, currency;

CREATE TRIGGER deals_totals_insert AFTER INSERT ON deals WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO stage_totals VALUES (new.stage_id, ifnull(new.owner_id, 0), new.currency, 1, new.amount)
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
    INSERT INTO stage_totals VALUES (new.stage_id, -1, new.currency, 1, new.amount)
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_totals_update AFTER UPDATE OF stage_id, owner_id, currency, amount, deleted_at ON deals BEGIN
    UPDATE stage_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE old.deleted_at IS NULL AND stage_id = old.stage_id
       AND owner_id IN (ifnull(old.owner_id, 0), -1) AND currency = old.currency;
    INSERT INTO stage_totals SELECT new.stage_id, ifnull(new.owner_id, 0), new.currency, 1, new.amount
     WHERE new.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
    INSERT INTO stage_totals SELECT new.stage_id, -1, new.currency, 1, new.amount
     WHERE new.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_totals_delete AFTER DELETE ON deals WHEN old.deleted_at IS NULL BEGIN
    UPDATE stage_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE stage_id = old.stage_id AND owner_id IN (ifnull(old.owner_id, 0), -1)
       AND currency = old.currency;
END;
