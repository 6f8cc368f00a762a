#pragma once

// The bits of gRPC's HTTP/2 wire format that both ends write and read: the
// 5-byte message prefix, grpc-message's percent-encoding, and nghttp2
// header fields over views. Shared by the gateway's upstream and HTTP/2
// listener and by common/rpc's server.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace todo::common::rpc {

// `message` behind its prefix: the compressed flag, 4-byte big-endian length.
std::string FrameMessage(absl::string_view message, bool compressed = false);

struct MessagePrefix {
  uint8_t flags = 0;  // bit 0: compressed; the rest reserved
  uint32_t length = 0;
};
// The prefix at the start of `bytes`; nullopt until 5 bytes are there.
std::optional<MessagePrefix> ReadMessagePrefix(absl::string_view bytes);
inline constexpr size_t kMessagePrefixBytes = 5;

// grpc-message as it travels: bytes outside printable ASCII, and '%', as
// %XX (gRPC over HTTP/2 spec).
std::string PercentEncodeMessage(absl::string_view message);
// The reverse; a '%' not followed by two hex digits stays as it is.
std::string PercentDecodeMessage(absl::string_view encoded);

// Metadata values on the wire: a "-bin" key's bytes travel in base64
// (sent padded; read padded or not, as grpc-core does).
bool IsBinaryHeader(absl::string_view key);
std::string EncodeMetadataValue(absl::string_view key, absl::string_view value);
// nullopt when a "-bin" value is not base64.
std::optional<std::string> DecodeMetadataValue(absl::string_view key, absl::string_view value);

// A header field for nghttp2, pointing at `name` and `value` (which must
// outlive the submit call; nghttp2 copies them then).
inline nghttp2_nv HeaderField(absl::string_view name, absl::string_view value,
                              uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                    name.size(), value.size(), flags};
}

}  // namespace todo::common::rpc
