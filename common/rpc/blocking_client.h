#pragma once

// Typed calls that block the calling thread, over a Channel that lives on an
// event loop: how one service calls another from a handler that already
// runs on a blocking thread (auth's DeleteMe purging tasks and
// conversations; chat's tools calling tasks). Never call it from the loop
// it runs on: the call would wait for itself.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/channel.h"

namespace todo::common::rpc {

class BlockingClient {
 public:
  // Calls go to `target` ("host:port", or gRPC's "ipv4:..." list) from
  // `loop`, which must run for as long as the client is used and outlive it.
  BlockingClient(boost::asio::io_context& loop, std::string target, ChannelOptions options = {});
  // Closes the channel (calls in flight end UNAVAILABLE) and waits for it.
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // One unary call: the reply's one message, or its status (code and
  // message as the server sent them).
  absl::StatusOr<std::string> Call(absl::string_view method_path, std::string request,
                                   Metadata metadata, absl::Duration timeout);

  template <typename Response, typename Request>
  absl::StatusOr<Response> Call(absl::string_view method_path, const Request& request,
                                Metadata metadata, absl::Duration timeout) {
    absl::StatusOr<std::string> bytes =
        Call(method_path, request.SerializeAsString(), std::move(metadata), timeout);
    if (!bytes.ok()) return bytes.status();
    Response response;
    if (!response.ParseFromString(*bytes)) {
      return absl::InternalError("the response message does not parse");
    }
    return response;
  }

  const std::string& target() const { return target_; }

 private:
  boost::asio::io_context& loop_;
  const std::string target_;
  std::unique_ptr<Channel> channel_;  // created, used and closed on loop_
};

}  // namespace todo::common::rpc
