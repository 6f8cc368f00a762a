#include "common/lifecycle/process_setup.h"

#include "absl/synchronization/mutex.h"
#include "common/lifecycle/termination_signal.h"

namespace todo::common::lifecycle {

void PrepareServerProcess() {
  TerminationSignal::BlockInThisThread();
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace todo::common::lifecycle
