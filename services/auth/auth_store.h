#pragma once

// The auth schema: accounts and failed sign-in counts. Thread-safe.
//
// Errors: ALREADY_EXISTS (error::EmailTaken) on a duplicate email,
// NOT_FOUND (error::AccountNotFound), UNAVAILABLE while the database cannot
// be reached, INTERNAL otherwise.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/connection_pool.h"
#include "common/time/clock.h"

namespace todo::auth {

struct Account {
  std::string id;
  std::string email;
  std::string name;
  std::string password_hash;
  absl::Time created_at;
  absl::Time updated_at;
};

class AuthStore {
 public:
  AuthStore(common::pg::ConnectionPool* pool, const common::time::Clock* clock);

  absl::StatusOr<Account> CreateAccount(absl::string_view email, absl::string_view name,
                                        absl::string_view password_hash);
  // By lower-case email; nullopt when there is none.
  absl::StatusOr<std::optional<Account>> FindByEmail(absl::string_view email_lower);
  absl::StatusOr<Account> GetAccount(absl::string_view user_id);
  absl::Status DeleteAccount(absl::string_view user_id);

 private:
  common::pg::ConnectionPool* const pool_;
  const common::time::Clock* const clock_;
};

}  // namespace todo::auth
