#pragma once

// SIGTERM / SIGINT handling without async-signal-unsafe handlers: main blocks
// both signals before any thread starts (threads inherit the mask), then
// waits for them synchronously with sigwait.

#include "absl/time/time.h"

namespace todo::common::lifecycle {

class TerminationSignal {
 public:
  // Call first thing in main, before any thread is created.
  static void BlockInThisThread();
  // Blocks until SIGTERM or SIGINT arrives; returns the signal number.
  static int Wait();
  // True if SIGTERM or SIGINT is pending (consumes it); for loops that must
  // give up early, such as waiting for the database at start.
  static bool Pending();
};

}  // namespace todo::common::lifecycle
