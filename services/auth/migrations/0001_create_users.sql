-- Accounts. The email is kept as typed for display; uniqueness and look-up
-- use its lower-case form.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  email_lower text NOT NULL UNIQUE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- Argon2id in PHC string format; never leaves this table.
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Failed sign-ins per email (existing or not), shared by every replica so an
-- attacker gains nothing by spreading guesses across them. A row is only as
-- old as the current failure window.
CREATE TABLE sign_in_failures (
  email_lower text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
