#pragma once

// The gateway's HTTP/1.1 listener (Boost.Beast), plus HTTP/2 with prior
// knowledge (h2c, nghttp2) on the same port, Envoy-style: a few worker
// threads, each running its own event loop (io_context) with its own
// connections and its own upstream connections, so a request is read,
// transcoded, sent upstream, answered and written by one thread without
// waiting on another. Keep-alive and pipelining (one request at a time per
// connection, in order); limits checked before reading (header bytes: 431; a
// declared body over the limit: 413 at once; transcoding.md 11.1); idle and
// slow-client timeouts; a cap on connections (503 past it); chunked responses
// for streams; one JSON access-log line per request; a graceful drain on
// Shutdown.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/gateway_handler.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace todo::gateway {

struct HttpServerOptions {
  std::string listen_address = "0.0.0.0";
  // 0 picks a free port.
  int port = 8080;
  // Event-loop threads; 0: one per usable CPU (cgroup quota included).
  int workers = 0;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  int max_connections = 1024;
  // A connection that sends nothing (between or within requests), or does
  // not take what is written to it, this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(10);
};

class HttpServer {
 public:
  // What serves one worker's requests, on that worker's thread only.
  struct WorkerHandler {
    std::function<void(HttpRequest, std::shared_ptr<ResponseWriter>)> handle;
    // Runs once the worker's connections are closed, before it stops (to
    // close what the handler opened). Optional.
    std::function<void()> stop;
    // Whatever `handle` uses; released after the worker stopped and before
    // its io_context goes.
    std::shared_ptr<void> keep;
  };
  // Called once per worker, before the workers start, with the worker's
  // io_context (for its upstream connections).
  using HandlerFactory = std::function<WorkerHandler(boost::asio::io_context& worker)>;

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           const HandlerFactory& make_handler);
  ~HttpServer();

  int port() const;
  // Stops accepting, lets requests in progress finish within the grace
  // period (streams are ended at once), closes idle connections, then
  // returns. Idempotent.
  void Shutdown();

  // Defined in the .cc; opaque to users.
  struct State;

 private:
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace todo::gateway
