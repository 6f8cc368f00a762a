// common/rpc's client (Channel) against a real grpc++ server (and against
// peers that misbehave: nobody listening, a listener that never answers).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/channel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/ports.h"
#include "tests/harness/recording_upstream.h"

namespace todo::common::rpc {
namespace {

using ::testing::ElementsAre;
using ::todo::testing::RecordingUpstream;

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kCancelled = absl::StatusCode::kCancelled;
constexpr absl::StatusCode kDeadlineExceeded = absl::StatusCode::kDeadlineExceeded;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::StatusCode kResourceExhausted = absl::StatusCode::kResourceExhausted;
constexpr absl::StatusCode kUnavailable = absl::StatusCode::kUnavailable;

// What one call produced.
struct Outcome {
  std::vector<std::string> messages;
  std::optional<ClientReply> reply;
};

// A listening socket on 127.0.0.1 that accepts (in the kernel's backlog)
// and never says a word: calls to it can only time out or be cancelled.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(fd_, 16);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A listening socket on 127.0.0.1 that accepts every connection and hangs
// up at once, counting them: an open port that is no gRPC server.
class HangingUpListener {
 public:
  HangingUpListener() : thread_([this] { Serve(); }) {}
  ~HangingUpListener() {
    stopping_ = true;
    thread_.join();
  }
  std::string target() const { return listener_.target(); }
  int accepted() const { return accepted_; }

 private:
  void Serve() {
    while (!stopping_) {
      pollfd descriptor{listener_.fd(), POLLIN, 0};
      if (poll(&descriptor, 1, 20) <= 0) continue;
      const int client = accept(listener_.fd(), nullptr, nullptr);
      if (client >= 0) {
        ++accepted_;
        close(client);
      }
    }
  }

  SilentListener listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class ChannelTest : public ::testing::Test {
 protected:
  // Starts a call and returns where its outcome will land; `wants_more`
  // false refuses every message after the first.
  std::shared_ptr<Outcome> Start(Channel& upstream, ClientCall call, uint64_t* id = nullptr,
                                 bool wants_more = true) {
    auto outcome = std::make_shared<Outcome>();
    ClientCallbacks callbacks;
    callbacks.on_message = [outcome, wants_more](std::string message) {
      outcome->messages.push_back(std::move(message));
      return wants_more;
    };
    callbacks.on_close = [outcome](ClientReply reply) { outcome->reply = std::move(reply); };
    const uint64_t started = upstream.Start(std::move(call), std::move(callbacks));
    if (id != nullptr) *id = started;
    return outcome;
  }

  // Runs the loop until every outcome has its reply (or 20 s pass).
  void RunUntilDone(const std::vector<std::shared_ptr<Outcome>>& outcomes) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    const auto done = [&] {
      for (const auto& outcome : outcomes) {
        if (!outcome->reply) return false;
      }
      return true;
    };
    while (!done() && absl::Now() < deadline) io_.run_one_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(done()) << "calls did not end";
  }

  // Stops `server` gracefully (GOAWAY, a ping to answer, then the socket
  // closes) with the client's loop running, as it always is in the gateway.
  void StopWhileServing(std::unique_ptr<RecordingUpstream>& server) {
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
      server.reset();
      stopped = true;
    });
    while (!stopped) io_.run_one_for(std::chrono::milliseconds(20));
    stopper.join();
  }

  Outcome Call(Channel& upstream, ClientCall call) {
    auto outcome = Start(upstream, std::move(call));
    RunUntilDone({outcome});
    return *outcome;
  }

  static ClientCall Get(std::string bytes = "request") {
    ClientCall call;
    call.method_path = "/vt.v1.TaskService/GetTask";
    call.request_bytes = std::move(bytes);
    call.metadata = {{"authorization", "Bearer t"}, {"x-request-id", "r-1"}};
    return call;
  }

  boost::asio::io_context io_;
};

