#pragma once

// A process's Prometheus metrics, served at /metrics on a port of their own
// by prometheus-cpp's exposer: gRPC calls handled (count and latency per
// method and code, under go-grpc-prometheus's names) and the status of each
// health name for a service, HTTP answers per route and status for the
// gateway, and build information for both. Attach() hooks a service server
// to them, the gateway's main its answers; neither server knows Prometheus.

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/pg/connection_pool.h"
#include "common/pg/loop_pipeline.h"
#include "common/rpc/server.h"
#include "common/rpc/service_server.h"

namespace prometheus {
class Exposer;
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace todo::common::metrics {

struct MetricsOptions {
  std::string listen_address = "0.0.0.0";
  // 0 picks a free port (tests); port() tells which.
  int port = 0;
  // "todo-tasks": the `service` label of todo_build_info.
  std::string service;
};

class DatabaseGauges;

// Ends a watch when destroyed.
class Watch {
 public:
  explicit Watch(std::function<void()> end) : end_(std::move(end)) {}
  ~Watch() { end_(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

 private:
  std::function<void()> end_;
};

class ServiceMetrics {
 public:
  // FAILED_PRECONDITION when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<ServiceMetrics>> Start(const MetricsOptions& options);
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  int port() const { return port_; }

  // Points `options`' call and health hooks here; the metrics must outlive
  // the server started with them.
  void Attach(rpc::ServiceServerOptions* options);

  void ObserveCall(const rpc::CallOutcome& outcome);
  void SetHealth(const std::string& service, bool serving);
  // An HTTP answer of the gateway: its route ("" when none matched), status
  // and time since the request arrived.
  void ObserveHttp(absl::string_view route, int status, absl::Duration elapsed);
  // Reports `pool`'s connections at every scrape (todo_db_pool_connections
  // by state, todo_db_pool_waiting) until the watch is destroyed, which
  // must happen before the pool is.
  std::unique_ptr<Watch> WatchPool(const pg::ConnectionPool* pool);
  // Reports `pipeline`'s connections (todo_db_pipeline_connections up and
  // down) and unanswered statements (todo_db_pipeline_statements) the same
  // way.
  std::unique_ptr<Watch> WatchPipeline(const pg::LoopPipeline* pipeline);

 private:
  ServiceMetrics() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* handled_ = nullptr;
  prometheus::Family<prometheus::Histogram>* handling_seconds_ = nullptr;
  prometheus::Family<prometheus::Gauge>* serving_ = nullptr;
  prometheus::Family<prometheus::Counter>* http_requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* http_seconds_ = nullptr;
  std::shared_ptr<DatabaseGauges> database_gauges_;
  int port_ = 0;
};

}  // namespace todo::common::metrics
