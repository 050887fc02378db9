-- Schema version 19: task reminders and the stalled-deal watch.

-- A task's reminder is sent once for its due date: `reminded_due` is the due date it was
-- sent for, so moving the task to another date arms the reminder again without anyone
-- having to clear it. `reminded_at` is when it was sent (UTC).
ALTER TABLE tasks ADD COLUMN reminded_at TEXT;
ALTER TABLE tasks ADD COLUMN reminded_due TEXT;

-- Tasks already overdue before this upgrade count as reminded, so the first run after an
-- upgrade does not bury everyone under reminders for work they already know is late.
UPDATE tasks SET reminded_due = due_date
 WHERE done_at IS NULL AND due_date IS NOT NULL AND due_date < date('now');

-- The reminder job's queue: open, assigned tasks whose reminder for their current due
-- date is still to be sent, by due date. Tasks leave it once reminded or done.
CREATE INDEX tasks_to_remind ON tasks(due_date)
 WHERE done_at IS NULL AND assignee_id IS NOT NULL AND reminded_due IS NOT due_date;

-- The stalled-deal watch: live deals not yet found stalled, per stage, by the time of their
-- latest sign of life, so each run reads only the deals that just went quiet.
CREATE INDEX deals_stall_watch ON deals(stage_id, coalesce(last_activity_at, stage_entered_at))
 WHERE deleted_at IS NULL AND stalled_at IS NULL;