TEST_F(ChannelTest, UnaryCallCarriesMethodMetadataAndMessageBothWays) {
  RecordingUpstream server;
  server.SetReply({0, "", "", {"answer"}});
  Channel upstream(io_, server.target());
  const Outcome outcome = Call(upstream, Get());
  ASSERT_TRUE(outcome.reply);
  EXPECT_EQ(outcome.reply->code, kOk);
  EXPECT_EQ(outcome.reply->messages, 1u);
  EXPECT_THAT(outcome.messages, ElementsAre("answer"));
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "/vt.v1.TaskService/GetTask");
  EXPECT_EQ(seen[0].message, "request");
  EXPECT_EQ(seen[0].metadata.find("authorization")->second, "Bearer t");
  EXPECT_EQ(seen[0].metadata.find("x-request-id")->second, "r-1");
  // The deadline travels as grpc-timeout; gRPC turns it into the server's
  // deadline rather than metadata, so it shows as no grpc-timeout key.
  EXPECT_EQ(seen[0].metadata.count("grpc-timeout"), 0u);
}

TEST_F(ChannelTest, ErrorsKeepMessageAndDetailsWithOrWithoutMessagesBefore) {
  RecordingUpstream server;
  Channel upstream(io_, server.target());
  // Trailers-only, with a message gRPC percent-encodes on the wire.
  server.SetReply(
      {static_cast<int>(kNotFound), "task 42 not found: 100% gone, ünïcode", "details-bytes", {}});
  Outcome outcome = Call(upstream, Get());
  ASSERT_TRUE(outcome.reply);
  EXPECT_EQ(outcome.reply->code, kNotFound);
  EXPECT_EQ(outcome.reply->message, "task 42 not found: 100% gone, ünïcode");
  EXPECT_EQ(outcome.reply->details_bin, "details-bytes");
  EXPECT_TRUE(outcome.messages.empty());
  // Messages, then an error status in the trailers.
  server.SetReply({static_cast<int>(kResourceExhausted), "later", "", {"one", "two"}});
  outcome = Call(upstream, Get());
  EXPECT_EQ(outcome.reply->code, kResourceExhausted);
  EXPECT_THAT(outcome.messages, ElementsAre("one", "two"));
}

TEST_F(ChannelTest, ManyConcurrentCallsShareTheConnectionAndAllEnd) {
  RecordingUpstream server;
  server.SetReply({0, "", "", {"ok"}});
  Channel upstream(io_, server.target());
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < 300; ++i) outcomes.push_back(Start(upstream, Get(absl::StrCat("r", i))));
  RunUntilDone(outcomes);
  for (const auto& outcome : outcomes) {
    EXPECT_EQ(outcome->reply->code, kOk);
    EXPECT_THAT(outcome->messages, ElementsAre("ok"));
  }
  EXPECT_EQ(server.seen().size(), 300u);
}

TEST_F(ChannelTest, LargeMessagesCrossFlowControlWindowsAndTheLimitHolds) {
  RecordingUpstream server;
  const std::string big(3 * 1024 * 1024, 'x');
  server.SetReply({0, "", "", {big}});
  Channel upstream(io_, server.target());
  Outcome outcome = Call(upstream, Get(std::string(2 * 1024 * 1024, 'y')));
  EXPECT_EQ(outcome.reply->code, kOk);
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_EQ(outcome.messages[0], big);
  EXPECT_EQ(server.seen().back().message.size(), 2u * 1024 * 1024);

  ChannelOptions small;
  small.max_message_bytes = 1024;
  Channel limited(io_, server.target(), small);
  outcome = Call(limited, Get());
  EXPECT_EQ(outcome.reply->code, kResourceExhausted);
  EXPECT_TRUE(outcome.messages.empty());
}

