#pragma once

// A lean gRPC load client, the counterpart of pgbench's client: a few
// threads, each driving its share of HTTP/2 connections from one epoll set,
// one call in flight per connection, every request pre-encoded. A call
// counts when its trailers say grpc-status 0.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace todo::bench {

struct GrpcLoadOptions {
  int port = 0;      // on 127.0.0.1
  std::string path;  // "/package.Service/Method"
  std::vector<std::pair<std::string, std::string>> metadata;
  // Length-prefixed gRPC messages, sent in turn.
  std::vector<std::string> framed_requests;
  int connections = 8;
  int threads = 2;
  absl::Duration duration = absl::Seconds(5);
};

struct GrpcLoadResult {
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::string first_failure;
  absl::Duration elapsed;
  absl::Duration client_cpu;  // of the client's own threads

  double rate() const { return static_cast<double>(succeeded) / absl::ToDoubleSeconds(elapsed); }
};

// Dies (bench::Die) when it cannot connect.
GrpcLoadResult RunGrpcLoad(const GrpcLoadOptions& options);

}  // namespace todo::bench
