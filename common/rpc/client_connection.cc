#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/rpc/channel_internal.h"
#include "common/rpc/compression.h"
#include "common/rpc/message_deframer.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {
namespace {

// The grpc-timeout header: at most eight digits and a unit. From 10 s up in
// whole seconds, rounded up (the gateway's own timer ends the call first):
// the same few values then stay in the HPACK table instead of a new literal
// for the upstream to decode on every call.
std::string TimeoutHeader(absl::Duration remaining) {
  if (remaining >= absl::Seconds(10) && remaining < absl::Seconds(99'999'999)) {
    return absl::StrCat(absl::ToInt64Seconds(absl::Ceil(remaining, absl::Seconds(1))), "S");
  }
  const int64_t millis = std::max<int64_t>(1, absl::ToInt64Milliseconds(remaining));
  if (millis < 100'000'000) return absl::StrCat(millis, "m");
  const int64_t seconds = millis / 1000;
  if (seconds < 100'000'000) return absl::StrCat(seconds, "S");
  return absl::StrCat(std::min<int64_t>(seconds / 3600, 99'999'999), "H");
}

// Values that differ on every call are sent without indexing: added to the
// HPACK table they would only push out the ones that repeat (the forwarded
// address, grpc-timeout, the user agent). nghttp2 never indexes
// authorization itself (a never-indexed literal, HPACK's defence against
// compression oracles on a connection many callers share).
bool ChangesEveryCall(absl::string_view name) {
  return name == "x-request-id" || name == "traceparent" || name == "tracestate" ||
         name == "x-envoy-original-path";
}

nghttp2_nv Header(absl::string_view name, absl::string_view value) {
  return HeaderField(name, value,
                     ChangesEveryCall(name) ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
}

CallState* CallOf(Channel::Impl& impl, Connection& connection, int32_t stream_id) {
  auto stream = connection.streams.find(stream_id);
  if (stream == connection.streams.end()) return nullptr;
  auto call = impl.calls.find(stream->second);
  return call == impl.calls.end() ? nullptr : call->second.get();
}

// Headers the transport reads itself, not metadata for the caller.
bool IsReservedHeader(absl::string_view key) {
  return key[0] == ':' || key == "content-type" || key == "grpc-status" || key == "grpc-message" ||
         key == "grpc-status-details-bin" || key == "grpc-encoding" ||
         key == "grpc-accept-encoding";
}

int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
             const uint8_t* value, size_t value_length, uint8_t, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  CallState* call = CallOf(*connection.owner, connection, frame->hd.stream_id);
  if (call == nullptr) return 0;
  const absl::string_view key(reinterpret_cast<const char*>(name), name_length);
  const absl::string_view text(reinterpret_cast<const char*>(value), value_length);
  if (key == ":status") {
    absl::SimpleAtoi(text, &call->http_status);
  } else if (key == "grpc-status") {
    int code = 0;
    call->has_grpc_status = absl::SimpleAtoi(text, &code) && code >= 0 && code <= 16;
    call->reply.code = static_cast<absl::StatusCode>(code);
  } else if (key == "grpc-message") {
    call->reply.message = PercentDecodeMessage(text);
  } else if (key == "grpc-status-details-bin") {
    absl::Base64Unescape(text, &call->reply.details_bin);
  } else if (key == "grpc-encoding") {
    // An encoding we do not know (identity here) fails the call at its
    // first compressed message, as grpc-core does.
    call->response_encoding = ParseEncoding(text).value_or(Encoding::kIdentity);
  } else if (!IsReservedHeader(key)) {
    // A HEADERS frame that ends the stream holds trailers (or is a
    // trailers-only answer, whose metadata gRPC also counts as trailing).
    const bool trailing = frame->headers.cat == NGHTTP2_HCAT_HEADERS ||
                          (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (std::optional<std::string> decoded = DecodeMetadataValue(key, text)) {
      (trailing ? call->reply.trailing_metadata : call->reply.initial_metadata)
          .emplace_back(std::string(key), *std::move(decoded));
    }
  }
  return 0;
}

int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t length,
                void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  Channel::Impl& impl = *connection.owner;
  CallState* call = CallOf(impl, connection, stream_id);
  if (call == nullptr) return 0;
  if (!call->inbound.has_value()) {
    // The response headers, and with them grpc-encoding, came first.
    call->inbound.emplace(impl.options.max_message_bytes, call->response_encoding);
  }
  call->inbound->Append(absl::string_view(reinterpret_cast<const char*>(data), length));
  for (;;) {
    absl::StatusOr<std::optional<MessageDeframer::Message>> next = call->inbound->Next();
    if (!next.ok()) {
      impl.Abort(call->id, next.status().code(), std::string(next.status().message()).c_str());
      return 0;
    }
    if (!next->has_value()) return 0;
    ++call->reply.messages;
    if ((*next)->compressed) ++call->reply.compressed_messages;
    const uint64_t id = call->id;
    if (!call->callbacks.on_message(std::move((*next)->bytes))) {
      impl.Abort(id, absl::StatusCode::kCancelled, "Cancelled");
      return 0;
    }
    // on_message may have cancelled the call.
    call = CallOf(impl, connection, stream_id);
    if (call == nullptr) return 0;
  }
}

int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  CallState* call = CallOf(*connection.owner, connection, stream_id);
  connection.streams.erase(stream_id);
  if (call != nullptr) connection.owner->FinishFromStream(*call, error_code);
  if (connection.state == ConnectionState::kDraining && connection.streams.empty()) {
    // Not from inside nghttp2's receive: once this read is handled.
    asio::post(connection.owner->io,
               [self = connection.shared_from_this()] { self->CloseIfDrained(); });
  }
  return 0;
}

