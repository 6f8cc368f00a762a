#include "common/pg/transaction.h"

namespace todo::common::pg {

absl::StatusOr<Transaction> Transaction::Begin(Connection& connection, Isolation isolation) {
  const char* sql = "BEGIN";
  switch (isolation) {
    case Isolation::kReadCommitted:
      break;
    case Isolation::kRepeatableRead:
      sql = "BEGIN ISOLATION LEVEL REPEATABLE READ";
      break;
    case Isolation::kSerializable:
      sql = "BEGIN ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (absl::Status status = connection.ExecuteScript("begin", sql); !status.ok()) {
    return status;
  }
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), open_(other.open_) {
  other.open_ = false;
}

Transaction::~Transaction() {
  if (open_) {
    // A failed rollback leaves the connection unusable; the pool sees that
    // (IsReusable) and drops it.
    connection_->ExecuteScript("rollback", "ROLLBACK").IgnoreError();
  }
}

absl::Status Transaction::Commit() {
  open_ = false;
  return connection_->ExecuteScript("commit", "COMMIT");
}

}  // namespace todo::common::pg
