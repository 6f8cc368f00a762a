#include "common/rpc/server.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "common/event_loops/connection_count.h"
#include "common/event_loops/listener.h"
#include "common/logging/log.h"
#include "common/rpc/compression.h"
#include "common/rpc/message_deframer.h"
#include "common/rpc/session_io.h"
#include "common/rpc/status.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// --- Call ---

Call::Call(std::string method, Metadata metadata, absl::Time deadline, std::string peer_address,
           std::shared_ptr<CallSink> sink, size_t max_send_message_bytes)
    : method_(std::move(method)),
      metadata_(std::move(metadata)),
      deadline_(deadline),
      peer_address_(std::move(peer_address)),
      sink_(std::move(sink)),
      max_send_message_bytes_(max_send_message_bytes) {}

namespace {

grpc::Status SendLimitStatus(size_t size, size_t limit) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("Sent message larger than max (", size, " vs. ", limit, ")"));
}

}  // namespace

std::vector<absl::string_view> Call::MetadataValues(absl::string_view key) const {
  std::vector<absl::string_view> values;
  for (const auto& [name, value] : metadata_) {
    if (name == key) values.push_back(value);
  }
  return values;
}

absl::string_view Call::FirstMetadata(absl::string_view key) const {
  for (const auto& [name, value] : metadata_) {
    if (name == key) return value;
  }
  return "";
}

void Call::AddInitialMetadata(std::string key, std::string value) {
  absl::MutexLock lock(&mu_);
  if (!headers_handed_over_) initial_metadata_.emplace_back(std::move(key), std::move(value));
}

void Call::AddTrailingMetadata(std::string key, std::string value) {
  absl::MutexLock lock(&mu_);
  trailing_metadata_.emplace_back(std::move(key), std::move(value));
}

void Call::SetCompression(Encoding encoding) {
  absl::MutexLock lock(&mu_);
  if (headers_handed_over_) return;
  encoding_ =
      Accepts(FirstMetadata("grpc-accept-encoding"), encoding) ? encoding : Encoding::kIdentity;
}

void Call::HandHeadersOverLocked() {
  if (headers_handed_over_) return;
  headers_handed_over_ = true;
  sink_->SendHeaders(std::move(initial_metadata_), encoding_);
}

std::string Call::Frame(const std::string& message, bool compress) const {
  if (!compress || encoding_ == Encoding::kIdentity) return FrameMessage(message);
  return FrameMessage(Compress(encoding_, message), /*compressed=*/true);
}

void Call::SendInitialMetadata() {
  absl::MutexLock lock(&mu_);
  if (!done()) HandHeadersOverLocked();
}

bool Call::Write(std::string message, bool compress) {
  absl::MutexLock lock(&mu_);
  if (done()) return false;
  if (message.size() > max_send_message_bytes_) {
    done_.store(true, std::memory_order_release);
    HandHeadersOverLocked();
    sink_->End(SendLimitStatus(message.size(), max_send_message_bytes_), "",
               std::move(trailing_metadata_));
    return false;
  }
  HandHeadersOverLocked();
  if (!sink_->Send(Frame(message, compress))) {
    done_.store(true, std::memory_order_release);
    return false;
  }
  return !done();
}

void Call::Reply(std::string message) {
  absl::MutexLock lock(&mu_);
  if (done_.exchange(true, std::memory_order_acq_rel)) return;
  if (message.size() > max_send_message_bytes_) {
    sink_->End(SendLimitStatus(message.size(), max_send_message_bytes_), "",
               std::move(trailing_metadata_));
    return;
  }
  HandHeadersOverLocked();
  sink_->End(grpc::Status::OK, Frame(message, true), std::move(trailing_metadata_));
}

void Call::Finish(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  if (done_.exchange(true, std::memory_order_acq_rel)) return;
  // With nothing to say before the status, the answer is trailers-only.
  if (!initial_metadata_.empty()) HandHeadersOverLocked();
  sink_->End(status, "", std::move(trailing_metadata_));
}

