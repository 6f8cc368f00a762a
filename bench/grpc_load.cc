#include "bench/grpc_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/bench_support.h"
#include "common/rpc/wire.h"

namespace todo::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One HTTP/2 connection with one call in flight at a time: the next call
// starts as soon as the last one closed.
class LoadConnection {
 public:
  LoadConnection(const GrpcLoadOptions& options, size_t first_request)
      : options_(options), next_request_(first_request) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(options.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Die(absl::StrCat("grpc load: cannot connect to 127.0.0.1:", options.port));
    }
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);

    nghttp2_session_client_new(&session_, Callbacks(), this);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    header_fields_ = {{":method", "POST"},
                      {":scheme", "http"},
                      {":path", options.path},
                      {":authority", absl::StrCat("127.0.0.1:", options.port)},
                      {"content-type", "application/grpc"},
                      {"te", "trailers"}};
    header_fields_.insert(header_fields_.end(), options.metadata.begin(), options.metadata.end());
    for (const auto& [name, value] : header_fields_) {
      headers_.push_back(common::rpc::HeaderField(name, value));
    }
  }

  ~LoadConnection() {
    nghttp2_session_del(session_);
    close(fd_);
  }

  int fd() const { return fd_; }
  int64_t succeeded() const { return succeeded_; }
  int64_t failed() const { return failed_; }
  const std::string& first_failure() const { return first_failure_; }

  void StartCall() {
    body_ = &options_.framed_requests[next_request_++ % options_.framed_requests.size()];
    body_offset_ = 0;
    grpc_status_ = -1;
    grpc_message_.clear();
    call_over_ = false;
    nghttp2_data_provider provider{};
    provider.read_callback = ReadBody;
    if (nghttp2_submit_request(session_, nullptr, headers_.data(), headers_.size(), &provider,
                               this) < 0) {
      Die("grpc load: cannot submit a request");
    }
  }

  // Reads what arrived; a finished call is counted if it ended before
  // `deadline`, and the next one started.
  bool OnReadable(Clock::time_point deadline) {
    const ssize_t length = recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (length == 0 || (length < 0 && errno != EAGAIN && errno != EINTR)) {
      NoteFailure("the server closed the connection");
      return false;
    }
    if (length < 0) return true;
    if (nghttp2_session_mem_recv(session_, buffer_.data(), static_cast<size_t>(length)) < 0) {
      NoteFailure("HTTP/2 protocol error");
      return false;
    }
    if (call_over_) {
      if (Clock::now() < deadline) {
        if (grpc_status_ == 0) {
          ++succeeded_;
        } else {
          NoteFailure(absl::StrCat("grpc-status ", grpc_status_, ": ", grpc_message_));
        }
        StartCall();
      }
      call_over_ = false;
    }
    return Flush();
  }

  // Sends every frame nghttp2 has ready in one write (a call's HEADERS and
  // DATA frames in one segment, as h2load's writev does).
  bool Flush() {
    out_.clear();
    for (;;) {
      const uint8_t* bytes = nullptr;
      const ssize_t length = nghttp2_session_mem_send(session_, &bytes);
      if (length < 0) return false;
      if (length == 0) break;
      out_.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
    }
    return SendAll(reinterpret_cast<const uint8_t*>(out_.data()), out_.size());
  }

 private:
  // Requests are a few hundred bytes: a full send buffer is rare enough to
  // wait for in place.
  bool SendAll(const uint8_t* bytes, size_t length) {
    while (length > 0) {
      const ssize_t sent = send(fd_, bytes, length, MSG_NOSIGNAL);
      if (sent > 0) {
        bytes += sent;
        length -= static_cast<size_t>(sent);
      } else if (sent < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd writable{fd_, POLLOUT, 0};
        poll(&writable, 1, 1000);
      } else {
        NoteFailure("cannot send");
        return false;
      }
    }
    return true;
  }

  void NoteFailure(std::string what) {
    ++failed_;
    if (first_failure_.empty()) first_failure_ = std::move(what);
  }

  static nghttp2_session_callbacks* Callbacks() {
    static nghttp2_session_callbacks* const callbacks = [] {
      nghttp2_session_callbacks* made = nullptr;
      nghttp2_session_callbacks_new(&made);
      nghttp2_session_callbacks_set_on_header_callback(made, OnHeader);
      nghttp2_session_callbacks_set_on_stream_close_callback(made, OnClose);
      return made;
    }();
    return callbacks;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* self) {
    auto& connection = *static_cast<LoadConnection*>(self);
    const absl::string_view key(reinterpret_cast<const char*>(name), name_length);
    const absl::string_view text(reinterpret_cast<const char*>(value), value_length);
    if (key == "grpc-status") {
      if (!absl::SimpleAtoi(text, &connection.grpc_status_)) connection.grpc_status_ = -2;
    } else if (key == "grpc-message") {
      connection.grpc_message_ = std::string(text);
    }
    return 0;
  }

  static int OnClose(nghttp2_session*, int32_t, uint32_t error_code, void* self) {
    auto& connection = *static_cast<LoadConnection*>(self);
    if (error_code != NGHTTP2_NO_ERROR && connection.grpc_status_ == 0) {
      connection.grpc_status_ = -3;
      connection.grpc_message_ = absl::StrCat("stream reset, HTTP/2 error ", error_code);
    }
    connection.call_over_ = true;
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* self) {
    auto& connection = *static_cast<LoadConnection*>(self);
    const std::string& body = *connection.body_;
    const size_t taken = std::min(length, body.size() - connection.body_offset_);
    std::memcpy(buffer, body.data() + connection.body_offset_, taken);
    connection.body_offset_ += taken;
    if (connection.body_offset_ == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(taken);
  }

  const GrpcLoadOptions& options_;
  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  std::vector<std::pair<std::string, std::string>> header_fields_;
  std::vector<nghttp2_nv> headers_;  // pointing into header_fields_
  size_t next_request_;
  const std::string* body_ = nullptr;
  size_t body_offset_ = 0;
  int grpc_status_ = -1;
  std::string grpc_message_;
  bool call_over_ = false;
  int64_t succeeded_ = 0;
  int64_t failed_ = 0;
  std::string first_failure_;
  std::array<uint8_t, 64 * 1024> buffer_;
  std::string out_;
};

