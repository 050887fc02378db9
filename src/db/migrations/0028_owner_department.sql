-- A record keeps its owner's department, so a department's list in order of last change reads
-- one range of an index instead of merging one run per member (other orders still merge the
-- members' runs: each index costs every import and save).
--
-- A new record gets its owner's department in its INSERT (`records::store::insert`, the
-- seed): a trigger on insert would make SQLite keep a statement journal for every row an
-- import writes. Triggers keep the copy right when an owner changes and when a user moves
-- to another department.

ALTER TABLE contacts ADD COLUMN owner_department_id INTEGER;
UPDATE contacts SET owner_department_id = (SELECT department_id FROM users WHERE id = contacts.owner_id)
 WHERE owner_id IN (SELECT id FROM users WHERE department_id IS NOT NULL);

CREATE INDEX contacts_live_dept ON contacts(owner_department_id, updated_at, id)
    WHERE deleted_at IS NULL AND owner_department_id IS NOT NULL;

CREATE TRIGGER contacts_owner_department_update AFTER UPDATE OF owner_id, owner_department_id ON contacts
WHEN new.owner_department_id IS NOT (SELECT department_id FROM users WHERE id = new.owner_id) BEGIN
    UPDATE contacts SET owner_department_id = (SELECT department_id FROM users WHERE id = new.owner_id)
     WHERE id = new.id;
END;

ALTER TABLE companies ADD COLUMN owner_department_id INTEGER;
UPDATE companies SET owner_department_id = (SELECT department_id FROM users WHERE id = companies.owner_id)
 WHERE owner_id IN (SELECT id FROM users WHERE department_id IS NOT NULL);

CREATE INDEX companies_live_dept ON companies(owner_department_id, updated_at, id)
    WHERE deleted_at IS NULL AND owner_department_id IS NOT NULL;

CREATE TRIGGER companies_owner_department_update AFTER UPDATE OF owner_id, owner_department_id ON companies
WHEN new.owner_department_id IS NOT (SELECT department_id FROM users WHERE id = new.owner_id) BEGIN
    UPDATE companies SET owner_department_id = (SELECT department_id FROM users WHERE id = new.owner_id)
     WHERE id = new.id;
END;

ALTER TABLE deals ADD COLUMN owner_department_id INTEGER;
UPDATE deals SET owner_department_id = (SELECT department_id FROM users WHERE id = deals.owner_id)
 WHERE owner_id IN (SELECT id FROM users WHERE department_id IS NOT NULL);

CREATE INDEX deals_live_dept ON deals(owner_department_id, updated_at, id)
    WHERE deleted_at IS NULL AND owner_department_id IS NOT NULL;

CREATE TRIGGER deals_owner_department_update AFTER UPDATE OF owner_id, owner_department_id ON deals
WHEN new.owner_department_id IS NOT (SELECT department_id FROM users WHERE id = new.owner_id) BEGIN
    UPDATE deals SET owner_department_id = (SELECT department_id FROM users WHERE id = new.owner_id)
     WHERE id = new.id;
END;

ALTER TABLE leads ADD COLUMN owner_department_id INTEGER;
UPDATE leads SET owner_department_id = (SELECT department_id FROM users WHERE id = leads.owner_id)
 WHERE owner_id IN (SELECT id FROM users WHERE department_id IS NOT NULL);

CREATE INDEX leads_live_dept ON leads(owner_department_id, updated_at, id)
    WHERE deleted_at IS NULL AND owner_department_id IS NOT NULL;

CREATE TRIGGER leads_owner_department_update AFTER UPDATE OF owner_id, owner_department_id ON leads
WHEN new.owner_department_id IS NOT (SELECT department_id FROM users WHERE id = new.owner_id) BEGIN
    UPDATE leads SET owner_department_id = (SELECT department_id FROM users WHERE id = new.owner_id)
     WHERE id = new.id;
END;

CREATE TRIGGER users_department_moves_records AFTER UPDATE OF department_id ON users
WHEN new.department_id IS NOT old.department_id BEGIN
    UPDATE contacts SET owner_department_id = new.department_id WHERE owner_id = new.id;
    UPDATE companies SET owner_department_id = new.department_id WHERE owner_id = new.id;
    UPDATE deals SET owner_department_id = new.department_id WHERE owner_id = new.id;
    UPDATE leads SET owner_department_id = new.department_id WHERE owner_id = new.id;
END;