namespace {

// How often a worker looks for calls past their deadline and idle
// connections.
constexpr absl::Duration kSweepInterval = absl::Milliseconds(100);
// A stream whose client reads less than this behind what it is sent is ended.
constexpr uint32_t kStreamWindowBytes = 1024 * 1024;
constexpr int32_t kConnectionWindowBytes = 16 * 1024 * 1024;

class Connection;

// The server's part of one event loop.
struct Worker {
  explicit Worker(asio::io_context& loop) : io(loop), sweep(loop) {}
  asio::io_context& io;
  asio::steady_timer sweep;
  absl::flat_hash_set<Connection*> connections;
  bool stopping = false;
};

// grpc-timeout: 1-8 digits and a unit (H M S m u n); nullopt when malformed.
std::optional<absl::Duration> ParseTimeout(absl::string_view text) {
  if (text.size() < 2 || text.size() > 9) return std::nullopt;
  int64_t amount = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &amount) || amount < 0) {
    return std::nullopt;
  }
  switch (text.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return std::nullopt;
  }
}

using Headers = std::vector<std::pair<std::string, std::string>>;

std::vector<nghttp2_nv> HeaderFields(const Headers& headers) {
  std::vector<nghttp2_nv> fields;
  fields.reserve(headers.size());
  for (const auto& [name, value] : headers) fields.push_back(rpc::HeaderField(name, value));
  return fields;
}

Headers StatusTrailers(const grpc::Status& status) {
  Headers trailers = {{"grpc-status", absl::StrCat(static_cast<int>(status.error_code()))}};
  if (!status.error_message().empty()) {
    trailers.emplace_back("grpc-message", rpc::PercentEncodeMessage(status.error_message()));
  }
  if (!status.error_details().empty()) {
    trailers.emplace_back("grpc-status-details-bin", absl::Base64Escape(status.error_details()));
  }
  return trailers;
}

}  // namespace

struct Server::State {
  ServerOptions options;
  MethodTable methods;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<event_loops::Listener> listener;
  event_loops::ConnectionCount open_connections;
  std::atomic<int> open_calls{0};
  std::atomic<bool> stopping{false};
  bool shut_down = false;
};

namespace {

// One client connection: an nghttp2 server session on one worker's loop.
class Connection : public rpc::SessionIo<Connection>,
                   public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server::State> server, Worker& worker, tcp::socket socket)
      : SessionIo(std::move(socket)),
        server_holder_(std::move(server)),
        server_(*server_holder_),
        worker_(worker) {}

  void Start();
  void Sweep(absl::Time now);
  // Shutdown: GOAWAY, calls in progress finish; `force` closes at once.
  void Stop(bool force);

  // A call's answer, on the loop thread.
  void Send(int32_t id, std::string framed);
  void SendHeaders(int32_t id, Metadata metadata, Encoding encoding);
  // `http_status` only counts when nothing was sent yet (trailers-only).
  void End(int32_t id, const grpc::Status& status, int http_status = 200, Metadata trailing = {});

 private:
  struct Stream {
    std::string path;
    std::string http_method;
    std::string content_type;
    std::string encoding;
    Encoding request_encoding = Encoding::kIdentity;
    std::string bad_metadata;  // a "-bin" key whose value is not base64
    std::optional<absl::Duration> timeout;
    Headers metadata;
    size_t header_bytes = 0;
    const MethodHandler* handler = nullptr;
    std::shared_ptr<Call> call;
    std::shared_ptr<std::atomic<size_t>> queued;  // shared with the call's sink
    bool counted = false;                         // in the server's open_calls
    absl::Time deadline = absl::InfiniteFuture();
    // The request messages as they arrive (once the call is accepted), and
    // for unary methods the messages so far.
    std::optional<MessageDeframer> inbound;
    int messages = 0;
    std::string request;
    bool client_done = false;
    // The answer: once `ended`, whatever arrives is dropped.
    bool headers_sent = false;
    bool ended = false;
    // Refused while the client still sends: reset once the answer is out.
    bool reset_after_answer = false;
    ByteQueue pending;         // framed messages nghttp2 has not taken yet
    Headers response_headers;  // the handler's initial metadata, grpc-encoding
    Headers trailers;
  };

  static nghttp2_session_callbacks* Callbacks();
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* self);
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length,
                    void* self);
  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnClose(nghttp2_session*, int32_t id, uint32_t, void* self);
  static int OnFrameSent(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static ssize_t ReadBody(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* self);

  Stream* Find(int32_t id) {
    auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : found->second.get();
  }
  void OnRequestHeaders(int32_t id, Stream& stream);
  void TakeMessages(int32_t id, Stream& stream);
  void OnClientDone(int32_t id, Stream& stream);
  // Ends a call before its handler did (bad input, deadline): trailers, and
  // a reset when the client is still sending.
  void Refuse(int32_t id, Stream& stream, const grpc::Status& status, int http_status = 200);
  void SubmitHeaders(int32_t id, Stream& stream, bool trailers_only, int http_status = 200);
  friend class rpc::SessionIo<Connection>;
  void ScheduleFlush();
  void Close();
  // A stream leaves the connection: its call is over, its bytes are let go.
  void Forget(Stream& stream) {
    if (stream.call != nullptr) stream.call->MarkDone();
    if (stream.queued != nullptr) queued_bytes_->fetch_sub(stream.pending.size());
    if (stream.inbound.has_value()) partial_request_bytes_ -= stream.inbound->buffered();
    stream.queued = nullptr;
    stream.inbound.reset();
    if (stream.counted) server_.open_calls.fetch_sub(1);
    stream.counted = false;
  }

  // Keeps the server's state (and the worker in it) alive as long as the
  // connection: its handlers may run after Shutdown returned.
  const std::shared_ptr<Server::State> server_holder_;
  Server::State& server_;
  Worker& worker_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  bool flush_posted_ = false;
  std::string peer_address_;
  // Response bytes queued on this connection's streams (from any thread),
  // and request bytes of messages not yet whole (on the loop).
  const std::shared_ptr<std::atomic<size_t>> queued_bytes_ =
      std::make_shared<std::atomic<size_t>>(0);
  size_t partial_request_bytes_ = 0;
};

