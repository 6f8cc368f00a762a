#include "common/rpc/server_connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_loops/each_connection.h"
#include "common/logging/log.h"
#include "common/rpc/compression.h"
#include "common/rpc/status.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc::server_internal {
namespace {

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

Headers StatusTrailers(const ClientStatus& status) {
  Headers trailers = {{"grpc-status", absl::StrCat(static_cast<int>(status.code))}};
  if (!status.message.empty()) {
    trailers.emplace_back("grpc-message", rpc::PercentEncodeMessage(status.message));
  }
  if (!status.details_bin.empty()) {
    trailers.emplace_back("grpc-status-details-bin", absl::Base64Escape(status.details_bin));
  }
  return trailers;
}

// One debug line per call, under its request id and trace: with
// LOG_LEVEL=debug an operator follows a trace through every service.
void LogCallEnd(const CallStream& stream, absl::StatusCode code, absl::Duration elapsed) {
  std::optional<logging::ScopedRequestContext> request;
  if (stream.call) request.emplace(stream.call->request_context());
  logging::Debug("rpc_finished", {{"method", stream.path},
                                  {"code", absl::StatusCodeToString(code)},
                                  {"duration_ms", absl::ToDoubleMilliseconds(elapsed)}});
}

}  // namespace

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
      End(ClientStatus{absl::StatusCode::kResourceExhausted,
                       "the client does not read its responses fast enough"},
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

  void End(ClientStatus status, std::string last_framed, Metadata trailing) override {
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

void Connection::Start() {
  boost::system::error_code error;
  const tcp::endpoint peer = socket_.remote_endpoint(error);
  if (!error) peer_address_ = peer.address().to_string();
  StartSession({.max_concurrent_streams = server_.options.max_concurrent_streams,
                .max_header_bytes = static_cast<uint32_t>(server_.options.max_header_bytes),
                .stream_window_bytes = kStreamWindowBytes,
                .connection_window_bytes = kConnectionWindowBytes});
  worker_.connections.insert(this);
  Read();
}

void Connection::OnHeaderField(Stream& stream, absl::string_view key, std::string value) {
  if (stream.call != nullptr || stream.ended) return;
  if (key == ":path") {
    stream.path = std::move(value);
  } else if (key == ":method") {
    stream.http_method = std::move(value);
  } else if (key == "content-type") {
    stream.content_type = std::move(value);
  } else if (key == "grpc-encoding") {
    stream.encoding = std::move(value);
  } else if (key == "grpc-timeout") {
    stream.timeout = ParseTimeout(value);
  } else if (key[0] != ':' && key != "te") {
    std::optional<std::string> decoded = DecodeMetadataValue(key, value);
    if (!decoded.has_value()) {
      stream.bad_metadata = std::string(key);
      return;
    }
    stream.metadata.emplace_back(std::string(key), *std::move(decoded));
  }
}

void Connection::OnHeadersDone(int32_t id, Stream& stream) {
  stream.started = absl::Now();
  if (stream.call == nullptr && !stream.ended) OnRequestHeaders(id, stream);
}

void Connection::OnRequestData(int32_t id, Stream& stream, absl::string_view data) {
  if (stream.ended || stream.call == nullptr) return;
  const size_t before = stream.inbound->buffered();
  stream.inbound->Append(data);
  TakeMessages(id, stream);
  Stream* still = Find(id);  // a handler may have ended the stream
  if (still == nullptr || !still->inbound.has_value()) return;
  partial_request_bytes_ += still->inbound->buffered();
  partial_request_bytes_ -= before;
  if (partial_request_bytes_ > server_.options.max_partial_request_bytes_per_connection) {
    Refuse(id, *still,
           ClientStatus{absl::StatusCode::kResourceExhausted,
                        "the connection holds too many unfinished request messages"});
  }
}

void Connection::OnRequestEnd(int32_t id, Stream& stream) {
  stream.client_done = true;
  if (!stream.ended && stream.call != nullptr) OnClientDone(id, stream);
}

void Connection::OnBodyTaken(Stream& stream, size_t bytes) {
  if (stream.queued != nullptr) {  // null when refused early
    stream.queued->fetch_sub(bytes);
    queued_bytes_->fetch_sub(bytes);
  }
}

void Connection::OnAnswerEnded(int32_t id, Stream& stream) {
  if (stream.reset_after_answer && !stream.client_done) {
    // What the client still sends is of no use: stop it, as grpc-core does.
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
  }
}

void Connection::OnRequestHeaders(int32_t id, Stream& stream) {
  last_activity_ = absl::Now();
  const ServerOptions& options = server_.options;
  if (stream.header_bytes > options.max_header_bytes) {
    Refuse(id, stream,
           ClientStatus{
               absl::StatusCode::kResourceExhausted,
               absl::StrCat("request metadata larger than ", options.max_header_bytes, " bytes")});
    return;
  }
  if (stream.http_method != "POST") {
    Refuse(id, stream,
           ClientStatus{absl::StatusCode::kUnimplemented, "gRPC calls are HTTP/2 POST requests"},
           405);
    return;
  }
  if (!absl::StartsWith(stream.content_type, "application/grpc") ||
      (stream.content_type.size() > 16 && stream.content_type[16] != '+' &&
       stream.content_type[16] != ';')) {
    Refuse(id, stream,
           ClientStatus{absl::StatusCode::kInternal,
                        absl::StrCat("content-type \"", stream.content_type, "\" is not gRPC")},
           415);
    return;
  }
  if (!stream.encoding.empty()) {
    const std::optional<Encoding> encoding = ParseEncoding(stream.encoding);
    if (!encoding.has_value()) {
      // grpc-accept-encoding (in every answer) tells the client what to use.
      Refuse(id, stream,
             ClientStatus{absl::StatusCode::kUnimplemented,
                          absl::StrCat("grpc-encoding ", stream.encoding, " is not supported (",
                                       kAcceptEncodings, ")")});
      return;
    }
    stream.request_encoding = *encoding;
  }
  if (!stream.bad_metadata.empty()) {
    Refuse(id, stream,
           ClientStatus{absl::StatusCode::kInternal,
                        absl::StrCat("metadata ", stream.bad_metadata, " is not base64")});
    return;
  }
  auto method = server_.methods.find(stream.path);
  if (method == server_.methods.end()) {
    Refuse(id, stream,
           ClientStatus{absl::StatusCode::kUnimplemented,
                        absl::StrCat("unknown method ", stream.path)});
    return;
  }
  if (server_.open_calls.fetch_add(1) >= server_.options.max_concurrent_calls) {
    server_.open_calls.fetch_sub(1);
    Refuse(id, stream, FailedRpcStatus(stream.path, ServerBusyError()));
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
      Refuse(id, stream, ClientStatus{next.status().code(), std::string(next.status().message())});
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
    Refuse(id, stream, ClientStatus{absl::StatusCode::kInternal, "the last message is incomplete"});
    return;
  }
  std::shared_ptr<Call> call = stream.call;
  if (stream.handler->on_message) {
    stream.handler->on_message(call, std::nullopt);
    return;
  }
  if (stream.messages != 1) {
    Refuse(id, stream,
           ClientStatus{absl::StatusCode::kInternal,
                        absl::StrCat("expected one request message, got ", stream.messages)});
    return;
  }
  stream.handler->on_request(call, std::move(stream.request));
}

void Connection::SubmitHeaders(int32_t id, Stream& stream, bool trailers_only, int http_status,
                               Headers trailers) {
  stream.headers_sent = true;
  Headers headers = {{":status", absl::StrCat(http_status)},
                     {"content-type", "application/grpc"},
                     {"grpc-accept-encoding", std::string(kAcceptEncodings)}};
  for (auto& header : stream.response_headers) headers.push_back(std::move(header));
  for (auto& trailer : trailers) headers.push_back(std::move(trailer));
  SubmitAnswer(id, headers, /*body=*/!trailers_only);
}

void Connection::Refuse(int32_t id, Stream& stream, const ClientStatus& status, int http_status) {
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
  QueueBody(id, *stream, framed);
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

void Connection::End(int32_t id, const ClientStatus& status, int http_status, Metadata trailing) {
  Stream* stream = Find(id);
  if (closed_ || stream == nullptr || stream->ended) return;
  stream->ended = true;
  const absl::Duration elapsed = absl::Now() - stream->started;
  if (server_.options.on_call_end) {
    const bool known = server_.methods.contains(stream->path);
    server_.options.on_call_end(
        {known ? absl::string_view(stream->path) : absl::string_view(), status.code, elapsed});
  }
  if (logging::IsEnabled(logging::Level::kDebug)) LogCallEnd(*stream, status.code, elapsed);
  Headers trailers = StatusTrailers(status);
  for (auto& [key, value] : trailing) {
    trailers.emplace_back(std::move(key), EncodeMetadataValue(key, value));
  }
  if (stream->headers_sent) {
    EndBody(id, *stream, std::move(trailers));
  } else {
    SubmitHeaders(id, *stream, /*trailers_only=*/true, http_status, std::move(trailers));
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
      Refuse(id, *stream, ClientStatus{absl::StatusCode::kDeadlineExceeded, "Deadline Exceeded"});
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
    event_loops::ForEachConnection(worker.connections,
                                   [&](Connection& connection) { connection.Sweep(now); });
    ArmSweep(worker);
  });
}

}  // namespace todo::common::rpc::server_internal
