#pragma once

// A real gRPC server on 127.0.0.1:0 that serves every method generically:
// it records what each call sent (method, metadata, message bytes) and
// answers as told (messages, then a status, possibly with details). A fake
// upstream for the gateway's transcoding tests, like the ones in Envoy's.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace todo::testing {

class RecordingUpstream {
 public:
  struct Reply {
    int code = 0;
    std::string message;
    std::string details_bin;
    // Sent before the status; none is a trailers-only reply when code != 0.
    std::vector<std::string> messages;
  };
  struct Seen {
    std::string method;
    std::multimap<std::string, std::string> metadata;
    std::string message;
  };

  // On 127.0.0.1:`port`; 0 picks a free one.
  explicit RecordingUpstream(int port = 0);
  ~RecordingUpstream();

  std::string target() const;
  // The reply for the calls that follow.
  void SetReply(Reply reply);
  // The calls received so far.
  std::vector<Seen> seen() const;

 private:
  // Returns once the server is shutting down.
  void ServeCalls();

  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread thread_;
  // Serialises asking for the next call with shutting down: gRPC forbids
  // RequestCall after Shutdown has begun.
  absl::Mutex request_mutex_;
  bool shutting_down_ ABSL_GUARDED_BY(request_mutex_) = false;
  mutable absl::Mutex mutex_;
  Reply reply_ ABSL_GUARDED_BY(mutex_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace todo::testing
