#include "common/rpc/server.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "common/event_loops/connection_count.h"
#include "common/event_loops/each_connection.h"
#include "common/event_loops/listener.h"
#include "common/logging/log.h"
#include "common/rpc/compression.h"
#include "common/rpc/server_connection.h"
#include "common/rpc/session_io.h"
#include "common/rpc/status.h"
#include "common/rpc/wire.h"

namespace todo::common::rpc {

using server_internal::ArmSweep;
using server_internal::Connection;
using server_internal::Worker;

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, MethodTable methods,
                                                      event_loops::EventLoops* loops) {
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  state->methods = std::move(methods);
  const ServerOptions& opts = state->options;
  const int workers = loops->size();
  for (int i = 0; i < workers; ++i) {
    state->workers.push_back(std::make_unique<Worker>(loops->loop(i)));
  }
  std::vector<asio::io_context*> contexts;
  for (auto& worker : state->workers) contexts.push_back(&worker->io);
  // Weak: the listener belongs to the state. Connections hold the state
  // (shared), so their handlers find it even after Shutdown returned.
  std::weak_ptr<State> weak = state;
  absl::StatusOr<std::unique_ptr<event_loops::Listener>> listener = event_loops::Listener::Open(
      opts.listen_address, opts.port, std::move(contexts), [weak](int loop, tcp::socket socket) {
        std::shared_ptr<State> server = weak.lock();
        if (server == nullptr) return;
        Worker& target = *server->workers[loop];
        if (target.stopping) return;
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        socket.non_blocking(true, ignored);
        server->open_connections.Add();
        std::make_shared<Connection>(server, target, std::move(socket))->Start();
      });
  if (!listener.ok()) return listener.status();
  state->listener = *std::move(listener);
  for (auto& worker : state->workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] { ArmSweep(w); });
  }
  common::logging::Info("grpc_server_started",
                        {{"port", state->listener->port()}, {"workers", workers}});
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::shared_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return state_->listener->port(); }

std::string Server::local_target() const {
  const std::string& address = state_->options.listen_address;
  const int port = state_->listener->port();
  const bool any = address == "0.0.0.0" || address == "::";
  return any ? absl::StrCat("127.0.0.1:", port)
             : (address.find(':') != std::string::npos ? absl::StrCat("[", address, "]:", port)
                                                       : absl::StrCat(address, ":", port));
}

void Server::Shutdown() {
  State& server = *state_;
  if (server.shut_down) return;
  server.shut_down = true;
  common::logging::Info("grpc_server_stopping",
                        {{"grace_ms", absl::ToInt64Milliseconds(server.options.shutdown_grace)}});
  server.stopping.store(true);
  server.listener->Close();
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      w.stopping = true;
      event_loops::ForEachConnection(
          w.connections, [](Connection& connection) { connection.Stop(/*force=*/false); });
    });
  }
  server.open_connections.Drained(absl::Now() + server.options.shutdown_grace);
  absl::BlockingCounter closed(static_cast<int>(server.workers.size()));
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w, &closed] {
      event_loops::ForEachConnection(
          w.connections, [](Connection& connection) { connection.Stop(/*force=*/true); });
      w.sweep.cancel();
      closed.DecrementCount();
    });
  }
  closed.Wait();
  common::logging::Info("grpc_server_stopped");
}

}  // namespace todo::common::rpc