// A call's way back to its stream, from any thread.
class StreamSink final : public CallSink {
 public:
  StreamSink(std::weak_ptr<Connection> connection, int32_t id, asio::io_context& io,
             std::shared_ptr<std::atomic<size_t>> queued,
             std::shared_ptr<std::atomic<size_t>> connection_queued, size_t max_stream_bytes,
             size_t max_connection_bytes)
      : connection_(std::move(connection)),
        id_(id),
        io_(io),
        queued_(std::move(queued)),
        connection_queued_(std::move(connection_queued)),
        max_stream_bytes_(max_stream_bytes),
        max_connection_bytes_(max_connection_bytes) {}

  bool Send(std::string framed) override {
    // Counted before it reaches the loop; taken off as nghttp2 takes it.
    const size_t stream_total = queued_->fetch_add(framed.size()) + framed.size();
    const size_t connection_total = connection_queued_->fetch_add(framed.size()) + framed.size();
    if (stream_total > max_stream_bytes_ || connection_total > max_connection_bytes_) {
      queued_->fetch_sub(framed.size());
      connection_queued_->fetch_sub(framed.size());
      End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "the client does not read its responses fast enough"),
          "", {});
      return false;
    }
    asio::dispatch(io_, [connection = connection_, id = id_, framed = std::move(framed)]() mutable {
      if (auto alive = connection.lock()) alive->Send(id, std::move(framed));
    });
    return true;
  }

  void SendHeaders(Metadata metadata, Encoding encoding) override {
    asio::dispatch(io_, [connection = connection_, id = id_, metadata = std::move(metadata),
                         encoding]() mutable {
      if (auto alive = connection.lock()) alive->SendHeaders(id, std::move(metadata), encoding);
    });
  }

  void End(grpc::Status status, std::string last_framed, Metadata trailing) override {
    // The last message is counted like the others (nghttp2 takes it off as
    // it sends it), but never refused: the call ends with it.
    queued_->fetch_add(last_framed.size());
    connection_queued_->fetch_add(last_framed.size());
    asio::dispatch(io_, [connection = connection_, id = id_, status = std::move(status),
                         last = std::move(last_framed), trailing = std::move(trailing)]() mutable {
      if (auto alive = connection.lock()) {
        if (!last.empty()) alive->Send(id, std::move(last));
        alive->End(id, status, 200, std::move(trailing));
      }
    });
  }

 private:
  const std::weak_ptr<Connection> connection_;
  const int32_t id_;
  asio::io_context& io_;
  const std::shared_ptr<std::atomic<size_t>> queued_;
  const std::shared_ptr<std::atomic<size_t>> connection_queued_;
  const size_t max_stream_bytes_;
  const size_t max_connection_bytes_;
};