int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  if (!connection.heard_from_server) {
    connection.heard_from_server = true;
    connection.failures = 0;
  }
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_RESPONSE &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    // Response headers that are not a trailers-only answer: the call is open.
    CallState* call = CallOf(*connection.owner, connection, frame->hd.stream_id);
    if (call != nullptr && call->callbacks.on_headers) call->callbacks.on_headers();
  }
  if (frame->hd.type == NGHTTP2_GOAWAY && connection.state == ConnectionState::kReady) {
    // No new streams here; streams above last_stream_id are closed as
    // refused (and retried); a fresh connection replaces this one.
    connection.state = ConnectionState::kDraining;
    connection.owner->ConnectionLost(connection);
  }
  return 0;
}

// Hands nghttp2 a client_streaming call's queued messages; defers while
// the caller has not written more and has not closed its side.
ssize_t ReadStreamedRequest(CallState& call, uint8_t* buffer, size_t length, uint32_t* data_flags) {
  ByteQueue& outbound = call.outbound;
  if (outbound.empty() && !call.send_closed) {
    call.send_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(length, outbound.size());
  std::copy_n(outbound.Front().data(), n, buffer);
  outbound.Consume(n);
  if (outbound.empty() && call.send_closed) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// Hands nghttp2 the framed request message, as flow control allows.
ssize_t ReadRequest(nghttp2_session*, int32_t stream_id, uint8_t* buffer, size_t length,
                    uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  CallState* call = CallOf(*connection.owner, connection, stream_id);
  if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (call->call.client_streaming) return ReadStreamedRequest(*call, buffer, length, data_flags);
  const size_t n = std::min(length, call->framed.size() - call->framed_sent);
  std::copy_n(call->framed.data() + call->framed_sent, n, buffer);
  call->framed_sent += n;
  if (call->framed_sent == call->framed.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

}  // namespace

nghttp2_session_callbacks* ClientSessionCallbacks() {
  static nghttp2_session_callbacks* const callbacks = [] {
    nghttp2_session_callbacks* made = nullptr;
    nghttp2_session_callbacks_new(&made);
    nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(made, OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(made, OnStreamClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(made, OnFrame);
    return made;
  }();
  return callbacks;
}

void Connection::Connect() {
  state = ConnectionState::kConnecting;
  last_attempt = absl::Now();
  auto self = shared_from_this();
  timer.expires_after(absl::ToChronoNanoseconds(owner->options.connect_timeout));
  timer.async_wait([self](const boost::system::error_code& error) {
    if (!error && self->state == ConnectionState::kConnecting) {
      boost::system::error_code ignored;
      self->socket_.close(ignored);  // ends the attempt; not the connection
    }
  });
  socket_.async_connect(
      endpoint, [self](const boost::system::error_code& error) { self->OnConnected(error); });
}

void Connection::OnConnected(const boost::system::error_code& error) {
  if (state != ConnectionState::kConnecting) return;
  timer.cancel();
  if (error) {
    common::logging::Debug("upstream_connect_failed", {{"target", owner->target},
                                                       {"address", endpoint.address().to_string()},
                                                       {"error", error.message()}});
    boost::system::error_code ignored;
    socket_.close(ignored);
    ScheduleReconnect();
    owner->FailWaitingIfHopeless();
    return;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  nghttp2_session_client_new(&session_, ClientSessionCallbacks(), this);
  // No server push; a generous window so replies are not throttled.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 4 << 20}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 16 << 20);
  state = ConnectionState::kReady;
  Read();
  owner->PlaceWaiting();
  Flush();
}

void Connection::ScheduleReconnect() {
  state = ConnectionState::kBackingOff;
  // gRPC's connection backoff: 1.6x per failure, +-20% jitter.
  double seconds = absl::ToDoubleSeconds(owner->options.initial_backoff);
  for (int i = 0; i < failures; ++i) seconds *= 1.6;
  seconds = std::min(seconds, absl::ToDoubleSeconds(owner->options.max_backoff));
  seconds *= absl::Uniform(owner->random, 0.8, 1.2);
  ++failures;
  auto self = shared_from_this();
  timer.expires_after(absl::ToChronoNanoseconds(absl::Seconds(seconds)));
  timer.async_wait([self](const boost::system::error_code& error) {
    if (!error && self->state == ConnectionState::kBackingOff) self->Connect();
  });
}

void Connection::ScheduleFlush() {
  if (flush_scheduled) return;
  flush_scheduled = true;
  auto self = shared_from_this();
  asio::post(owner->io, [self] {
    self->flush_scheduled = false;
    self->Flush();
  });
}

bool Connection::Submit(CallState& call) {
  std::vector<nghttp2_nv> headers;
  headers.reserve(8 + call.call.metadata.size());
  headers.push_back(Header(":method", "POST"));
  headers.push_back(Header(":scheme", "http"));
  headers.push_back(Header(":path", call.call.method_path));
  headers.push_back(Header(":authority", owner->target));
  headers.push_back(Header("content-type", "application/grpc"));
  headers.push_back(Header("te", "trailers"));
  headers.push_back(Header("user-agent", owner->options.user_agent));
  headers.push_back(Header("grpc-accept-encoding", kAcceptEncodings));
  if (call.call.compression != Encoding::kIdentity) {
    headers.push_back(Header("grpc-encoding", EncodingName(call.call.compression)));
  }
  std::string timeout;
  if (call.deadline != absl::InfiniteFuture()) {
    timeout = TimeoutHeader(call.deadline - absl::Now());
    headers.push_back(Header("grpc-timeout", timeout));
  }
  // -bin values in base64; the encoded copies must outlive the submit (the
  // reserve keeps them where they are).
  std::vector<std::string> encoded;
  encoded.reserve(call.call.metadata.size());
  for (const auto& [name, value] : call.call.metadata) {
    if (IsBinaryHeader(name)) {
      encoded.push_back(EncodeMetadataValue(name, value));
      headers.push_back(Header(name, encoded.back()));
    } else {
      headers.push_back(Header(name, value));
    }
  }
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = ReadRequest;
  call.framed_sent = 0;
  call.send_deferred = false;
  const int32_t stream_id =
      nghttp2_submit_request(session_, nullptr, headers.data(), headers.size(), &body, nullptr);
  if (stream_id < 0) {
    // Stream ids are used up (or the session is going away): this
    // connection takes no more calls and a new one replaces it.
    state = ConnectionState::kDraining;
    owner->ConnectionLost(*this);
    return false;
  }
  streams[stream_id] = call.id;
  call.stream_id = stream_id;
  call.connection = shared_from_this();
  ScheduleFlush();
  return true;
}

void Connection::Fail(const std::string& why) {
  if (state == ConnectionState::kClosed) return;
  state = ConnectionState::kClosed;
  CloseSocket();
  timer.cancel();
  auto lost = std::move(streams);
  streams.clear();
  for (const auto& [stream_id, call_id] : lost) {
    auto call = owner->calls.find(call_id);
    if (call != owner->calls.end())
      owner->Finish(*call->second, absl::StatusCode::kUnavailable, why);
  }
  auto& draining = owner->draining;
  auto self = shared_from_this();
  draining.erase(std::remove(draining.begin(), draining.end(), self), draining.end());
  if (!owner->closed) owner->ConnectionLost(*this);
}

void Connection::CloseIfDrained() {
  if (state == ConnectionState::kDraining && streams.empty() && !write_in_flight_) {
    state = ConnectionState::kClosed;
    CloseSocket();
    auto& draining = owner->draining;
    draining.erase(std::remove_if(draining.begin(), draining.end(),
                                  [this](const auto& c) { return c.get() == this; }),
                   draining.end());
  }
}

}  // namespace todo::common::rpc
