#include "common/server/process_setup.h"

#include "absl/synchronization/mutex.h"
#include "common/server/termination_signal.h"

namespace todo::common::server {

void PrepareServerProcess() {
  TerminationSignal::BlockInThisThread();
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace todo::common::server