nghttp2_session_callbacks* Connection::Callbacks() {
  static nghttp2_session_callbacks* const callbacks = [] {
    nghttp2_session_callbacks* made = nullptr;
    nghttp2_session_callbacks_new(&made);
    nghttp2_session_callbacks_set_on_begin_headers_callback(made, OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(made, OnClose);
    nghttp2_session_callbacks_set_on_frame_send_callback(made, OnFrameSent);
    return made;
  }();
  return callbacks;
}

void Connection::Start() {
  boost::system::error_code error;
  const tcp::endpoint peer = socket_.remote_endpoint(error);
  if (!error) peer_address_ = peer.address().to_string();
  nghttp2_session_server_new(&session_, Callbacks(), this);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, server_.options.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(server_.options.max_header_bytes)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindowBytes}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 3);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindowBytes);
  worker_.connections.insert(this);
  Read();
}

int Connection::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto& connection = *static_cast<Connection*>(self);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    connection.streams_[frame->hd.stream_id] = std::make_unique<Stream>();
  }
  return 0;
}

int Connection::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                         size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                         void* self) {
  auto& connection = *static_cast<Connection*>(self);
  Stream* stream = connection.Find(frame->hd.stream_id);
  if (stream == nullptr || stream->call != nullptr || stream->ended) return 0;
  stream->header_bytes += name_length + value_length + 32;
  if (stream->header_bytes > connection.server_.options.max_header_bytes) return 0;
  const absl::string_view key(reinterpret_cast<const char*>(name), name_length);
  std::string text(reinterpret_cast<const char*>(value), value_length);
  if (key == ":path") {
    stream->path = std::move(text);
  } else if (key == ":method") {
    stream->http_method = std::move(text);
  } else if (key == "content-type") {
    stream->content_type = std::move(text);
  } else if (key == "grpc-encoding") {
    stream->encoding = std::move(text);
  } else if (key == "grpc-timeout") {
    stream->timeout = ParseTimeout(text);
  } else if (key[0] != ':' && key != "te") {
    std::optional<std::string> decoded = DecodeMetadataValue(key, text);
    if (!decoded.has_value()) {
      stream->bad_metadata = std::string(key);
      return 0;
    }
    stream->metadata.emplace_back(std::string(key), *std::move(decoded));
  }
  return 0;
}

int Connection::OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length,
                       void* self) {
  auto& connection = *static_cast<Connection*>(self);
  Stream* stream = connection.Find(id);
  if (stream == nullptr || stream->ended || stream->call == nullptr) return 0;
  const size_t before = stream->inbound->buffered();
  stream->inbound->Append(absl::string_view(reinterpret_cast<const char*>(data), length));
  connection.TakeMessages(id, *stream);
  stream = connection.Find(id);  // a handler may have ended the stream
  if (stream == nullptr || !stream->inbound.has_value()) return 0;
  connection.partial_request_bytes_ += stream->inbound->buffered();
  connection.partial_request_bytes_ -= before;
  if (connection.partial_request_bytes_ >
      connection.server_.options.max_partial_request_bytes_per_connection) {
    connection.Refuse(id, *stream,
                      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "the connection holds too many unfinished request messages"));
  }
  return 0;
}

int Connection::OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto& connection = *static_cast<Connection*>(self);
  if (frame->hd.type == NGHTTP2_PING) {
    connection.OnPing((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0, !connection.streams_.empty(),
                      connection.server_.options.keepalive);
    return 0;
  }
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  const int32_t id = frame->hd.stream_id;
  Stream* stream = connection.Find(id);
  if (stream == nullptr) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS && stream->call == nullptr && !stream->ended) {
    connection.OnRequestHeaders(id, *stream);
    stream = connection.Find(id);  // a handler may have answered and the stream closed
    if (stream == nullptr) return 0;
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    stream->client_done = true;
    if (!stream->ended && stream->call != nullptr) connection.OnClientDone(id, *stream);
  }
  return 0;
}

int Connection::OnClose(nghttp2_session*, int32_t id, uint32_t, void* self) {
  auto& connection = *static_cast<Connection*>(self);
  auto found = connection.streams_.find(id);
  if (found == connection.streams_.end()) return 0;
  connection.Forget(*found->second);
  connection.streams_.erase(found);
  return 0;
}

