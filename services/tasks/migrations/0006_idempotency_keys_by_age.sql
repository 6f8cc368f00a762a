-- Every keyed write drops its user's keys older than 24 hours. Without this
-- index that DELETE walked all of the user's keys through the primary key's
-- user_id prefix, so each keyed write got slower with every keyed write the
-- user made that day (a chat user adding 60,000 tasks: 10 ms of Postgres
-- per add). With it, the expired keys are one short range.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (user_id, created_at);
