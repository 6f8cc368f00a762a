#pragma once

// Unary methods answered from a completion queue instead of a sync thread,
// for RPCs whose work is itself asynchronous (a pipelined database
// statement): the handler starts the work and returns at once, and whoever
// finishes it calls the Reply, on any thread. No thread sits waiting for the
// database, and a call is read, started and answered without being handed
// between gRPC's threads.
//
// A service marks such methods with gRPC's WithAsyncMethod_ templates (its
// other methods stay synchronous), owns one AsyncUnaryMethod per method, and
// lists them through ServesAsyncMethods; GrpcServer does the rest:
//
//   class Impl final : public v1::TasksService::WithAsyncMethod_GetTask<v1::TasksService::Service>,
//                      public common::server::ServesAsyncMethods {
//     void GetAsync(const grpc::ServerContext&, const v1::GetTaskRequest&, Reply<v1::Task> reply);
//     AsyncUnaryMethod<v1::GetTaskRequest, v1::Task> get_task_ =
//         BindAsyncMethod("GetTask", this, &Impl::RequestGetTask, &Impl::GetAsync);
//   };
//
// Every started handler must call its Reply exactly once; a Reply dropped
// unanswered answers INTERNAL, so no call is left hanging.

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/logging/log.h"
#include "common/server/reply.h"
#include "common/server/rpc.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/async_unary_call.h"

namespace todo::common::server {

// An event on the completion queue; the tag is the handler itself.
class CompletionHandler {
 public:
  virtual ~CompletionHandler() = default;
  virtual void OnEvent(bool ok) = 0;
};

// Handlers started whose Reply has not been called yet: the server waits for
// them to reach zero before it closes the queue the replies go through.
using UnansweredCalls = std::atomic<int>;

class AsyncMethod {
 public:
  virtual ~AsyncMethod() = default;
  // Starts taking calls on `queue`; called once, after the server started.
  virtual void Arm(grpc::ServerCompletionQueue* queue, UnansweredCalls* unanswered) = 0;
};

// Implemented by a service with methods served through AsyncMethod.
class ServesAsyncMethods {
 public:
  virtual ~ServesAsyncMethods() = default;
  virtual std::vector<AsyncMethod*> async_methods() = 0;
};

template <typename Request, typename Response>
class AsyncUnaryMethod final : public AsyncMethod {
 public:
  // What the generated AsyncService::Request<Method> does, bound to the service.
  using RequestCall =
      std::function<void(grpc::ServerContext*, Request*, grpc::ServerAsyncResponseWriter<Response>*,
                         grpc::ServerCompletionQueue*, void*)>;
  using Handler = std::function<void(grpc::ServerContext&, const Request&, Reply<Response>)>;

  AsyncUnaryMethod(const char* rpc_name, RequestCall request_call, Handler handler)
      : rpc_name_(rpc_name), request_call_(std::move(request_call)), handler_(std::move(handler)) {}

  void Arm(grpc::ServerCompletionQueue* queue, UnansweredCalls* unanswered) override {
    // A few calls waiting at once, so a burst is not accepted one by one.
    for (int i = 0; i < kWaitingCalls; ++i) {
      new Call(this, queue, unanswered);
    }
  }

 private:
  static constexpr int kWaitingCalls = 4;

  // One call, from waiting for a request to its answer being sent; deletes
  // itself on its last event.
  class Call final : public CompletionHandler, public Responder<Response> {
   public:
    Call(AsyncUnaryMethod* method, grpc::ServerCompletionQueue* queue, UnansweredCalls* unanswered)
        : method_(method), queue_(queue), unanswered_(unanswered), writer_(&context_) {
      method_->request_call_(&context_, &request_, &writer_, queue_, this);
    }

    void OnEvent(bool ok) override {
      if (answering_ || !ok) {
        delete this;  // the answer went out, or the server is shutting down
        return;
      }
      new Call(method_, queue_, unanswered_);
      answering_ = true;
      unanswered_->fetch_add(1);
      const logging::ScopedRequestId request_id(RequestIdOf(context_));
      method_->handler_(context_, request_, Reply<Response>(this));
    }

    void Send(absl::StatusOr<Response> outcome) override {
      UnansweredCalls* unanswered = unanswered_;  // `this` may be gone once the answer is queued
      if (outcome.ok()) {
        writer_.Finish(*outcome, grpc::Status::OK, this);
      } else {
        const logging::ScopedRequestId request_id(RequestIdOf(context_));
        writer_.FinishWithError(FailedRpcStatus(method_->rpc_name_, outcome.status()), this);
      }
      unanswered->fetch_sub(1);
    }

   private:
    AsyncUnaryMethod* const method_;
    grpc::ServerCompletionQueue* const queue_;
    UnansweredCalls* const unanswered_;
    grpc::ServerContext context_;
    Request request_;
    grpc::ServerAsyncResponseWriter<Response> writer_;
    bool answering_ = false;
  };

  const char* const rpc_name_;
  const RequestCall request_call_;
  const Handler handler_;
};

// The usual binding: `request_call` is the generated Request<Method> of the
// service's WithAsyncMethod_<Method> base, `handler` a member of the service.
template <typename Request, typename Response, typename Service, typename AsyncBase>
AsyncUnaryMethod<Request, Response> BindAsyncMethod(
    const char* rpc_name, Service* service,
    void (AsyncBase::*request_call)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncResponseWriter<Response>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*),
    void (Service::*handler)(const grpc::ServerContext&, const Request&, Reply<Response>)) {
  return AsyncUnaryMethod<Request, Response>(
      rpc_name,
      [service, request_call](grpc::ServerContext* context, Request* request,
                              grpc::ServerAsyncResponseWriter<Response>* writer,
                              grpc::ServerCompletionQueue* queue, void* tag) {
        (service->*request_call)(context, request, writer, queue, queue, tag);
      },
      [service, handler](grpc::ServerContext& context, const Request& request,
                         Reply<Response> reply) {
        (service->*handler)(context, request, std::move(reply));
      });
}

}  // namespace todo::common::server
