#include "services/gateway/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"

namespace todo::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::State {
  HttpServerOptions options;
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  int port = 0;
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  absl::Mutex mutex;
  // Open connections: native handle -> busy with a request.
  absl::flat_hash_map<int, bool> connections ABSL_GUARDED_BY(mutex);
  int threads ABSL_GUARDED_BY(mutex) = 0;
  // Connection threads, joined once done (never detached: a detached thread
  // could still be unlocking `mutex` while Shutdown frees the state).
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> workers;
  bool shut_down = false;
};

namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string Head(const HttpResponse& response, bool keep_alive, bool chunked) {
  std::string head =
      absl::StrFormat("HTTP/1.1 %d %s\r\n", response.status, Reason(response.status));
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  if (chunked) {
    head += "transfer-encoding: chunked\r\n";
  } else {
    absl::StrAppend(&head, "content-length: ", response.body.size(), "\r\n");
  }
  absl::StrAppend(&head, "connection: ", keep_alive ? "keep-alive" : "close", "\r\n\r\n");
  return head;
}

bool WriteAll(tcp::socket& socket, absl::string_view bytes) {
  boost::system::error_code error;
  asio::write(socket, asio::buffer(bytes.data(), bytes.size()), error);
  return !error;
}

void SetReadTimeout(tcp::socket& socket, absl::Duration timeout) {
  timeval value = absl::ToTimeval(timeout);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(value));
}

}  // namespace

