#pragma once

// The one-shot answer to a unary call, for handlers that answer later or on
// another thread (after a pipelined statement); transport-free, so such a
// handler knows nothing of the server that carries its answer
// (rpc/methods.h binds it).

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
  explicit Reply(Responder<Response>* responder) : responder_(responder) {}
  Reply(Reply&& other) noexcept : responder_(std::exchange(other.responder_, nullptr)) {}
  Reply& operator=(Reply&&) = delete;
  ~Reply() {
    if (responder_ != nullptr) {
      responder_->Send(absl::InternalError("the call ended without an answer"));
    }
  }

  void operator()(absl::StatusOr<Response> outcome) && {
    std::exchange(responder_, nullptr)->Send(std::move(outcome));
  }

 private:
  Responder<Response>* responder_;
};

}  // namespace todo::common::rpc
