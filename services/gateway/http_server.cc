#include "services/gateway/http_server.h"

#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/config/cpus.h"
#include "common/event_loops/connection_count.h"
#include "common/event_loops/each_connection.h"
#include "common/event_loops/listener.h"
#include "common/logging/log.h"
#include "common/rpc/session_io.h"
#include "common/rpc/wire.h"
#include "services/gateway/http1_framing.h"

namespace todo::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// HTTP/2 clients of the gateway (browsers, curl, proxies) are not held to
// gRPC's ping policy: their PINGs are answered however often they come. The
// server still pings silent connections and completes its two GOAWAYs.
const common::rpc::KeepaliveOptions& HttpKeepalive() {
  static const common::rpc::KeepaliveOptions options = [] {
    common::rpc::KeepaliveOptions made;
    made.max_ping_strikes = std::numeric_limits<int>::max();
    return made;
  }();
  return options;
}

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

void FlushAccessLog(Worker& worker) {
  common::logging::WriteLines(worker.access_log);
  worker.access_log.clear();
}

// One access-log line for a finished exchange, into the worker's buffer.
void LogExchange(Worker& worker, std::initializer_list<common::logging::Field> fields) {
  worker.access_log +=
      common::logging::FormatLine(common::logging::Level::kInfo, "http_request", fields);
  if (worker.access_log.size() >= kAccessLogFlushBytes) FlushAccessLog(worker);
}

}  // namespace

