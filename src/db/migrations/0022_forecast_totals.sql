-- Schema version 22: the forecast's sums, kept per month of expected close, owner, stage and
-- currency by triggers (like the board's stage totals), so a forecast over 300,000 deals
-- adds up a few thousand rows instead of reading every deal in its months.
CREATE TABLE forecast_totals (
    month       TEXT NOT NULL,                                 -- YYYY-MM of expected close
    owner_id    INTEGER NOT NULL,                              -- 0 for deals nobody owns
    stage_id    INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    deals       INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (month, owner_id, stage_id, currency)
) WITHOUT ROWID;

INSERT INTO forecast_totals
SELECT substr(expected_close, 1, 7), ifnull(owner_id, 0), stage_id, currency, count(*), sum(amount)
FROM deals WHERE deleted_at IS NULL AND expected_close IS NOT NULL
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER deals_forecast_insert AFTER INSERT ON deals
WHEN new.deleted_at IS NULL AND new.expected_close IS NOT NULL BEGIN
    INSERT INTO forecast_totals VALUES (substr(new.expected_close, 1, 7), ifnull(new.owner_id, 0),
                                        new.stage_id, new.currency, 1, new.amount)
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_forecast_update
AFTER UPDATE OF expected_close, owner_id, stage_id, currency, amount, deleted_at ON deals BEGIN
    UPDATE forecast_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE old.deleted_at IS NULL AND old.expected_close IS NOT NULL
       AND month = substr(old.expected_close, 1, 7) AND owner_id = ifnull(old.owner_id, 0)
       AND stage_id = old.stage_id AND currency = old.currency;
    INSERT INTO forecast_totals
    SELECT substr(new.expected_close, 1, 7), ifnull(new.owner_id, 0), new.stage_id, new.currency, 1, new.amount
     WHERE new.deleted_at IS NULL AND new.expected_close IS NOT NULL
    ON CONFLICT DO UPDATE SET deals = deals + 1, amount = amount + excluded.amount;
END;
CREATE TRIGGER deals_forecast_delete AFTER DELETE ON deals
WHEN old.deleted_at IS NULL AND old.expected_close IS NOT NULL BEGIN
    UPDATE forecast_totals SET deals = deals - 1, amount = amount - old.amount
     WHERE month = substr(old.expected_close, 1, 7) AND owner_id = ifnull(old.owner_id, 0)
       AND stage_id = old.stage_id AND currency = old.currency;
END;
