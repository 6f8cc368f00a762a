// common/rpc's server on the connection level, seen by a raw HTTP/2 client
// (nghttp2's) that controls every frame: keepalive pings, the answer to a
// client that pings too often, and the two-phase GOAWAY of a shutdown.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/rpc/server.h"
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
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    if (!answer_pings) nghttp2_option_set_no_auto_ping_ack(option, 1);
    nghttp2_session_client_new2(&session_, callbacks, nullptr, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    Send();
  }
  ~RawClient() {
    nghttp2_session_del(session_);
    close(fd_);
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

 private:
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

class KeepaliveTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    options.listen_address = "127.0.0.1";
    options.shutdown_grace = absl::Seconds(2);
    server_ = *Server::Start(options, MethodTable(), &loops_);
  }

  event_loops::EventLoops loops_{1};
  std::unique_ptr<Server> server_;
};

TEST_F(KeepaliveTest, AClientThatPingsTooOftenIsToldToCalmDownAndHungUpOn) {
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

TEST_F(KeepaliveTest, ASilentConnectionIsPingedAndClosedWhenThePingGoesUnanswered) {
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

TEST_F(KeepaliveTest, ShutdownSendsTheTwoGoAwaysOfGrpcCore) {
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

}  // namespace
}  // namespace todo::common::rpc