struct HttpServer::State {
  HttpServerOptions options;
  std::vector<std::unique_ptr<Worker>> workers;
  // Declared after `workers`: closed before their loops go.
  std::unique_ptr<common::event_loops::Listener> listener;
  common::event_loops::ConnectionCount open_connections;
  std::atomic<bool> stopping{false};
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
    case 422:
      return "Unprocessable Content";
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

// On every response, the gateway's own refusals included: a browser must not
// guess a type other than the one declared (a JSON error echoing input would
// otherwise be sniffable as HTML).
constexpr absl::string_view kNoSniffName = "x-content-type-options";
constexpr absl::string_view kNoSniffValue = "nosniff";

// The peer's address as text; IPv4-mapped IPv6 as plain IPv4.
std::string PeerAddress(const tcp::socket& socket) {
  boost::system::error_code error;
  asio::ip::address address = socket.remote_endpoint(error).address();
  if (error) return "";
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

std::string Head(const HttpResponse& response, bool keep_alive, bool chunked) {
  std::string head = absl::StrFormat("HTTP/1.1 %d %s\r\n%s: %s\r\n", response.status,
                                     Reason(response.status), kNoSniffName, kNoSniffValue);
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

HttpResponse TooLarge() {
  return TextResponse(413,
                      "Request rejected because the transcoder's internal buffer size exceeds the "
                      "configured limit.");
}

class Exchange;

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

// One client connection, served on one worker's thread.
class Connection : public ClientConnection,
                   public ExchangeTarget,
                   public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::State& server, Worker& worker, tcp::socket socket)
      : server_(server),
        worker_(worker),
        socket_(std::move(socket)),
        peer_address_(PeerAddress(socket_)) {}

  void Start() {
    worker_.connections.insert(this);
    Sniff();
  }

  // Refuses the connection (over the cap) with `response`, then closes.
  void Refuse(const HttpResponse& response) {
    worker_.connections.insert(this);
    phase_ = Phase::kBusy;
    close_after_write_ = true;
    Send(Head(response, false, false) + response.body);
  }

  void Sweep(absl::Time now) override;
  void Stop(bool force) override;

  // The exchange's answers (see ResponseWriter).
  void Respond(const HttpResponse& response) override;
  bool StartStream(const HttpResponse& head) override;
  bool WriteStream(absl::string_view piece) override;
  void EndStream() override;

 private:
  enum class Phase { kWaiting, kBusy, kClosed };

  // HTTP/2 with prior knowledge starts with "PRI * HTTP/2.0" (a method no
  // HTTP/1.1 request uses): such connections go to Http2Connection.
  void Sniff();
  void ReadRequest();
  void ParseHead();
  void OnHeader(const boost::system::error_code& error);
  void OnBody(const boost::system::error_code& error);
  void Dispatch();
  void WatchForHangUp();
  void RefuseRequest(const HttpResponse& response);
  // The exchange is over: log it, then read the next request or close.
  void EndExchange(int status);
  void Send(absl::string_view bytes);
  void StartWrite();
  void Close();

  HttpServer::State& server_;
  Worker& worker_;
  tcp::socket socket_;
  // Read once: every request on the connection comes from it.
  const std::string peer_address_;
  Phase phase_ = Phase::kWaiting;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  absl::Time last_activity_ = absl::Now();
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  // Bytes queued while a write is in flight, and the bytes being written.
  std::string outbox_;
  std::string writing_;
  bool write_in_flight_ = false;
  absl::Time write_started_;
  std::shared_ptr<Exchange> exchange_;
  bool streaming_ = false;
  // For the access log.
  std::string method_;
  std::string path_;
  std::string request_id_;
  absl::Time started_;
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

void StartHttp2(HttpServer::State& server, Worker& worker, tcp::socket socket);

void Connection::Sniff() {
  socket_.async_wait(
      tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& error) {
        if (self->phase_ == Phase::kClosed) return;
        if (error) {
          self->Close();
          return;
        }
        char first[3];
        const ssize_t seen = recv(self->socket_.native_handle(), first, sizeof(first), MSG_PEEK);
        if (seen <= 0) {
          self->Close();  // closed before a word, or broken
          return;
        }
        if (seen < 3 && std::string_view(first, seen) == std::string_view("PRI", seen)) {
          // Too little to tell yet (rare): look again shortly.
          auto timer = std::make_shared<asio::steady_timer>(self->socket_.get_executor(),
                                                            std::chrono::milliseconds(5));
          timer->async_wait([self, timer](const boost::system::error_code&) { self->Sniff(); });
          return;
        }
        if (std::string_view(first, 3) != "PRI") {
          self->ReadRequest();
          return;
        }
        // Handed over with its place under the connection cap.
        self->phase_ = Phase::kClosed;
        self->worker_.connections.erase(self.get());
        StartHttp2(self->server_, self->worker_, std::move(self->socket_));
      });
}

void Connection::ReadRequest() {
  phase_ = Phase::kWaiting;
  last_activity_ = absl::Now();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
  parser_->body_limit(server_.options.max_body_bytes);
  ParseHead();
}

// Beast's async_read_header, written out so that the raw head can be looked
// at (HasObsFold) before the parser takes it: the parser consumes nothing
// until the head is complete, so the buffer always starts at the request.
void Connection::ParseHead() {
  if (buffer_.size() > 0) {
    const auto bytes = buffer_.data();
    if (HasObsFold(absl::string_view(static_cast<const char*>(bytes.data()), bytes.size()))) {
      RefuseRequest(TextResponse(400, "Bad request: obsolete line folding"));
      return;
    }
    boost::system::error_code error;
    buffer_.consume(parser_->put(bytes, error));
    if (error != http::error::need_more) {
      OnHeader(error);
      return;
    }
  }
  constexpr size_t kReadChunk = 16 * 1024;
  socket_.async_read_some(
      buffer_.prepare(kReadChunk),
      [self = shared_from_this()](const boost::system::error_code& error, size_t read) {
        if (self->phase_ == Phase::kClosed) return;
        if (error) {
          self->OnHeader(error);
          return;
        }
        self->buffer_.commit(read);
        self->ParseHead();
      });
}

void Connection::OnHeader(const boost::system::error_code& error) {
  if (phase_ == Phase::kClosed) return;
  if (error) {
    if (error == http::error::header_limit) {
      RefuseRequest(TextResponse(431, ""));
    } else if (error == http::error::body_limit) {
      // The declared Content-Length is over the limit: refused before the
      // body is read (transcoding.md 11.1).
      RefuseRequest(TooLarge());
    } else if (error != http::error::end_of_stream && error != asio::error::eof &&
               error != asio::error::operation_aborted && error != asio::error::connection_reset &&
               error != asio::error::bad_descriptor) {
      RefuseRequest(TextResponse(400, "Bad request"));
    } else {
      Close();
    }
    return;
  }
  phase_ = Phase::kBusy;
  if (std::optional<HttpResponse> refusal = FramingError(*parser_)) {
    RefuseRequest(*refusal);
    return;
  }
  const auto declared = parser_->content_length();
  if (declared && *declared > server_.options.max_body_bytes) {
    RefuseRequest(TooLarge());
    return;
  }
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  phase_ = Phase::kWaiting;
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](const boost::system::error_code& error, size_t) {
                     self->OnBody(error);
                   });
}

