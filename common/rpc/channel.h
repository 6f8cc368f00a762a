#pragma once

// The gRPC client: generic calls to one target over HTTP/2 (nghttp2), driven
// by one Asio io_context: the thread that starts a call also writes its
// frames and reads the reply, with no thread hand-off in between (the way
// Envoy's workers talk to a gRPC upstream; gRPC's own client in 1.51 polls
// on other threads and costs two extra context switches per call). The
// gateway runs one per worker and upstream; services call each other
// through BlockingClient (blocking_client.h) over it.
//
// A target "host:port" resolves to every address (Kubernetes headless
// services), or lists them as gRPC does ("ipv4:10.0.0.1:50052,10.0.0.2:50052",
// "ipv6:[::1]:50052"); each address gets one HTTP/2 connection and calls go
// to them round-robin. Like gRPC: a call waits while a connection is being made,
// fails fast (UNAVAILABLE) while every address is backing off after a failed
// attempt (a connection the server never sent a frame on counts as one; a
// lost connection it had spoken on is remade at once), and a stream the
// server refused or never processed (GOAWAY) is retried once on another
// connection. The target is re-resolved after a connection is lost and
// every 30 seconds.
//
// Not thread-safe: every method, and every callback, runs on the io_context's
// thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/server.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace todo::common::rpc {

struct ClientCall {
  // "/package.Service/Method".
  std::string method_path;
  // The one request message of a unary or server-streaming call.
  std::string request_bytes;
  // Client- and bidi-streaming calls: request_bytes is not sent; the
  // caller sends each message with Channel::Write and ends its side with
  // Channel::CloseSend. Such a call is not retried on another connection
  // (its messages are not kept once sent).
  bool client_streaming = false;
  // Names lower-case; "-bin" values raw (sent in base64), others printable
  // ASCII.
  Metadata metadata;
  // Compresses the request message (when not identity); the reply may come
  // compressed in any encoding this transport knows.
  Encoding compression = Encoding::kIdentity;
  // InfiniteDuration: no deadline (streams live as long as their client).
  absl::Duration timeout = absl::Seconds(15);
};

struct ClientReply {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  // The serialized google.rpc.Status of grpc-status-details-bin, if any
  // (base64-decoded).
  std::string details_bin;
  // How many messages went to on_message, and how many of those came
  // compressed.
  size_t messages = 0;
  size_t compressed_messages = 0;
  // The server's initial and trailing metadata ("-bin" values decoded;
  // grpc-status and the like not included).
  Metadata initial_metadata;
  Metadata trailing_metadata;
};

struct ClientCallbacks {
  // Optional: the upstream's response headers arrived without ending the
  // call (a stream is open, before any message).
  std::function<void()> on_headers;
  // Each response message, as it arrives; false cancels the call.
  std::function<bool(std::string message)> on_message;
  // Exactly once, last. Never called from inside Start.
  std::function<void(ClientReply reply)> on_close;
};

struct ChannelOptions {
  // Larger response messages end the call with RESOURCE_EXHAUSTED, as gRPC's
  // default receive limit does.
  size_t max_message_bytes = 4 * 1024 * 1024;
  absl::Duration connect_timeout = absl::Seconds(20);
  // Reconnect backoff after a failed attempt, grown 1.6x per failure with
  // +-20% jitter (gRPC's connection backoff), capped lower than gRPC's 120 s
  // because pods come back within seconds.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration reresolve_interval = absl::Seconds(30);
  std::string user_agent = "todo-grpc";
};

class Channel {
 public:
  // `target` is "host:port"; the io_context must outlive this object and
  // must not run while it is destroyed on another thread.
  Channel(boost::asio::io_context& io, std::string target, ChannelOptions options = {});
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Starts a call (unary or server streaming: one request message, then the
  // request side closes; client_streaming: messages from Write). Returns an
  // id for Write, CloseSend and Cancel.
  uint64_t Start(ClientCall call, ClientCallbacks callbacks);
  // Sends one request message of a client_streaming call (compressed as
  // the call asked), after those written before; queued until the stream
  // is open and HTTP/2 flow control lets it go. False when the call is
  // over or its side is closed. The caller bounds what it writes ahead of
  // the server's answers (ping-pong callers write one at a time).
  bool Write(uint64_t call_id, std::string message);
  // Ends the request side of a client_streaming call (END_STREAM).
  void CloseSend(uint64_t call_id);
  // Ends the call with CANCELLED (its on_close still runs, later). A no-op
  // once the call has ended.
  void Cancel(uint64_t call_id);
  // Fails every call in flight with UNAVAILABLE and closes the connections.
  void Close();

  const std::string& target() const { return target_; }

  struct Impl;

 private:
  const std::string target_;
  // Shared so that timers and resolutions can tell it is gone.
  std::shared_ptr<Impl> impl_;
};

}  // namespace todo::common::rpc
