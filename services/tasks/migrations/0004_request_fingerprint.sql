-- What each idempotent request asked for (a SHA-256 of its message), so that
-- the same x-request-id with another request is refused (422) instead of
-- replaying a result that answers something else. Keys stored before this
-- migration have '' and match any request until they expire (24 h).
ALTER TABLE idempotency_keys ADD COLUMN fingerprint text NOT NULL DEFAULT '';
