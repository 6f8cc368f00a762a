#include "common/tombstones/deleted_users.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/pg/statement.h"
#include "common/status/status_macros.h"

namespace todo::common::tombstones {

DeletedUsers::DeletedUsers(pg::ConnectionPool* pool, absl::string_view schema,
                           absl::Duration refresh)
    : pool_(pool),
      statement_name_(absl::StrCat(schema, "_deleted_users_since")),
      statement_sql_(absl::StrCat("SELECT user_id, deleted_at::text FROM ", schema,
                                  ".deleted_users WHERE deleted_at >= $1::timestamptz "
                                  "ORDER BY deleted_at")) {
  if (absl::Status loaded = Refresh(); !loaded.ok()) {
    logging::Warning("deleted_users_refresh_failed", {{"error", loaded.message()}});
  }
  refresher_ = std::thread([this, refresh] { RefreshUntilStopped(refresh); });
}

DeletedUsers::~DeletedUsers() {
  stop_.Notify();
  refresher_.join();
}

bool DeletedUsers::Contains(absl::string_view user_id) const {
  // Every call of a service asks; writers come once a second at most.
  absl::ReaderMutexLock lock(&mu_);
  return users_.contains(user_id);
}

void DeletedUsers::Add(absl::string_view user_id) {
  absl::MutexLock lock(&mu_);
  users_.emplace(user_id);
}

absl::Status DeletedUsers::Refresh() {
  std::string since;
  {
    absl::MutexLock lock(&mu_);
    since = seen_until_;
  }
  const pg::Statement statement{statement_name_.c_str(), statement_sql_.c_str()};
  ASSIGN_OR_RETURN(pg::PooledConnection conn, pool_->Checkout());
  ASSIGN_OR_RETURN(pg::Result rows, conn->Execute(statement, pg::Params().Add(since)));
  absl::MutexLock lock(&mu_);
  for (int row = 0; row < rows.rows(); ++row) {
    users_.emplace(rows.GetText(row, 0));
    seen_until_ = std::string(rows.GetText(row, 1));
  }
  return absl::OkStatus();
}

void DeletedUsers::RefreshUntilStopped(absl::Duration refresh) {
  while (!stop_.WaitForNotificationWithTimeout(refresh)) {
    if (absl::Status refreshed = Refresh(); !refreshed.ok()) {
      logging::Warning("deleted_users_refresh_failed", {{"error", refreshed.message()}});
    }
  }
}

}  // namespace todo::common::tombstones
