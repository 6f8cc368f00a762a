#include "services/auth/auth_store.h"

#include "common/pg/sql_error.h"
#include "common/status/status_macros.h"
#include "services/auth/errors.h"

namespace todo::auth {
namespace {

using common::pg::Params;
using common::pg::Result;
using common::pg::Statement;

#define ACCOUNT_COLUMNS "id::text, email, name, password_hash, created_at, updated_at"

constexpr Statement kInsertAccount{
    "auth_insert_account",
    "INSERT INTO auth.users (email, email_lower, name, password_hash, created_at, updated_at) "
    "VALUES ($1, lower($1), $2, $3, $4, $4) RETURNING " ACCOUNT_COLUMNS};
constexpr Statement kSelectByEmail{
    "auth_select_by_email", "SELECT " ACCOUNT_COLUMNS " FROM auth.users WHERE email_lower = $1"};
// A `sub` that is not a UUID (a token from another issuer) finds nothing
// rather than failing the cast.
constexpr Statement kSelectById{"auth_select_by_id",
                                "SELECT " ACCOUNT_COLUMNS " FROM auth.users WHERE id::text = $1"};
constexpr Statement kDeleteAccount{"auth_delete_account",
                                   "DELETE FROM auth.users WHERE id::text = $1"};
constexpr Statement kSelectFailures{
    "auth_select_failures",
    "SELECT failures, locked_until FROM auth.sign_in_failures "
    "WHERE email_lower = $1 AND (window_started_at > $2 OR locked_until > $3)"};
// Starts a new window when the old one ran out (and no lock holds).
constexpr Statement kRecordFailure{
    "auth_record_failure",
    "INSERT INTO auth.sign_in_failures AS f (email_lower, failures, window_started_at) "
    "VALUES ($1, 1, $2) ON CONFLICT (email_lower) DO UPDATE SET "
    "failures = CASE WHEN f.window_started_at <= $3 AND (f.locked_until IS NULL OR "
    "f.locked_until <= $2) THEN 1 ELSE f.failures + 1 END, "
    "window_started_at = CASE WHEN f.window_started_at <= $3 AND (f.locked_until IS NULL OR "
    "f.locked_until <= $2) THEN $2 ELSE f.window_started_at END, "
    "locked_until = CASE WHEN f.locked_until > $2 THEN f.locked_until ELSE NULL END "
    "RETURNING failures, locked_until"};
constexpr Statement kLock{
    "auth_lock", "UPDATE auth.sign_in_failures SET locked_until = $2 WHERE email_lower = $1"};
constexpr Statement kClearFailures{"auth_clear_failures",
                                   "DELETE FROM auth.sign_in_failures WHERE email_lower = $1"};

#undef ACCOUNT_COLUMNS

absl::StatusOr<Account> ReadAccount(const Result& result, int row) {
  Account account;
  account.id = std::string(result.GetText(row, 0));
  account.email = std::string(result.GetText(row, 1));
  account.name = std::string(result.GetText(row, 2));
  account.password_hash = std::string(result.GetText(row, 3));
  ASSIGN_OR_RETURN(account.created_at, result.GetTime(row, 4));
  ASSIGN_OR_RETURN(account.updated_at, result.GetTime(row, 5));
  return account;
}

absl::StatusOr<FailureState> ReadFailures(const Result& result) {
  FailureState state;
  if (result.rows() == 0) {
    return state;
  }
  ASSIGN_OR_RETURN(const int64_t failures, result.GetInt64(0, 0));
  state.failures = static_cast<int>(failures);
  ASSIGN_OR_RETURN(state.locked_until, result.GetOptionalTime(0, 1));
  return state;
}

}  // namespace

AuthStore::AuthStore(common::pg::ConnectionPool* pool, const common::time::Clock* clock)
    : pool_(pool), clock_(clock) {}

absl::StatusOr<Account> AuthStore::CreateAccount(absl::string_view email, absl::string_view name,
                                                 absl::string_view password_hash) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  absl::StatusOr<Result> inserted = conn->Execute(
      kInsertAccount, Params().Add(email).Add(name).Add(password_hash).Add(clock_->Now()));
  if (!inserted.ok()) {
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return error::EmailTaken();
    }
    return inserted.status();
  }
  return ReadAccount(*inserted, 0);
}

absl::StatusOr<std::optional<Account>> AuthStore::FindByEmail(absl::string_view email_lower) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result found, conn->Execute(kSelectByEmail, Params().Add(email_lower)));
  if (found.rows() == 0) {
    return std::optional<Account>();
  }
  ASSIGN_OR_RETURN(Account account, ReadAccount(found, 0));
  return std::optional<Account>(std::move(account));
}

absl::StatusOr<Account> AuthStore::GetAccount(absl::string_view user_id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result found, conn->Execute(kSelectById, Params().Add(user_id)));
  if (found.rows() == 0) {
    return error::AccountNotFound();
  }
  return ReadAccount(found, 0);
}

absl::Status AuthStore::DeleteAccount(absl::string_view user_id) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result deleted, conn->Execute(kDeleteAccount, Params().Add(user_id)));
  if (deleted.affected_rows() == 0) {
    return error::AccountNotFound();
  }
  return absl::OkStatus();
}

absl::StatusOr<FailureState> AuthStore::Failures(absl::string_view email_lower,
                                                 absl::Duration window) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(
      Result found,
      conn->Execute(kSelectFailures, Params().Add(email_lower).Add(now - window).Add(now)));
  return ReadFailures(found);
}

absl::StatusOr<FailureState> AuthStore::RecordFailure(absl::string_view email_lower,
                                                      absl::Duration window, int lock_after,
                                                      absl::Duration lockout) {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(
      Result recorded,
      conn->Execute(kRecordFailure, Params().Add(email_lower).Add(now).Add(now - window)));
  ASSIGN_OR_RETURN(FailureState state, ReadFailures(recorded));
  if (state.failures >= lock_after && !state.locked_until) {
    state.locked_until = now + lockout;
    RETURN_IF_ERROR(
        conn->Execute(kLock, Params().Add(email_lower).Add(*state.locked_until)).status());
  }
  return state;
}

absl::Status AuthStore::ClearFailures(absl::string_view email_lower) {
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  return conn->Execute(kClearFailures, Params().Add(email_lower)).status();
}

}  // namespace todo::auth
