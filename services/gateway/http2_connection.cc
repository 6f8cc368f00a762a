// HTTP/2 with prior knowledge (h2c) on the gateway's port: one nghttp2 server
// session per connection (common/rpc/server_session.h, the same stream
// handling as the gRPC server's); each stream is one exchange with the same
// handler, answered on the same worker thread. Limits as for HTTP/1.1 (431,
// 413); a client resetting a stream abandons its exchange; Stop sends GOAWAY
// and lets the streams in progress finish.

#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/server_session.h"
#include "services/gateway/http_server_internal.h"

namespace todo::gateway::http_internal {
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

struct ExchangeStream : common::rpc::ServerStream {
  HttpRequest request;
  size_t declared_length = 0;
  // Answered by the gateway itself (431, 413): what still arrives is dropped.
  bool refused = false;
  std::shared_ptr<Exchange> exchange;
  absl::Time started = absl::Now();
  // For the access log, kept when the request goes to the handler.
  std::string method;
  std::string path;
  ExchangeTags tags;
  bool streaming = false;
};

class Http2Connection : public ClientConnection,
                        public common::rpc::ServerSession<Http2Connection, ExchangeStream>,
                        public std::enable_shared_from_this<Http2Connection> {
 public:
  Http2Connection(HttpServer::State& server, Worker& worker, tcp::socket socket)
      : ServerSession(std::move(socket)),
        server_(server),
        worker_(worker),
        peer_address_(PeerAddress(socket_)) {}

  void Start() {
    StartSession({.max_concurrent_streams = 100,
                  .max_header_bytes = static_cast<uint32_t>(server_.options.max_header_bytes)});
    worker_.connections.insert(this);
    Read();
    Flush();
  }
  void Sweep(absl::Time now) override {
    SweepIdle(now, server_.options.idle_timeout, !streams_.empty());
    KeepaliveTick(now, HttpKeepalive());
  }
  void Stop(bool force) override;

  // An exchange's answers on stream `id`.
  void Respond(int32_t id, const HttpResponse& response);
  bool StartStream(int32_t id, const HttpResponse& head);
  bool WriteStream(int32_t id, absl::string_view piece);
  void EndStream(int32_t id);

 private:
  using Stream = ExchangeStream;
  friend class common::rpc::SessionIo<Http2Connection>;
  friend class common::rpc::ServerSession<Http2Connection, ExchangeStream>;

  // ServerSession's hooks.
  void OnHeaderField(Stream& stream, absl::string_view key, std::string value);
  void OnHeadersDone(int32_t id, Stream& stream);
  void OnRequestData(int32_t id, Stream& stream, absl::string_view data);
  void OnRequestEnd(int32_t id, Stream& stream) {
    if (!stream.refused && !stream.exchange) Dispatch(id, stream);
  }
  void OnStreamClosed(Stream& stream) {
    if (stream.exchange) stream.exchange->Abandon(/*client_gone=*/true);
  }
  size_t max_header_bytes() const { return server_.options.max_header_bytes; }
  const common::rpc::KeepaliveOptions& keepalive() const { return HttpKeepalive(); }

  void Dispatch(int32_t id, Stream& stream);
  // Submits the head (and, for a whole response, the body) of stream `id`.
  void Submit(int32_t id, Stream& stream, const HttpResponse& head, bool whole);
  void Log(const Stream& stream, int status);
  void Close();

  HttpServer::State& server_;
  Worker& worker_;
  const std::string peer_address_;
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

void Http2Connection::OnHeaderField(Stream& stream, absl::string_view key, std::string value) {
  if (stream.refused) return;
  if (key == ":method") {
    stream.request.method = std::move(value);
  } else if (key == ":path") {
    stream.request.target = std::move(value);
  } else if (key == ":authority") {
    stream.request.headers.emplace_back("host", std::move(value));
  } else if (key[0] != ':') {
    if (key == "content-length") absl::SimpleAtoi(value, &stream.declared_length);
    stream.request.headers.emplace_back(std::string(key), std::move(value));
  }
}

void Http2Connection::OnHeadersDone(int32_t id, Stream& stream) {
  if (stream.refused || stream.exchange) return;
  if (stream.header_bytes > server_.options.max_header_bytes) {
    Submit(id, stream, TextResponse(431, ""), /*whole=*/true);
  } else if (stream.declared_length > server_.options.max_body_bytes) {
    Submit(id, stream, TooLarge(), /*whole=*/true);  // before the body
  }
}

void Http2Connection::OnRequestData(int32_t id, Stream& stream, absl::string_view data) {
  if (stream.refused || stream.exchange) return;
  if (stream.request.body.size() + data.size() > server_.options.max_body_bytes) {
    Submit(id, stream, TooLarge(), /*whole=*/true);
    return;
  }
  stream.request.body.append(data.data(), data.size());
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
  common::rpc::HeaderList headers = {{":status", absl::StrCat(head.status)},
                                     {std::string(kNoSniffName), std::string(kNoSniffValue)}};
  for (const auto& [name, value] : head.headers) headers.emplace_back(name, value);
  if (whole) {
    headers.emplace_back("content-length", absl::StrCat(head.body.size()));
    stream.body.Append(head.body);
    stream.body_done = true;
  }
  stream.tags = TagsOf(head);
  if (stream.method.empty()) {  // answered by the gateway before dispatch
    stream.method = stream.request.method;
    stream.path = stream.request.target.substr(0, stream.request.target.find('?'));
  }
  SubmitAnswer(id, headers, /*body=*/true);
  if (whole) Log(stream, head.status);
  Flush();
}

void Http2Connection::Log(const Stream& stream, int status) {
  if (!AccessLogOn()) return;
  LogExchange(worker_, {{"method", stream.method},
                        {"path", stream.path},
                        {"status", status},
                        {"protocol", "h2c"},
                        {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - stream.started)},
                        {"request_id", stream.tags.request_id},
                        {"trace_id", stream.tags.trace_id}});
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
  if (closed_ || stream == nullptr || stream->body.size() > kMaxQueuedStreamBytes) return false;
  QueueBody(id, *stream, piece);
  Flush();
  return true;
}

void Http2Connection::EndStream(int32_t id) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr) return;
  stream->exchange.reset();
  Log(*stream, 200);
  EndBody(id, *stream);
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

}  // namespace

void StartHttp2(HttpServer::State& server, Worker& worker, tcp::socket socket) {
  std::make_shared<Http2Connection>(server, worker, std::move(socket))->Start();
}

}  // namespace todo::gateway::http_internal
