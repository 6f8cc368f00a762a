#include "tests/interop/interop_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status/client_status.h"
#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.pb.h"

namespace todo::interop {
namespace {

using common::rpc::Call;
using common::rpc::MethodHandler;
using common::rpc::ParseRequest;
using grpc::testing::EchoStatus;
using grpc::testing::Empty;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

constexpr char kEchoInitial[] = "x-grpc-test-echo-initial";
constexpr char kEchoTrailing[] = "x-grpc-test-echo-trailing-bin";

// custom_metadata: what the client sent under the echo keys comes back in
// the response headers and trailers.
void EchoMetadata(Call& call) {
  if (const auto initial = call.FirstMetadata(kEchoInitial); !initial.empty()) {
    call.AddInitialMetadata(kEchoInitial, std::string(initial));
  }
  if (const auto trailing = call.FirstMetadata(kEchoTrailing); !trailing.empty()) {
    call.AddTrailingMetadata(kEchoTrailing, std::string(trailing));
  }
}

absl::Status StatusOf(const EchoStatus& echo) {
  // The test's own text, whatever the code (the cases echo UNKNOWN).
  return todo::common::WithClientMessage(
      absl::Status(static_cast<absl::StatusCode>(echo.code()), echo.message()));
}

// A request that must have come compressed and did not.
bool BrokenCompressionPromise(const Call& call, bool expect_compressed) {
  return expect_compressed && !call.last_message_compressed();
}

std::string Zeros(int size) { return std::string(static_cast<size_t>(std::max(0, size)), '\0'); }

void UnaryCall(const std::shared_ptr<Call>& call, const SimpleRequest& request) {
  EchoMetadata(*call);
  if (BrokenCompressionPromise(*call, request.expect_compressed().value())) {
    call->Finish(
        absl::InvalidArgumentError("expected a compressed request, got an uncompressed one"));
    return;
  }
  if (request.response_status().code() != 0) {
    call->Finish(StatusOf(request.response_status()));
    return;
  }
  if (request.response_compressed().value()) call->SetCompression(common::rpc::Encoding::kGzip);
  SimpleResponse response;
  response.mutable_payload()->set_body(Zeros(request.response_size()));
  call->Reply(response.SerializeAsString());
}

// Writes the responses `request` asks for; false when the call ended.
bool WriteResponses(Call& call, const StreamingOutputCallRequest& request, bool may_sleep) {
  for (const auto& parameters : request.response_parameters()) {
    if (may_sleep && parameters.interval_us() > 0) {
      absl::SleepFor(absl::Microseconds(parameters.interval_us()));
    }
    StreamingOutputCallResponse response;
    response.mutable_payload()->set_body(Zeros(parameters.size()));
    if (!call.Write(response.SerializeAsString(), parameters.compressed().value())) return false;
  }
  return true;
}

bool WantsCompression(const StreamingOutputCallRequest& request) {
  for (const auto& parameters : request.response_parameters()) {
    if (parameters.compressed().value()) return true;
  }
  return false;
}

// What a streaming handler keeps for each open call, from the loops that
// run it; a call's entry goes when the handler is done with it.
template <typename State>
class PerCall {
 public:
  template <typename Use>
  void With(const Call& call, Use use) {
    absl::MutexLock lock(&mu_);
    use(states_[&call]);
  }
  State Take(const Call& call) {
    absl::MutexLock lock(&mu_);
    State state = std::move(states_[&call]);
    states_.erase(&call);
    return state;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const Call*, State> states_;
};

// StreamingInputCall: sums the payloads until the client is done.
MethodHandler StreamingInput() {
  MethodHandler method;
  auto sums = std::make_shared<PerCall<int>>();
  method.on_message = [sums](const std::shared_ptr<Call>& call, std::optional<std::string> bytes) {
    if (!bytes.has_value()) {
      StreamingInputCallResponse response;
      response.set_aggregated_payload_size(sums->Take(*call));
      call->Reply(response.SerializeAsString());
      return;
    }
    std::optional<StreamingInputCallRequest> request =
        ParseRequest<StreamingInputCallRequest>(*call, *bytes);
    if (!request) {
      sums->Take(*call);
      return;
    }
    if (BrokenCompressionPromise(*call, request->expect_compressed().value())) {
      sums->Take(*call);
      call->Finish(
          absl::InvalidArgumentError("expected a compressed message, got an uncompressed one"));
      return;
    }
    const int size = static_cast<int>(request->payload().body().size());
    sums->With(*call, [size](int& sum) { sum += size; });
  };
  return method;
}

// FullDuplexCall: answers each request as it comes; HalfDuplexCall: all of
// them once the client is done.
MethodHandler Duplex(bool half) {
  MethodHandler method;
  auto pending = std::make_shared<PerCall<std::vector<std::string>>>();
  method.on_message = [half, pending](const std::shared_ptr<Call>& call,
                                      std::optional<std::string> bytes) {
    if (!bytes.has_value()) {
      if (half) {
        for (const std::string& held : pending->Take(*call)) {
          std::optional<StreamingOutputCallRequest> request =
              ParseRequest<StreamingOutputCallRequest>(*call, held);
          if (!request || !WriteResponses(*call, *request, false)) break;
        }
      }
      call->Finish(absl::OkStatus());
      return;
    }
    if (half) {
      pending->With(*call, [&](std::vector<std::string>& held) { held.push_back(*bytes); });
      return;
    }
    std::optional<StreamingOutputCallRequest> request =
        ParseRequest<StreamingOutputCallRequest>(*call, *bytes);
    if (!request) return;
    EchoMetadata(*call);
    if (request->response_status().code() != 0) {
      call->Finish(StatusOf(request->response_status()));
      return;
    }
    if (WantsCompression(*request)) call->SetCompression(common::rpc::Encoding::kGzip);
    WriteResponses(*call, *request, false);
  };
  return method;
}

}  // namespace

common::rpc::MethodTable InteropMethods(const common::rpc::ServerResources& resources) {
  // Links test.proto's descriptors in, which nothing else here names: the
  // server checks the table against them, and reflection serves them.
  static const void* volatile linked = &descriptor_table_grpc_2ftesting_2ftest_2eproto;
  static_cast<void>(linked);
  const std::string prefix = "/grpc.testing.TestService/";
  common::rpc::MethodTable methods;
  MethodHandler empty;
  empty.on_request = [](std::shared_ptr<Call> call, std::string bytes) {
    if (!ParseRequest<Empty>(*call, bytes)) return;
    EchoMetadata(*call);
    call->Reply(Empty().SerializeAsString());
  };
  methods[prefix + "EmptyCall"] = empty;
  MethodHandler unary;
  unary.on_request = [](std::shared_ptr<Call> call, std::string bytes) {
    if (std::optional<SimpleRequest> request = ParseRequest<SimpleRequest>(*call, bytes)) {
      UnaryCall(call, *request);
    }
  };
  methods[prefix + "UnaryCall"] = unary;
  methods[prefix + "CacheableUnaryCall"] = unary;
  MethodHandler output;
  common::rpc::StreamThreads* const threads = resources.streams;
  output.on_request = [threads](std::shared_ptr<Call> call, std::string bytes) {
    std::optional<StreamingOutputCallRequest> request =
        ParseRequest<StreamingOutputCallRequest>(*call, bytes);
    if (!request) return;
    EchoMetadata(*call);
    if (WantsCompression(*request)) call->SetCompression(common::rpc::Encoding::kGzip);
    // interval_us pauses between responses: on a thread, not the loop.
    const bool started = threads->Start([call, request = *std::move(request)] {
      if (!WriteResponses(*call, request, true)) return;
      call->Finish(request.response_status().code() != 0 ? StatusOf(request.response_status())
                                                         : absl::OkStatus());
    });
    if (!started) call->Finish(absl::ResourceExhaustedError("busy"));
  };
  methods[prefix + "StreamingOutputCall"] = output;
  methods[prefix + "StreamingInputCall"] = StreamingInput();
  methods[prefix + "FullDuplexCall"] = Duplex(/*half=*/false);
  methods[prefix + "HalfDuplexCall"] = Duplex(/*half=*/true);
  MethodHandler unimplemented;
  unimplemented.on_request = [](std::shared_ptr<Call> call, std::string) {
    call->Finish(absl::UnimplementedError("UnimplementedCall"));
  };
  methods[prefix + "UnimplementedCall"] = unimplemented;
  return methods;
}

}  // namespace todo::interop