int Connection::OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame, void* self) {
  auto& connection = *static_cast<Connection*>(self);
  if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
    connection.ResetPingStrikes();
  }
  if (frame->hd.type != NGHTTP2_HEADERS || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  Stream* stream = connection.Find(frame->hd.stream_id);
  if (stream != nullptr && stream->reset_after_answer && !stream->client_done) {
    // What the client still sends is of no use: stop it, as grpc-core does.
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

ssize_t Connection::ReadBody(nghttp2_session* session, int32_t id, uint8_t* buffer, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void* self) {
  auto& connection = *static_cast<Connection*>(self);
  Stream* stream = connection.Find(id);
  if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (stream->pending.empty() && !stream->ended) return NGHTTP2_ERR_DEFERRED;
  const size_t n = std::min(length, stream->pending.size());
  std::copy_n(stream->pending.Front().data(), n, buffer);
  stream->pending.Consume(n);
  if (stream->queued != nullptr) {  // null when refused early
    stream->queued->fetch_sub(n);
    connection.queued_bytes_->fetch_sub(n);
  }
  if (stream->pending.empty() && stream->ended) {
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    const std::vector<nghttp2_nv> fields = HeaderFields(stream->trailers);
    nghttp2_submit_trailer(session, id, fields.data(), fields.size());
  }
  return static_cast<ssize_t>(n);
}

void Connection::OnRequestHeaders(int32_t id, Stream& stream) {
  last_activity_ = absl::Now();
  const ServerOptions& options = server_.options;
  if (stream.header_bytes > options.max_header_bytes) {
    Refuse(id, stream,
           grpc::Status(
               grpc::StatusCode::RESOURCE_EXHAUSTED,
               absl::StrCat("request metadata larger than ", options.max_header_bytes, " bytes")));
    return;
  }
  if (stream.http_method != "POST") {
    Refuse(id, stream,
           grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "gRPC calls are HTTP/2 POST requests"),
           405);
    return;
  }
  if (!absl::StartsWith(stream.content_type, "application/grpc") ||
      (stream.content_type.size() > 16 && stream.content_type[16] != '+' &&
       stream.content_type[16] != ';')) {
    Refuse(id, stream,
           grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("content-type \"", stream.content_type, "\" is not gRPC")),
           415);
    return;
  }
  if (!stream.encoding.empty()) {
    const std::optional<Encoding> encoding = ParseEncoding(stream.encoding);
    if (!encoding.has_value()) {
      // grpc-accept-encoding (in every answer) tells the client what to use.
      Refuse(id, stream,
             grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          absl::StrCat("grpc-encoding ", stream.encoding, " is not supported (",
                                       kAcceptEncodings, ")")));
      return;
    }
    stream.request_encoding = *encoding;
  }
  if (!stream.bad_metadata.empty()) {
    Refuse(id, stream,
           grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("metadata ", stream.bad_metadata, " is not base64")));
    return;
  }
  auto method = server_.methods.find(stream.path);
  if (method == server_.methods.end()) {
    Refuse(id, stream,
           grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("unknown method ", stream.path)));
    return;
  }
  if (server_.open_calls.fetch_add(1) >= server_.options.max_concurrent_calls) {
    server_.open_calls.fetch_sub(1);
    Refuse(id, stream, ServerBusyStatus(stream.path));
    return;
  }
  stream.counted = true;
  stream.inbound.emplace(server_.options.max_receive_message_bytes, stream.request_encoding);
  stream.handler = &method->second;
  if (stream.timeout.has_value()) stream.deadline = absl::Now() + *stream.timeout;
  stream.queued = std::make_shared<std::atomic<size_t>>(0);
  stream.call = std::make_shared<Call>(
      stream.path, std::move(stream.metadata), stream.deadline, peer_address_,
      std::make_shared<StreamSink>(weak_from_this(), id, worker_.io, stream.queued, queued_bytes_,
                                   options.max_pending_send_bytes_per_stream,
                                   options.max_pending_send_bytes_per_connection),
      options.max_send_message_bytes);
}

