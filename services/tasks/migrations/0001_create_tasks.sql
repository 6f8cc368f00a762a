-- The tasks of every user. `completed` is not stored: it is status = 'completed'.
CREATE TABLE tasks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text NOT NULL,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'in_progress', 'completed', 'cancelled')),
  -- 1 low, 2 medium, 3 high: sorts in that order.
  priority smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
  tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  category text NOT NULL DEFAULT '' CHECK (char_length(category) <= 50),
  due_date timestamptz,
  remind_at timestamptz,
  -- Set when the reminder went out; cleared when remind_at changes.
  reminder_delivered_at timestamptz,
  recurrence text NOT NULL DEFAULT 'none'
    CHECK (recurrence IN ('none', 'daily', 'weekly', 'monthly')),
  completed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  -- The recurring task this one was created from; unique, so each task spawns
  -- at most one next occurrence however often it is completed.
  spawned_from bigint UNIQUE,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED,
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

-- One index per sort key, each ending in id for keyset pagination.
CREATE INDEX tasks_by_created ON tasks (user_id, created_at, id);
CREATE INDEX tasks_by_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_by_due_asc ON tasks (user_id, due_date ASC NULLS LAST, id);
CREATE INDEX tasks_by_due_desc ON tasks (user_id, due_date DESC NULLS LAST, id DESC);
CREATE INDEX tasks_by_priority ON tasks (user_id, priority, id);
CREATE INDEX tasks_by_title ON tasks (user_id, lower(title), id);
CREATE INDEX tasks_search ON tasks USING gin (search);
CREATE INDEX tasks_tags ON tasks USING gin (tags);
CREATE INDEX tasks_due_reminders ON tasks (user_id, remind_at)
  WHERE remind_at IS NOT NULL AND reminder_delivered_at IS NULL;

-- Tasks per user and status, kept by a trigger, so total_size of an
-- unfiltered (or status-only) list costs the same for 10 tasks or 100,000.
CREATE TABLE task_counts (
  user_id text NOT NULL,
  status text NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (user_id, status)
);

CREATE FUNCTION count_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE tasks.task_counts SET count = count - 1
      WHERE user_id = OLD.user_id AND status = OLD.status;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO tasks.task_counts (user_id, status, count) VALUES (NEW.user_id, NEW.status, 1)
      ON CONFLICT (user_id, status) DO UPDATE SET count = tasks.task_counts.count + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER tasks_count_insert_delete AFTER INSERT OR DELETE ON tasks
  FOR EACH ROW EXECUTE FUNCTION count_tasks();
CREATE TRIGGER tasks_count_status AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION count_tasks();

-- Results of Create and Complete by request id, so a retry within 24 hours
-- returns the first result and changes nothing.
CREATE TABLE idempotency_keys (
  user_id text NOT NULL,
  operation text NOT NULL,
  request_id text NOT NULL,
  task_id bigint,
  -- Snapshot of the task as first returned (to_jsonb of the row).
  result jsonb,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, operation, request_id)
);
