#include "tests/harness/loopback_http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace todo::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct LoopbackHttpServer::State {
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  absl::Mutex mutex;
  std::vector<std::thread> connections;
  std::atomic<bool> stopping{false};
};

namespace {

void Serve(tcp::socket socket, const LoopbackHttpServer::Handler& handler,
           std::atomic<int>& request_count) {
  boost::system::error_code error;
  boost::beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::read(socket, buffer, request, error);
  if (error) {
    return;
  }
  ++request_count;
  HttpExchange exchange;
  exchange.method = std::string(request.method_string());
  exchange.target = std::string(request.target());
  exchange.body = request.body();
  for (const auto& field : request) {
    exchange.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const CannedResponse response = handler(exchange);
  absl::SleepFor(response.delay);
  std::string head =
      absl::StrCat("HTTP/1.1 ", response.status, " Status\r\nContent-Type: ", response.content_type,
                   "\r\nConnection: close\r\n");
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  if (response.chunks.empty()) {
    absl::StrAppend(&head, "Content-Length: ", response.body.size(), "\r\n\r\n", response.body);
    asio::write(socket, asio::buffer(head), error);
  } else {
    absl::StrAppend(&head, "Transfer-Encoding: chunked\r\n\r\n");
    asio::write(socket, asio::buffer(head), error);
    for (const std::string& chunk : response.chunks) {
      if (error) break;
      absl::SleepFor(response.chunk_delay);
      const std::string framed = absl::StrFormat("%x\r\n%s\r\n", chunk.size(), chunk);
      asio::write(socket, asio::buffer(framed), error);
    }
    asio::write(socket, asio::buffer(std::string("0\r\n\r\n")), error);
  }
  socket.shutdown(tcp::socket::shutdown_both, error);
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : state_(std::make_unique<State>()) {
  state_->handler = std::move(handler);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();

  state_->accept_thread = std::thread([this] {
    while (!state_->stopping.load()) {
      boost::system::error_code error;
      tcp::socket socket(state_->io);
      state_->acceptor.accept(socket, error);
      if (error || state_->stopping.load()) {
        break;
      }
      absl::MutexLock lock(&state_->mutex);
      state_->connections.emplace_back([this, socket = std::move(socket)]() mutable {
        Serve(std::move(socket), state_->handler, request_count_);
      });
    }
  });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  state_->stopping.store(true);
  // Wake the blocking accept with a connection of our own.
  {
    boost::system::error_code error;
    asio::io_context io;
    tcp::socket poke(io);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), error);
  }
  state_->accept_thread.join();
  absl::MutexLock lock(&state_->mutex);
  for (std::thread& connection : state_->connections) {
    connection.join();
  }
}

std::string LoopbackHttpServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

}  // namespace todo::testing
