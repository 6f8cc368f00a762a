#pragma once

// The insides of HttpServer (http_server.h), shared by http_server.cc
// (listening, workers, shutdown), http1_connection.cc (HTTP/1.1) and
// http2_connection.cc (h2c). Not for use elsewhere.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/event_loops/connection_count.h"
#include "common/event_loops/listener.h"
#include "common/logging/log.h"
#include "services/gateway/http_server.h"

namespace todo::gateway {
namespace http_internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// What a worker keeps of each client connection, HTTP/1.1 or HTTP/2.
class ClientConnection {
 public:
  virtual ~ClientConnection() = default;
  // Closes what timed out; ends streams whose client hung up.
  virtual void Sweep(absl::Time now) = 0;
  // Shutdown: idle connections close, streams end; `force` closes all.
  virtual void Stop(bool force) = 0;
};

// How often a worker looks for timed-out connections and for stream clients
// that hung up.
constexpr absl::Duration kSweepInterval = absl::Milliseconds(250);
// A stream whose client takes less than this falls behind and is ended.
constexpr size_t kMaxQueuedStreamBytes = 4 * 1024 * 1024;
constexpr size_t kAccessLogFlushBytes = 16 * 1024;

struct Worker {
  asio::io_context io{1};
  // Declared after `io`: destroyed first, with the upstream sockets it owns.
  HttpServer::WorkerHandler handler;
  asio::steady_timer sweep{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  absl::flat_hash_set<ClientConnection*> connections;
  // Access-log lines not yet written: one write per sweep (or per 16 kB)
  // instead of one per request, as Envoy buffers its access logs.
  std::string access_log;
  bool stopping = false;
  std::thread thread;
};

// Writes the worker's buffered access-log lines.
void FlushAccessLog(Worker& worker);
// Whether exchanges are logged (LOG_LEVEL info or debug): when not, callers
// skip building the line's fields and tags (3% of the gateway's CPU on a GET
// had gone to lines then dropped).
inline bool AccessLogOn() { return common::logging::IsEnabled(common::logging::Level::kInfo); }
// One access-log line for a finished exchange, into the worker's buffer.
void LogExchange(Worker& worker, std::initializer_list<common::logging::Field> fields);

// On every response, the gateway's own refusals included: a browser must not
// guess a type other than the one declared (a JSON error echoing input would
// otherwise be sniffable as HTML).
constexpr absl::string_view kNoSniffName = "x-content-type-options";
constexpr absl::string_view kNoSniffValue = "nosniff";

// The peer's address as text; IPv4-mapped IPv6 as plain IPv4.
std::string PeerAddress(const tcp::socket& socket);
// The answer to a body over the limit (transcoding.md 11.1).
HttpResponse TooLarge();
// What the access log line names: the request id the handler answered with
// (the client's, or one it made up) and the trace it was served in; empty
// when the access log is off.
struct ExchangeTags {
  std::string request_id;
  std::string trace_id;
};
ExchangeTags TagsOf(const HttpResponse& response);

// Where an exchange's answers go: an HTTP/1.1 connection, or one HTTP/2
// stream.
class ExchangeTarget {
 public:
  virtual ~ExchangeTarget() = default;
  virtual void Respond(const HttpResponse& response) = 0;
  virtual bool StartStream(const HttpResponse& head) = 0;
  virtual bool WriteStream(absl::string_view piece) = 0;
  virtual void EndStream() = 0;
};

// The handler's view of one request on a connection (or HTTP/2 stream). It
// keeps the connection alive until the exchange ends; after the client is gone its
// answers go nowhere.
class Exchange : public ResponseWriter {
 public:
  explicit Exchange(std::shared_ptr<ExchangeTarget> connection)
      : connection_(std::move(connection)) {}

  void Respond(HttpResponse response) override {
    if (ended_) return;
    ended_ = true;
    if (!client_gone_) connection_->Respond(response);
    connection_.reset();
  }
  bool StartStream(const HttpResponse& head) override {
    return !ended_ && !client_gone_ && connection_->StartStream(head);
  }
  bool WriteStream(absl::string_view piece) override {
    return !ended_ && !client_gone_ && connection_->WriteStream(piece);
  }
  void EndStream() override {
    if (ended_) return;
    ended_ = true;
    if (!client_gone_) connection_->EndStream();
    connection_.reset();
  }
  void OnAbandoned(std::function<void()> abandon) override {
    if (abandoned_ && !ended_) {
      abandon();
    } else {
      abandon_ = std::move(abandon);
    }
  }

  // The client went away (its answers now go nowhere), or the server is
  // stopping (a stream is ended, and still closed properly).
  void Abandon(bool client_gone) {
    client_gone_ = client_gone_ || client_gone;
    if (abandoned_ || ended_) return;
    abandoned_ = true;
    if (abandon_) {
      auto abandon = std::move(abandon_);
      abandon();
    }
  }

 private:
  std::shared_ptr<ExchangeTarget> connection_;
  bool ended_ = false;
  bool abandoned_ = false;
  bool client_gone_ = false;
  std::function<void()> abandon_;
};

// Serve an accepted connection: HTTP/1.1 (which hands HTTP/2 with prior
// knowledge over to StartHttp2), refused with 503 when the server is at its
// connection cap.
void StartHttp1(HttpServer::State& server, Worker& worker, tcp::socket socket);
void StartHttp2(HttpServer::State& server, Worker& worker, tcp::socket socket);

}  // namespace http_internal

struct HttpServer::State {
  HttpServerOptions options;
  std::vector<std::unique_ptr<http_internal::Worker>> workers;
  // Declared after `workers`: closed before their loops go.
  std::unique_ptr<common::event_loops::Listener> listener;
  common::event_loops::ConnectionCount open_connections;
  std::atomic<bool> stopping{false};
  bool shut_down = false;
};

}  // namespace todo::gateway
