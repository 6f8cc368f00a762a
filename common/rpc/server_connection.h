#pragma once

// The insides of Server (server.h), shared by server.cc (start and stop)
// and server_connection.cc (one client connection: its streams, calls and
// limits). Not for use elsewhere.

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/event_loops/connection_count.h"
#include "common/event_loops/listener.h"
#include "common/rpc/byte_queue.h"
#include "common/rpc/message_deframer.h"
#include "common/rpc/server.h"
#include "common/rpc/server_session.h"

namespace todo::common::rpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace server_internal {

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

}  // namespace server_internal

struct Server::State {
  ServerOptions options;
  MethodTable methods;
  std::vector<std::unique_ptr<server_internal::Worker>> workers;
  std::unique_ptr<event_loops::Listener> listener;
  event_loops::ConnectionCount open_connections;
  std::atomic<int> open_calls{0};
  std::atomic<bool> stopping{false};
  bool shut_down = false;
};

namespace server_internal {

using Headers = HeaderList;

// One gRPC stream: the call its request headers make, and the messages
// that arrive for it.
struct CallStream : ServerStream {
  std::string path;
  std::string http_method;
  std::string content_type;
  std::string encoding;
  Encoding request_encoding = Encoding::kIdentity;
  std::string bad_metadata;  // a "-bin" key whose value is not base64
  std::optional<absl::Duration> timeout;
  Headers metadata;
  const MethodHandler* handler = nullptr;
  std::shared_ptr<Call> call;
  std::shared_ptr<std::atomic<size_t>> queued;  // shared with the call's sink
  bool counted = false;                         // in the server's open_calls
  absl::Time deadline = absl::InfiniteFuture();
  absl::Time started;  // when its request headers were complete
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
  Headers response_headers;  // the handler's initial metadata, grpc-encoding
};

// One client connection: an nghttp2 server session on one worker's loop.
class Connection : public rpc::ServerSession<Connection, CallStream>,
                   public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server::State> server, Worker& worker, tcp::socket socket)
      : ServerSession(std::move(socket)),
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
  void End(int32_t id, const ClientStatus& status, int http_status = 200, Metadata trailing = {});

 private:
  using Stream = CallStream;
  friend class rpc::SessionIo<Connection>;
  friend class rpc::ServerSession<Connection, CallStream>;

  // ServerSession's hooks.
  void OnHeaderField(Stream& stream, absl::string_view key, std::string value);
  void OnHeadersDone(int32_t id, Stream& stream);
  void OnRequestData(int32_t id, Stream& stream, absl::string_view data);
  void OnRequestEnd(int32_t id, Stream& stream);
  void OnStreamClosed(Stream& stream) { Forget(stream); }
  void OnBodyTaken(Stream& stream, size_t bytes);
  void OnAnswerEnded(int32_t id, Stream& stream);
  size_t max_header_bytes() const { return server_.options.max_header_bytes; }
  const KeepaliveOptions& keepalive() const { return server_.options.keepalive; }

  void OnRequestHeaders(int32_t id, Stream& stream);
  void TakeMessages(int32_t id, Stream& stream);
  void OnClientDone(int32_t id, Stream& stream);
  // Ends a call before its handler did (bad input, deadline): trailers, and
  // a reset when the client is still sending.
  void Refuse(int32_t id, Stream& stream, const ClientStatus& status, int http_status = 200);
  // The response headers; a trailers-only answer carries `trailers` in them.
  void SubmitHeaders(int32_t id, Stream& stream, bool trailers_only, int http_status = 200,
                     Headers trailers = {});
  void ScheduleFlush();
  void Close();
  // A stream leaves the connection: its call is over, its bytes are let go.
  void Forget(Stream& stream) {
    if (stream.call != nullptr) stream.call->MarkDone();
    if (stream.queued != nullptr) queued_bytes_->fetch_sub(stream.body.size());
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
  bool flush_posted_ = false;
  std::string peer_address_;
  // Response bytes queued on this connection's streams (from any thread),
  // and request bytes of messages not yet whole (on the loop).
  const std::shared_ptr<std::atomic<size_t>> queued_bytes_ =
      std::make_shared<std::atomic<size_t>>(0);
  size_t partial_request_bytes_ = 0;
};

// Arms the worker's sweep (deadlines, idle connections), again each time.
void ArmSweep(Worker& worker);

}  // namespace server_internal
}  // namespace todo::common::rpc
