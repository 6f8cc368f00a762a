#pragma once

// The one-shot answer to a unary call, for handlers that answer later or on
// another thread (after a pipelined statement); transport-free, so such a
// handler knows nothing of the server that carries its answer
// (rpc/methods.h binds it).

#include <memory>
#include <utility>

#include "absl/status/statusor.h"

namespace todo::common::rpc {

template <typename Response>
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(absl::StatusOr<Response> outcome) = 0;
};

// The one-shot answer to a call; move-only.
template <typename Response>
class Reply {
 public:
  explicit Reply(std::unique_ptr<Responder<Response>> responder)
      : responder_(std::move(responder)) {}
  Reply(Reply&& other) noexcept = default;
  Reply& operator=(Reply&&) = delete;
  ~Reply() {
    if (responder_ != nullptr) {
      responder_->Send(absl::InternalError("the call ended without an answer"));
    }
  }

  void operator()(absl::StatusOr<Response> outcome) && {
    std::unique_ptr<Responder<Response>> responder = std::move(responder_);
    responder->Send(std::move(outcome));
  }

 private:
  std::unique_ptr<Responder<Response>> responder_;
};

}  // namespace todo::common::rpc