void Connection::TakeMessages(int32_t id, Stream& stream) {
  while (!stream.ended) {
    absl::StatusOr<std::optional<MessageDeframer::Message>> next = stream.inbound->Next();
    if (!next.ok()) {
      Refuse(id, stream,
             grpc::Status(static_cast<grpc::StatusCode>(next.status().code()),
                          std::string(next.status().message())));
      return;
    }
    if (!next->has_value()) return;
    MessageDeframer::Message& message = **next;
    stream.call->SetLastMessageCompressed(message.compressed);
    if (stream.handler->on_message) {
      std::shared_ptr<Call> call = stream.call;
      stream.handler->on_message(call, std::move(message.bytes));
      continue;
    }
    if (++stream.messages == 1) stream.request = std::move(message.bytes);
  }
}

void Connection::OnClientDone(int32_t id, Stream& stream) {
  if (!stream.inbound->empty()) {
    Refuse(id, stream, grpc::Status(grpc::StatusCode::INTERNAL, "the last message is incomplete"));
    return;
  }
  std::shared_ptr<Call> call = stream.call;
  if (stream.handler->on_message) {
    stream.handler->on_message(call, std::nullopt);
    return;
  }
  if (stream.messages != 1) {
    Refuse(id, stream,
           grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("expected one request message, got ", stream.messages)));
    return;
  }
  stream.handler->on_request(call, std::move(stream.request));
}

void Connection::SubmitHeaders(int32_t id, Stream& stream, bool trailers_only, int http_status) {
  stream.headers_sent = true;
  Headers headers = {{":status", absl::StrCat(http_status)},
                     {"content-type", "application/grpc"},
                     {"grpc-accept-encoding", std::string(kAcceptEncodings)}};
  for (auto& header : stream.response_headers) headers.push_back(std::move(header));
  if (trailers_only) {
    for (auto& trailer : stream.trailers) headers.push_back(std::move(trailer));
  }
  const std::vector<nghttp2_nv> fields = HeaderFields(headers);
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = ReadBody;
  nghttp2_submit_response(session_, id, fields.data(), fields.size(),
                          trailers_only ? nullptr : &body);
}

void Connection::Refuse(int32_t id, Stream& stream, const grpc::Status& status, int http_status) {
  if (stream.call != nullptr) stream.call->MarkDone();
  if (!stream.client_done && http_status == 200) {
    // Headers, then trailers, then a reset: a grpc-core client takes the
    // status from trailers that came before the reset, but not from a
    // trailers-only answer followed by one.
    stream.reset_after_answer = true;
    if (!stream.headers_sent) SubmitHeaders(id, stream, /*trailers_only=*/false);
  }
  End(id, status, http_status);
}

void Connection::Send(int32_t id, std::string framed) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr || stream->ended) {
    // Counted by the sink, dropped here: off the connection's budget.
    queued_bytes_->fetch_sub(framed.size());
    return;
  }
  if (!stream->headers_sent) SubmitHeaders(id, *stream, /*trailers_only=*/false);
  stream->pending.Append(framed);
  nghttp2_session_resume_data(session_, id);
  ScheduleFlush();
}

void Connection::SendHeaders(int32_t id, Metadata metadata, Encoding encoding) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr || stream->ended || stream->headers_sent) return;
  if (encoding != Encoding::kIdentity) {
    stream->response_headers.emplace_back("grpc-encoding", std::string(EncodingName(encoding)));
  }
  for (auto& [key, value] : metadata) {
    stream->response_headers.emplace_back(std::move(key), EncodeMetadataValue(key, value));
  }
  SubmitHeaders(id, *stream, /*trailers_only=*/false);
  ScheduleFlush();
}

void Connection::End(int32_t id, const grpc::Status& status, int http_status, Metadata trailing) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr || stream->ended) return;
  stream->ended = true;
  stream->trailers = StatusTrailers(status);
  for (auto& [key, value] : trailing) {
    stream->trailers.emplace_back(std::move(key), EncodeMetadataValue(key, value));
  }
  if (stream->headers_sent) {
    nghttp2_session_resume_data(session_, id);
  } else {
    SubmitHeaders(id, *stream, /*trailers_only=*/true, http_status);
  }
  ScheduleFlush();
}

void Connection::ScheduleFlush() {
  // Inside nghttp2's receive callbacks the session must not send; the read
  // handler flushes after them. From elsewhere, one flush per turn of the
  // loop carries every answer queued in it.
  if (in_receive_ || flush_posted_) return;
  flush_posted_ = true;
  asio::post(worker_.io, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->Flush();
  });
}

void Connection::Close() {
  if (!CloseSocket()) return;
  worker_.connections.erase(this);
  server_.open_connections.Remove();
  for (auto& [id, stream] : streams_) Forget(*stream);
  streams_.clear();
}

