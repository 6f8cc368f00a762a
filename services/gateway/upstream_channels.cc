#include "services/gateway/upstream_channels.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

namespace todo::gateway {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

void Prepare(grpc::ClientContext& context, const UpstreamCall& call) {
  if (call.timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + call.timeout));
  }
  for (const auto& [key, value] : call.metadata) context.AddMetadata(key, value);
}

void Collect(const grpc::ClientContext& context, const grpc::Status& status, UpstreamReply& reply) {
  reply.code = status.error_code();
  reply.message = status.error_message();
  reply.details_bin = status.error_details();
  for (const auto& [key, value] : context.GetServerInitialMetadata()) {
    reply.initial_metadata.emplace_back(std::string(key.data(), key.size()),
                                        std::string(value.data(), value.size()));
  }
}

// Waits for one completion on `queue`; false when the operation failed.
bool Await(grpc::CompletionQueue& queue) {
  void* tag = nullptr;
  bool ok = false;
  return queue.Next(&tag, &ok) && ok;
}

// Like Await, but asks `alive` every 250 ms while waiting and cancels the
// call once it answers false (the operation then completes, failed).
bool AwaitWhileAlive(grpc::CompletionQueue& queue, grpc::ClientContext& context,
                     const std::function<bool()>& alive) {
  void* tag = nullptr;
  bool ok = false;
  bool cancelled = false;
  while (true) {
    const auto state =
        queue.AsyncNext(&tag, &ok, absl::ToChronoTime(absl::Now() + absl::Milliseconds(250)));
    if (state == grpc::CompletionQueue::GOT_EVENT) return ok;
    if (state == grpc::CompletionQueue::SHUTDOWN) return false;
    if (!cancelled && !alive()) {
      context.TryCancel();
      cancelled = true;
    }
  }
}

// Every event must be taken off a queue before it is destroyed.
void Drain(grpc::CompletionQueue& queue) {
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace

UpstreamChannels::UpstreamChannels(const std::map<std::string, std::string>& addresses) {
  for (const auto& [service, address] : addresses) {
    grpc::ChannelArguments args;
    args.SetLoadBalancingPolicyName("round_robin");
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
    const std::string target =
        absl::StrContains(address, "://") ? address : absl::StrCat("dns:///", address);
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    channels_[service] = channel;
    stubs_[service] = std::make_unique<grpc::GenericStub>(channel);
  }
}

std::vector<std::string> UpstreamChannels::services() const {
  std::vector<std::string> names;
  for (const auto& [service, channel] : channels_) names.push_back(service);
  return names;
}

std::shared_ptr<grpc::Channel> UpstreamChannels::ChannelFor(absl::string_view service) const {
  auto it = channels_.find(service);
  return it == channels_.end() ? nullptr : it->second;
}

absl::StatusOr<grpc::GenericStub*> UpstreamChannels::StubFor(absl::string_view service) const {
  auto it = stubs_.find(service);
  if (it == stubs_.end()) {
    return absl::NotFoundError(absl::StrCat("no upstream for ", service));
  }
  return it->second.get();
}

absl::StatusOr<UpstreamReply> UpstreamChannels::CallUnary(absl::string_view service,
                                                          const UpstreamCall& call) {
  ASSIGN_OR_RETURN(grpc::GenericStub* const stub, StubFor(service));
  grpc::ClientContext context;
  Prepare(context, call);
  grpc::CompletionQueue queue;
  const grpc::ByteBuffer request = ToBuffer(call.request_bytes);
  auto rpc = stub->PrepareUnaryCall(&context, call.method_path, request, &queue);
  rpc->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
  Await(queue);
  UpstreamReply reply;
  Collect(context, status, reply);
  if (status.ok()) reply.messages.push_back(FromBuffer(response));
  Drain(queue);
  return reply;
}

absl::StatusOr<UpstreamReply> UpstreamChannels::CallServerStreaming(
    absl::string_view service, const UpstreamCall& call,
    const std::function<bool(const std::string&)>& on_message, const std::function<bool()>& alive) {
  ASSIGN_OR_RETURN(grpc::GenericStub* const stub, StubFor(service));
  grpc::ClientContext context;
  Prepare(context, call);
  grpc::CompletionQueue queue;
  auto rpc = stub->PrepareCall(&context, call.method_path, &queue);
  rpc->StartCall(reinterpret_cast<void*>(1));
  UpstreamReply reply;
  bool open = Await(queue);
  if (open) {
    rpc->Write(ToBuffer(call.request_bytes), reinterpret_cast<void*>(2));
    open = Await(queue);
  }
  if (open) {
    rpc->WritesDone(reinterpret_cast<void*>(3));
    open = Await(queue);
  }
  while (open) {
    grpc::ByteBuffer message;
    rpc->Read(&message, reinterpret_cast<void*>(4));
    if (!AwaitWhileAlive(queue, context, alive)) break;
    ++reply.streamed;
    if (!on_message(FromBuffer(message))) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status;
  rpc->Finish(&status, reinterpret_cast<void*>(5));
  Await(queue);
  Collect(context, status, reply);
  Drain(queue);
  return reply;
}

}  // namespace todo::gateway
