#include "common/rpc/wire.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace todo::common::rpc {

std::string FrameMessage(absl::string_view message, bool compressed) {
  const size_t length = message.size();
  std::string framed;
  framed.reserve(kMessagePrefixBytes + length);
  framed.push_back(compressed ? '\1' : '\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    framed.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
  framed.append(message.data(), message.size());
  return framed;
}

std::optional<MessagePrefix> ReadMessagePrefix(absl::string_view bytes) {
  if (bytes.size() < kMessagePrefixBytes) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  MessagePrefix prefix;
  prefix.flags = static_cast<uint8_t>(byte(0));
  prefix.length = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
  return prefix;
}

std::string PercentEncodeMessage(absl::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || byte == '%') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentDecodeMessage(absl::string_view encoded) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && hex(encoded[i + 1]) >= 0 &&
        hex(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

bool IsBinaryHeader(absl::string_view key) { return absl::EndsWith(key, "-bin"); }

std::string EncodeMetadataValue(absl::string_view key, absl::string_view value) {
  return IsBinaryHeader(key) ? absl::Base64Escape(value) : std::string(value);
}

std::optional<std::string> DecodeMetadataValue(absl::string_view key, absl::string_view value) {
  if (!IsBinaryHeader(key)) return std::string(value);
  std::string decoded;
  if (!absl::Base64Unescape(value, &decoded)) return std::nullopt;
  return decoded;
}

}  // namespace todo::common::rpc
