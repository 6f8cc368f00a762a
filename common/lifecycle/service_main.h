#pragma once

// The whole main of a gRPC service, the same for each: --help from its
// environment variables; then logging named for the service, its
// configuration (exit 2 when invalid), its schema's migrations, its App
// started (exit 1 when that fails) and served until SIGTERM/SIGINT.
//
// `App` has `static absl::StatusOr<std::unique_ptr<App>> Start(const Config&,
// const time::Clock&)` and `int ServeUntilTerminated()`; `Config` has the
// shared settings as `common`.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/lifecycle/process_setup.h"
#include "common/lifecycle/service_lifecycle.h"
#include "common/logging/log.h"
#include "common/metrics/service_metrics.h"
#include "common/pg/migrator.h"
#include "common/time/clock.h"

namespace todo::common::lifecycle {

template <typename Config>
struct ServiceMainSpec {
  const char* binary;        // "todo-tasks"
  const char* summary;       // one line for --help
  const char* service_name;  // in every log line: "tasks"
  std::vector<config::EnvVar> env_vars;
  absl::StatusOr<Config> (*load_config)(const config::Environment&);
  const char* schema;
  const std::vector<pg::Migration>& migrations;
};

template <typename App, typename Config>
int ServiceMain(int argc, char** argv, const ServiceMainSpec<Config>& spec) {
  // Before any thread exists, so every thread inherits the blocked mask.
  PrepareServerProcess();
  if (config::WantsHelp(argc, argv)) {
    std::fputs(config::FormatHelp(spec.binary, spec.summary, spec.env_vars).c_str(), stdout);
    return 0;
  }
  logging::SetServiceName(spec.service_name);
  absl::StatusOr<Config> loaded = spec.load_config(config::Environment::FromProcess());
  if (!loaded.ok()) {
    logging::Error("invalid_configuration", {{"error", loaded.status().message()}});
    return 2;
  }
  logging::SetMinLevel(loaded->common.log_level);
  // Started before the migrations, so a scrape during a long one answers.
  std::unique_ptr<metrics::ServiceMetrics> metrics;
  if (loaded->common.metrics_port > 0) {
    absl::StatusOr<std::unique_ptr<metrics::ServiceMetrics>> started =
        metrics::ServiceMetrics::Start({loaded->common.server.server.listen_address,
                                        loaded->common.metrics_port, spec.binary});
    if (!started.ok()) {
      logging::Error("server_start_failed", {{"error", started.status().message()}});
      return 1;
    }
    metrics = *std::move(started);
    metrics->Attach(&loaded->common.server);
    loaded->common.metrics = metrics.get();
  }
  if (std::optional<int> exit_code =
          ApplyMigrations(loaded->common.pool.connect, spec.schema, spec.migrations)) {
    return *exit_code;
  }
  absl::StatusOr<std::unique_ptr<App>> app = App::Start(*loaded, time::Clock::Real());
  if (!app.ok()) {
    logging::Error("server_start_failed", {{"error", app.status().message()}});
    return 1;
  }
  return (*app)->ServeUntilTerminated();
}

}  // namespace todo::common::lifecycle
