// The time-of-day rules of the phrase parser (phrase_parser.h).

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language::internal {

// 5pm, 5:30 pm, 17:00, at 5, five o'clock, noon, midnight, this evening.
std::optional<Piece> Parser::TimeAt(size_t i) const {
  if (WordAt(i, "noon") || WordAt(i, "midday")) return Piece{i + 1, {}, 12 * 60};
  if (WordAt(i, "midnight")) return Piece{i + 1, {}, 24 * 60 - 1};
  size_t at = i;
  if (WordAt(at, "this") || (WordAt(at, "in") && WordAt(at + 1, "the"))) {
    at += WordAt(at, "this") ? 1 : 2;
    if (std::optional<int> part = PartOfDay(at)) return Piece{at + 1, {}, *part};
    return std::nullopt;
  }
  const bool after_at =
      i > 0 && (tokens_[i - 1].Is("at") || tokens_[i - 1].IsMark('@') || tokens_[i - 1].Is("by"));
  int hour = 0;
  if (const Token* number = At(at); number != nullptr && number->IsNumber()) {
    if (number->digits > 2 || number->ordinal) return std::nullopt;
    hour = static_cast<int>(number->value);
    ++at;
  } else if (std::optional<WordNumber> word = WordNumberAt(tokens_, at);
             word.has_value() && !word->ordinal && word->value <= 12) {
    hour = word->value;
    at = word->next;
  } else {
    return std::nullopt;
  }
  int minute = 0;
  bool colon = false;
  if (MarkAt(at, ':') && At(at + 1) != nullptr && At(at + 1)->IsNumber() &&
      At(at + 1)->digits == 2 && At(at + 1)->value < 60) {
    minute = static_cast<int>(At(at + 1)->value);
    colon = true;
    at += 2;
  }
  int meridiem = 0;  // 1 am, 2 pm
  if (WordAt(at, "am") || WordAt(at, "pm")) {
    meridiem = WordAt(at, "am") ? 1 : 2;
    ++at;
  } else if ((WordAt(at, "a") || WordAt(at, "p")) && MarkAt(at + 1, '.') && WordAt(at + 2, "m")) {
    meridiem = WordAt(at, "a") ? 1 : 2;
    at += MarkAt(at + 3, '.') ? 4 : 3;
  } else if (WordAt(at, "o'clock") || WordAt(at, "oclock")) {
    ++at;
  } else if (!colon && !after_at) {
    return std::nullopt;
  } else if (!colon) {
    // "by 12.5%", "at 3/4 speed": a quantity after the preposition.
    if (const Token* next = At(at);
        next != nullptr && (next->IsMark('.') || next->IsMark('%') || next->IsMark('/') ||
                            next->IsMark('-') || IsQuantityWord(*next))) {
      return std::nullopt;
    }
  }
  if (WordAt(at, "in") && WordAt(at + 1, "the") &&
      (WordAt(at + 2, "morning") || WordAt(at + 2, "afternoon") || WordAt(at + 2, "evening"))) {
    meridiem = WordAt(at + 2, "morning") ? 1 : 2;
    at += 3;
  } else if (WordAt(at, "tonight")) {
    meridiem = 2;  // the date comes from "tonight" itself
  }
  if (meridiem != 0) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (meridiem == 2 ? 12 : 0);
  } else if (hour > 23) {
    return std::nullopt;
  } else if (!colon && hour >= 1 && hour <= 6) {
    hour += 12;  // "at 5": the afternoon
  }
  return Piece{at, {}, hour * 60 + minute};
}

}  // namespace todo::chat::language::internal
