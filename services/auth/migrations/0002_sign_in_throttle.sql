-- Sign-in attempts per key ("pair:<email> <address>", "email:<email>",
-- "address:<address>"), shared by every replica. An attempt is reserved
-- here, under the row lock, before its password is hashed: concurrency can
-- never let more guesses be checked than the delays allow. Replaces the
-- failure counter, whose count was read and then acted on.
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_throttle (
  key text PRIMARY KEY,
  -- Attempts reserved in the current window (forgotten after a quiet window).
  attempts integer NOT NULL,
  -- No attempt for this key is checked before this time.
  blocked_until timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX sign_in_throttle_by_update ON sign_in_throttle (updated_at);