static void Serve(HttpServer::State& state, tcp::socket socket, std::atomic<bool>& done) {
  const int handle = socket.native_handle();
  SetReadTimeout(socket, state.options.idle_timeout);
  boost::beast::flat_buffer buffer;
  while (!state.stopping.load()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(state.options.max_header_bytes));
    parser.body_limit(state.options.max_body_bytes);
    boost::system::error_code error;
    http::read_header(socket, buffer, parser, error);
    if (error) {
      if (error == http::error::header_limit) {
        WriteAll(socket, Head(TextResponse(431, ""), false, false));
      } else if (error == http::error::body_limit) {
        // The declared Content-Length is over the limit: refused before the
        // body is read (transcoding.md 11.1).
        const HttpResponse too_big = TextResponse(
            413,
            "Request rejected because the transcoder's internal buffer size exceeds the "
            "configured limit.");
        WriteAll(socket, Head(too_big, false, false) + too_big.body);
      } else if (error != http::error::end_of_stream && error != asio::error::eof &&
                 error != asio::error::would_block && error != asio::error::try_again &&
                 error != asio::error::connection_reset && error != asio::error::bad_descriptor) {
        const HttpResponse bad = TextResponse(400, "Bad request");
        WriteAll(socket, Head(bad, false, false) + bad.body);
      }
      break;
    }
    {
      absl::MutexLock lock(&state.mutex);
      state.connections[handle] = true;
    }
    const absl::Time start = absl::Now();
    HttpResponse response;
    bool keep_alive = parser.get().keep_alive();
    const auto declared = parser.content_length();
    if (declared && *declared > state.options.max_body_bytes) {
      // Refused before reading the body (transcoding.md 11.1).
      response = TextResponse(413,
                              "Request rejected because the transcoder's internal buffer size "
                              "exceeds the configured limit.");
      keep_alive = false;
    } else {
      http::read(socket, buffer, parser, error);
      if (error == http::error::body_limit) {
        response = TextResponse(413,
                                "Request rejected because the transcoder's internal buffer size "
                                "exceeds the configured limit.");
        keep_alive = false;
      } else if (error) {
        break;
      } else {
        const auto& message = parser.get();
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        for (const auto& field : message) {
          request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                       std::string(field.value()));
        }
        request.body = message.body();
        bool head_sent = false;
        StreamSink sink;
        sink.start = [&](const HttpResponse& head) {
          head_sent = true;
          return WriteAll(socket, Head(head, keep_alive, /*chunked=*/true));
        };
        sink.alive = [&] {
          pollfd descriptor{handle, POLLRDHUP, 0};
          poll(&descriptor, 1, 0);
          return !state.stopping.load() &&
                 (descriptor.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
        };
        sink.write = [&](absl::string_view piece) {
          if (piece.empty()) return true;
          return WriteAll(socket, absl::StrFormat("%x\r\n", piece.size())) &&
                 WriteAll(socket, piece) && WriteAll(socket, "\r\n");
        };
        response = state.handler(request, sink);
        if (response.streamed || head_sent) {
          keep_alive = keep_alive && WriteAll(socket, "0\r\n\r\n");
        }
        common::logging::Info(
            "http_request",
            {{"method", request.method},
             {"path", request.target.substr(0, request.target.find('?'))},
             {"status", response.streamed ? 200 : response.status},
             {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start)},
             {"request_id",
              request.Header("x-request-id") != nullptr ? *request.Header("x-request-id") : ""}});
      }
    }
    if (!response.streamed) {
      if (state.stopping.load()) keep_alive = false;
      if (!WriteAll(socket, Head(response, keep_alive, false) + response.body)) break;
    }
    {
      absl::MutexLock lock(&state.mutex);
      state.connections[handle] = false;
    }
    if (!keep_alive) break;
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  {
    absl::MutexLock lock(&state.mutex);
    state.connections.erase(handle);
    --state.threads;
  }
  done.store(true);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              Handler handler) {
  auto state = std::make_unique<State>();
  state->options = options;
  state->handler = std::move(handler);
  boost::system::error_code error;
  const auto address = asio::ip::make_address(options.listen_address, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address ", options.listen_address));
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  state->acceptor.open(endpoint.protocol(), error);
  if (!error) state->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) state->acceptor.bind(endpoint, error);
  if (!error) state->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", options.listen_address,
                                                      ":", options.port, ": ", error.message()));
  }
  state->port = state->acceptor.local_endpoint().port();
  State* raw = state.get();
  state->accept_thread = std::thread([raw] {
    while (!raw->stopping.load()) {
      boost::system::error_code accept_error;
      tcp::socket socket(raw->io);
      raw->acceptor.accept(socket, accept_error);
      if (accept_error || raw->stopping.load()) {
        if (raw->stopping.load()) break;
        continue;
      }
      socket.set_option(tcp::no_delay(true), accept_error);
      {
        absl::MutexLock lock(&raw->mutex);
        if (raw->threads >= raw->options.max_connections) {
          const HttpResponse busy = TextResponse(503, "too many connections");
          WriteAll(socket, Head(busy, false, false) + busy.body);
          continue;
        }
        ++raw->threads;
        raw->connections[socket.native_handle()] = false;
      }
      // Reap finished connection threads, then start this one.
      auto& workers = raw->workers;
      for (auto it = workers.begin(); it != workers.end();) {
        if (it->second->load()) {
          it->first.join();
          it = workers.erase(it);
        } else {
          ++it;
        }
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers.emplace_back(std::thread([raw, done, socket = std::move(socket)]() mutable {
                             Serve(*raw, std::move(socket), *done);
                           }),
                           done);
    }
  });
  common::logging::Info("http_server_started", {{"port", state->port}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return state_->port; }

void HttpServer::Shutdown() {
  if (state_->shut_down) return;
  state_->shut_down = true;
  state_->stopping.store(true);
  // Wakes the blocking accept.
  ::shutdown(state_->acceptor.native_handle(), SHUT_RDWR);
  state_->accept_thread.join();
  const absl::Time deadline = absl::Now() + state_->options.shutdown_grace;
  while (true) {
    {
      absl::MutexLock lock(&state_->mutex);
      if (state_->threads == 0) break;
      // Idle connections (waiting for a request) are closed now; busy ones
      // once the grace period is over.
      const bool grace_over = absl::Now() >= deadline;
      for (const auto& [handle, busy] : state_->connections) {
        if (!busy || grace_over) ::shutdown(handle, SHUT_RDWR);
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  for (auto& [worker, done] : state_->workers) {
    worker.join();
  }
  state_->workers.clear();
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  common::logging::Info("http_server_stopped");
}

}  // namespace todo::gateway