void Connection::OnBody(const boost::system::error_code& error) {
  if (phase_ == Phase::kClosed) return;
  if (error == http::error::body_limit) {
    RefuseRequest(TooLarge());
    return;
  }
  if (error) {
    Close();
    return;
  }
  Dispatch();
}

void Connection::RefuseRequest(const HttpResponse& response) {
  phase_ = Phase::kBusy;
  close_after_write_ = true;
  Send(Head(response, false, false) + response.body);
}

void Connection::Dispatch() {
  phase_ = Phase::kBusy;
  started_ = absl::Now();
  last_activity_ = started_;
  http::request<http::string_body> message = parser_->release();
  parser_.reset();
  keep_alive_ = message.keep_alive();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.headers.reserve(std::distance(message.begin(), message.end()));
  for (const auto& field : message) {
    request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                 std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.peer_address = peer_address_;
  method_ = request.method;
  path_ = request.target.substr(0, request.target.find('?'));
  request_id_.clear();
  exchange_ = std::make_shared<Exchange>(shared_from_this());
  worker_.handler.handle(std::move(request), exchange_);
  if (exchange_) WatchForHangUp();
}

// While an exchange is in progress the connection reads nothing, so a client
// that hangs up (FIN) would go unseen until its answer is written, which for
// a stream may be never: wait for the socket to turn readable instead. End
// of stream or an error closes the connection and abandons the exchange,
// which cancels its upstream call at once. The bytes of a pipelined request
// leave it to the sweep's poll for POLLRDHUP.
void Connection::WatchForHangUp() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this(), watched = exchange_.get()](
                                                 const boost::system::error_code& error) {
    if (self->phase_ == Phase::kClosed || self->exchange_.get() != watched) return;
    char byte;
    const ssize_t seen =
        error ? -1 : recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (seen == 0 || (seen < 0 && (error || (errno != EAGAIN && errno != EWOULDBLOCK)))) {
      self->Close();
    }
  });
}

// The id the handler answered with (the client's, or one it made up).
std::string RequestIdOf(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "x-request-id") return value;
  }
  return "";
}

void Connection::Respond(const HttpResponse& response) {
  if (phase_ == Phase::kClosed) return;
  request_id_ = RequestIdOf(response);
  if (worker_.stopping) keep_alive_ = false;
  Send(Head(response, keep_alive_, false) + response.body);
  EndExchange(response.status);
}

bool Connection::StartStream(const HttpResponse& head) {
  if (phase_ == Phase::kClosed) return false;
  request_id_ = RequestIdOf(head);
  streaming_ = true;
  Send(Head(head, keep_alive_, /*chunked=*/true));
  return true;
}

bool Connection::WriteStream(absl::string_view piece) {
  if (phase_ == Phase::kClosed || outbox_.size() > kMaxQueuedStreamBytes) return false;
  if (!piece.empty()) Send(absl::StrCat(absl::Hex(piece.size()), "\r\n", piece, "\r\n"));
  return true;
}

void Connection::EndStream() {
  if (phase_ == Phase::kClosed) return;
  if (worker_.stopping) keep_alive_ = false;
  Send("0\r\n\r\n");
  EndExchange(200);
}

void Connection::EndExchange(int status) {
  LogExchange(worker_, {{"method", method_},
                        {"path", path_},
                        {"status", status},
                        {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - started_)},
                        {"request_id", request_id_}});
  exchange_.reset();
  streaming_ = false;
  if (!keep_alive_ || worker_.stopping) {
    close_after_write_ = true;
    if (!write_in_flight_) Close();
    return;
  }
  // The response may still be on its way out; the next request (perhaps
  // pipelined, already in the buffer) is read meanwhile.
  ReadRequest();
}

