#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/gateway/http1_framing.h"
#include "services/gateway/http_server_internal.h"

// HTTP/1.1 connections of the gateway (Boost.Beast's parser): keep-alive and
// pipelining, one exchange at a time, chunked streams; a connection that
// opens with HTTP/2's preface goes to http2_connection.cc.

namespace todo::gateway::http_internal {

namespace http = boost::beast::http;

namespace {

// How much a read takes, and how much of what a client sends ahead
// (pipelined requests) is read while an exchange is in progress.
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

// One client connection, served on one worker's thread.
class Http1Connection : public ClientConnection,
                        public ExchangeTarget,
                        public std::enable_shared_from_this<Http1Connection> {
 public:
  Http1Connection(HttpServer::State& server, Worker& worker, tcp::socket socket)
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
    SendResponse(response, /*keep_alive=*/false);
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
  // One read of the client's bytes into `buffer_` at a time, kept going
  // while an exchange is in progress (see OnRead).
  void ReadMore();
  void OnRead(const boost::system::error_code& error);
  void ParseHead();
  void OnHeader(const boost::system::error_code& error);
  void ParseBody();
  void OnBody(const boost::system::error_code& error);
  void Dispatch();
  void RefuseRequest(const HttpResponse& response);
  // The exchange is over: log it, then read the next request or close.
  void EndExchange(int status);
  void Send(absl::string_view bytes);
  // Head and body straight into the outbox (no copy of the body on the way).
  void SendResponse(const HttpResponse& response, bool keep_alive);
  void StartWrite();
  void Close();

  HttpServer::State& server_;
  Worker& worker_;
  tcp::socket socket_;
  // Read once: every request on the connection comes from it.
  const std::string peer_address_;
  Phase phase_ = Phase::kWaiting;
  boost::beast::flat_buffer buffer_;
  std::array<char, kReadChunk> inbound_;
  bool read_in_flight_ = false;
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
  ExchangeTags tags_;
  absl::Time started_;
};

void Http1Connection::Sniff() {
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

void Http1Connection::ReadRequest() {
  phase_ = Phase::kWaiting;
  last_activity_ = absl::Now();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
  parser_->body_limit(server_.options.max_body_bytes);
  ParseHead();
}

// A read goes to `inbound_`, not straight into `buffer_`: a read started
// during an exchange may still be pending when the next request is parsed
// from `buffer_`, which moves its bytes about as it is consumed.
void Http1Connection::ReadMore() {
  if (read_in_flight_ || phase_ == Phase::kClosed) return;
  read_in_flight_ = true;
  socket_.async_read_some(
      asio::buffer(inbound_),
      [self = shared_from_this()](const boost::system::error_code& error, size_t read) {
        self->read_in_flight_ = false;
        if (self->phase_ == Phase::kClosed) return;
        if (!error) {
          self->buffer_.commit(
              asio::buffer_copy(self->buffer_.prepare(read), asio::buffer(self->inbound_, read)));
        }
        self->OnRead(error);
      });
}

// While a request is being read, its bytes go to the parser. While an
// exchange is in progress the connection goes on reading: a client that
// hangs up (end of stream, or an error) is seen at once, which closes the
// connection and abandons the exchange (its upstream call is cancelled; for
// a stream that may otherwise never end). A pipelined request waits in the
// buffer; past kReadChunk bytes of them reading stops, and the sweep's poll
// for POLLRDHUP watches for the hang-up instead. (Reading on, rather than
// waiting for readability, also spares the reactor an epoll_ctl per
// request.)
void Http1Connection::OnRead(const boost::system::error_code& error) {
  if (phase_ == Phase::kWaiting) {
    if (error) {
      parser_->is_header_done() ? OnBody(error) : OnHeader(error);
    } else {
      parser_->is_header_done() ? ParseBody() : ParseHead();
    }
    return;
  }
  if (error) {
    // An answer that closes the connection when written is left to finish.
    if (exchange_ != nullptr) Close();
    return;
  }
  if (buffer_.size() < kReadChunk) ReadMore();
}

// Beast's async_read_header, written out so that the raw head can be looked
// at (HasObsFold) before the parser takes it: the parser consumes nothing
// until the head is complete, so the buffer always starts at the request.
void Http1Connection::ParseHead() {
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
  ReadMore();
}

void Http1Connection::OnHeader(const boost::system::error_code& error) {
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
  ParseBody();
}

// Beast's async_read for the body, from the same buffer and reads as the
// head.
void Http1Connection::ParseBody() {
  while (!parser_->is_done()) {
    if (buffer_.size() == 0) {
      ReadMore();
      return;
    }
    boost::system::error_code error;
    const size_t used = parser_->put(buffer_.data(), error);
    buffer_.consume(used);
    if (error == http::error::need_more || (!error && used == 0)) {
      ReadMore();
      return;
    }
    if (error) {
      OnBody(error);
      return;
    }
  }
  OnBody({});
}

void Http1Connection::OnBody(const boost::system::error_code& error) {
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

void Http1Connection::RefuseRequest(const HttpResponse& response) {
  phase_ = Phase::kBusy;
  close_after_write_ = true;
  SendResponse(response, /*keep_alive=*/false);
}

void Http1Connection::Dispatch() {
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
  tags_ = {};
  exchange_ = std::make_shared<Exchange>(shared_from_this());
  worker_.handler.handle(std::move(request), exchange_);
  if (exchange_ != nullptr) ReadMore();  // see OnRead
}

void Http1Connection::Respond(const HttpResponse& response) {
  if (phase_ == Phase::kClosed) return;
  tags_ = TagsOf(response);
  if (worker_.stopping) keep_alive_ = false;
  SendResponse(response, keep_alive_);
  EndExchange(response.status);
}

bool Http1Connection::StartStream(const HttpResponse& head) {
  if (phase_ == Phase::kClosed) return false;
  tags_ = TagsOf(head);
  streaming_ = true;
  std::string bytes;
  AppendResponseHead(head, keep_alive_, /*chunked=*/true, bytes);
  Send(bytes);
  return true;
}

bool Http1Connection::WriteStream(absl::string_view piece) {
  if (phase_ == Phase::kClosed || outbox_.size() > kMaxQueuedStreamBytes) return false;
  if (!piece.empty()) Send(absl::StrCat(absl::Hex(piece.size()), "\r\n", piece, "\r\n"));
  return true;
}

void Http1Connection::EndStream() {
  if (phase_ == Phase::kClosed) return;
  if (worker_.stopping) keep_alive_ = false;
  Send("0\r\n\r\n");
  EndExchange(200);
}

void Http1Connection::EndExchange(int status) {
  if (AccessLogOn()) {
    LogExchange(worker_, {{"method", method_},
                          {"path", path_},
                          {"status", status},
                          {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - started_)},
                          {"request_id", tags_.request_id},
                          {"trace_id", tags_.trace_id}});
  }
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

void Http1Connection::Send(absl::string_view bytes) {
  outbox_.append(bytes.data(), bytes.size());
  if (!write_in_flight_) StartWrite();
}

void Http1Connection::SendResponse(const HttpResponse& response, bool keep_alive) {
  AppendResponseHead(response, keep_alive, /*chunked=*/false, outbox_);
  outbox_ += response.body;
  if (!write_in_flight_) StartWrite();
}

void Http1Connection::StartWrite() {
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

void Http1Connection::Close() {
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

void Http1Connection::Sweep(absl::Time now) {
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

void Http1Connection::Stop(bool force) {
  if (force || (phase_ == Phase::kWaiting && !write_in_flight_)) {
    Close();
  } else if (streaming_ && exchange_) {
    exchange_->Abandon(/*client_gone=*/false);  // its upstream call ends, then the stream
  }
}

void StartHttp1(HttpServer::State& server, Worker& worker, tcp::socket socket) {
  auto connection = std::make_shared<Http1Connection>(server, worker, std::move(socket));
  if (server.open_connections.Add() >= server.options.max_connections) {
    connection->Refuse(TextResponse(503, "too many connections"));
    return;
  }
  connection->Start();
}

}  // namespace todo::gateway::http_internal
