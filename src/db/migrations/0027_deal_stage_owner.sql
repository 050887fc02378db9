-- The board's columns of a team: the stage index also holds the owner, so the deals of
-- other owners are passed over in the index instead of each being read from the table.
DROP INDEX deals_live_stage;
CREATE INDEX deals_live_stage ON deals(stage_id, updated_at, id, owner_id) WHERE deleted_at IS NULL;