void Connection::Send(absl::string_view bytes) {
  outbox_.append(bytes.data(), bytes.size());
  if (!write_in_flight_) StartWrite();
}

void Connection::StartWrite() {
  writing_.swap(outbox_);
  outbox_.clear();
  write_in_flight_ = true;
  write_started_ = absl::Now();
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& error, size_t) {
                      self->write_in_flight_ = false;
                      if (self->phase_ == Phase::kClosed) return;
                      if (error) {
                        self->Close();
                        return;
                      }
                      self->last_activity_ = absl::Now();
                      self->writing_.clear();
                      if (!self->outbox_.empty()) {
                        self->StartWrite();
                      } else if (self->close_after_write_ && !self->exchange_) {
                        self->Close();
                      }
                    });
}

void Connection::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  worker_.connections.erase(this);
  server_.open_connections.Remove();
  if (exchange_) {
    auto exchange = std::move(exchange_);
    exchange->Abandon(/*client_gone=*/true);
  }
}

void Connection::Sweep(absl::Time now) {
  const absl::Duration timeout = server_.options.idle_timeout;
  if (write_in_flight_ && now - write_started_ > timeout) {
    Close();  // the client does not take what it is sent
  } else if (phase_ == Phase::kWaiting && !write_in_flight_ && now - last_activity_ > timeout) {
    Close();  // idle, or too slow sending its request
  } else if (exchange_ != nullptr) {
    pollfd descriptor{socket_.native_handle(), POLLRDHUP, 0};
    if (poll(&descriptor, 1, 0) > 0 && (descriptor.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
      Close();
    }
  }
}

void Connection::Stop(bool force) {
  if (force || (phase_ == Phase::kWaiting && !write_in_flight_)) {
    Close();
  } else if (streaming_ && exchange_) {
    exchange_->Abandon(/*client_gone=*/false);  // its upstream call ends, then the stream
  }
}

// HTTP/2 with prior knowledge (h2c): one nghttp2 server session per
// connection; each stream is one exchange with the same handler, answered
// on the same worker thread. Limits as for HTTP/1.1 (431, 413); a client
// resetting a stream abandons its exchange; Stop sends GOAWAY and lets the
// streams in progress finish.
class Http2Connection : public ClientConnection,
                        public common::rpc::SessionIo<Http2Connection>,
                        public std::enable_shared_from_this<Http2Connection> {
 public:
  Http2Connection(HttpServer::State& server, Worker& worker, tcp::socket socket)
      : SessionIo(std::move(socket)),
        server_(server),
        worker_(worker),
        peer_address_(PeerAddress(socket_)) {}

  void Start();
  void Sweep(absl::Time now) override;
  void Stop(bool force) override;

  // An exchange's answers on stream `id`.
  void Respond(int32_t id, const HttpResponse& response);
  bool StartStream(int32_t id, const HttpResponse& head);
  bool WriteStream(int32_t id, absl::string_view piece);
  void EndStream(int32_t id);

 private:
  struct Stream {
    HttpRequest request;
    size_t header_bytes = 0;
    size_t declared_length = 0;
    // Answered by the gateway itself (431, 413): what still arrives is dropped.
    bool refused = false;
    std::shared_ptr<Exchange> exchange;
    // Response bytes not yet taken by nghttp2, and whether that is all.
    std::string pending;
    bool eof = false;
    absl::Time started;
    // For the access log, kept when the request goes to the handler.
    std::string method;
    std::string path;
    std::string request_id;
    bool streaming = false;
  };

  // The session callbacks, made once; each finds its connection in `self`.
  static nghttp2_session_callbacks* Callbacks();
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* self);
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length,
                    void* self);
  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnClose(nghttp2_session*, int32_t id, uint32_t, void* self);
  static ssize_t ReadBody(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* self);

  Stream* Find(int32_t id) {
    auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : found->second.get();
  }
  void Dispatch(int32_t id, Stream& stream);
  // Submits the head (and, for a whole response, the body) of stream `id`.
  void Submit(int32_t id, Stream& stream, const HttpResponse& head, bool whole);
  void Log(const Stream& stream, int status);
  friend class common::rpc::SessionIo<Http2Connection>;
  void Close();

  HttpServer::State& server_;
  Worker& worker_;
  const std::string peer_address_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
};

