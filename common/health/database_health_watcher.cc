#include "common/health/database_health_watcher.h"

#include <utility>

#include "common/logging/log.h"

namespace todo::common::health {

DatabaseHealthWatcher::DatabaseHealthWatcher(HealthWatcherOptions options,
                                             rpc::HealthService* health)
    : options_(std::move(options)), health_(health) {}

DatabaseHealthWatcher::~DatabaseHealthWatcher() {
  stop_.Notify();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void DatabaseHealthWatcher::Start() {
  CheckOnce();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      CheckOnce();
    }
  });
}

void DatabaseHealthWatcher::CheckOnce() {
  if (connection_ == nullptr) {
    pg::ConnectOptions connect = options_.connect;
    connect.application_name += "-health";
    auto opened = pg::Connection::Open(connect);
    if (opened.ok()) {
      connection_ = *std::move(opened);
    }
  }
  bool ok = connection_ != nullptr && connection_->Ping().ok();
  if (!ok) {
    connection_.reset();  // reconnect on the next tick
  }
  Publish(ok);
}

void DatabaseHealthWatcher::Publish(bool serving) {
  if (published_once_ && serving == serving_.load()) {
    return;
  }
  published_once_ = true;
  serving_.store(serving);
  health_->SetServingStatus("", serving);  // not every name: liveness stays
  for (const std::string& name : options_.service_names) {
    health_->SetServingStatus(name, serving);
  }
  if (serving) {
    logging::Info("health_serving");
  } else {
    logging::Warning("health_not_serving", {{"reason", "database unreachable"}});
  }
}

}  // namespace todo::common::health
