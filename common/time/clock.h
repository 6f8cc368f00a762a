#pragma once

// The time source of everything that depends on "now" (due dates, recurrence,
// reminders, token expiry), so tests can move time by hand.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace todo::common::time {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process-wide real clock.
  static Clock& Real();
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'767'225'600));  // 2026-01-01
  absl::Time Now() const override;
  void Set(absl::Time now);
  void Advance(absl::Duration delta);

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace todo::common::time
