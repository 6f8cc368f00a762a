#include "services/gateway/grpc_upstream.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/rpc/wire.h"
#include "services/gateway/transcoding/percent_encoding.h"

namespace todo::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// gRPC status codes used here (google.rpc.Code).
constexpr int kCancelled = 1;
constexpr int kUnknown = 2;
constexpr int kDeadlineExceeded = 4;
constexpr int kPermissionDenied = 7;
constexpr int kResourceExhausted = 8;
constexpr int kUnimplemented = 12;
constexpr int kInternal = 13;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

// gRPC's mapping of an HTTP status without grpc-status (http-grpc-status-mapping.md).
int CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return kInternal;
    case 401:
      return kUnauthenticated;
    case 403:
      return kPermissionDenied;
    case 404:
      return kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return kUnavailable;
    default:
      return kUnknown;
  }
}

// gRPC's mapping of a stream reset (PROTOCOL-HTTP2.md, "Errors").
int CodeForResetStream(uint32_t error_code) {
  switch (error_code) {
    case NGHTTP2_REFUSED_STREAM:
      return kUnavailable;
    case NGHTTP2_CANCEL:
      return kCancelled;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return kResourceExhausted;
    case NGHTTP2_INADEQUATE_SECURITY:
      return kPermissionDenied;
    default:
      return kInternal;
  }
}

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
// HPACK table they would only push out the ones that repeat (authorization).
bool ChangesEveryCall(absl::string_view name) {
  return name == "x-request-id" || name == "traceparent" || name == "tracestate" ||
         name == "x-envoy-original-path";
}

nghttp2_nv Header(absl::string_view name, absl::string_view value) {
  return common::rpc::HeaderField(
      name, value, ChangesEveryCall(name) ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
}

struct Connection;

struct CallState {
  uint64_t id = 0;
  UpstreamCall call;
  UpstreamCallbacks callbacks;
  // The request as one length-prefixed gRPC message.
  std::string framed;
  size_t framed_sent = 0;
  absl::Time deadline = absl::InfiniteFuture();
  std::unique_ptr<asio::steady_timer> deadline_timer;
  // Where the call runs, once it has a stream.
  std::shared_ptr<Connection> connection;
  int32_t stream_id = -1;
  bool retried = false;
  // What came back.
  int http_status = 0;
  bool has_grpc_status = false;
  UpstreamReply reply;
  std::string inbound;
};

}  // namespace

struct GrpcUpstream::Impl : std::enable_shared_from_this<GrpcUpstream::Impl> {
  Impl(asio::io_context& io_context, std::string host_name, std::string port_name,
       std::string target_name, GrpcUpstreamOptions upstream_options)
      : io(io_context),
        host(std::move(host_name)),
        port(std::move(port_name)),
        target(std::move(target_name)),
        options(upstream_options),
        resolver(io_context),
        reresolve_timer(io_context) {}

  void Resolve();
  void OnResolved(std::vector<tcp::endpoint> endpoints);
  void Place(uint64_t call_id);
  void PlaceWaiting();
  void FailWaitingIfHopeless();
  void Finish(CallState& call, int code, std::string message);
  void FinishFromStream(CallState& call, uint32_t error_code);
  void Abort(uint64_t call_id, int code, const char* message);
  Connection* PickReady();
  bool AnyConnecting() const;
  // Ends a call that found no connection to run on.
  void FailUnreachable(CallState& call) {
    // As grpc's own client says it, without the target: this text reaches
    // clients, and addresses stay in the log (connection failures are
    // logged with them).
    Finish(call, kUnavailable, "failed to connect to all addresses");
  }
  void ConnectionLost(Connection& connection);

  asio::io_context& io;
  const std::string host;
  const std::string port;
  const std::string target;
  const GrpcUpstreamOptions options;
  tcp::resolver resolver;
  asio::steady_timer reresolve_timer;
  bool resolving = false;
  bool resolved_once = false;
  bool closed = false;
  absl::Time last_resolve = absl::InfinitePast();
  // gRPC's "ipv4:a:p,b:q" / "ipv6:[a]:p,..." targets: fixed addresses, no DNS.
  std::vector<tcp::endpoint> static_endpoints;
  // One live connection per resolved address, in round-robin order.
  std::vector<std::shared_ptr<Connection>> connections;
  // Connections told to go away, kept until their streams end.
  std::vector<std::shared_ptr<Connection>> draining;
  size_t next_pick = 0;
  uint64_t next_call_id = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<CallState>> calls;
  // Calls waiting for a ready connection.
  std::deque<uint64_t> waiting;
  absl::BitGen random;
};

