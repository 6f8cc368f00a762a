#pragma once

// A real HTTP/1.1 server on 127.0.0.1:0 for tests: a fake JWKS endpoint, a
// fake LLM provider. Each request is answered by a handler; a response may be
// streamed in chunks with pauses, like a server-sent-events provider.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace todo::testing {

struct HttpExchange {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct CannedResponse {
  int status = 200;
  std::string content_type = "application/json";
  // More headers ("Retry-After").
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When non-empty, sent with chunked encoding instead of `body`, waiting
  // `chunk_delay` before each chunk.
  std::vector<std::string> chunks;
  absl::Duration chunk_delay = absl::ZeroDuration();
  // Waits this long before answering at all.
  absl::Duration delay = absl::ZeroDuration();
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<CannedResponse(const HttpExchange&)>;

  explicit LoopbackHttpServer(Handler handler);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const;
  int request_count() const { return request_count_.load(); }

 private:
  struct State;
  std::unique_ptr<State> state_;
  int port_ = 0;
  std::atomic<int> request_count_{0};
};

}  // namespace todo::testing
