#pragma once

// A few threads, each running one Asio event loop, shared by everything a
// call touches on its way through a service: the gRPC connections
// (common/rpc) and the database connections (pg/loop_pipeline.h) of a loop
// are served by the same thread, so a call is read, its statement sent, its
// result read and its answer written without waking another thread.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace todo::common::event_loops {

class EventLoops {
 public:
  // `count` loops, 0: one per usable CPU (cgroup quota included). They run
  // from construction on.
  explicit EventLoops(int count);
  // Stop().
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  int size() const { return static_cast<int>(loops_.size()); }
  boost::asio::io_context& loop(int index) { return loops_[index]->io; }

  // The index of the loop this thread runs, or -1 on any other thread.
  static int Current();

  // Lets each loop run what was handed to it so far, then stops the loops
  // and joins their threads. Whatever uses the loops must have closed its
  // sockets and timers first. Idempotent.
  void Stop();

 private:
  struct Loop {
    boost::asio::io_context io{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        keep_running;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
  bool stopped_ = false;
};

}  // namespace todo::common::event_loops
