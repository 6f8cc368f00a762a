#include "common/lifecycle/termination_signal.h"

#include <pthread.h>
#include <signal.h>

#include "gtest/gtest.h"

namespace todo::common::lifecycle {
namespace {

// The only test in its binary: it changes the signal mask of the process's
// single thread.
TEST(TerminationSignalTest, DeliversSigtermAndSigintSynchronously) {
  TerminationSignal::BlockInThisThread();
  EXPECT_FALSE(TerminationSignal::Pending());

  pthread_kill(pthread_self(), SIGTERM);
  EXPECT_EQ(TerminationSignal::Wait(), SIGTERM);

  pthread_kill(pthread_self(), SIGINT);
  EXPECT_TRUE(TerminationSignal::Pending());
  EXPECT_FALSE(TerminationSignal::Pending());
}

}  // namespace
}  // namespace todo::common::lifecycle
