#pragma once

// The environment a service binary gets in the tests: its database, the
// test token secret, loopback on a free port, two event loops, a short
// shutdown grace. The service's own Load*Config reads it, so a test
// configures the service exactly as an operator does.

#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/config/environment.h"
#include "tests/harness/tokens.h"

namespace todo::testing {

inline common::config::Environment ServiceEnvironment(
    const std::string& dsn, absl::flat_hash_map<std::string, std::string> overrides = {}) {
  absl::flat_hash_map<std::string, std::string> values = {
      {"DATABASE_URL", dsn},           {"BETTER_AUTH_SECRET", std::string(kTestSecret)},
      {"LISTEN_ADDRESS", "127.0.0.1"}, {"GRPC_PORT", "0"},
      {"GRPC_WORKERS", "2"},           {"SHUTDOWN_GRACE_S", "2"},
      {"DB_POOL_SIZE", "8"},
  };
  for (auto& [name, value] : overrides) values[name] = std::move(value);
  return common::config::Environment::FromMap(std::move(values));
}

}  // namespace todo::testing
