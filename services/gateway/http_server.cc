#include "services/gateway/http_server.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "absl/time/clock.h"
#include "common/config/cpus.h"
#include "common/event_loops/each_connection.h"
#include "common/tracing/trace_context.h"
#include "services/gateway/http_server_internal.h"

namespace todo::gateway {
namespace http_internal {

void FlushAccessLog(Worker& worker) {
  common::logging::WriteLines(worker.access_log);
  worker.access_log.clear();
}

void LogExchange(Worker& worker, std::initializer_list<common::logging::Field> fields) {
  worker.access_log +=
      common::logging::FormatLine(common::logging::Level::kInfo, "http_request", fields);
  if (worker.access_log.size() >= kAccessLogFlushBytes) FlushAccessLog(worker);
}

std::string PeerAddress(const tcp::socket& socket) {
  boost::system::error_code error;
  asio::ip::address address = socket.remote_endpoint(error).address();
  if (error) return "";
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

HttpResponse TooLarge() {
  return TextResponse(413,
                      "Request rejected because the transcoder's internal buffer size exceeds the "
                      "configured limit.");
}

ExchangeTags TagsOf(const HttpResponse& response) {
  ExchangeTags tags;
  if (!AccessLogOn()) return tags;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-request-id") tags.request_id = value;
    if (name == "traceresponse") tags.trace_id = common::tracing::TraceIdOf(value);
  }
  return tags;
}

namespace {

void ArmSweep(Worker& worker) {
  worker.sweep.expires_after(absl::ToChronoNanoseconds(kSweepInterval));
  worker.sweep.async_wait([&worker](const boost::system::error_code& error) {
    if (error) return;
    const absl::Time now = absl::Now();
    common::event_loops::ForEachConnection(
        worker.connections, [&](ClientConnection& connection) { connection.Sweep(now); });
    FlushAccessLog(worker);
    ArmSweep(worker);
  });
}

void OnAccepted(HttpServer::State& server, Worker& worker, tcp::socket socket) {
  if (worker.stopping) return;
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  StartHttp1(server, worker, std::move(socket));
}

}  // namespace
}  // namespace http_internal

using http_internal::ArmSweep;
using http_internal::ClientConnection;
using http_internal::FlushAccessLog;
using http_internal::OnAccepted;
using http_internal::Worker;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              const HandlerFactory& make_handler) {
  auto state = std::make_unique<State>();
  state->options = options;
  const int workers = options.workers > 0 ? options.workers : common::config::UsableCpus();
  for (int i = 0; i < workers; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->handler = make_handler(worker->io);
    state->workers.push_back(std::move(worker));
  }
  std::vector<asio::io_context*> contexts;
  for (auto& worker : state->workers) contexts.push_back(&worker->io);
  State& server = *state;
  // Shutdown joins the workers, so no handler outlives `server`.
  absl::StatusOr<std::unique_ptr<common::event_loops::Listener>> listener =
      common::event_loops::Listener::Open(options.listen_address, options.port, std::move(contexts),
                                          [&server](int loop, tcp::socket socket) {
                                            OnAccepted(server, *server.workers[loop],
                                                       std::move(socket));
                                          });
  if (!listener.ok()) return listener.status();
  state->listener = *std::move(listener);
  for (auto& worker : state->workers) {
    Worker& w = *worker;
    w.keep_running.emplace(w.io.get_executor());
    ArmSweep(w);
    w.thread = std::thread([&w] { w.io.run(); });
  }
  common::logging::Info("http_server_started",
                        {{"port", state->listener->port()}, {"workers", workers}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return state_->listener->port(); }

void HttpServer::Shutdown() {
  State& server = *state_;
  if (server.shut_down) return;
  server.shut_down = true;
  server.stopping.store(true);
  server.listener->Close();
  // Idle connections close now, streams end; requests in progress finish
  // (their responses say connection: close) until the grace period is over.
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      w.stopping = true;
      common::event_loops::ForEachConnection(
          w.connections, [](ClientConnection& connection) { connection.Stop(/*force=*/false); });
    });
  }
  server.open_connections.Drained(absl::Now() + server.options.shutdown_grace);
  for (auto& worker : server.workers) {
    Worker& w = *worker;
    asio::post(w.io, [&w] {
      common::event_loops::ForEachConnection(
          w.connections, [](ClientConnection& connection) { connection.Stop(/*force=*/true); });
      if (w.handler.stop) w.handler.stop();
      FlushAccessLog(w);
      w.sweep.cancel();
      w.keep_running.reset();
      w.io.stop();
    });
  }
  for (auto& worker : server.workers) worker->thread.join();
  common::logging::Info("http_server_stopped");
}

}  // namespace todo::gateway
