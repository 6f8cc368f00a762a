#include "services/gateway/upstreams.h"

#include <algorithm>

namespace todo::gateway {

Upstreams::Upstreams(boost::asio::io_context& io,
                     const std::map<std::string, std::string>& addresses, ChannelOptions options) {
  absl::flat_hash_map<std::string, Channel*> by_address;
  for (const auto& [service, address] : addresses) {
    Channel*& upstream = by_address[address];
    if (upstream == nullptr) {
      upstreams_.push_back(std::make_unique<Channel>(io, address, options));
      upstream = upstreams_.back().get();
    }
    by_service_[service] = upstream;
  }
}

void Upstreams::Close() {
  for (auto& upstream : upstreams_) upstream->Close();
}

Channel* Upstreams::For(absl::string_view service) {
  auto found = by_service_.find(service);
  return found == by_service_.end() ? nullptr : found->second;
}

std::vector<std::string> Upstreams::services() const {
  std::vector<std::string> names;
  for (const auto& [service, upstream] : by_service_) names.push_back(service);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace todo::gateway
