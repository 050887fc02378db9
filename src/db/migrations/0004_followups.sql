-- Schema version 4: follow-ups (跟进记录) and tasks. Both hang off a company and/or a contact;
-- a contact's follow-ups also show on its company's page.
CREATE TABLE activities (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER REFERENCES companies(id),
    contact_id    INTEGER REFERENCES contacts(id),
    kind          TEXT NOT NULL CHECK (kind IN ('call', 'visit', 'meeting', 'note', 'email')),
    outcome       TEXT,
    body          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,                 -- UTC, when it happened
    next_follow_up TEXT,                         -- YYYY-MM-DD, local date
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    CHECK (company_id IS NOT NULL OR contact_id IS NOT NULL)
);
CREATE INDEX activities_by_company ON activities(company_id, occurred_at);
CREATE INDEX activities_by_contact ON activities(contact_id, occurred_at);

CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER REFERENCES companies(id),
    contact_id    INTEGER REFERENCES contacts(id),
    title         TEXT NOT NULL,
    due_date      TEXT,                          -- YYYY-MM-DD, local date
    assignee_id   INTEGER REFERENCES users(id),
    done_at       TEXT,
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tasks_open_by_assignee ON tasks(assignee_id, due_date) WHERE done_at IS NULL;
CREATE INDEX tasks_by_company ON tasks(company_id, done_at);
CREATE INDEX tasks_by_contact ON tasks(contact_id, done_at);
