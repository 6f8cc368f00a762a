#pragma once

// The user's wall clock: an IANA time zone and the conversions between
// instants and the user's local civil time, with ICU's own time-zone data
// (so a runtime image needs no tzdata package, and every replica agrees on
// the rules it was built with).
//
// A local time that does not exist (the hour skipped when clocks go
// forward) is read with the offset before the change, i.e. moved forward
// ("02:30" on that night is 03:30); one that exists twice (clocks go back)
// is its first occurrence.

#include <unicode/basictz.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace todo::chat::language {

class LocalClock {
 public:
  // `zone` is an IANA name ("Asia/Karachi"); empty means UTC.
  // INVALID_ARGUMENT naming the zone when ICU does not know it.
  static absl::StatusOr<LocalClock> ForZone(absl::string_view zone, absl::Time now);

  LocalClock(LocalClock&&) noexcept;
  LocalClock& operator=(LocalClock&&) noexcept;
  ~LocalClock();

  const std::string& zone() const { return zone_; }
  absl::Time now() const { return now_; }
  // The user's local date and time now.
  absl::CivilSecond LocalNow() const { return ToLocal(now_); }

  absl::CivilSecond ToLocal(absl::Time instant) const;
  absl::Time ToInstant(absl::CivilSecond local) const;
  // The zone's offset from UTC at `instant`.
  absl::Duration OffsetAt(absl::Time instant) const;
  // RFC 3339 with the local offset ("2026-03-12T17:00:00+05:00").
  std::string FormatRfc3339(absl::Time instant) const;

 private:
  LocalClock(std::string zone, absl::Time now, std::unique_ptr<icu::BasicTimeZone> rules);

  std::string zone_;
  absl::Time now_;
  std::unique_ptr<icu::BasicTimeZone> rules_;
};

}  // namespace todo::chat::language