void Connection::Sweep(absl::Time now) {
  std::vector<int32_t> expired;
  for (const auto& [id, stream] : streams_) {
    if (!stream->ended && stream->deadline < now) expired.push_back(id);
  }
  for (const int32_t id : expired) {
    if (Stream* stream = Find(id)) {
      Refuse(id, *stream, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
    }
  }
  if (!expired.empty()) Flush();
  SweepIdle(now, server_.options.idle_timeout, !streams_.empty());
  KeepaliveTick(now, server_.options.keepalive);
}

void Connection::Stop(bool force) {
  if (force) {
    Close();
    return;
  }
  GoAway();
  CloseWhenDrained(!streams_.empty());
}

void ArmSweep(Worker& worker) {
  if (worker.stopping) return;
  worker.sweep.expires_after(absl::ToChronoNanoseconds(kSweepInterval));
  worker.sweep.async_wait([&worker](const boost::system::error_code& error) {
    if (error) return;
    const absl::Time now = absl::Now();
    const std::vector<Connection*> connections(worker.connections.begin(),
                                               worker.connections.end());
    for (Connection* connection : connections) {
      if (worker.connections.contains(connection)) connection->Sweep(now);
    }
    ArmSweep(worker);
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, MethodTable methods,
                                                      event_loops::EventLoops* loops) {
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  state->methods = std::move(methods);
  const ServerOptions& opts = state->options;
  const int workers = loops->size();
  for (int i = 0; i < workers; ++i) {
    state->workers.push_back(std::make_unique<Worker>(loops->loop(i)));
  }
  std::vector<asio::io_context*> contexts;
  for (auto& worker : state->workers) contexts.push_back(&worker->io);
  // Weak: the listener belongs to the state. Connections hold the state
  // (shared), so their handlers find it even after Shutdown returned.
  std::weak_ptr<State> weak = state;
  absl::StatusOr<std::unique_ptr<event_loops::Listener>> listener = event_loops::Listener::Open(
      opts.listen_address, opts.port, std::move(contexts), [weak](int loop, tcp::socket socket) {
        std::shared_ptr<State> server = weak.lock();
        if (server == nullptr) return;
        Worker& target = *server->workers[loop];
        if (target.stopping) return;
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        socket.non_blocking(true, ignored);
        server->open_connections.Add();
        std::make_shared<Connection>(server, target, std::move(socket))->Start();
      });
  if (!listener.ok()) return listener.status();
  state->listener = *std::move(listener);
  for (auto& worker : state->workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] { ArmSweep(w); });
  }
  common::logging::Info("grpc_server_started",
                        {{"port", state->listener->port()}, {"workers", workers}});
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::shared_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return state_->listener->port(); }

std::string Server::local_target() const {
  const std::string& address = state_->options.listen_address;
  const int port = state_->listener->port();
  const bool any = address == "0.0.0.0" || address == "::";
  return any ? absl::StrCat("127.0.0.1:", port)
             : (address.find(':') != std::string::npos ? absl::StrCat("[", address, "]:", port)
                                                       : absl::StrCat(address, ":", port));
}

void Server::Shutdown() {
  State& server = *state_;
  if (server.shut_down) return;
  server.shut_down = true;
  common::logging::Info("grpc_server_stopping",
                        {{"grace_ms", absl::ToInt64Milliseconds(server.options.shutdown_grace)}});
  server.stopping.store(true);
  server.listener->Close();
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      w.stopping = true;
      const std::vector<Connection*> connections(w.connections.begin(), w.connections.end());
      for (Connection* connection : connections) {
        if (w.connections.contains(connection)) connection->Stop(/*force=*/false);
      }
    });
  }
  server.open_connections.Drained(absl::Now() + server.options.shutdown_grace);
  absl::BlockingCounter closed(static_cast<int>(server.workers.size()));
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w, &closed] {
      const std::vector<Connection*> connections(w.connections.begin(), w.connections.end());
      for (Connection* connection : connections) {
        if (w.connections.contains(connection)) connection->Stop(/*force=*/true);
      }
      w.sweep.cancel();
      closed.DecrementCount();
    });
  }
  closed.Wait();
  common::logging::Info("grpc_server_stopped");
}

}  // namespace todo::common::rpc
