#include "services/chat/language/tokens.h"

#include "absl/strings/ascii.h"

namespace todo::chat::language {
namespace {

bool IsWordByte(unsigned char c) { return absl::ascii_isalpha(c) || c >= 0x80 || c == '\''; }

bool IsOrdinalSuffix(absl::string_view word) {
  return word == "st" || word == "nd" || word == "rd" || word == "th";
}

}  // namespace

std::vector<Token> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (absl::ascii_isspace(c)) {
      ++i;
      continue;
    }
    Token token;
    token.begin = i;
    if (absl::ascii_isdigit(c)) {
      token.kind = Token::Kind::kNumber;
      while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
      token.text = std::string(text.substr(token.begin, i - token.begin));
      token.digits = token.text.size();
      if (token.digits <= 9) {
        for (char digit : token.text) token.value = token.value * 10 + (digit - '0');
      } else {
        token.value = -1;  // too long to be a date or a time
      }
      // "12th": the suffix belongs to the number.
      if (i + 2 <= text.size()) {
        const std::string suffix = absl::AsciiStrToLower(text.substr(i, 2));
        const bool ends =
            i + 2 == text.size() || !absl::ascii_isalpha(static_cast<unsigned char>(text[i + 2]));
        if (IsOrdinalSuffix(suffix) && ends) {
          token.ordinal = true;
          i += 2;
        }
      }
    } else if (IsWordByte(c)) {
      token.kind = Token::Kind::kWord;
      while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
      token.text = absl::AsciiStrToLower(text.substr(token.begin, i - token.begin));
    } else {
      token.kind = Token::Kind::kMark;
      token.text = std::string(1, static_cast<char>(c));
      ++i;
    }
    token.end = i;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace todo::chat::language
