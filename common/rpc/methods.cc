#include "common/rpc/methods.h"

#include <algorithm>

namespace todo::common::rpc {

StreamThreads::~StreamThreads() {
  std::vector<Running> running;
  {
    absl::MutexLock lock(&mu_);
    running = std::move(running_);
  }
  for (Running& stream : running) stream.thread.join();
}

bool StreamThreads::Start(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  // Threads whose stream ended are joined here rather than detached, so the
  // destructor knows every thread it has to wait for.
  const auto ended = std::partition(running_.begin(), running_.end(), [](const Running& stream) {
    return !stream.finished->load(std::memory_order_acquire);
  });
  for (auto it = ended; it != running_.end(); ++it) it->thread.join();
  running_.erase(ended, running_.end());
  if (static_cast<int>(running_.size()) >= max_streams_) return false;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  running_.push_back({std::thread([work = std::move(work), finished] {
                        work();
                        finished->store(true, std::memory_order_release);
                      }),
                      finished});
  return true;
}

}  // namespace todo::common::rpc