namespace {

enum class ConnectionState { kBackingOff, kConnecting, kReady, kDraining, kClosed };

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(GrpcUpstream::Impl& impl, tcp::endpoint address)
      : owner(&impl), endpoint(address), socket(impl.io), timer(impl.io) {}
  ~Connection() {
    if (session != nullptr) nghttp2_session_del(session);
  }

  void Connect();
  void OnConnected(const boost::system::error_code& error);
  void ScheduleReconnect();
  void Read();
  // Writes whatever nghttp2 has to send; one write in flight at a time.
  void Flush();
  // Flushes once the current batch of events is handled, so that calls
  // started together share one write.
  void ScheduleFlush();
  // Fails every stream and closes the socket; a replacement reconnects
  // (unless the upstream is closing).
  void Fail(const std::string& why);
  void CloseIfDrained();
  bool Submit(CallState& call);

  GrpcUpstream::Impl* owner;
  const tcp::endpoint endpoint;
  tcp::socket socket;
  asio::steady_timer timer;
  nghttp2_session* session = nullptr;
  ConnectionState state = ConnectionState::kConnecting;
  // Failed attempts in a row; reset once the server has spoken.
  int failures = 0;
  // A frame came from the server: an HTTP/2 server, not just an open port
  // (one that accepts and hangs up must not be redialled in a tight loop).
  bool heard_from_server = false;
  // stream id -> call id
  absl::flat_hash_map<int32_t, uint64_t> streams;
  std::string outbox;
  bool writing = false;
  bool flush_scheduled = false;
  std::array<uint8_t, 64 * 1024> read_buffer;
};

CallState* CallOf(GrpcUpstream::Impl& impl, Connection& connection, int32_t stream_id) {
  auto stream = connection.streams.find(stream_id);
  if (stream == connection.streams.end()) return nullptr;
  auto call = impl.calls.find(stream->second);
  return call == impl.calls.end() ? nullptr : call->second.get();
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
    call->has_grpc_status = absl::SimpleAtoi(text, &call->reply.code);
  } else if (key == "grpc-message") {
    // grpc-message travels percent-encoded.
    call->reply.message = transcoding::UnescapeAll(text);
  } else if (key == "grpc-status-details-bin") {
    absl::Base64Unescape(text, &call->reply.details_bin);
  }
  return 0;
}

int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t length,
                void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  GrpcUpstream::Impl& impl = *connection.owner;
  CallState* call = CallOf(impl, connection, stream_id);
  if (call == nullptr) return 0;
  call->inbound.append(reinterpret_cast<const char*>(data), length);
  size_t used = 0;
  const std::string& in = call->inbound;
  while (const std::optional<common::rpc::MessagePrefix> prefix =
             common::rpc::ReadMessagePrefix(absl::string_view(in).substr(used))) {
    const uint32_t size = prefix->length;
    if (prefix->flags != 0) {
      impl.Abort(call->id, kInternal,
                 "Compressed message received but compression was not asked for");
      return 0;
    }
    if (size > impl.options.max_message_bytes) {
      impl.Abort(call->id, kResourceExhausted,
                 absl::StrFormat("Received message larger than max (%u vs. %u)", size,
                                 impl.options.max_message_bytes)
                     .c_str());
      return 0;
    }
    if (in.size() - used - 5 < size) break;
    std::string message = in.substr(used + 5, size);
    used += 5 + size;
    ++call->reply.messages;
    const uint64_t id = call->id;
    if (!call->callbacks.on_message(std::move(message))) {
      impl.Abort(id, kCancelled, "Cancelled");
      return 0;
    }
    // on_message may have cancelled the call.
    call = CallOf(impl, connection, stream_id);
    if (call == nullptr) return 0;
  }
  call->inbound.erase(0, used);
  return 0;
}

int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  CallState* call = CallOf(*connection.owner, connection, stream_id);
  connection.streams.erase(stream_id);
  if (call != nullptr) connection.owner->FinishFromStream(*call, error_code);
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

