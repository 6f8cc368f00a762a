#pragma once

// Who a request comes from, for per-client limits and for the services
// (sent on as x-forwarded-for): the socket's peer, or, when that peer is a
// configured trusted proxy, the nearest address in X-Forwarded-For that is
// not one (Envoy's use_remote_address with trusted hops). A client can never
// choose its own address by sending the header itself.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "boost/asio/ip/address.hpp"

namespace todo::gateway {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // A comma-separated list of addresses and CIDR ranges ("10.0.0.0/8,
  // ::1"); INVALID_ARGUMENT naming the entry that does not parse.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  bool Contains(absl::string_view address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    boost::asio::ip::address base;
    int prefix_bits;
  };
  std::vector<Range> ranges_;
};

// `peer` is the socket's address; `forwarded_for` the X-Forwarded-For header
// (nullptr when absent).
std::string ClientAddress(absl::string_view peer, const std::string* forwarded_for,
                          const TrustedProxies& trusted);

}  // namespace todo::gateway
