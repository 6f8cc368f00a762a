-- Search reads only the searching user's entries of the text index.
--
-- With one index over everybody's words, a search paid for every other user:
-- a prefix query gathers all users' matches before user_id filters them
-- ("benchmark" took 9 ms for a user with none of it, beside 1.1M tasks of
-- others that had it), and the planner, which cannot estimate a prefix
-- query, ANDed the text index with a user_id index read in full (13 ms for a
-- user with 100,000 tasks, 0.5 ms before the others' rows existed).
--
-- Every lexeme is now stored behind a key derived from its owner, so a
-- search is a range scan of the owner's entries alone and costs what the
-- owner's own matches cost. The key is short and may collide between users;
-- queries still filter on user_id, so a collision only costs time.

CREATE FUNCTION tasks.search_owner_key(owner text) RETURNS text
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
  RETURN left(md5(owner), 8);

-- A lexeme can be at most 2047 bytes. to_tsvector drops longer words, but
-- the key can push a kept word over the limit, and array_to_tsvector does not
-- check it (it stores the word with a wrong length): such words are dropped.
-- PL/pgSQL, not SQL: a generated column calls it once per written row, and a
-- SQL function's body is read back from the catalog on every statement (an
-- INSERT took 30% longer); PL/pgSQL keeps the compiled function per session
-- (5% longer than before the key).
CREATE FUNCTION tasks.owner_search_vector(owner text, body text) RETURNS tsvector
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
BEGIN
  RETURN array_to_tsvector(ARRAY(
    SELECT tasks.search_owner_key(owner) || lexeme
    FROM unnest(to_tsvector('simple', body))
    WHERE octet_length(lexeme) <= 2039));
END $$;

-- Every word of `words` as a prefix of the owner's lexemes, all required.
-- Words are split and lower-cased as to_tsvector does for the stored text.
-- NULL (matches nothing) when there is no word.
CREATE FUNCTION tasks.owner_search_query(owner text, words text) RETURNS tsquery
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
  RETURN (
    SELECT string_agg(
      '''' || replace(replace(tasks.search_owner_key(owner) || lexeme, '\', '\\'), '''', '''''')
        || ''':*', ' & ')::tsquery
    FROM unnest(to_tsvector('simple', words))
    WHERE octet_length(lexeme) <= 2039);

ALTER TABLE tasks.tasks DROP COLUMN search;
ALTER TABLE tasks.tasks ADD COLUMN owner_search tsvector
  GENERATED ALWAYS AS (tasks.owner_search_vector(user_id, title || ' ' || description)) STORED;
CREATE INDEX tasks_owner_search ON tasks.tasks USING gin (owner_search) WITH (fastupdate = off);
