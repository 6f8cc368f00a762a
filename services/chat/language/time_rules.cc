// The time-of-day rules of the phrase parser (phrase_parser.h).

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language::internal {
namespace {

constexpr int kNoon = 12 * 60;

}  // namespace

std::optional<int> Parser::NamedTimeAt(size_t i, size_t* end) const {
  // "mid-morning", "mid morning", "midmorning".
  size_t at = i;
  bool mid = false;
  if (WordAt(at, "mid")) {
    mid = true;
    at += MarkAt(at + 1, '-') ? 2 : 1;
  }
  const Token* token = At(at);
  if (token == nullptr || token->kind != Token::Kind::kWord) return std::nullopt;
  std::string word = token->text;
  if (!mid && word.rfind("mid", 0) == 0 && word.size() > 3) word = word.substr(3), mid = true;
  *end = at + 1;
  if (word == "noon" || word == "noonish" || word == "lunchtime" || (mid && word == "day") ||
      word == "midday") {
    return kNoon;
  }
  if (word == "midnight" || (mid && word == "night")) return 24 * 60 - 1;  // the day's end
  if (mid && word == "morning") return 10 * 60;
  if (mid && word == "afternoon") return 14 * 60;
  return std::nullopt;
}

std::optional<Parser::Clock> Parser::ClockAt(size_t i) const {
  Clock clock;
  size_t at = i;
  if (const Token* number = At(at); number != nullptr && number->IsNumber()) {
    if (number->ordinal || number->digits > 4) return std::nullopt;
    if (number->digits >= 3) {  // "340pm", "1140 a.m.": needs am/pm
      clock.hour = static_cast<int>(number->value / 100);
      clock.minute = static_cast<int>(number->value % 100);
      clock.packed = true;
    } else {
      clock.hour = static_cast<int>(number->value);
    }
    ++at;
    // 7:56, 7:56:30, 8.10 (with am/pm), 7h01.
    const bool separator = MarkAt(at, ':') || MarkAt(at, '.') || WordAt(at, "h");
    if (!clock.packed && separator && At(at + 1) != nullptr && At(at + 1)->IsNumber() &&
        At(at + 1)->digits == 2 && At(at + 1)->value < 60) {
      clock.dotted = MarkAt(at, '.');
      clock.colon = !clock.dotted;
      clock.minute = static_cast<int>(At(at + 1)->value);
      at += 2;
      if (MarkAt(at, ':') && At(at + 1) != nullptr && At(at + 1)->IsNumber() &&
          At(at + 1)->digits == 2) {
        at += 2;  // seconds: not kept
      }
    }
  } else if (std::optional<WordNumber> hour = WordNumberAt(tokens_, at);
             hour.has_value() && !hour->ordinal && hour->value <= 23) {
    clock.hour = hour->value;
    at = hour->next;
    // "eight forty", "ten fifty five", "eleven oh five"
    size_t minute_at = at;
    if (WordAt(minute_at, "oh")) ++minute_at;
    if (std::optional<WordNumber> minute = WordNumberAt(tokens_, minute_at);
        minute.has_value() && !minute->ordinal && minute->value < 60 &&
        (minute->value >= 10 || minute_at != at)) {
      clock.minute = minute->value;
      clock.worded_minutes = true;
      at = minute->next;
    }
  } else {
    return std::nullopt;
  }
  clock.end = at;
  return clock;
}

// 5pm, 5:30 pm, 17:00, at 5, five o'clock, eight forty, half past eight,
// ten to six, noon, midnight, this evening, in the afternoon at 7.
std::optional<Piece> Parser::TimeAt(size_t i) const {
  size_t named_end = 0;
  if (std::optional<int> named = NamedTimeAt(i, &named_end)) return Piece{named_end, {}, *named};

  // A part of the day first: "this evening", "in the afternoon at 7".
  size_t at = i;
  int part_meridiem = 0;
  if (WordAt(at, "this") || (WordAt(at, "in") && WordAt(at + 1, "the")) ||
      PartOfDay(at).has_value()) {
    size_t part_at = at + (WordAt(at, "this") ? 1 : WordAt(at, "in") ? 2 : 0);
    std::optional<int> part = PartOfDay(part_at);
    if (!part.has_value()) return std::nullopt;
    size_t clock_at = part_at + 1;
    if (WordAt(clock_at, "at")) ++clock_at;
    std::optional<Piece> clock =
        ClockAt(clock_at).has_value() ? TimeAfterPart(clock_at) : std::nullopt;
    if (!clock.has_value()) {
      // A bare part of the day counts only with "this" or "in the".
      if (part_at == at) return std::nullopt;
      return Piece{part_at + 1, {}, *part};
    }
    part_meridiem = *part >= kNoon ? 2 : 1;
    Piece piece = *clock;
    const int hour = *piece.minutes / 60;
    if (part_meridiem == 2 && hour < 12) piece.minutes = *piece.minutes + 12 * 60;
    return piece;
  }

  // "half past eight", "a quarter to 8", "20 min past eight", "ten past 9".
  int offset = 0;
  bool has_offset = false;
  if (WordAt(at, "a")) ++at;
  if (WordAt(at, "half")) {
    offset = 30, has_offset = true, ++at;
  } else if (WordAt(at, "quarter")) {
    offset = 15, has_offset = true, ++at;
  } else if (WordAt(at, "three") && WordAt(at + 1, "quarters")) {
    offset = 45, has_offset = true, at += 2;
  } else if (std::optional<Clock> count = ClockAt(at);
             count.has_value() && !count->colon && !count->worded_minutes &&
             (WordAt(count->end, "past") || WordAt(count->end, "to") ||
              ((WordAt(count->end, "min") || WordAt(count->end, "mins") ||
                WordAt(count->end, "minute") || WordAt(count->end, "minutes")) &&
               (WordAt(count->end + 1, "past") || WordAt(count->end + 1, "to"))))) {
    offset = count->hour, has_offset = true;
    at = count->end;
    if (!WordAt(at, "past") && !WordAt(at, "to")) ++at;
  }
  if (has_offset) {
    if (!WordAt(at, "past") && !WordAt(at, "to") && !WordAt(at, "after")) return std::nullopt;
    const int sign = WordAt(at, "to") ? -1 : 1;
    std::optional<Piece> base = TimeAfterPart(at + 1, /*bare_hour=*/true);
    if (!base.has_value()) return std::nullopt;
    base->minutes = (*base->minutes + sign * offset + 24 * 60) % (24 * 60);
    return base;
  }
  return TimeAfterPart(i);
}

// A clock time and what says its half of the day. `bare_hour` accepts a
// lone hour ("past eight").
std::optional<Piece> Parser::TimeAfterPart(size_t i, bool bare_hour) const {
  std::optional<Clock> clock = ClockAt(i);
  if (!clock.has_value()) return std::nullopt;
  size_t at = clock->end;
  const bool after_at =
      i > 0 && (tokens_[i - 1].Is("at") || tokens_[i - 1].IsMark('@') || tokens_[i - 1].Is("by") ||
                tokens_[i - 1].Is("for") || tokens_[i - 1].Is("around"));
  int meridiem = 0;  // 1 am, 2 pm
  bool marked = false;
  if (WordAt(at, "am") || WordAt(at, "pm")) {
    meridiem = WordAt(at, "am") ? 1 : 2;
    ++at;
  } else if ((WordAt(at, "a") || WordAt(at, "p")) &&
             (WordAt(at + 1, "m") || (MarkAt(at + 1, '.') && WordAt(at + 2, "m")))) {
    meridiem = WordAt(at, "a") ? 1 : 2;
    at += WordAt(at + 1, "m") ? 2 : 3;
    if (MarkAt(at, '.')) ++at;
  } else if (WordAt(at, "o'clock") || WordAt(at, "oclock") || WordAt(at, "ish")) {
    marked = true, ++at;
  } else if (MarkAt(at, '-') && WordAt(at + 1, "ish")) {
    marked = true, at += 2;
  }
  if (WordAt(at, "in") && WordAt(at + 1, "the") && PartOfDay(at + 2).has_value()) {
    meridiem = *PartOfDay(at + 2) >= kNoon ? 2 : 1;
    at += 3;
  } else if (WordAt(at, "afternoon") || WordAt(at, "evening") || WordAt(at, "morning")) {
    meridiem = WordAt(at, "morning") ? 1 : 2;
    ++at;
  } else if (WordAt(at, "tonight")) {
    meridiem = 2;  // the date comes from "tonight" itself
  }
  const bool written = clock->colon || meridiem != 0 || marked || clock->worded_minutes;
  if (!written && !after_at && !bare_hour) return std::nullopt;
  if ((clock->packed || clock->dotted) && meridiem == 0) return std::nullopt;
  if (!written) {
    // "at 12.5%", "at 3/4 speed": a quantity after the preposition.
    const Token* next = At(at);
    const bool decimal =
        next != nullptr && next->IsMark('.') && At(at + 1) != nullptr && At(at + 1)->IsNumber();
    if (next != nullptr && (decimal || next->IsMark('%') || next->IsMark('/') ||
                            next->IsMark('-') || IsQuantityWord(*next))) {
      return std::nullopt;
    }
  }
  // Letters written onto the number that are not am/pm ("7p", "7ampm").
  if (const Token* glued = At(clock->end); glued != nullptr && glued->kind == Token::Kind::kWord &&
                                           glued->begin == tokens_[clock->end - 1].end &&
                                           meridiem == 0 && !marked) {
    return std::nullopt;
  }
  if (const Token* glued = At(at); glued != nullptr && glued->kind == Token::Kind::kWord &&
                                   at > 0 && glued->begin == tokens_[at - 1].end) {
    return std::nullopt;  // "7ampm"
  }
  int hour = clock->hour;
  if (hour > 23 || clock->minute > 59) return std::nullopt;
  if (meridiem != 0 && hour >= 1 && hour <= 12) {
    hour = hour % 12 + (meridiem == 2 ? 12 : 0);
  } else if (meridiem == 0 && !clock->colon && hour >= 1 && hour <= 6 && !bare_hour) {
    hour += 12;  // "at 5": the afternoon
  } else if (meridiem == 1 && hour > 12) {
    return std::nullopt;
  }
  return Piece{at, {}, hour * 60 + clock->minute};
}

}  // namespace todo::chat::language::internal
