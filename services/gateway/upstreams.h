#pragma once

// The gateway's upstreams: one common/rpc Channel per upstream address and
// worker (one io_context), found by the gRPC service they serve.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/rpc/channel.h"

namespace todo::gateway {

using common::rpc::Channel;
using common::rpc::ChannelOptions;
using common::rpc::ClientCall;
using common::rpc::ClientCallbacks;
using common::rpc::ClientReply;

// The upstream of each gRPC service, for one worker (one io_context).
class Upstreams {
 public:
  // service full name -> "host:port".
  Upstreams(boost::asio::io_context& io, const std::map<std::string, std::string>& addresses,
            ChannelOptions options = {});
  // Fails the calls in flight and closes every connection.
  void Close();
  // nullptr when no upstream serves `service`.
  Channel* For(absl::string_view service);
  std::vector<std::string> services() const;

 private:
  // Services served at the same address share one upstream.
  std::vector<std::unique_ptr<Channel>> upstreams_;
  absl::flat_hash_map<std::string, Channel*> by_service_;
};

}  // namespace todo::gateway
