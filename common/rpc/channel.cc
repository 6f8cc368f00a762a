#include "common/rpc/channel.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/rpc/channel_internal.h"
#include "common/rpc/compression.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {
namespace {

// gRPC's mapping of an HTTP status without grpc-status (http-grpc-status-mapping.md).
absl::StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInternal;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// gRPC's mapping of a stream reset (PROTOCOL-HTTP2.md, "Errors").
absl::StatusCode CodeForResetStream(uint32_t error_code) {
  switch (error_code) {
    case NGHTTP2_REFUSED_STREAM:
      return absl::StatusCode::kUnavailable;
    case NGHTTP2_CANCEL:
      return absl::StatusCode::kCancelled;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return absl::StatusCode::kResourceExhausted;
    case NGHTTP2_INADEQUATE_SECURITY:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

void Channel::Impl::Resolve() {
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

void Channel::Impl::OnResolved(std::vector<tcp::endpoint> endpoints) {
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
      gone->CloseSocket();
    }
  }
  connections = std::move(kept);
  PlaceWaiting();
  FailWaitingIfHopeless();
}

Connection* Channel::Impl::PickReady() {
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

bool Channel::Impl::AnyConnecting() const {
  return resolving || !resolved_once ||
         std::any_of(connections.begin(), connections.end(),
                     [](const auto& c) { return c->state == ConnectionState::kConnecting; });
}

void Channel::Impl::Place(uint64_t call_id) {
  auto found = calls.find(call_id);
  if (found == calls.end()) return;
  CallState& call = *found->second;
  if (connections.empty() && absl::Now() - last_resolve > absl::Seconds(1)) Resolve();
  while (Connection* connection = PickReady()) {
    if (connection->Submit(call)) return;
  }
  if (!AnyConnecting()) RetryBackedOffNow();
  if (AnyConnecting()) {
    waiting.push_back(call_id);
    return;
  }
  FailUnreachable(call);
}

void Channel::Impl::PlaceWaiting() {
  std::deque<uint64_t> ready = std::move(waiting);
  waiting.clear();
  for (uint64_t id : ready) Place(id);
}

void Channel::Impl::RetryBackedOffNow() {
  // Bounds the attempts a stream of calls to dead addresses can cause.
  constexpr absl::Duration kEagerRetryGap = absl::Milliseconds(200);
  const absl::Time now = absl::Now();
  for (const std::shared_ptr<Connection>& connection : connections) {
    if (connection->state == ConnectionState::kBackingOff &&
        now - connection->last_attempt >= kEagerRetryGap) {
      connection->timer.cancel();
      connection->Connect();
    }
  }
}

void Channel::Impl::FailWaitingIfHopeless() {
  if (waiting.empty() || PickReady() != nullptr) return;
  if (!AnyConnecting()) RetryBackedOffNow();
  if (AnyConnecting()) return;
  std::deque<uint64_t> hopeless = std::move(waiting);
  waiting.clear();
  for (uint64_t id : hopeless) {
    auto found = calls.find(id);
    if (found != calls.end()) FailUnreachable(*found->second);
  }
}

void Channel::Impl::ConnectionLost(Connection& connection) {
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

void Channel::Impl::Finish(CallState& call, absl::StatusCode code, std::string message) {
  auto found = calls.find(call.id);
  if (found == calls.end()) return;
  std::unique_ptr<CallState> owned = std::move(found->second);
  calls.erase(found);
  if (owned->connection && owned->stream_id > 0) {
    Connection& connection = *owned->connection;
    if (connection.streams.erase(owned->stream_id) > 0 && connection.session() != nullptr &&
        connection.state != ConnectionState::kClosed) {
      nghttp2_submit_rst_stream(connection.session(), NGHTTP2_FLAG_NONE, owned->stream_id,
                                NGHTTP2_CANCEL);
      connection.ScheduleFlush();
    }
  }
  if (owned->deadline != absl::InfiniteFuture()) deadlines.erase({owned->deadline, owned->id});
  owned->reply.code = code;
  if (code != absl::StatusCode::kOk) owned->reply.message = std::move(message);
  asio::post(io,
             [callbacks = std::move(owned->callbacks), reply = std::move(owned->reply)]() mutable {
               callbacks.on_close(std::move(reply));
             });
}

void Channel::Impl::FinishFromStream(CallState& call, uint32_t error_code) {
  if (!call.has_grpc_status && error_code == NGHTTP2_REFUSED_STREAM && !call.retried) {
    // Never processed by the server (GOAWAY or refused): safe to send again.
    call.retried = true;
    call.connection.reset();
    call.stream_id = -1;
    call.http_status = 0;
    call.inbound.reset();
    call.response_encoding = Encoding::kIdentity;
    call.reply = ClientReply();
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
    Finish(call, absl::StatusCode::kUnknown, "Stream ended without a grpc-status");
  }
}

void Channel::Impl::Abort(uint64_t call_id, absl::StatusCode code, const char* message) {
  auto found = calls.find(call_id);
  if (found != calls.end()) Finish(*found->second, code, message);
}

void Channel::Impl::WatchDeadline(const CallState& call) {
  deadlines.emplace(call.deadline, call.id);
  if (call.deadline < deadline_timer_due) ArmDeadlineTimer(call.deadline);
}

void Channel::Impl::ArmDeadlineTimer(absl::Time due) {
  deadline_timer_due = due;
  // Re-arming cancels the wait before, whose handler then does nothing.
  deadline_timer.expires_after(
      absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(), due - absl::Now())));
  deadline_timer.async_wait(
      [weak = std::weak_ptr<Impl>(shared_from_this())](const boost::system::error_code& error) {
        auto self = weak.lock();
        if (!error && self) self->OnDeadlineTimer();
      });
}

void Channel::Impl::OnDeadlineTimer() {
  deadline_timer_due = absl::InfiniteFuture();
  const absl::Time now = absl::Now();
  std::vector<uint64_t> expired;
  for (auto it = deadlines.begin(); it != deadlines.end() && it->first <= now; ++it) {
    expired.push_back(it->second);
  }
  for (uint64_t id : expired) Abort(id, absl::StatusCode::kDeadlineExceeded, "Deadline Exceeded");
  if (!deadlines.empty() && !closed) ArmDeadlineTimer(deadlines.begin()->first);
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

Channel::Channel(asio::io_context& io, std::string target, ChannelOptions options)
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

Channel::~Channel() { Close(); }

uint64_t Channel::Start(ClientCall call, ClientCallbacks callbacks) {
  Impl& impl = *impl_;
  auto state = std::make_unique<CallState>();
  const uint64_t id = impl.next_call_id++;
  state->id = id;
  state->callbacks = std::move(callbacks);
  if (call.client_streaming) {
    state->retried = true;  // its messages are not kept for a second stream
  } else {
    state->framed = call.compression == Encoding::kIdentity
                        ? FrameMessage(call.request_bytes)
                        : FrameMessage(Compress(call.compression, call.request_bytes), true);
  }
  call.request_bytes.clear();
  if (call.timeout != absl::InfiniteDuration()) {
    state->deadline = absl::Now() + call.timeout;
    impl.WatchDeadline(*state);
  }
  state->call = std::move(call);
  impl.calls.emplace(id, std::move(state));
  if (impl.closed) {
    impl.Abort(id, absl::StatusCode::kUnavailable, "the channel is closing");
  } else {
    impl.Place(id);
  }
  return id;
}

bool Channel::Write(uint64_t call_id, std::string message) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end()) return false;
  CallState& call = *found->second;
  if (!call.call.client_streaming || call.send_closed) return false;
  const Encoding encoding = call.call.compression;
  call.outbound.Append(encoding == Encoding::kIdentity
                           ? FrameMessage(message)
                           : FrameMessage(Compress(encoding, message), /*compressed=*/true));
  impl_->ResumeSending(call);
  return true;
}

void Channel::CloseSend(uint64_t call_id) {
  auto found = impl_->calls.find(call_id);
  if (found == impl_->calls.end() || found->second->send_closed) return;
  found->second->send_closed = true;
  impl_->ResumeSending(*found->second);
}

void Channel::Impl::ResumeSending(CallState& call) {
  // Before the stream exists, Submit's first read takes what is queued.
  if (call.connection == nullptr || call.stream_id < 0 || !call.send_deferred) return;
  call.send_deferred = false;
  nghttp2_session_resume_data(call.connection->session(), call.stream_id);
  call.connection->ScheduleFlush();
}

void Channel::Cancel(uint64_t call_id) {
  impl_->Abort(call_id, absl::StatusCode::kCancelled, "Cancelled");
}

void Channel::Close() {
  Impl& impl = *impl_;
  if (impl.closed) return;
  impl.closed = true;
  impl.resolver.cancel();
  impl.reresolve_timer.cancel();
  impl.deadline_timer.cancel();
  std::vector<uint64_t> ids;
  for (const auto& [id, call] : impl.calls) ids.push_back(id);
  for (uint64_t id : ids) impl.Abort(id, absl::StatusCode::kUnavailable, "the channel is closing");
  std::vector<std::shared_ptr<Connection>> all = std::move(impl.connections);
  all.insert(all.end(), impl.draining.begin(), impl.draining.end());
  impl.connections.clear();
  impl.draining.clear();
  for (auto& connection : all) connection->Fail("the channel is closing");
}

}  // namespace todo::common::rpc
