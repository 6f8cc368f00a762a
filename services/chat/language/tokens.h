#pragma once

// Words, numbers and marks of a message, lower-cased, each with where it
// stands in the original text (so a phrase can be cut out of a title).
// Letters and digits written together are split ("5pm" -> 5, pm; "oct2"
// -> oct, 2; "12th" -> 12 with its ordinal suffix), so that later rules
// see one shape for each way people write.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace todo::chat::language {

struct Token {
  enum class Kind { kWord, kNumber, kMark };
  Kind kind = Kind::kWord;
  // Lower-case for words; digits for numbers; the character for marks.
  std::string text;
  // Byte offsets in the original text: [begin, end).
  size_t begin = 0;
  size_t end = 0;
  // For numbers: the value (up to 9 digits), and an ordinal suffix ("st",
  // "nd", "rd", "th") written onto it.
  long value = 0;
  bool ordinal = false;
  // Digits in a number as written ("05" has 2).
  size_t digits = 0;

  bool Is(absl::string_view word) const { return kind == Kind::kWord && text == word; }
  bool IsMark(char mark) const {
    return kind == Kind::kMark && text.size() == 1 && text[0] == mark;
  }
  bool IsNumber() const { return kind == Kind::kNumber; }
};

// Non-ASCII letters (any script) stay inside words, lower-cased only in
// ASCII; whitespace separates; any other ASCII character is a mark.
std::vector<Token> Tokenize(absl::string_view text);

}  // namespace todo::chat::language
