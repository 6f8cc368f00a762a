#include "common/rpc/blocking_client.h"

#include <boost/asio/post.hpp>

#include "absl/synchronization/notification.h"
#include "common/logging/log.h"

namespace todo::common::rpc {
namespace {

// A call made while handling a request continues its trace: the handler's
// span is the parent of the callee's (common/tracing).
void PassTraceOn(Metadata& metadata) {
  const tracing::TraceContext& trace = logging::ScopedRequestContext::Current().trace;
  if (trace.empty()) return;
  for (const auto& [name, value] : metadata) {
    if (name == "traceparent") return;  // the caller chose
  }
  metadata.emplace_back("traceparent", trace.TraceParent());
  if (!trace.trace_state.empty()) metadata.emplace_back("tracestate", trace.trace_state);
}

// Runs `work` on `loop` and waits for it.
template <typename Work>
void RunOn(boost::asio::io_context& loop, Work work) {
  absl::Notification done;
  boost::asio::post(loop, [&] {
    work();
    done.Notify();
  });
  done.WaitForNotification();
}

}  // namespace

BlockingClient::BlockingClient(boost::asio::io_context& loop, std::string target,
                               ChannelOptions options)
    : loop_(loop), target_(std::move(target)) {
  RunOn(loop_, [&] { channel_ = std::make_unique<Channel>(loop_, target_, options); });
}

BlockingClient::~BlockingClient() {
  RunOn(loop_, [&] { channel_.reset(); });
}

absl::StatusOr<std::string> BlockingClient::Call(absl::string_view method_path, std::string request,
                                                 Metadata metadata, absl::Duration timeout) {
  ClientCall call;
  call.method_path = std::string(method_path);
  call.request_bytes = std::move(request);
  call.metadata = std::move(metadata);
  PassTraceOn(call.metadata);
  call.timeout = timeout;
  struct Outcome {
    absl::Notification done;
    std::string message;
    ClientReply reply;
  };
  auto outcome = std::make_shared<Outcome>();
  boost::asio::post(loop_, [this, call = std::move(call), outcome]() mutable {
    ClientCallbacks callbacks;
    callbacks.on_message = [outcome](std::string message) {
      outcome->message = std::move(message);
      return true;
    };
    callbacks.on_close = [outcome](ClientReply reply) {
      outcome->reply = std::move(reply);
      outcome->done.Notify();
    };
    channel_->Start(std::move(call), std::move(callbacks));
  });
  outcome->done.WaitForNotification();
  const ClientReply& reply = outcome->reply;
  if (reply.code != absl::StatusCode::kOk) return absl::Status(reply.code, reply.message);
  if (reply.messages != 1) {
    return absl::InternalError("a unary call answered without exactly one message");
  }
  return std::move(outcome->message);
}

}  // namespace todo::common::rpc
