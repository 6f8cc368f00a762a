#include "common/metrics/service_metrics.h"

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace todo::common::metrics {
namespace {

// go-grpc-prometheus's buckets, with two below 5 ms: most of our calls are.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

// "/todo.tasks.v1.TasksService/GetTask" -> the service and method labels.
std::pair<std::string, std::string> ServiceAndMethod(absl::string_view path) {
  if (path.empty()) return {"unknown", "unknown"};
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(path.substr(1), absl::MaxSplits('/', 1));
  return {std::string(parts.first), std::string(parts.second)};
}

prometheus::ClientMetric Gauge(double value, std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

}  // namespace

// The watched pool's and pipeline's counts, read when Prometheus scrapes.
class DatabaseGauges : public prometheus::Collectable {
 public:
  void Set(const pg::ConnectionPool* pool) {
    absl::MutexLock lock(&mu_);
    pool_ = pool;
  }
  void Set(const pg::LoopPipeline* pipeline) {
    absl::MutexLock lock(&mu_);
    pipeline_ = pipeline;
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    std::vector<prometheus::MetricFamily> families;
    if (pool_ != nullptr) {
      const pg::PoolStats stats = pool_->stats();
      families.push_back(
          {"todo_db_pool_connections",
           "Database connections of the pool: open (idle, in use or being opened), idle, in use",
           prometheus::MetricType::Gauge,
           {Gauge(stats.open, {{"state", "open"}}), Gauge(stats.idle, {{"state", "idle"}}),
            Gauge(stats.open - stats.idle, {{"state", "in_use"}})}});
      families.push_back({"todo_db_pool_waiting",
                          "Callers waiting for a pool connection",
                          prometheus::MetricType::Gauge,
                          {Gauge(stats.waiting, {})}});
    }
    if (pipeline_ != nullptr) {
      const pg::LoopPipelineStats stats = pipeline_->stats();
      families.push_back({"todo_db_pipeline_connections",
                          "Pipelined database connections of the event loops, up or down",
                          prometheus::MetricType::Gauge,
                          {Gauge(stats.up, {{"state", "up"}}),
                           Gauge(stats.connections - stats.up, {{"state", "down"}})}});
      families.push_back(
          {"todo_db_pipeline_statements",
           "Pipelined statements taken and not answered yet (waiting, queued or sent)",
           prometheus::MetricType::Gauge,
           {Gauge(static_cast<double>(stats.statements), {})}});
    }
    return families;
  }

 private:
  mutable absl::Mutex mu_;
  const pg::ConnectionPool* pool_ ABSL_GUARDED_BY(mu_) = nullptr;
  const pg::LoopPipeline* pipeline_ ABSL_GUARDED_BY(mu_) = nullptr;
};

absl::StatusOr<std::unique_ptr<ServiceMetrics>> ServiceMetrics::Start(
    const MetricsOptions& options) {
  std::unique_ptr<ServiceMetrics> metrics(new ServiceMetrics());
  metrics->registry_ = std::make_shared<prometheus::Registry>();
  prometheus::Registry& registry = *metrics->registry_;
  metrics->handled_ = &prometheus::BuildCounter()
                           .Name("grpc_server_handled_total")
                           .Help("gRPC calls completed on the server, by method and code")
                           .Register(registry);
  metrics->handling_seconds_ =
      &prometheus::BuildHistogram()
           .Name("grpc_server_handling_seconds")
           .Help("Time from a call's request headers to its status, by method")
           .Register(registry);
  metrics->serving_ = &prometheus::BuildGauge()
                           .Name("todo_health_serving")
                           .Help("1 while the health name reports SERVING, else 0")
                           .Register(registry);
  metrics->http_requests_ = &prometheus::BuildCounter()
                                 .Name("http_server_requests_total")
                                 .Help("HTTP answers of the gateway, by route and status")
                                 .Register(registry);
  metrics->http_seconds_ =
      &prometheus::BuildHistogram()
           .Name("http_server_request_duration_seconds")
           .Help("Time from a request's arrival to its answer's status, by route")
           .Register(registry);
  prometheus::BuildGauge()
      .Name("todo_build_info")
      .Help("The running build; always 1")
      .Register(registry)
      .Add({{"service", options.service}, {"version", TODO_VERSION}})
      .Set(1);
  try {
    metrics->exposer_ = std::make_unique<prometheus::Exposer>(
        absl::StrCat(options.listen_address, ":", options.port));
  } catch (const std::exception& error) {
    return absl::FailedPreconditionError(absl::StrCat("metrics: cannot listen on ",
                                                      options.listen_address, ":", options.port,
                                                      ": ", error.what()));
  }
  metrics->exposer_->RegisterCollectable(metrics->registry_);
  metrics->database_gauges_ = std::make_shared<DatabaseGauges>();
  metrics->exposer_->RegisterCollectable(metrics->database_gauges_);
  const std::vector<int> ports = metrics->exposer_->GetListeningPorts();
  metrics->port_ = ports.empty() ? options.port : ports.front();
  return metrics;
}

ServiceMetrics::~ServiceMetrics() = default;

void ServiceMetrics::Attach(rpc::ServiceServerOptions* options) {
  options->server.on_call_end = [this](const rpc::CallOutcome& outcome) { ObserveCall(outcome); };
  options->on_health_change = [this](const std::string& service, bool serving) {
    SetHealth(service, serving);
  };
}

void ServiceMetrics::ObserveCall(const rpc::CallOutcome& outcome) {
  auto [service, method] = ServiceAndMethod(outcome.method);
  handled_
      ->Add({{"grpc_service", service},
             {"grpc_method", method},
             {"grpc_code", absl::StatusCodeToString(outcome.code)}})
      .Increment();
  handling_seconds_
      ->Add({{"grpc_service", std::move(service)}, {"grpc_method", std::move(method)}},
            LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(outcome.elapsed));
}

void ServiceMetrics::ObserveHttp(absl::string_view route, int status, absl::Duration elapsed) {
  const std::string label = route.empty() ? "unmatched" : std::string(route);
  http_requests_->Add({{"route", label}, {"code", absl::StrCat(status)}}).Increment();
  http_seconds_->Add({{"route", label}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(elapsed));
}

std::unique_ptr<Watch> ServiceMetrics::WatchPool(const pg::ConnectionPool* pool) {
  database_gauges_->Set(pool);
  return std::make_unique<Watch>([gauges = database_gauges_] {
    gauges->Set(static_cast<const pg::ConnectionPool*>(nullptr));
  });
}

std::unique_ptr<Watch> ServiceMetrics::WatchPipeline(const pg::LoopPipeline* pipeline) {
  database_gauges_->Set(pipeline);
  return std::make_unique<Watch>(
      [gauges = database_gauges_] { gauges->Set(static_cast<const pg::LoopPipeline*>(nullptr)); });
}

void ServiceMetrics::SetHealth(const std::string& service, bool serving) {
  serving_->Add({{"health_service", service.empty() ? "(server)" : service}}).Set(serving ? 1 : 0);
}

}  // namespace todo::common::metrics
