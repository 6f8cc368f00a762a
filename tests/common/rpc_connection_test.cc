// common/rpc's server on the connection level, seen by a raw HTTP/2 client
// (nghttp2's) that controls every frame: keepalive pings, the answer to a
// client that pings too often, the two-phase GOAWAY of a shutdown, and the
// memory a connection may make the server hold.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/rpc/server.h"
#include "common/rpc/wire.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::common::rpc {
namespace {

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t error_code = 0;
  int32_t last_stream_id = 0;
  std::string debug;
};

// An HTTP/2 client on a raw socket: what it sends is only what a test asks
// for (PING ACKs too, when `answer_pings`).
class RawClient {
 public:
  RawClient(int port, bool answer_pings) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks,
        [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
           const uint8_t* value, size_t value_length, uint8_t, void* self) {
          static_cast<RawClient*>(self)->headers.emplace_back(
              frame->hd.stream_id,
              std::string(reinterpret_cast<const char*>(name), name_length) + ": " +
                  std::string(reinterpret_cast<const char*>(value), value_length));
          return 0;
        });
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    if (!answer_pings) nghttp2_option_set_no_auto_ping_ack(option, 1);
    nghttp2_session_client_new2(&session_, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    Send();
  }
  ~RawClient() {
    nghttp2_session_del(session_);
    close(fd_);
  }

  // Opens a gRPC call on `path` and sends `body` as its DATA, ending the
  // request side when `end`; returns the stream id.
  int32_t Open(const std::string& path, std::string body, bool end = true) {
    const std::vector<std::pair<std::string, std::string>> fields = {
        {":method", "POST"},
        {":scheme", "http"},
        {":path", path},
        {":authority", "x"},
        {"content-type", "application/grpc"},
        {"te", "trailers"}};
    std::vector<nghttp2_nv> nv;
    for (const auto& [name, value] : fields) nv.push_back(HeaderField(name, value));
    bodies_.push_back(std::make_unique<Body>(Body{std::move(body), 0, end}));
    nghttp2_data_provider provider;
    provider.source.ptr = bodies_.back().get();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                                uint32_t* flags, nghttp2_data_source* from, void*) -> ssize_t {
      auto& in = *static_cast<Body*>(from->ptr);
      const size_t n = std::min(length, in.bytes.size() - in.offset);
      std::copy_n(in.bytes.data() + in.offset, n, buffer);
      in.offset += n;
      if (in.offset == in.bytes.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!in.end) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
      return static_cast<ssize_t>(n);
    };
    const int32_t id =
        nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &provider, nullptr);
    Send();
    return id;
  }

  // The grpc-status the stream ended with, "" if none came.
  std::string StatusOf(int32_t id) const {
    for (const auto& [stream, header] : headers) {
      if (stream == id && header.rfind("grpc-status: ", 0) == 0) return header.substr(13);
    }
    return "";
  }

  void Ping() {
    nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
    Send();
  }

  // Reads what comes for `how_long` (answering as the session does);
  // returns false once the server closed the connection.
  bool Pump(absl::Duration how_long) {
    const absl::Time until = absl::Now() + how_long;
    while (absl::Now() < until) {
      pollfd readable{fd_, POLLIN, 0};
      if (poll(&readable, 1, 10) <= 0) continue;
      char buffer[16 * 1024];
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return false;
      Record(absl::string_view(buffer, static_cast<size_t>(n)));
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buffer),
                               static_cast<size_t>(n));
      Send();
    }
    return true;
  }

  std::vector<Frame> Of(uint8_t type) const {
    std::vector<Frame> found;
    for (const Frame& frame : frames) {
      if (frame.type == type) found.push_back(frame);
    }
    return found;
  }

  std::vector<Frame> frames;
  std::vector<std::pair<int32_t, std::string>> headers;

 private:
  struct Body {
    std::string bytes;
    size_t offset;
    bool end;
  };
  std::vector<std::unique_ptr<Body>> bodies_;

  // Frames as they come, parsed here rather than by the session: nghttp2's
  // client stops reporting frames once it thinks the connection is ending
  // (after a GOAWAY, with no stream open), which is what is watched.
  void Record(absl::string_view bytes) {
    inbound_.append(bytes.data(), bytes.size());
    const auto byte = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<uint8_t>(inbound_[i]));
    };
    const auto word = [&](size_t i) {
      return (byte(i) << 24 | byte(i + 1) << 16 | byte(i + 2) << 8 | byte(i + 3)) & 0x7fffffffu;
    };
    while (inbound_.size() >= 9) {
      const size_t length = byte(0) << 16 | byte(1) << 8 | byte(2);
      if (inbound_.size() < 9 + length) return;
      Frame frame{static_cast<uint8_t>(byte(3)), static_cast<uint8_t>(byte(4))};
      if (frame.type == NGHTTP2_GOAWAY && length >= 8) {
        frame.last_stream_id = static_cast<int32_t>(word(9));
        frame.error_code = word(13);
        frame.debug = inbound_.substr(17, length - 8);
      }
      frames.push_back(frame);
      inbound_.erase(0, 9 + length);
    }
  }

  void Send() {
    for (;;) {
      const uint8_t* bytes = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &bytes);
      if (n <= 0) return;
      send(fd_, bytes, static_cast<size_t>(n), MSG_NOSIGNAL);
    }
  }

  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  std::string inbound_;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    options.listen_address = "127.0.0.1";
    options.shutdown_grace = absl::Seconds(2);
    MethodTable methods;
    MethodHandler sink;  // takes messages, answers when the client is done
    sink.on_message = [](const std::shared_ptr<Call>& call, std::optional<std::string> message) {
      if (!message.has_value()) call->Reply("");
    };
    methods["/t.T/Sink"] = sink;
    MethodHandler flood;  // ten 1 MiB messages at once, whoever reads them
    flood.on_request = [this](std::shared_ptr<Call> call, std::string) {
      for (int i = 0; i < 10 && call->Write(std::string(1 << 20, 'x')); ++i) {
        flood_written_.fetch_add(1);
      }
      call->Finish(absl::OkStatus());
    };
    methods["/t.T/Flood"] = flood;
    MethodHandler big;  // one answer over the send limit
    big.on_request = [](std::shared_ptr<Call> call, std::string) {
      call->Reply(std::string(2 << 20, 'x'));
    };
    methods["/t.T/Big"] = big;
    server_ = *Server::Start(options, std::move(methods), &loops_);
  }

  event_loops::EventLoops loops_{1};
  std::unique_ptr<Server> server_;
  std::atomic<int> flood_written_{0};
};

