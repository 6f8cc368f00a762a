-- Conversations with the assistant. Every row carries its owner's user id
-- (from the token, never from a message) and every statement filters on it.
CREATE TABLE conversations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text NOT NULL,
  -- Made from the first message.
  title text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- ListConversations: newest first, per user.
CREATE INDEX conversations_by_user ON conversations (user_id, updated_at DESC, id DESC);

-- One row per message, oldest first by id. An assistant message holds the
-- tool calls of its turn with their arguments and results (a JSON array of
-- {id, tool, args, result}), so a history window never splits a call from
-- its result.
CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  tool_calls jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

-- Users whose accounts were deleted (written by PurgeUserConversations with
-- the purge): their tokens are refused from then on (common/tombstones).
CREATE TABLE deleted_users (
  user_id text PRIMARY KEY,
  deleted_at timestamptz NOT NULL
);
CREATE INDEX deleted_users_by_time ON deleted_users (deleted_at);
