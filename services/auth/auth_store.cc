#include "services/auth/auth_store.h"

#include "common/pg/sql_error.h"
#include "common/status/status_macros.h"
#include "services/auth/account_rules.h"
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
// By the primary key (`id::text = $1` would read every row). Callers pass
// only UUIDs (IsUuid): a `sub` of another issuer finds nothing before the
// cast could fail.
constexpr Statement kSelectById{"auth_select_by_id",
                                "SELECT " ACCOUNT_COLUMNS " FROM auth.users WHERE id = $1::uuid"};
constexpr Statement kDeleteAccount{"auth_delete_account",
                                   "DELETE FROM auth.users WHERE id = $1::uuid"};
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
  if (!IsUuid(user_id)) {
    return error::AccountNotFound();
  }
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result found, conn->Execute(kSelectById, Params().Add(user_id)));
  if (found.rows() == 0) {
    return error::AccountNotFound();
  }
  return ReadAccount(found, 0);
}

absl::Status AuthStore::DeleteAccount(absl::string_view user_id) {
  if (!IsUuid(user_id)) {
    return error::AccountNotFound();
  }
  ASSIGN_OR_RETURN(common::pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(Result deleted, conn->Execute(kDeleteAccount, Params().Add(user_id)));
  if (deleted.affected_rows() == 0) {
    return error::AccountNotFound();
  }
  return absl::OkStatus();
}

}  // namespace todo::auth
