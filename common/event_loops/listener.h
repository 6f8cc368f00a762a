#pragma once

// A listening TCP socket whose connections are dealt out to event loops in
// turn, Envoy's model: accepted on the first loop, each handed to the next
// loop, which owns it from then on.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace todo::common::event_loops {

class Listener {
 public:
  // Runs on the thread of loop `loop`, which the socket belongs to.
  using OnAccepted = std::function<void(int loop, boost::asio::ip::tcp::socket socket)>;

  // Binds `address`:`port` (0: a free port) and accepts on `loops`, which
  // must outlive the listener's handlers (they run on them).
  // INVALID_ARGUMENT for a bad address, FAILED_PRECONDITION when it cannot
  // be bound.
  static absl::StatusOr<std::unique_ptr<Listener>> Open(const std::string& address, int port,
                                                        std::vector<boost::asio::io_context*> loops,
                                                        OnAccepted on_accepted);
  // Close().
  ~Listener();

  int port() const;
  // Stops accepting. A connection accepted just before may still reach
  // `on_accepted`, which must tell by itself that the server is stopping.
  void Close();

  struct State;

 private:
  explicit Listener(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace todo::common::event_loops
