-- Users whose accounts were deleted (written by PurgeUserTasks with the
-- purge itself). Their tokens are refused from then on, and the task inserts
-- check this table, so nothing is written under a deleted user even by a
-- replica that has not heard of the deletion yet.
CREATE TABLE deleted_users (
  user_id text PRIMARY KEY,
  deleted_at timestamptz NOT NULL
);
CREATE INDEX deleted_users_by_time ON deleted_users (deleted_at);
