#include "common/time/clock.h"

#include "absl/time/clock.h"

namespace todo::common::time {

Clock& Clock::Real() {
  static SystemClock* const clock = new SystemClock();
  return *clock;
}

absl::Time SystemClock::Now() const { return absl::Now(); }

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mutex_);
  return now_;
}

void FakeClock::Set(absl::Time now) {
  absl::MutexLock lock(&mutex_);
  now_ = now;
}

void FakeClock::Advance(absl::Duration delta) {
  absl::MutexLock lock(&mutex_);
  now_ += delta;
}

}  // namespace todo::common::time
