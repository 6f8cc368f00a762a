#include "services/chat/language/date_phrases.h"

#include "services/chat/language/phrase_parser.h"

namespace todo::chat::language {
namespace internal {

std::vector<DatePhrase> Parser::Run() {
  std::vector<DatePhrase> phrases;
  size_t i = 0;
  while (i < tokens_.size()) {
    std::optional<Piece> date = DateAt(i);
    std::optional<Piece> time = date.has_value() ? std::nullopt : TimeAt(i);
    if (!date.has_value() && !time.has_value()) {
      ++i;
      continue;
    }
    Piece piece = date.has_value() ? *date : *time;
    // The other half right after: "tomorrow at 5pm", "5pm on Friday".
    size_t next = SkipJoiners(piece.end);
    if (date.has_value() && !piece.minutes.has_value()) {
      // "tomorrow morning", "christmas early morning at 9:00"
      size_t part_at = piece.end;
      if (WordAt(part_at, "early") || WordAt(part_at, "late")) ++part_at;
      std::optional<int> part = PartOfDay(part_at);
      if (part.has_value()) next = SkipJoiners(part_at + 1);
      if (std::optional<Piece> later = TimeAt(next)) {
        piece.minutes = later->minutes;
        piece.end = later->end;
      } else if (part.has_value()) {
        piece.minutes = *part;
        piece.end = part_at + 1;
      }
    } else if (time.has_value() && !piece.day.has_value()) {
      if (std::optional<Piece> later = DateAt(next); later.has_value() && !later->minutes) {
        piece.day = later->day;
        piece.past = later->past;
        piece.end = later->end;
      }
    }
    phrases.push_back(Resolve(Extend(i), piece));
    i = piece.end;
  }
  return phrases;
}

DatePhrase Parser::Resolve(size_t first, const Piece& piece) const {
  DatePhrase phrase;
  phrase.begin = tokens_[first].begin;
  phrase.end = tokens_[piece.end - 1].end;
  phrase.past = piece.past;
  if (piece.day.has_value()) {
    phrase.day = *piece.day;
    if (piece.minutes.has_value()) {
      phrase.time = absl::CivilMinute(phrase.day) + *piece.minutes;
    }
    return phrase;
  }
  // A time alone: today's if still ahead, else tomorrow's.
  absl::CivilMinute at = absl::CivilMinute(today_) + *piece.minutes;
  if (at <= absl::CivilMinute(now_)) at += 24 * 60;
  phrase.day = absl::CivilDay(at);
  phrase.time = at;
  phrase.time_only = true;
  return phrase;
}

}  // namespace internal

std::vector<DatePhrase> FindDatePhrases(absl::string_view text, absl::CivilSecond now,
                                        const DateOptions& options) {
  return internal::Parser(text, now, options).Run();
}

}  // namespace todo::chat::language
