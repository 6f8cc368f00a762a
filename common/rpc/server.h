#pragma once

// gRPC served from event loops: HTTP/2 by nghttp2 on Asio, the model the
// gateway took from Envoy. Each loop (common/event_loops) has its own
// connections; a call is read, handed to its handler and answered on that
// loop's thread, and answers given on another thread wake the loop once
// however many they are. gRPC 1.51's server
// moves each call between several threads (poller, completion queue, sync
// worker); for calls that cost little more than that hand-off, this serves
// several times as many per CPU.
//
// Wire behaviour follows the gRPC HTTP/2 protocol as grpc-core serves it:
// trailers-only answers for calls that fail before a message, grpc-timeout
// deadlines (DEADLINE_EXCEEDED), percent-encoded grpc-message,
// grpc-status-details-bin, the receive limit checked on each message's
// length prefix (RESOURCE_EXHAUSTED before its bytes are read; after
// decompression, as it inflates), gzip and deflate messages both ways,
// UNIMPLEMENTED for unknown methods and encodings, "-bin" metadata in base64,
// 415 for a non-gRPC content-type, keepalive pings and GOAWAY
// ENHANCE_YOUR_CALM for a client that pings too often, and grpc-core's
// two-phase GOAWAY and a grace period on Shutdown.
//
// Handlers run on a loop thread and must not block; blocking work goes to a
// thread of its own (methods.h binds both kinds).

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/event_loops/event_loops.h"
#include "common/logging/log.h"
#include "common/rpc/compression.h"
#include "common/rpc/session_io.h"
#include "common/rpc/status.h"

namespace todo::common::rpc {

class CallSink;

// Metadata as it travels: keys lower-case; a "-bin" key's value is its raw
// bytes (base64 only on the wire).
using Metadata = std::vector<std::pair<std::string, std::string>>;

// One call as its handler sees it: what the client sent, and the way to
// answer. Write and Finish may be called from any thread.
class Call {
 public:
  Call(std::string method, Metadata metadata, absl::Time deadline, std::string peer_address,
       std::shared_ptr<CallSink> sink, size_t max_send_message_bytes = 4 * 1024 * 1024);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // "/package.Service/Method".
  const std::string& method() const { return method_; }
  // The client's metadata in the order sent ("-bin" values decoded).
  const Metadata& metadata() const { return metadata_; }
  // Every value of `key` (lower-case).
  std::vector<absl::string_view> MetadataValues(absl::string_view key) const;
  // The first value of `key`, or "".
  absl::string_view FirstMetadata(absl::string_view key) const;
  // From grpc-timeout; InfiniteFuture without one.
  absl::Time deadline() const { return deadline_; }
  // The client's IP address ("127.0.0.1", "::1"); "" when unknown.
  const std::string& peer_address() const { return peer_address_; }
  // Its x-request-id and the span of its trace this server works in (from
  // the client's traceparent, or a new trace): for log lines and the calls
  // its handler makes.
  const logging::RequestContext& request_context() const { return request_context_; }

  // True once the call is over for the handler: the client reset it or went
  // away, its deadline passed, the server stopped, or it was finished.
  bool done() const { return done_.load(std::memory_order_acquire); }

  // Whether the request message being handled came compressed (for the
  // streaming handlers, the one just passed to on_message).
  bool last_message_compressed() const {
    return last_message_compressed_.load(std::memory_order_acquire);
  }

  // Metadata for the response headers, before anything is sent; a "-bin"
  // key takes raw bytes.
  void AddInitialMetadata(std::string key, std::string value);
  // Metadata for the trailers, before Finish.
  void AddTrailingMetadata(std::string key, std::string value);
  // Compresses the messages written from now on with `encoding` when the
  // client accepts it (grpc-accept-encoding); before anything is sent.
  void SetCompression(Encoding encoding);

  // Sends the response headers (initial metadata) now rather than with the
  // first message: a server stream that may stay silent for long tells its
  // client at once that it is open. No-op once anything was sent.
  void SendInitialMetadata();
  // Sends one serialized message, compressed when SetCompression chose an
  // encoding and `compress` (a message may opt out). True when handed to the
  // call's stream; false when the call was over before (nothing sent).
  // Messages of a call are sent in the order written. A message over the
  // server's send limit ends the call RESOURCE_EXHAUSTED instead.
  bool Write(std::string message, bool compress = true);
  // A unary call's answer: `message` and OK, in one hand-over.
  void Reply(std::string message);
  // Ends the call with `status` (trailers), converted for the client in one
  // place (FailedRpcStatus: internal detail hidden, google.rpc details
  // attached); only the first Reply or Finish counts.
  void Finish(const absl::Status& status);

  // For the server: the call ended without the handler finishing it.
  void MarkDone() { done_.store(true, std::memory_order_release); }
  void SetLastMessageCompressed(bool compressed) {
    last_message_compressed_.store(compressed, std::memory_order_release);
  }