absl::Duration ThreadCpu() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

}  // namespace

GrpcLoadResult RunGrpcLoad(const GrpcLoadOptions& options) {
  if (options.framed_requests.empty()) Die("grpc load: no requests");
  const int threads = std::max(1, std::min(options.threads, options.connections));
  // Connected before the clock starts, as pgbench connects before it times.
  std::vector<std::vector<std::unique_ptr<LoadConnection>>> shares(threads);
  for (int i = 0; i < options.connections; ++i) {
    shares[i % threads].push_back(std::make_unique<LoadConnection>(
        options, i * options.framed_requests.size() / options.connections));
  }

  GrpcLoadResult result;
  std::mutex merge;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + absl::ToChronoNanoseconds(options.duration);
  std::vector<std::thread> workers;
  for (auto& share : shares) {
    workers.emplace_back([&share, &result, &merge, deadline] {
      const absl::Duration cpu_before = ThreadCpu();
      const int poller = epoll_create1(EPOLL_CLOEXEC);
      for (auto& connection : share) {
        epoll_event interest{};
        interest.events = EPOLLIN;  // level-triggered: one recv per wake-up
        interest.data.ptr = connection.get();
        epoll_ctl(poller, EPOLL_CTL_ADD, connection->fd(), &interest);
        connection->StartCall();
        connection->Flush();
      }
      std::array<epoll_event, 64> ready;
      while (Clock::now() < deadline) {
        const int count = epoll_wait(poller, ready.data(), ready.size(), 100);
        for (int i = 0; i < count; ++i) {
          auto* connection = static_cast<LoadConnection*>(ready[i].data.ptr);
          if (!connection->OnReadable(deadline)) {
            epoll_ctl(poller, EPOLL_CTL_DEL, connection->fd(), nullptr);
          }
        }
      }
      close(poller);
      const absl::Duration cpu = ThreadCpu() - cpu_before;
      std::lock_guard<std::mutex> lock(merge);
      result.client_cpu += cpu;
      for (const auto& connection : share) {
        result.succeeded += connection->succeeded();
        result.failed += connection->failed();
        if (result.first_failure.empty()) result.first_failure = connection->first_failure();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  result.elapsed = absl::FromChrono(Clock::now() - start);
  // Calls are only counted up to the deadline.
  result.elapsed = std::min(result.elapsed, options.duration);
  return result;
}

}  // namespace todo::bench
