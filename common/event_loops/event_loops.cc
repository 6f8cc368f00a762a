#include "common/event_loops/event_loops.h"

#include <boost/asio/post.hpp>

#include "common/config/cpus.h"

namespace todo::common::event_loops {

namespace {
thread_local int current_loop = -1;
}  // namespace

EventLoops::EventLoops(int count) {
  const int loops = count > 0 ? count : config::UsableCpus();
  for (int i = 0; i < loops; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->keep_running.emplace(loop->io.get_executor());
    Loop& running = *loop;
    loop->thread = std::thread([&running, i] {
      current_loop = i;
      running.io.run();
    });
    loops_.push_back(std::move(loop));
  }
}

EventLoops::~EventLoops() { Stop(); }

int EventLoops::Current() { return current_loop; }

void EventLoops::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Posted, so whatever was handed to a loop before runs first. Users
  // closed their sockets and timers by now; anything still outstanding is
  // dropped with the io_context.
  for (auto& loop : loops_) {
    boost::asio::post(loop->io, [&loop = *loop] {
      loop.keep_running.reset();
      loop.io.stop();
    });
  }
  for (auto& loop : loops_) loop->thread.join();
}

}  // namespace todo::common::event_loops
