#include "common/event_loops/listener.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace todo::common::event_loops {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Shared with the accept handlers, which may run after Close returned.
struct Listener::State {
  std::vector<asio::io_context*> loops;
  OnAccepted on_accepted;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry;
  size_t next_loop = 0;
  int port = 0;
  std::atomic<bool> closed{false};
};

namespace {

void Accept(const std::shared_ptr<Listener::State>& state) {
  const int target = static_cast<int>(state->next_loop++ % state->loops.size());
  asio::io_context& loop = *state->loops[target];
  state->acceptor->async_accept(
      loop, [state, target, &loop](const boost::system::error_code& error, tcp::socket socket) {
        if (state->closed.load() || error == asio::error::operation_aborted) return;
        if (error) {
          // Out of descriptors, say: try again shortly rather than spin.
          logging::Warning("accept_failed", {{"error", error.message()}});
          state->retry->expires_after(std::chrono::milliseconds(100));
          state->retry->async_wait([state](const boost::system::error_code& retry) {
            if (!retry && !state->closed.load()) Accept(state);
          });
          return;
        }
        asio::post(loop, [state, target, socket = std::move(socket)]() mutable {
          state->on_accepted(target, std::move(socket));
        });
        Accept(state);
      });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(const std::string& address, int port,
                                                         std::vector<asio::io_context*> loops,
                                                         OnAccepted on_accepted) {
  auto state = std::make_shared<State>();
  state->loops = std::move(loops);
  state->on_accepted = std::move(on_accepted);
  asio::io_context& first = *state->loops.front();
  state->acceptor.emplace(first);
  state->retry.emplace(first);
  boost::system::error_code error;
  const auto ip = asio::ip::make_address(address, error);
  if (error) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", address));
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  tcp::acceptor& acceptor = *state->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", address, ":", port, ": ", error.message()));
  }
  state->port = acceptor.local_endpoint().port();
  Accept(state);
  return std::unique_ptr<Listener>(new Listener(std::move(state)));
}

Listener::Listener(std::shared_ptr<State> state) : state_(std::move(state)) {}

Listener::~Listener() { Close(); }

int Listener::port() const { return state_->port; }

void Listener::Close() {
  if (state_->closed.exchange(true)) return;
  // The acceptor belongs to the first loop: closed there, and dropped, so
  // that handlers still queued on other loops hold nothing of the first.
  asio::post(*state_->loops.front(), [state = state_] {
    boost::system::error_code ignored;
    state->acceptor->close(ignored);
    state->retry->cancel();
    state->acceptor.reset();
    state->retry.reset();
  });
}

}  // namespace todo::common::event_loops
