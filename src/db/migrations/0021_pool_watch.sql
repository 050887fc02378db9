-- Schema version 21: what the public pools (公海) need to watch records cheaply.

-- Whose a record was when it went into its pool (released or reclaimed), for the pool page.
ALTER TABLE leads ADD COLUMN pooled_from INTEGER REFERENCES users(id);
ALTER TABLE companies ADD COLUMN pooled_from INTEGER REFERENCES users(id);

-- The reclaim job reads an owner's live, unconverted leads by when they were last touched:
-- the latest of their last follow-up, when their owner took them from a pool, and creation.
-- (Companies need no such index: their last follow-up is one seek in activities_by_company.)
CREATE INDEX leads_quiet ON leads(
    owner_id, max(coalesce(last_activity_at, ''), coalesce(claimed_at, ''), created_at)
) WHERE deleted_at IS NULL AND status <> 'converted';

-- The claim limit counts what an owner holds that they took from a pool.
CREATE INDEX leads_claimed ON leads(owner_id, claimed_at)
    WHERE deleted_at IS NULL AND claimed_at IS NOT NULL;
CREATE INDEX companies_claimed ON companies(owner_id, claimed_at)
    WHERE deleted_at IS NULL AND claimed_at IS NOT NULL;
