-- An assistant message may ask the user to confirm a bulk or destructive
-- action ("delete all 12 tasks?"); the action waits here, with the question,
-- for the next turn: a "yes" carries it out, anything else drops it. NULL:
-- nothing waits.
ALTER TABLE messages ADD COLUMN pending_action jsonb;
