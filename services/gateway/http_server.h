#pragma once

// The gateway's HTTP/1.1 listener (Boost.Beast): keep-alive, one thread per
// connection (a request's upstream call blocks only its own connection),
// limits checked before reading (header bytes: 431; a declared body over the
// limit: 413 at once; transcoding.md 11.1), idle and slow-client timeouts, a
// cap on connections (503 past it), chunked responses for streams, one JSON
// access-log line per request, and a graceful drain on Shutdown.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/gateway_handler.h"

namespace todo::gateway {

struct HttpServerOptions {
  std::string listen_address = "0.0.0.0";
  // 0 picks a free port.
  int port = 8080;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  int max_connections = 1024;
  // A connection that sends nothing (between or within requests) this long
  // is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(10);
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&, const StreamSink&)>;

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           Handler handler);
  ~HttpServer();

  int port() const;
  // Stops accepting, lets requests in progress finish within the grace
  // period, closes idle connections, then returns. Idempotent.
  void Shutdown();

  // Defined in the .cc; opaque to users.
  struct State;

 private:
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace todo::gateway
