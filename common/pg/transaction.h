#pragma once

// A scoped transaction on one connection: BEGIN on construction, ROLLBACK on
// destruction unless Commit() succeeded.
//
//   ASSIGN_OR_RETURN(PooledConnection conn, pool.Checkout());
//   ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn));
//   RETURN_IF_ERROR(tx.Execute(kInsertTask, params).status());
//   RETURN_IF_ERROR(tx.Commit());

#include "absl/status/statusor.h"
#include "common/pg/connection.h"

namespace todo::common::pg {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Connection& connection,
                                           Isolation isolation = Isolation::kReadCommitted);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  absl::StatusOr<Result> Execute(const Statement& statement, const Params& params = Params()) {
    return connection_->Execute(statement, params);
  }
  Connection& connection() { return *connection_; }
  absl::Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;
  bool open_ = true;
};

}  // namespace todo::common::pg