// One HTTP/2 stream as an exchange's target.
class Http2StreamTarget : public ExchangeTarget {
 public:
  Http2StreamTarget(std::shared_ptr<Http2Connection> connection, int32_t id)
      : connection_(std::move(connection)), id_(id) {}
  void Respond(const HttpResponse& response) override { connection_->Respond(id_, response); }
  bool StartStream(const HttpResponse& head) override {
    return connection_->StartStream(id_, head);
  }
  bool WriteStream(absl::string_view piece) override {
    return connection_->WriteStream(id_, piece);
  }
  void EndStream() override { connection_->EndStream(id_); }

 private:
  std::shared_ptr<Http2Connection> connection_;
  const int32_t id_;
};

nghttp2_session_callbacks* Http2Connection::Callbacks() {
  static nghttp2_session_callbacks* const callbacks = [] {
    nghttp2_session_callbacks* made = nullptr;
    nghttp2_session_callbacks_new(&made);
    nghttp2_session_callbacks_set_on_begin_headers_callback(made, OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(made, OnClose);
    return made;
  }();
  return callbacks;
}

void Http2Connection::Start() {
  nghttp2_session_server_new(&session_, Callbacks(), this);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(server_.options.max_header_bytes)}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  worker_.connections.insert(this);
  Read();
  Flush();
}

int Http2Connection::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    auto stream = std::make_unique<Stream>();
    stream->started = absl::Now();
    connection.streams_[frame->hd.stream_id] = std::move(stream);
  }
  return 0;
}

int Http2Connection::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                              size_t name_length, const uint8_t* value, size_t value_length,
                              uint8_t, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  Stream* stream = connection.Find(frame->hd.stream_id);
  if (stream == nullptr || stream->refused) return 0;
  const std::string key(reinterpret_cast<const char*>(name), name_length);
  std::string text(reinterpret_cast<const char*>(value), value_length);
  stream->header_bytes += name_length + value_length + 32;
  if (key == ":method") {
    stream->request.method = std::move(text);
  } else if (key == ":path") {
    stream->request.target = std::move(text);
  } else if (key == ":authority") {
    stream->request.headers.emplace_back("host", std::move(text));
  } else if (key[0] != ':') {
    if (key == "content-length") absl::SimpleAtoi(text, &stream->declared_length);
    stream->request.headers.emplace_back(key, std::move(text));
  }
  return 0;
}

int Http2Connection::OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                            size_t length, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  Stream* stream = connection.Find(id);
  if (stream == nullptr || stream->refused) return 0;
  if (stream->request.body.size() + length > connection.server_.options.max_body_bytes) {
    connection.Submit(id, *stream, TooLarge(), /*whole=*/true);
    return 0;
  }
  stream->request.body.append(reinterpret_cast<const char*>(data), length);
  return 0;
}

int Http2Connection::OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  if (frame->hd.type == NGHTTP2_PING) {
    // The answer to a shutdown's PING lets the second GOAWAY go.
    connection.OnPing((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0, !connection.streams_.empty(),
                      HttpKeepalive());
    return 0;
  }
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  const int32_t id = frame->hd.stream_id;
  Stream* stream = connection.Find(id);
  if (stream == nullptr || stream->refused || stream->exchange) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    if (stream->header_bytes > connection.server_.options.max_header_bytes) {
      connection.Submit(id, *stream, TextResponse(431, ""), /*whole=*/true);
      return 0;
    }
    if (stream->declared_length > connection.server_.options.max_body_bytes) {
      connection.Submit(id, *stream, TooLarge(), /*whole=*/true);  // before the body
      return 0;
    }
  }
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) connection.Dispatch(id, *stream);
  return 0;
}

