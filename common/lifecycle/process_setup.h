#pragma once

// What every binary's main does first, before any thread exists.

namespace todo::common::lifecycle {

// Blocks SIGTERM/SIGINT in this thread (so every thread inherits the mask and
// TerminationSignal::Wait receives them) and, in optimised builds, turns off
// Abseil's mutex deadlock detection: Debian's Abseil is built with it on, and
// gRPC takes an absl::Mutex several times per call, so its cycle bookkeeping
// costs every RPC CPU time. Sanitizer/debug builds keep it.
void PrepareServerProcess();

}  // namespace todo::common::lifecycle
