#pragma once

// One gRPC channel per backend service, calling methods generically (no
// generated stubs): a new RPC in a proto needs no gateway code. A DNS name
// resolves to every address (Kubernetes headless services) and calls are
// spread round-robin; gRPC reconnects with backoff by itself. Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"

namespace todo::gateway {

struct UpstreamCall {
  // "/package.Service/Method".
  std::string method_path;
  std::string request_bytes;
  std::vector<std::pair<std::string, std::string>> metadata;
  // InfiniteDuration: no deadline (streams live as long as their client).
  absl::Duration timeout = absl::Seconds(15);
};

struct UpstreamReply {
  int code = 0;
  std::string message;
  // The serialized google.rpc.Status of grpc-status-details-bin, if any
  // (already base64-decoded by the gRPC library).
  std::string details_bin;
  // Unary: the response message, when the call succeeded.
  std::vector<std::string> messages;
  // Server streaming: how many messages went to on_message.
  size_t streamed = 0;
  std::vector<std::pair<std::string, std::string>> initial_metadata;
};

class UpstreamChannels {
 public:
  // service full name -> "host:port" (a DNS name resolves to all addresses).
  explicit UpstreamChannels(const std::map<std::string, std::string>& addresses);

  // NOT_FOUND when no upstream serves the service.
  absl::StatusOr<UpstreamReply> CallUnary(absl::string_view service, const UpstreamCall& call);
  // Server streaming: `on_message` gets each response message as it arrives
  // and may return false to stop; `alive` is asked about every 250 ms while
  // nothing arrives, and false from it cancels the call (the client went
  // away, or the gateway is stopping).
  absl::StatusOr<UpstreamReply> CallServerStreaming(
      absl::string_view service, const UpstreamCall& call,
      const std::function<bool(const std::string&)>& on_message,
      const std::function<bool()>& alive);

  std::vector<std::string> services() const;
  std::shared_ptr<grpc::Channel> ChannelFor(absl::string_view service) const;

 private:
  // NOT_FOUND when no upstream serves `service`.
  absl::StatusOr<grpc::GenericStub*> StubFor(absl::string_view service) const;

  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>, std::less<>> stubs_;
};

}  // namespace todo::gateway