int Http2Connection::OnClose(nghttp2_session*, int32_t id, uint32_t, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  auto found = connection.streams_.find(id);
  if (found == connection.streams_.end()) return 0;
  std::unique_ptr<Stream> stream = std::move(found->second);
  connection.streams_.erase(found);
  if (stream->exchange) stream->exchange->Abandon(/*client_gone=*/true);
  return 0;
}

ssize_t Http2Connection::ReadBody(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length,
                                  uint32_t* flags, nghttp2_data_source*, void* self) {
  auto& connection = *static_cast<Http2Connection*>(self);
  Stream* stream = connection.Find(id);
  if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (stream->pending.empty() && !stream->eof) return NGHTTP2_ERR_DEFERRED;
  const size_t n = std::min(length, stream->pending.size());
  std::copy_n(stream->pending.data(), n, buffer);
  stream->pending.erase(0, n);
  if (stream->pending.empty() && stream->eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void Http2Connection::Dispatch(int32_t id, Stream& stream) {
  last_activity_ = absl::Now();
  stream.started = last_activity_;
  if (stream.request.method.empty() || stream.request.target.empty()) {
    Submit(id, stream, TextResponse(400, "Bad request"), /*whole=*/true);
    return;
  }
  stream.exchange =
      std::make_shared<Exchange>(std::make_shared<Http2StreamTarget>(shared_from_this(), id));
  HttpRequest request = std::move(stream.request);
  stream.request = HttpRequest();
  request.peer_address = peer_address_;
  stream.method = request.method;
  stream.path = request.target.substr(0, request.target.find('?'));
  worker_.handler.handle(std::move(request), stream.exchange);
}

void Http2Connection::Submit(int32_t id, Stream& stream, const HttpResponse& head, bool whole) {
  if (!stream.exchange) stream.refused = true;
  std::vector<nghttp2_nv> headers;
  const std::string status = absl::StrCat(head.status);
  const std::string length = absl::StrCat(head.body.size());
  const auto add = [&](absl::string_view name, absl::string_view value) {
    headers.push_back(common::rpc::HeaderField(name, value));
  };
  add(":status", status);
  add(kNoSniffName, kNoSniffValue);
  for (const auto& [name, value] : head.headers) add(name, value);
  if (whole) {
    add("content-length", length);
    stream.pending = head.body;
    stream.eof = true;
  }
  stream.request_id = RequestIdOf(head);
  if (stream.method.empty()) {  // answered by the gateway before dispatch
    stream.method = stream.request.method;
    stream.path = stream.request.target.substr(0, stream.request.target.find('?'));
  }
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = ReadBody;
  nghttp2_submit_response(session_, id, headers.data(), headers.size(), &body);
  if (whole) Log(stream, head.status);
  Flush();
}

void Http2Connection::Log(const Stream& stream, int status) {
  LogExchange(worker_, {{"method", stream.method},
                        {"path", stream.path},
                        {"status", status},
                        {"protocol", "h2c"},
                        {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - stream.started)},
                        {"request_id", stream.request_id}});
}

void Http2Connection::Respond(int32_t id, const HttpResponse& response) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr) return;
  stream->exchange.reset();
  Submit(id, *stream, response, /*whole=*/true);
}

bool Http2Connection::StartStream(int32_t id, const HttpResponse& head) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr) return false;
  stream->streaming = true;
  Submit(id, *stream, head, /*whole=*/false);
  return true;
}

bool Http2Connection::WriteStream(int32_t id, absl::string_view piece) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr || stream->pending.size() > kMaxQueuedStreamBytes) return false;
  stream->pending.append(piece.data(), piece.size());
  nghttp2_session_resume_data(session_, id);
  Flush();
  return true;
}

void Http2Connection::EndStream(int32_t id) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr) return;
  stream->exchange.reset();
  stream->eof = true;
  Log(*stream, 200);
  nghttp2_session_resume_data(session_, id);
  Flush();
}

void Http2Connection::Close() {
  if (!CloseSocket()) return;
  worker_.connections.erase(this);
  server_.open_connections.Remove();
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    if (stream->exchange) stream->exchange->Abandon(/*client_gone=*/true);
  }
}