 private:
  // The framed form of `message` under the call's encoding.
  std::string Frame(const std::string& message, bool compress) const;
  // Hands the headers over once, before the first message or the end.
  void HandHeadersOverLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string method_;
  const Metadata metadata_;
  const absl::Time deadline_;
  const std::string peer_address_;
  const logging::RequestContext request_context_;
  const std::shared_ptr<CallSink> sink_;
  const size_t max_send_message_bytes_;
  std::atomic<bool> done_{false};
  std::atomic<bool> last_message_compressed_{false};
  // Orders what goes to the sink: headers before messages before the end.
  absl::Mutex mu_;
  bool headers_handed_over_ ABSL_GUARDED_BY(mu_) = false;
  Metadata initial_metadata_ ABSL_GUARDED_BY(mu_);
  Metadata trailing_metadata_ ABSL_GUARDED_BY(mu_);
  Encoding encoding_ ABSL_GUARDED_BY(mu_) = Encoding::kIdentity;
};

// Where a call's answer goes: its stream on a connection (implemented by
// the server).
class CallSink {
 public:
  virtual ~CallSink() = default;
  // False when the stream refused it (over its budget) and was ended.
  virtual bool Send(std::string framed_message) = 0;
  // The response headers: `metadata` (raw "-bin" values) and the encoding
  // of the messages that follow.
  virtual void SendHeaders(Metadata metadata, Encoding encoding) = 0;
  // `last_framed_message`, when not empty, is sent first; `trailing` joins
  // the status in the trailers.
  virtual void End(ClientStatus status, std::string last_framed_message, Metadata trailing) = 0;
};

// What serves one method. Both callbacks run on a loop thread.
struct MethodHandler {
  // Unary and server-streaming methods: the one request message, once the
  // client has sent all of it. A call with no message, or more than one,
  // fails INTERNAL before reaching the handler.
  std::function<void(std::shared_ptr<Call> call, std::string request)> on_request;
  // Client- and bidi-streaming methods instead: each message as it arrives,
  // then an empty optional when the client ends its side.
  std::function<void(const std::shared_ptr<Call>& call, std::optional<std::string> message)>
      on_message;
};

// Methods by full path ("/package.Service/Method").
using MethodTable = absl::flat_hash_map<std::string, MethodHandler>;

// A call as it ended, for metrics: its method ("" when the path named no
// method of the server, so a stranger's paths add no labels), its status, and
// the time from its request headers to its end.
struct CallOutcome {
  absl::string_view method;
  absl::StatusCode code;
  absl::Duration elapsed;
};

struct ServerOptions {
  std::string listen_address = "0.0.0.0";
  // 0 picks a free port; port() tells which.
  int port = 0;
  size_t max_receive_message_bytes = 4 * 1024 * 1024;
  // A larger response message ends its call with RESOURCE_EXHAUSTED.
  size_t max_send_message_bytes = 4 * 1024 * 1024;
  // The memory one connection may hold: response bytes its client has not
  // taken yet (per stream, and in all), and request bytes of messages not
  // yet whole. The stream whose bytes would pass a cap is ended
  // RESOURCE_EXHAUSTED, so a client that stops reading, or opens many
  // streams and trickles their messages, never grows the server's memory
  // without bound. HTTP/2 flow control (1 MiB per stream, 16 MiB per
  // connection) bounds what arrives before the server takes it.
  size_t max_pending_send_bytes_per_stream = 8 * 1024 * 1024;
  size_t max_pending_send_bytes_per_connection = 32 * 1024 * 1024;
  size_t max_partial_request_bytes_per_connection = 32 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  uint32_t max_concurrent_streams = 1000;
  // Calls open at once on the whole server (streams included); one more is
  // answered RESOURCE_EXHAUSTED at once.
  int max_concurrent_calls = 2000;
  // A connection with no call open and nothing received for this long is
  // sent GOAWAY and closed (gRPC's max_connection_idle; clients reconnect).
  absl::Duration idle_timeout = absl::Minutes(10);
  // Server pings on silent connections; refusing abusive client pings.
  KeepaliveOptions keepalive;
  // How long calls in progress may run after Shutdown before being cut.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Told of every call that ends with a status (on a connection's loop: keep
  // it short); unset, nothing is measured.
  std::function<void(const CallOutcome&)> on_call_end;
};

class Server {
 public:
  // Serves `methods` (their handlers must outlive the server) on every loop
  // of `loops`, which must outlive the server too. FAILED_PRECONDITION when
  // the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, MethodTable methods,
                                                       event_loops::EventLoops* loops);
  ~Server();

  int port() const;
  // "127.0.0.1:<port>" when listening on every interface, for local clients.
  std::string local_target() const;

  // Sends GOAWAY, lets calls in progress finish within the grace period,
  // then cuts the rest (their handlers see done()). Idempotent.
  void Shutdown();

  // Defined in the .cc; opaque to users.
  struct State;

 private:
  explicit Server(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace todo::common::rpc
