#pragma once

// Binding a service's typed methods to Server's MethodTable, in the
// three shapes the services need:
//   AsyncUnary      the handler runs on the loop and answers through a
//                   rpc::Reply, now or from another thread (a pipelined
//                   statement's result);
//   BlockingUnary   the handler blocks (a transaction): it runs on a
//                   BlockingExecutor thread;
//   BlockingServerStream  the handler writes a stream until it returns, on a
//                   thread of its own from StreamThreads;
//   AsyncServerStream  the handler runs on the loop and keeps the call (OK)
//                   for something else to write and finish later, without a
//                   thread per stream; an error status finishes it at once.
// Each tags its log lines with the call's request context and ends the call
// with the handler's absl::Status (Call::Finish converts it for the client,
// in one place).

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/logging/log.h"
#include "common/rpc/blocking_executor.h"
#include "common/rpc/reply.h"
#include "common/rpc/server.h"
#include "common/rpc/status.h"

namespace todo::common::rpc {

// Threads for server streams, one per open stream, up to a cap (a stream
// past it fails RESOURCE_EXHAUSTED). Joins them on destruction: the streams
// must have been ended first (their calls done).
class StreamThreads {
 public:
  explicit StreamThreads(int max_streams) : max_streams_(max_streams) {}
  ~StreamThreads();
  StreamThreads(const StreamThreads&) = delete;
  StreamThreads& operator=(const StreamThreads&) = delete;

  // False when `max_streams` are running.
  bool Start(std::function<void()> work);

 private:
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  const int max_streams_;
  absl::Mutex mu_;
  std::vector<Running> running_ ABSL_GUARDED_BY(mu_);
};

// Parses a request; on failure the call is answered INTERNAL (as grpc++
// answers a request it cannot parse) and nullopt returned.
template <typename Request>
std::optional<Request> ParseRequest(Call& call, const std::string& bytes) {
  Request request;
  if (!request.ParseFromString(bytes)) {
    call.Finish(WithClientMessage(absl::InternalError("the request message does not parse")));
    return std::nullopt;
  }
  return request;
}

// Parses the call's request and runs `then(call, request)` on this thread
// under the call's request id (an unparsable request is answered already).
template <typename Request, typename Then>
void WithRequest(std::shared_ptr<Call> call, const std::string& bytes, Then then) {
  std::optional<Request> request = ParseRequest<Request>(*call, bytes);
  if (!request) return;
  const logging::ScopedRequestContext scope(call->request_context());
  then(std::move(call), *request);
}

template <typename Response>
void Answer(Call& call, absl::StatusOr<Response> outcome) {
  if (outcome.ok()) {
    call.Reply(outcome->SerializeAsString());
    return;
  }
  call.Finish(outcome.status());
}

// A unary call's Reply: serializes the answer, or ends with the failure.
template <typename Response>
class CallResponder final : public rpc::Responder<Response> {
 public:
  explicit CallResponder(std::shared_ptr<Call> call) : call_(std::move(call)) {}
  void Send(absl::StatusOr<Response> outcome) override {
    const logging::ScopedRequestContext scope(call_->request_context());
    Answer(*call_, std::move(outcome));
  }

 private:
  const std::shared_ptr<Call> call_;
};

template <typename Request, typename Response>
MethodHandler AsyncUnary(
    std::function<void(const Call&, const Request&, rpc::Reply<Response>)> handler) {
  MethodHandler method;
  method.on_request = [handler = std::move(handler)](std::shared_ptr<Call> call,
                                                     std::string bytes) {
    WithRequest<Request>(
        std::move(call), bytes, [&](std::shared_ptr<Call> parsed, const Request& request) {
          const Call& context = *parsed;
          handler(
              context, request,
              rpc::Reply<Response>(std::make_unique<CallResponder<Response>>(std::move(parsed))));
        });
  };
  return method;
}

template <typename Request, typename Response>
MethodHandler BlockingUnary(
    rpc::BlockingExecutor* executor,
    std::function<absl::StatusOr<Response>(const Call&, const Request&)> handler) {
  MethodHandler method;
  method.on_request = [executor, handler = std::move(handler)](std::shared_ptr<Call> call,
                                                               std::string bytes) {
    std::shared_ptr<Call> refused = call;
    BlockingExecutor::Work work = [&handler, call = std::move(call), bytes = std::move(bytes)]() {
      if (call->done()) return;  // cancelled or past its deadline while it waited
      std::optional<Request> request = ParseRequest<Request>(*call, bytes);
      if (!request) return;
      const logging::ScopedRequestContext scope(call->request_context());
      Answer(*call, handler(*call, *request));
    };
    if (!executor->TryRun(work)) refused->Finish(ServerBusyError());
  };
  return method;
}

// `write` returns false once the call is over (the client went away).
template <typename Request, typename Message>
using StreamHandler = std::function<absl::Status(const Call&, const Request&,
                                                 const std::function<bool(const Message&)>& write)>;

template <typename Request, typename Message>
MethodHandler BlockingServerStream(StreamThreads* threads,
                                   StreamHandler<Request, Message> handler) {
  MethodHandler method;
  method.on_request = [threads, handler = std::move(handler)](std::shared_ptr<Call> call,
                                                              std::string bytes) {
    std::optional<Request> request = ParseRequest<Request>(*call, bytes);
    if (!request) return;
    auto run = [&handler, call, request = *std::move(request)] {
      const logging::ScopedRequestContext scope(call->request_context());
      const absl::Status status = handler(*call, request, [&call](const Message& message) {
        return call->Write(message.SerializeAsString());
      });
      call->Finish(status);
    };
    if (!threads->Start(std::move(run))) {
      call->Finish(absl::ResourceExhaustedError("too many open streams"));
    }
  };
  return method;
}

template <typename Request>
using AsyncStreamHandler =
    std::function<absl::Status(const std::shared_ptr<Call>& call, const Request& request)>;

template <typename Request>
MethodHandler AsyncServerStream(AsyncStreamHandler<Request> handler) {
  MethodHandler method;
  method.on_request = [handler = std::move(handler)](std::shared_ptr<Call> call,
                                                     std::string bytes) {
    WithRequest<Request>(std::move(call), bytes,
                         [&](const std::shared_ptr<Call>& parsed, const Request& request) {
                           if (const absl::Status status = handler(parsed, request); !status.ok()) {
                             parsed->Finish(status);
                           }
                         });
  };
  return method;
}

}  // namespace todo::common::rpc
