#include "services/chat/language/local_clock.h"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace todo::chat::language {
namespace {

absl::Time CivilAsUtc(absl::CivilSecond civil) {
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<LocalClock> LocalClock::ForZone(absl::string_view zone, absl::Time now) {
  const std::string name = zone.empty() ? "UTC" : std::string(zone);
  std::unique_ptr<icu::TimeZone> rules(icu::TimeZone::createTimeZone(
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size()))));
  // ICU answers an unknown id with "Etc/Unknown" (GMT), not an error.
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(rules.get());
  icu::UnicodeString id;
  rules->getID(id);
  if (basic == nullptr || id == icu::UnicodeString(UCAL_UNKNOWN_ZONE_ID, -1, US_INV)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone \"", name, "\" is not an IANA time zone (such as Europe/Paris)"));
  }
  rules.release();
  return LocalClock(name, now, std::unique_ptr<icu::BasicTimeZone>(basic));
}

LocalClock::LocalClock(std::string zone, absl::Time now, std::unique_ptr<icu::BasicTimeZone> rules)
    : zone_(std::move(zone)), now_(now), rules_(std::move(rules)) {}
LocalClock::LocalClock(LocalClock&&) noexcept = default;
LocalClock& LocalClock::operator=(LocalClock&&) noexcept = default;
LocalClock::~LocalClock() = default;

absl::Duration LocalClock::OffsetAt(absl::Time instant) const {
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  rules_->getOffset(absl::ToUDate(instant), /*local=*/false, raw, dst, status);
  if (U_FAILURE(status)) return absl::ZeroDuration();
  return absl::Milliseconds(raw + dst);
}

absl::CivilSecond LocalClock::ToLocal(absl::Time instant) const {
  return absl::ToCivilSecond(instant + OffsetAt(instant), absl::UTCTimeZone());
}

absl::Time LocalClock::ToInstant(absl::CivilSecond local) const {
  const absl::Time as_utc = CivilAsUtc(local);
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  // FORMER for both: a skipped time takes the offset before the change
  // (moving it forward), a repeated one its first occurrence.
  rules_->getOffsetFromLocal(absl::ToUDate(as_utc), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw,
                             dst, status);
  if (U_FAILURE(status)) return as_utc;
  return as_utc - absl::Milliseconds(raw + dst);
}

std::string LocalClock::FormatRfc3339(absl::Time instant) const {
  const absl::CivilSecond local = ToLocal(instant);
  const int64_t offset_minutes = absl::ToInt64Minutes(OffsetAt(instant));
  const int64_t magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", local.year(), local.month(),
                         local.day(), local.hour(), local.minute(), local.second(),
                         offset_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

}  // namespace todo::chat::language