TEST_F(ChannelTest, NobodyListeningFailsFastAsUnavailable) {
  const int port = todo::testing::FreeLoopbackPort();
  Channel upstream(io_, absl::StrCat("127.0.0.1:", port));
  const absl::Time start = absl::Now();
  Outcome outcome = Call(upstream, Get());
  EXPECT_EQ(outcome.reply->code, kUnavailable);
  // A second call while the address backs off fails at once, not after the
  // call's 15 s deadline.
  outcome = Call(upstream, Get());
  EXPECT_EQ(outcome.reply->code, kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(ChannelTest, AnUnknownHostIsUnavailable) {
  Channel upstream(io_, "no-such-host.invalid:50051");
  const Outcome outcome = Call(upstream, Get());
  EXPECT_EQ(outcome.reply->code, kUnavailable);
}

TEST_F(ChannelTest, ASilentPeerMeetsTheDeadline) {
  SilentListener silent;
  Channel upstream(io_, silent.target());
  ClientCall call = Get();
  call.timeout = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  const Outcome outcome = Call(upstream, std::move(call));
  EXPECT_EQ(outcome.reply->code, kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(ChannelTest, EachCallEndsAtItsOwnDeadlineWhateverTheOrderTheyStarted) {
  // One timer watches every deadline: a later call with a sooner deadline
  // re-arms it, a call that ends first leaves no trace, and a call with no
  // deadline is never ended by it.
  SilentListener silent;
  Channel upstream(io_, silent.target());
  const absl::Time start = absl::Now();
  std::vector<std::shared_ptr<Outcome>> outcomes;
  std::vector<absl::Time> ended(3);
  for (const absl::Duration timeout :
       {absl::Milliseconds(900), absl::Milliseconds(300), absl::Milliseconds(600)}) {
    ClientCall call = Get();
    call.timeout = timeout;
    outcomes.push_back(Start(upstream, std::move(call)));
  }
  ClientCall cancelled = Get();
  cancelled.timeout = absl::Milliseconds(100);
  uint64_t cancelled_id = 0;
  auto cancelled_outcome = Start(upstream, std::move(cancelled), &cancelled_id);
  upstream.Cancel(cancelled_id);
  ClientCall endless = Get();
  endless.timeout = absl::InfiniteDuration();
  uint64_t endless_id = 0;
  auto endless_outcome = Start(upstream, std::move(endless), &endless_id);
  while (absl::Now() - start < absl::Seconds(5)) {
    io_.run_one_for(std::chrono::milliseconds(10));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i]->reply && ended[i] == absl::Time()) ended[i] = absl::Now();
    }
    if (ended[0] != absl::Time() && ended[1] != absl::Time() && ended[2] != absl::Time()) break;
  }
  for (size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(outcomes[i]->reply) << i;
    EXPECT_EQ(outcomes[i]->reply->code, kDeadlineExceeded) << i;
  }
  EXPECT_LT(ended[1], ended[2]);
  EXPECT_LT(ended[2], ended[0]);
  EXPECT_GE(ended[1] - start, absl::Milliseconds(300));
  EXPECT_LT(ended[0] - start, absl::Milliseconds(900) + absl::Seconds(1));
  ASSERT_TRUE(cancelled_outcome->reply);
  EXPECT_EQ(cancelled_outcome->reply->code, absl::StatusCode::kCancelled);
  EXPECT_FALSE(endless_outcome->reply);
  upstream.Cancel(endless_id);
  RunUntilDone({endless_outcome});
  EXPECT_EQ(endless_outcome->reply->code, absl::StatusCode::kCancelled);
}

TEST_F(ChannelTest, CancelEndsACallAtOnceAndLaterCancelsAreHarmless) {
  SilentListener silent;
  Channel upstream(io_, silent.target());
  ClientCall call = Get();
  call.timeout = absl::InfiniteDuration();
  uint64_t id = 0;
  auto outcome = Start(upstream, std::move(call), &id);
  io_.run_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(outcome->reply);
  upstream.Cancel(id);
  RunUntilDone({outcome});
  EXPECT_EQ(outcome->reply->code, kCancelled);
  upstream.Cancel(id);
  upstream.Cancel(12345);
}

TEST_F(ChannelTest, ReturningFalseFromOnMessageCancelsTheCall) {
  RecordingUpstream server;
  server.SetReply({0, "", "", {"a", "b", "c"}});
  Channel upstream(io_, server.target());
  auto outcome = Start(upstream, Get(), nullptr, /*wants_more=*/false);
  RunUntilDone({outcome});
  EXPECT_EQ(outcome->reply->code, kCancelled);
  EXPECT_THAT(outcome->messages, ElementsAre("a"));
}

TEST_F(ChannelTest, AnUpstreamThatGoesAwayFailsItsCallsAndLaterOnesDoNotHang) {
  auto server = std::make_unique<RecordingUpstream>();
  server->SetReply({0, "", "", {"ok"}});
  Channel upstream(io_, server->target());
  EXPECT_EQ(Call(upstream, Get()).reply->code, kOk);
  const absl::Time stopping = absl::Now();
  StopWhileServing(server);
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(3));
  const absl::Time start = absl::Now();
  EXPECT_EQ(Call(upstream, Get()).reply->code, kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(ChannelTest, ReconnectsWhenTheUpstreamComesBackAtTheSameAddress) {
  // A pod restart: the same address goes away, then answers again.
  auto server = std::make_unique<RecordingUpstream>();
  const std::string target = server->target();
  const int port = std::stoi(target.substr(target.rfind(':') + 1));
  server->SetReply({0, "", "", {"before"}});
  Channel upstream(io_, target);
  EXPECT_THAT(Call(upstream, Get()).messages, ElementsAre("before"));
  StopWhileServing(server);
  EXPECT_EQ(Call(upstream, Get()).reply->code, kUnavailable);
  server = std::make_unique<RecordingUpstream>(port);
  server->SetReply({0, "", "", {"after"}});
  // Backing off (about a second, then 1.6x) it tries again by itself.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  Outcome outcome;
  do {
    io_.run_for(std::chrono::milliseconds(200));
    outcome = Call(upstream, Get());
  } while (outcome.reply->code != kOk && absl::Now() < deadline);
  EXPECT_EQ(outcome.reply->code, kOk);
  EXPECT_THAT(outcome.messages, ElementsAre("after"));
}

TEST_F(ChannelTest, AnOpenPortThatHangsUpIsNotRedialledInALoop) {
  HangingUpListener hanging_up;
  Channel upstream(io_, hanging_up.target());
  EXPECT_EQ(Call(upstream, Get()).reply->code, kUnavailable);
  io_.run_for(std::chrono::milliseconds(1500));
  // The first dial, then at most a redial or two after a second's backoff
  // (a connection the server never spoke on counts as a failed attempt).
  EXPECT_LE(hanging_up.accepted(), 3);
}

TEST_F(ChannelTest, CloseFailsCallsInFlightAndRefusesNewOnes) {
  SilentListener silent;
  Channel upstream(io_, silent.target());
  auto in_flight = Start(upstream, Get());
  io_.run_for(std::chrono::milliseconds(100));
  upstream.Close();
  auto after = Start(upstream, Get());
  RunUntilDone({in_flight, after});
  EXPECT_EQ(in_flight->reply->code, kUnavailable);
  EXPECT_EQ(after->reply->code, kUnavailable);
}

TEST_F(ChannelTest, CallsGoRoundRobinOverEveryAddressAndSkipTheDeadOnes) {
  RecordingUpstream first;
  RecordingUpstream second;
  first.SetReply({0, "", "", {"first"}});
  second.SetReply({0, "", "", {"second"}});
  const int nobody = todo::testing::FreeLoopbackPort();
  const auto port = [](const std::string& target) { return target.substr(target.rfind(':') + 1); };
  Channel upstream(io_, absl::StrCat("ipv4:127.0.0.1:", port(first.target()), ",127.0.0.1:", nobody,
                                     ",127.0.0.1:", port(second.target())));
  // Let every address connect (or fail) first.
  EXPECT_EQ(Call(upstream, Get()).reply->code, kOk);
  io_.run_for(std::chrono::milliseconds(100));
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < 20; ++i) outcomes.push_back(Start(upstream, Get()));
  RunUntilDone(outcomes);
  for (const auto& outcome : outcomes) EXPECT_EQ(outcome->reply->code, kOk);
  const size_t to_first = first.seen().size();
  const size_t to_second = second.seen().size();
  EXPECT_EQ(to_first + to_second, 21u);
  EXPECT_GE(to_first, 10u);
  EXPECT_GE(to_second, 10u);
}

}  // namespace
}  // namespace todo::common::rpc
