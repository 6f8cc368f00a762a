-- SendMessage retried with the same x-request-id within 24 hours answers
-- what the first one answered and changes nothing. The fingerprint is what
-- the request asked (conversation, zone, message): the same id for another
-- request is refused.
CREATE TABLE turn_requests (
  user_id text NOT NULL,
  request_id text NOT NULL,
  fingerprint text NOT NULL,
  conversation_id bigint NOT NULL,
  reply text NOT NULL,
  tool_calls jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, request_id)
);
CREATE INDEX turn_requests_by_time ON turn_requests (created_at);