void Http2Connection::Sweep(absl::Time now) {
  SweepIdle(now, server_.options.idle_timeout, !streams_.empty());
  KeepaliveTick(now, HttpKeepalive());
}

void Http2Connection::Stop(bool force) {
  if (force) {
    Close();
    return;
  }
  // No new streams; those in progress finish (streams end now, their
  // arrays still closed), then the session closes.
  GoAway();
  std::vector<std::shared_ptr<Exchange>> streaming;
  for (auto& [id, stream] : streams_) {
    if (stream->exchange && stream->streaming) streaming.push_back(stream->exchange);
  }
  for (auto& exchange : streaming) exchange->Abandon(/*client_gone=*/false);
  CloseWhenDrained(!streams_.empty());
}

void StartHttp2(HttpServer::State& server, Worker& worker, tcp::socket socket) {
  std::make_shared<Http2Connection>(server, worker, std::move(socket))->Start();
}

void ArmSweep(Worker& worker) {
  worker.sweep.expires_after(absl::ToChronoNanoseconds(kSweepInterval));
  worker.sweep.async_wait([&worker](const boost::system::error_code& error) {
    if (error) return;
    const absl::Time now = absl::Now();
    common::event_loops::ForEachConnection(
        worker.connections, [&](ClientConnection& connection) { connection.Sweep(now); });
    FlushAccessLog(worker);
    ArmSweep(worker);
  });
}

void OnAccepted(HttpServer::State& server, Worker& worker, tcp::socket socket) {
  if (worker.stopping) return;
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto connection = std::make_shared<Connection>(server, worker, std::move(socket));
  if (server.open_connections.Add() >= server.options.max_connections) {
    connection->Refuse(TextResponse(503, "too many connections"));
    return;
  }
  connection->Start();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              const HandlerFactory& make_handler) {
  auto state = std::make_unique<State>();
  state->options = options;
  const int workers = options.workers > 0 ? options.workers : common::config::UsableCpus();
  for (int i = 0; i < workers; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->handler = make_handler(worker->io);
    state->workers.push_back(std::move(worker));
  }
  std::vector<asio::io_context*> contexts;
  for (auto& worker : state->workers) contexts.push_back(&worker->io);
  State& server = *state;
  // Shutdown joins the workers, so no handler outlives `server`.
  absl::StatusOr<std::unique_ptr<common::event_loops::Listener>> listener =
      common::event_loops::Listener::Open(options.listen_address, options.port, std::move(contexts),
                                          [&server](int loop, tcp::socket socket) {
                                            OnAccepted(server, *server.workers[loop],
                                                       std::move(socket));
                                          });
  if (!listener.ok()) return listener.status();
  state->listener = *std::move(listener);
  for (auto& worker : state->workers) {
    Worker& w = *worker;
    w.keep_running.emplace(w.io.get_executor());
    ArmSweep(w);
    w.thread = std::thread([&w] { w.io.run(); });
  }
  common::logging::Info("http_server_started",
                        {{"port", state->listener->port()}, {"workers", workers}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return state_->listener->port(); }

void HttpServer::Shutdown() {
  State& server = *state_;
  if (server.shut_down) return;
  server.shut_down = true;
  server.stopping.store(true);
  server.listener->Close();
  // Idle connections close now, streams end; requests in progress finish
  // (their responses say connection: close) until the grace period is over.
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      w.stopping = true;
      common::event_loops::ForEachConnection(
          w.connections, [](ClientConnection& connection) { connection.Stop(/*force=*/false); });
    });
  }
  server.open_connections.Drained(absl::Now() + server.options.shutdown_grace);
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      common::event_loops::ForEachConnection(
          w.connections, [](ClientConnection& connection) { connection.Stop(/*force=*/true); });
      if (w.handler.stop) w.handler.stop();
      FlushAccessLog(w);
      w.sweep.cancel();
      w.keep_running.reset();
      w.io.stop();
    });
  }
  for (auto& worker : server.workers) worker->thread.join();
  common::logging::Info("http_server_stopped");
}

}  // namespace todo::gateway
