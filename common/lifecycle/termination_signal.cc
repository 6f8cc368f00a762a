#include "common/lifecycle/termination_signal.h"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace todo::common::lifecycle {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void TerminationSignal::BlockInThisThread() {
  const sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int TerminationSignal::Wait() {
  const sigset_t set = TerminationSet();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

bool TerminationSignal::Pending() {
  const sigset_t set = TerminationSet();
  const timespec zero{0, 0};
  return sigtimedwait(&set, nullptr, &zero) > 0;
}

}  // namespace todo::common::lifecycle
