#pragma once

// Keeps a service's grpc.health.v1 status in step with its database: every
// `interval` it pings Postgres over a connection of its own (so a busy pool
// never reads as an outage) and sets NOT_SERVING while the ping fails, SERVING
// again once it succeeds. Both the overall "" service and the named services
// are set; other names (rpc::kLivenessService) are left alone. Thread-safe; the watcher thread
// stops in the destructor.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/pg/connection.h"
#include "common/rpc/health.h"

namespace todo::common::health {

struct HealthWatcherOptions {
  pg::ConnectOptions connect;
  // Names set besides "", e.g. "todo.tasks.v1.TasksService".
  std::vector<std::string> service_names;
  absl::Duration interval = absl::Seconds(1);
};

class DatabaseHealthWatcher {
 public:
  // `health` must outlive the watcher.
  DatabaseHealthWatcher(HealthWatcherOptions options, rpc::HealthService* health);
  ~DatabaseHealthWatcher();
  DatabaseHealthWatcher(const DatabaseHealthWatcher&) = delete;
  DatabaseHealthWatcher& operator=(const DatabaseHealthWatcher&) = delete;

  // Checks once now (so the status is right before Start returns), then keeps
  // checking on a thread.
  void Start();
  bool serving() const { return serving_.load(); }

 private:
  void CheckOnce();
  void Publish(bool serving);

  const HealthWatcherOptions options_;
  rpc::HealthService* const health_;
  std::unique_ptr<pg::Connection> connection_;
  std::atomic<bool> serving_{false};
  bool published_once_ = false;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace todo::common::health
