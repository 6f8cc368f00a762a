#include "services/gateway/client_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace todo::gateway {
namespace {

namespace ip = boost::asio::ip;

// IPv4-mapped IPv6 addresses compare as the IPv4 address they carry.
bool ParseAddress(absl::string_view text, ip::address& out) {
  boost::system::error_code error;
  out = ip::make_address(std::string(text), error);
  if (error) return false;
  if (out.is_v6() && out.to_v6().is_v4_mapped()) {
    out = ip::make_address_v4(ip::v4_mapped, out.to_v6());
  }
  return true;
}

template <typename Bytes>
bool SamePrefix(const Bytes& a, const Bytes& b, int bits) {
  for (size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies trusted;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t slash = entry.find('/');
    Range range;
    if (!ParseAddress(entry.substr(0, slash), range.base)) {
      return absl::InvalidArgumentError(absl::StrCat("not an address: \"", entry, "\""));
    }
    const int max_bits = range.base.is_v4() ? 32 : 128;
    range.prefix_bits = max_bits;
    if (slash != absl::string_view::npos &&
        (!absl::SimpleAtoi(entry.substr(slash + 1), &range.prefix_bits) || range.prefix_bits < 0 ||
         range.prefix_bits > max_bits)) {
      return absl::InvalidArgumentError(absl::StrCat("bad prefix length: \"", entry, "\""));
    }
    trusted.ranges_.push_back(range);
  }
  return trusted;
}

bool TrustedProxies::Contains(absl::string_view address) const {
  ip::address parsed;
  if (!ParseAddress(address, parsed)) return false;
  for (const Range& range : ranges_) {
    if (range.base.is_v4() && parsed.is_v4() &&
        SamePrefix(range.base.to_v4().to_bytes(), parsed.to_v4().to_bytes(), range.prefix_bits)) {
      return true;
    }
    if (range.base.is_v6() && parsed.is_v6() &&
        SamePrefix(range.base.to_v6().to_bytes(), parsed.to_v6().to_bytes(), range.prefix_bits)) {
      return true;
    }
  }
  return false;
}

std::string ClientAddress(absl::string_view peer, const std::string* forwarded_for,
                          const TrustedProxies& trusted) {
  if (forwarded_for == nullptr || !trusted.Contains(peer)) return std::string(peer);
  // Right to left: each trusted proxy names who it heard from.
  const std::vector<absl::string_view> hops = absl::StrSplit(*forwarded_for, ',');
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    const absl::string_view address = absl::StripAsciiWhitespace(*hop);
    ip::address parsed;
    if (!ParseAddress(address, parsed)) return std::string(peer);  // garbage: trust none of it
    if (!trusted.Contains(address)) return parsed.to_string();
  }
  return std::string(peer);
}

}  // namespace todo::gateway
