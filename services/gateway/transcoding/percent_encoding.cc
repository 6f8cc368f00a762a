#include "services/gateway/transcoding/percent_encoding.h"

namespace todo::gateway::transcoding {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsReserved(char c) {
  return absl::string_view("!#$&'()*+,/:;=?@[]").find(c) != absl::string_view::npos;
}

template <typename Keep>
std::string Decode(absl::string_view text, Keep keep_encoded, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        const char decoded = static_cast<char>(high * 16 + low);
        if (keep_encoded(decoded)) {
          out.append(text.substr(i, 3).data(), 3);
        } else {
          out.push_back(decoded);
        }
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace

std::string UnescapeAll(absl::string_view text) {
  return Decode(
      text, [](char) { return false; }, false);
}

std::string Unescape(absl::string_view text, UnescapeSpec spec) {
  switch (spec) {
    case UnescapeSpec::kAllCharactersExceptReserved:
      return Decode(text, IsReserved, false);
    case UnescapeSpec::kAllCharactersExceptSlash:
      return Decode(
          text, [](char c) { return c == '/'; }, false);
    case UnescapeSpec::kAllCharacters:
      break;
  }
  return UnescapeAll(text);
}

std::string UnescapeQueryValue(absl::string_view text, bool plus_as_space) {
  return Decode(
      text, [](char) { return false; }, plus_as_space);
}

}  // namespace todo::gateway::transcoding