TEST_F(ConnectionTest, AClientThatPingsTooOftenIsToldToCalmDownAndHungUpOn) {
  Start(ServerOptions());
  RawClient client(server_->port(), /*answer_pings=*/true);
  for (int i = 0; i < 4; ++i) {
    client.Ping();
    if (!client.Pump(absl::Milliseconds(30))) break;
  }
  EXPECT_FALSE(client.Pump(absl::Seconds(2)));  // closed
  const std::vector<Frame> goaways = client.Of(NGHTTP2_GOAWAY);
  ASSERT_EQ(goaways.size(), 1u);
  EXPECT_EQ(goaways[0].error_code, NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_EQ(goaways[0].debug, "too_many_pings");
  // The first pings (within the strikes allowed) were answered.
  EXPECT_GE(client.Of(NGHTTP2_PING).size(), 2u);
}

TEST_F(ConnectionTest, ASilentConnectionIsPingedAndClosedWhenThePingGoesUnanswered) {
  ServerOptions options;
  options.keepalive.time = absl::Milliseconds(200);
  options.keepalive.timeout = absl::Milliseconds(300);
  Start(options);
  {
    RawClient answering(server_->port(), /*answer_pings=*/true);
    EXPECT_TRUE(answering.Pump(absl::Milliseconds(1200)));  // still open
    EXPECT_GE(answering.Of(NGHTTP2_PING).size(), 1u);
  }
  RawClient silent(server_->port(), /*answer_pings=*/false);
  EXPECT_FALSE(silent.Pump(absl::Seconds(3)));
  EXPECT_GE(silent.Of(NGHTTP2_PING).size(), 1u);
}

TEST_F(ConnectionTest, ShutdownSendsTheTwoGoAwaysOfGrpcCore) {
  Start(ServerOptions());
  RawClient client(server_->port(), /*answer_pings=*/true);
  ASSERT_TRUE(client.Pump(absl::Milliseconds(100)));
  // Shutdown waits for the connection to drain: the client answers meanwhile.
  std::thread stopping([this] { server_->Shutdown(); });
  const absl::Time started = absl::Now();
  EXPECT_FALSE(client.Pump(absl::Seconds(3)));  // closed by the server...
  stopping.join();
  EXPECT_LT(absl::Now() - started, absl::Seconds(1));  // ...without waiting out the grace
  const std::vector<Frame> goaways = client.Of(NGHTTP2_GOAWAY);
  ASSERT_EQ(goaways.size(), 2u);
  EXPECT_EQ(goaways[0].last_stream_id, (1u << 31) - 1);  // "the end is coming"
  EXPECT_EQ(goaways[0].error_code, NGHTTP2_NO_ERROR);
  EXPECT_EQ(goaways[1].last_stream_id, 0);  // no stream was opened
  EXPECT_EQ(goaways[1].error_code, NGHTTP2_NO_ERROR);
}

TEST_F(ConnectionTest, UnfinishedRequestsPastTheConnectionBudgetAreRefused) {
  ServerOptions options;
  options.max_partial_request_bytes_per_connection = 256 * 1024;
  Start(options);
  RawClient client(server_->port(), /*answer_pings=*/true);
  // Two calls, each announcing a 1 MiB message and sending 200 KiB of it.
  std::string partial = FrameMessage(std::string(1 << 20, 'x')).substr(0, 5 + 200 * 1024);
  const int32_t first = client.Open("/t.T/Sink", partial, /*end=*/false);
  const int32_t second = client.Open("/t.T/Sink", partial, /*end=*/false);
  client.Pump(absl::Seconds(1));
  EXPECT_EQ(client.StatusOf(first), "");    // within the budget: still waiting
  EXPECT_EQ(client.StatusOf(second), "8");  // RESOURCE_EXHAUSTED
}

TEST_F(ConnectionTest, AClientThatDoesNotReadIsCutOffAtTheStreamBudget) {
  ServerOptions options;
  options.max_pending_send_bytes_per_stream = 2 << 20;
  Start(options);
  RawClient client(server_->port(), /*answer_pings=*/true);
  // The client's window (64 KiB by default, never updated by this client)
  // holds the responses back: the server queues, up to its budget.
  client.Open("/t.T/Flood", FrameMessage(""));
  client.Pump(absl::Milliseconds(500));
  // One framed message (1 MiB and its prefix) fits the 2 MiB budget; the
  // second ended the call (its trailers wait behind the data the client
  // does not take).
  EXPECT_EQ(flood_written_.load(), 1);
  EXPECT_TRUE(client.Pump(absl::Milliseconds(100)));  // the connection lives
}

TEST_F(ConnectionTest, AnAnswerOverTheSendLimitEndsTheCall) {
  ServerOptions options;
  options.max_send_message_bytes = 1 << 20;
  Start(options);
  RawClient client(server_->port(), /*answer_pings=*/true);
  const int32_t id = client.Open("/t.T/Big", FrameMessage(""));
  client.Pump(absl::Milliseconds(500));
  EXPECT_EQ(client.StatusOf(id), "8");
}

}  // namespace
}  // namespace todo::common::rpc
