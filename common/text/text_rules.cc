#include "common/text/text_rules.h"

#include <algorithm>

namespace todo::common::text {

size_t CountCharacters(absl::string_view utf8) {
  return std::count_if(utf8.begin(), utf8.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

bool HasControlCharacters(absl::string_view text, LineBreaks line_breaks) {
  return std::any_of(text.begin(), text.end(), [line_breaks](char c) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte == '\t' || byte == '\n' || byte == '\r') {
      return line_breaks == LineBreaks::kRefused;
    }
    return byte < 0x20 || byte == 0x7F;
  });
}

}  // namespace todo::common::text
