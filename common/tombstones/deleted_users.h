#pragma once

// Users whose accounts were deleted, as one service's schema records them
// (table <schema>.deleted_users, written by that service's purge in the same
// transaction that removes their data). Their tokens stay valid by signature
// until they expire, so every service refuses the users listed here.
//
// Kept in memory and refreshed from the table every `refresh` by a thread of
// its own, so every replica refuses a deleted user within that time; Add
// makes it immediate in the replica that purged. Writes do not depend on the
// refresh: the store's inserts check the table themselves.
//
// Thread-safe. Grows by one id per deleted account (tens of bytes each).

#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/pg/connection_pool.h"

namespace todo::common::tombstones {

class DeletedUsers {
 public:
  // Loads the list once (a failure is logged and retried by the refresher).
  DeletedUsers(pg::ConnectionPool* pool, absl::string_view schema, absl::Duration refresh);
  ~DeletedUsers();
  DeletedUsers(const DeletedUsers&) = delete;
  DeletedUsers& operator=(const DeletedUsers&) = delete;

  bool Contains(absl::string_view user_id) const;
  void Add(absl::string_view user_id);
  // Reads the rows written since the last refresh.
  absl::Status Refresh();

 private:
  void RefreshUntilStopped(absl::Duration refresh);

  pg::ConnectionPool* const pool_;
  const std::string statement_name_;
  const std::string statement_sql_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> users_ ABSL_GUARDED_BY(mu_);
  // The newest deleted_at seen, as Postgres printed it (read again with >=,
  // so rows that share it are not missed).
  std::string seen_until_ ABSL_GUARDED_BY(mu_) = "-infinity";
  absl::Notification stop_;
  std::thread refresher_;
};

}  // namespace todo::common::tombstones
