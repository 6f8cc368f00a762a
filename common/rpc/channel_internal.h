#pragma once

// The insides of Channel (channel.h), shared by channel.cc (resolving,
// placing and finishing calls) and client_connection.cc (one HTTP/2
// connection and nghttp2's callbacks). Not for use elsewhere.

#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "common/rpc/byte_queue.h"
#include "common/rpc/channel.h"
#include "common/rpc/message_deframer.h"
#include "common/rpc/session_io.h"

namespace todo::common::rpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Connection;

struct CallState {
  uint64_t id = 0;
  ClientCall call;
  ClientCallbacks callbacks;
  // A unary request as one length-prefixed gRPC message (compressed when
  // asked), kept whole for a retry.
  std::string framed;
  size_t framed_sent = 0;
  // A client_streaming call's framed messages not yet taken by nghttp2, and
  // whether its side is closed; `send_deferred` while nghttp2 waits for more.
  ByteQueue outbound;
  bool send_closed = false;
  bool send_deferred = false;
  absl::Time deadline = absl::InfiniteFuture();
  // Where the call runs, once it has a stream.
  std::shared_ptr<Connection> connection;
  int32_t stream_id = -1;
  bool retried = false;
  // What came back.
  int http_status = 0;
  bool has_grpc_status = false;
  ClientReply reply;
  Encoding response_encoding = Encoding::kIdentity;
  std::optional<MessageDeframer> inbound;  // from the first DATA on
};

struct Channel::Impl : std::enable_shared_from_this<Channel::Impl> {
  Impl(asio::io_context& io_context, std::string host_name, std::string port_name,
       std::string target_name, ChannelOptions upstream_options)
      : io(io_context),
        host(std::move(host_name)),
        port(std::move(port_name)),
        target(std::move(target_name)),
        options(upstream_options),
        resolver(io_context),
        reresolve_timer(io_context),
        deadline_timer(io_context) {}

  void Resolve();
  void OnResolved(std::vector<tcp::endpoint> endpoints);
  void Place(uint64_t call_id);
  void PlaceWaiting();
  void FailWaitingIfHopeless();
  void Finish(CallState& call, absl::StatusCode code, std::string message);
  void FinishFromStream(CallState& call, uint32_t error_code);
  void Abort(uint64_t call_id, absl::StatusCode code, const char* message);
  // Calls past their deadline end with DEADLINE_EXCEEDED; the timer is
  // re-armed for the soonest deadline left.
  void WatchDeadline(const CallState& call);
  void ArmDeadlineTimer(absl::Time due);
  void OnDeadlineTimer();
  // A client_streaming call has more to send: wakes its stream if nghttp2
  // was waiting for data.
  void ResumeSending(CallState& call);
  Connection* PickReady();
  bool AnyConnecting() const;
  // With no connection ready or connecting, addresses waiting out a backoff
  // are tried now (each at most once per kEagerRetryGap) rather than calls
  // failed: when the last ready replica goes away, one that came back during
  // its backoff takes the calls instead of them failing UNAVAILABLE.
  void RetryBackedOffNow();
  // Ends a call that found no connection to run on.
  void FailUnreachable(CallState& call) {
    // As grpc's own client says it, without the target: this text reaches
    // clients, and addresses stay in the log (connection failures are
    // logged with them).
    Finish(call, absl::StatusCode::kUnavailable, "failed to connect to all addresses");
  }
  void ConnectionLost(Connection& connection);

  asio::io_context& io;
  const std::string host;
  const std::string port;
  const std::string target;
  const ChannelOptions options;
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
  // The deadlines of the calls in flight, soonest first, and the one timer
  // that watches them, due at `deadline_timer_due` (a timer per call cost an
  // allocation, a timer-queue entry and a cancelled wait's completion on
  // every call). It is re-armed only for a sooner deadline than it waits
  // for, and when it fires.
  absl::btree_set<std::pair<absl::Time, uint64_t>> deadlines;
  asio::steady_timer deadline_timer;
  absl::Time deadline_timer_due = absl::InfiniteFuture();
  // Calls waiting for a ready connection.
  std::deque<uint64_t> waiting;
  absl::BitGen random;
};

enum class ConnectionState { kBackingOff, kConnecting, kReady, kDraining, kClosed };

// One HTTP/2 connection to one address, its bytes moved by the shared
// session core (session_io.h).
inline constexpr size_t kClientReadBufferBytes = 64 * 1024;

struct Connection : SessionIo<Connection, kClientReadBufferBytes>,
                    std::enable_shared_from_this<Connection> {
  Connection(Channel::Impl& impl, tcp::endpoint address)
      : SessionIo(impl.io), owner(&impl), endpoint(address), timer(impl.io) {}

  void Connect();
  void OnConnected(const boost::system::error_code& error);
  void ScheduleReconnect();
  // Flushes once the current batch of events is handled, so that calls
  // started together share one write.
  void ScheduleFlush();
  // Fails every stream and closes the socket; a replacement reconnects
  // (unless the upstream is closing).
  void Fail(const std::string& why);
  void CloseIfDrained();
  bool Submit(CallState& call);
  // For the session core: the socket failed or the session ended.
  void Close() { Fail(close_reason_.empty() ? "Socket closed" : close_reason_); }

  nghttp2_session* session() const { return session_; }
  bool writing() const { return write_in_flight_; }
  using SessionIo<Connection, kClientReadBufferBytes>::CloseSocket;
  using SessionIo<Connection, kClientReadBufferBytes>::Flush;

  Channel::Impl* owner;
  const tcp::endpoint endpoint;
  asio::steady_timer timer;
  ConnectionState state = ConnectionState::kConnecting;
  // Failed attempts in a row; reset once the server has spoken.
  int failures = 0;
  // When the last attempt to connect began.
  absl::Time last_attempt = absl::InfinitePast();
  // A frame came from the server: an HTTP/2 server, not just an open port
  // (one that accepts and hangs up must not be redialled in a tight loop).
  bool heard_from_server = false;
  // stream id -> call id
  absl::flat_hash_map<int32_t, uint64_t> streams;
  bool flush_scheduled = false;

 private:
  friend class SessionIo<Connection, kClientReadBufferBytes>;
};

// nghttp2's client callbacks, shared by every connection.
nghttp2_session_callbacks* ClientSessionCallbacks();

}  // namespace todo::common::rpc