// Hands nghttp2 the framed request message, as flow control allows.
ssize_t ReadRequest(nghttp2_session*, int32_t stream_id, uint8_t* buffer, size_t length,
                    uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  auto& connection = *static_cast<Connection*>(user_data);
  CallState* call = CallOf(*connection.owner, connection, stream_id);
  if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const size_t n = std::min(length, call->framed.size() - call->framed_sent);
  std::copy_n(call->framed.data() + call->framed_sent, n, buffer);
  call->framed_sent += n;
  if (call->framed_sent == call->framed.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

nghttp2_session_callbacks* Callbacks() {
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
  auto self = shared_from_this();
  timer.expires_after(absl::ToChronoNanoseconds(owner->options.connect_timeout));
  timer.async_wait([self](const boost::system::error_code& error) {
    if (!error && self->state == ConnectionState::kConnecting) {
      boost::system::error_code ignored;
      self->socket.close(ignored);
    }
  });
  socket.async_connect(
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
    socket.close(ignored);
    ScheduleReconnect();
    owner->FailWaitingIfHopeless();
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  nghttp2_session_client_new(&session, Callbacks(), this);
  // No server push; a generous window so replies are not throttled.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 4 << 20}};
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, 16 << 20);
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

void Connection::Read() {
  auto self = shared_from_this();
  socket.async_read_some(asio::buffer(read_buffer), [self](const boost::system::error_code& error,
                                                           size_t length) {
    if (self->state == ConnectionState::kClosed || self->session == nullptr) return;
    if (error) {
      self->Fail(error == asio::error::eof ? "Socket closed" : error.message());
      return;
    }
    const ssize_t used = nghttp2_session_mem_recv(self->session, self->read_buffer.data(), length);
    if (used < 0) {
      self->Fail(absl::StrCat("HTTP/2 error: ", nghttp2_strerror(static_cast<int>(used))));
      return;
    }
    if (self->state == ConnectionState::kClosed) return;
    self->Flush();
    self->Read();
    self->CloseIfDrained();
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

void Connection::Flush() {
  if (writing || session == nullptr || state == ConnectionState::kClosed) return;
  outbox.clear();
  while (true) {
    const uint8_t* bytes = nullptr;
    const ssize_t length = nghttp2_session_mem_send(session, &bytes);
    if (length < 0) {
      Fail(absl::StrCat("HTTP/2 error: ", nghttp2_strerror(static_cast<int>(length))));
      return;
    }
    if (length == 0) break;
    outbox.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
  }
  if (outbox.empty()) return;
  writing = true;
  auto self = shared_from_this();
  asio::async_write(socket, asio::buffer(outbox),
                    [self](const boost::system::error_code& error, size_t) {
                      self->writing = false;
                      if (self->state == ConnectionState::kClosed) return;
                      if (error) {
                        self->Fail(error.message());
                        return;
                      }
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
  headers.push_back(Header("user-agent", "todo-gateway"));
  std::string timeout;
  if (call.deadline != absl::InfiniteFuture()) {
    timeout = TimeoutHeader(call.deadline - absl::Now());
    headers.push_back(Header("grpc-timeout", timeout));
  }
  for (const auto& [name, value] : call.call.metadata) headers.push_back(Header(name, value));
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = ReadRequest;
  call.framed_sent = 0;
  const int32_t stream_id =
      nghttp2_submit_request(session, nullptr, headers.data(), headers.size(), &body, nullptr);
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
  boost::system::error_code ignored;
  socket.close(ignored);
  timer.cancel();
  auto lost = std::move(streams);
  streams.clear();
  for (const auto& [stream_id, call_id] : lost) {
    auto call = owner->calls.find(call_id);
    if (call != owner->calls.end()) owner->Finish(*call->second, kUnavailable, why);
  }
  auto& draining = owner->draining;
  auto self = shared_from_this();
  draining.erase(std::remove(draining.begin(), draining.end(), self), draining.end());
  if (!owner->closed) owner->ConnectionLost(*this);
}

void Connection::CloseIfDrained() {
  if (state == ConnectionState::kDraining && streams.empty() && !writing) {
    state = ConnectionState::kClosed;
    boost::system::error_code ignored;
    socket.close(ignored);
    auto& draining = owner->draining;
    draining.erase(std::remove_if(draining.begin(), draining.end(),
                                  [this](const auto& c) { return c.get() == this; }),
                   draining.end());
  }
}

}  // namespace

void GrpcUpstream::Impl::Resolve() {
  if (resolving || closed) return;
  last_resolve = absl::Now();
  if (!static_endpoints.empty()) {
    OnResolved(static_endpoints);
    return;
  }
  resolving = true;
  std::weak_ptr<Impl> weak = shared_from_this();
  resolver.async_resolve(
      host, port,
      [weak](const boost::system::error_code& error, const tcp::resolver::results_type& results) {
        auto self = weak.lock();
        if (!self || self->closed) return;
        self->resolving = false;
        std::vector<tcp::endpoint> endpoints;
        if (!error) {
          for (const auto& entry : results) endpoints.push_back(entry.endpoint());
        } else {
          common::logging::Warning("upstream_resolve_failed",
                                   {{"target", self->target}, {"error", error.message()}});
        }
        self->OnResolved(std::move(endpoints));
      });
  reresolve_timer.expires_after(absl::ToChronoNanoseconds(options.reresolve_interval));
  reresolve_timer.async_wait([weak](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!error && self) self->Resolve();
  });
}

void GrpcUpstream::Impl::OnResolved(std::vector<tcp::endpoint> endpoints) {
  resolved_once = true;
  if (endpoints.empty() && !connections.empty()) return;  // keep what works
  std::vector<std::shared_ptr<Connection>> kept;
  for (const tcp::endpoint& endpoint : endpoints) {
    auto same = std::find_if(connections.begin(), connections.end(),
                             [&](const auto& c) { return c && c->endpoint == endpoint; });
    if (same != connections.end()) {
      kept.push_back(std::move(*same));
    } else if (std::none_of(kept.begin(), kept.end(),
                            [&](const auto& c) { return c->endpoint == endpoint; })) {
      auto connection = std::make_shared<Connection>(*this, endpoint);
      connection->Connect();
      kept.push_back(std::move(connection));
    }
  }
  // Addresses no longer listed finish their streams, then close.
  for (auto& gone : connections) {
    if (!gone) continue;
    if (gone->state == ConnectionState::kReady) {
      gone->state = ConnectionState::kDraining;
      draining.push_back(gone);
      gone->CloseIfDrained();
    } else if (gone->state != ConnectionState::kDraining) {
      gone->state = ConnectionState::kClosed;
      gone->timer.cancel();
      boost::system::error_code ignored;
      gone->socket.close(ignored);
    }
  }
  connections = std::move(kept);
  PlaceWaiting();
  FailWaitingIfHopeless();
}

Connection* GrpcUpstream::Impl::PickReady() {
  const size_t n = connections.size();
  for (size_t i = 0; i < n; ++i) {
    Connection* candidate = connections[(next_pick + i) % n].get();
    if (candidate->state == ConnectionState::kReady) {
      next_pick = (next_pick + i + 1) % n;
      return candidate;
    }
  }
  return nullptr;
}

bool GrpcUpstream::Impl::AnyConnecting() const {
  return resolving || !resolved_once ||
         std::any_of(connections.begin(), connections.end(),
                     [](const auto& c) { return c->state == ConnectionState::kConnecting; });
}

void GrpcUpstream::Impl::Place(uint64_t call_id) {
  auto found = calls.find(call_id);
  if (found == calls.end()) return;
  CallState& call = *found->second;
  if (connections.empty() && absl::Now() - last_resolve > absl::Seconds(1)) Resolve();
  while (Connection* connection = PickReady()) {
    if (connection->Submit(call)) return;
  }
  if (AnyConnecting()) {
    waiting.push_back(call_id);
    return;
  }
  FailUnreachable(call);
}

void GrpcUpstream::Impl::PlaceWaiting() {
  std::deque<uint64_t> ready = std::move(waiting);
  waiting.clear();
  for (uint64_t id : ready) Place(id);
}

void GrpcUpstream::Impl::FailWaitingIfHopeless() {
  if (AnyConnecting() || PickReady() != nullptr) return;
  std::deque<uint64_t> hopeless = std::move(waiting);
  waiting.clear();
  for (uint64_t id : hopeless) {
    auto found = calls.find(id);
    if (found != calls.end()) FailUnreachable(*found->second);
  }
}

void GrpcUpstream::Impl::ConnectionLost(Connection& connection) {
  auto slot = std::find_if(connections.begin(), connections.end(),
                           [&](const auto& c) { return c.get() == &connection; });
  if (slot == connections.end()) return;
  if (connection.state == ConnectionState::kDraining) {
    // Replace it at once with a fresh connection to the same address.
    draining.push_back(*slot);
    auto fresh = std::make_shared<Connection>(*this, connection.endpoint);
    *slot = fresh;
    fresh->Connect();
    connection.CloseIfDrained();
  } else {
    // Lost. As gRPC does, a connection the server had spoken on is made
    // again at once (calls wait for it rather than fail during a blip); one
    // that never got that far counts as a failed attempt and backs off.
    auto fresh = std::make_shared<Connection>(*this, connection.endpoint);
    fresh->failures = connection.failures;
    *slot = fresh;
    if (connection.heard_from_server) {
      fresh->Connect();
    } else {
      fresh->ScheduleReconnect();
    }
  }
  if (absl::Now() - last_resolve > absl::Seconds(1)) Resolve();
  FailWaitingIfHopeless();
}

void GrpcUpstream::Impl::Finish(CallState& call, int code, std::string message) {
  auto found = calls.find(call.id);
  if (found == calls.end()) return;
  std::unique_ptr<CallState> owned = std::move(found->second);
  calls.erase(found);
  if (owned->connection && owned->stream_id > 0) {
    Connection& connection = *owned->connection;
    if (connection.streams.erase(owned->stream_id) > 0 && connection.session != nullptr &&
        connection.state != ConnectionState::kClosed) {
      nghttp2_submit_rst_stream(connection.session, NGHTTP2_FLAG_NONE, owned->stream_id,
                                NGHTTP2_CANCEL);
      connection.ScheduleFlush();
    }
  }
  if (owned->deadline_timer) owned->deadline_timer->cancel();
  owned->reply.code = code;
  if (code != 0) owned->reply.message = std::move(message);
  asio::post(io,
             [callbacks = std::move(owned->callbacks), reply = std::move(owned->reply)]() mutable {
               callbacks.on_close(std::move(reply));
             });
}

void GrpcUpstream::Impl::FinishFromStream(CallState& call, uint32_t error_code) {
  if (!call.has_grpc_status && error_code == NGHTTP2_REFUSED_STREAM && !call.retried) {
    // Never processed by the server (GOAWAY or refused): safe to send again.
    call.retried = true;
    call.connection.reset();
    call.stream_id = -1;
    call.http_status = 0;
    call.inbound.clear();
    call.reply = UpstreamReply();
    waiting.push_back(call.id);
    asio::post(io, [weak = std::weak_ptr<Impl>(shared_from_this())] {
      if (auto self = weak.lock()) self->PlaceWaiting();
    });
    return;
  }
  call.stream_id = -1;
  if (call.has_grpc_status) {
    std::string message = std::move(call.reply.message);
    Finish(call, call.reply.code, std::move(message));
  } else if (error_code != NGHTTP2_NO_ERROR) {
    Finish(call, CodeForResetStream(error_code),
           absl::StrCat("Stream closed by the upstream with error code ", error_code));
  } else if (call.http_status != 200) {
    Finish(call, CodeForHttpStatus(call.http_status),
           absl::StrCat("Received http2 header with status: ", call.http_status));
  } else {
    Finish(call, kUnknown, "Stream ended without a grpc-status");
  }
}

void GrpcUpstream::Impl::Abort(uint64_t call_id, int code, const char* message) {
  auto found = calls.find(call_id);
  if (found != calls.end()) Finish(*found->second, code, message);
}

namespace {

// "host:port" -> host, port; "[v6]:port" too. Port defaults to 443 like gRPC's.
std::pair<std::string, std::string> SplitTarget(const std::string& target) {
  absl::string_view rest = target;
  const size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close != absl::string_view::npos) {
      const absl::string_view after = rest.substr(close + 1);
      return {std::string(rest.substr(1, close - 1)),
              after.size() > 1 && after[0] == ':' ? std::string(after.substr(1)) : "443"};
    }
  }
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return {std::string(rest), "443"};
  return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

}  // namespace

GrpcUpstream::GrpcUpstream(asio::io_context& io, std::string target, GrpcUpstreamOptions options)
    : target_(std::move(target)) {
  auto [host, port] = SplitTarget(target_);
  impl_ = std::make_shared<Impl>(io, std::move(host), std::move(port), target_, options);
  if (absl::StartsWith(target_, "ipv4:") || absl::StartsWith(target_, "ipv6:")) {
    for (absl::string_view address : absl::StrSplit(target_.substr(5), ',', absl::SkipEmpty())) {
      auto [ip, ip_port] = SplitTarget(std::string(address));
      boost::system::error_code error;
      const auto parsed = asio::ip::make_address(ip, error);
      int number = 0;
      if (!error && absl::SimpleAtoi(ip_port, &number) && number > 0 && number < 65536) {
        impl_->static_endpoints.emplace_back(parsed, static_cast<unsigned short>(number));
      } else {
        common::logging::Warning("upstream_bad_address",
                                 {{"target", target_}, {"address", address}});
      }
    }
  }
  asio::post(io, [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto self = weak.lock()) self->Resolve();
  });
}

GrpcUpstream::~GrpcUpstream() { Close(); }

uint64_t GrpcUpstream::Start(UpstreamCall call, UpstreamCallbacks callbacks) {
  Impl& impl = *impl_;
  auto state = std::make_unique<CallState>();
  const uint64_t id = impl.next_call_id++;
  state->id = id;
  state->callbacks = std::move(callbacks);
  state->framed = common::rpc::FrameMessage(call.request_bytes);
  call.request_bytes.clear();
  if (call.timeout != absl::InfiniteDuration()) {
    state->deadline = absl::Now() + call.timeout;
    state->deadline_timer = std::make_unique<asio::steady_timer>(impl.io);
    state->deadline_timer->expires_after(absl::ToChronoNanoseconds(call.timeout));
    state->deadline_timer->async_wait(
        [weak = std::weak_ptr<Impl>(impl_), id](const boost::system::error_code& error) {
          auto self = weak.lock();
          if (!error && self) self->Abort(id, kDeadlineExceeded, "Deadline Exceeded");
        });
  }
  state->call = std::move(call);
  impl.calls.emplace(id, std::move(state));
  if (impl.closed) {
    impl.Abort(id, kUnavailable, "the gateway is stopping");
  } else {
    impl.Place(id);
  }
  return id;
}

void GrpcUpstream::Cancel(uint64_t call_id) { impl_->Abort(call_id, kCancelled, "Cancelled"); }

void GrpcUpstream::Close() {
  Impl& impl = *impl_;
  if (impl.closed) return;
  impl.closed = true;
  impl.resolver.cancel();
  impl.reresolve_timer.cancel();
  std::vector<uint64_t> ids;
  for (const auto& [id, call] : impl.calls) ids.push_back(id);
  for (uint64_t id : ids) impl.Abort(id, kUnavailable, "the gateway is stopping");
  std::vector<std::shared_ptr<Connection>> all = std::move(impl.connections);
  all.insert(all.end(), impl.draining.begin(), impl.draining.end());
  impl.connections.clear();
  impl.draining.clear();
  for (auto& connection : all) connection->Fail("the gateway is stopping");
}

Upstreams::Upstreams(asio::io_context& io, const std::map<std::string, std::string>& addresses,
                     GrpcUpstreamOptions options) {
  absl::flat_hash_map<std::string, GrpcUpstream*> by_address;
  for (const auto& [service, address] : addresses) {
    GrpcUpstream*& upstream = by_address[address];
    if (upstream == nullptr) {
      upstreams_.push_back(std::make_unique<GrpcUpstream>(io, address, options));
      upstream = upstreams_.back().get();
    }
    by_service_[service] = upstream;
  }
}

void Upstreams::Close() {
  for (auto& upstream : upstreams_) upstream->Close();
}

GrpcUpstream* Upstreams::For(absl::string_view service) {
  auto found = by_service_.find(service);
  return found == by_service_.end() ? nullptr : found->second;
}

std::vector<std::string> Upstreams::services() const {
  std::vector<std::string> names;
  for (const auto& [service, upstream] : by_service_) names.push_back(service);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace todo::gateway
