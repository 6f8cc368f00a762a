// gRPC's interoperability cases run by our client (common/rpc Channel)
// against grpc++'s server serving grpc.testing.TestService (a server we did
// not write), and against our own server's fixture, where the client also
// checks what grpc++ and grpcio cannot show: that responses asked for
// compressed really came compressed, and that compressed requests went out
// compressed (the fixture refuses them otherwise).

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/event_loops/event_loops.h"
#include "common/rpc/channel.h"
#include "common/rpc/service_server.h"
#include "gmock/gmock.h"
#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "gtest/gtest.h"
#include "tests/interop/grpcpp_test_service.h"
#include "tests/interop/interop_requests.h"
#include "tests/interop/interop_service.h"

namespace todo::interop {
namespace {

using common::rpc::Channel;
using common::rpc::ClientCall;
using common::rpc::ClientCallbacks;
using common::rpc::ClientReply;
using common::rpc::Encoding;
using ::grpc::testing::Empty;
using ::grpc::testing::SimpleRequest;
using ::grpc::testing::SimpleResponse;
using ::grpc::testing::StreamingInputCallRequest;
using ::grpc::testing::StreamingInputCallResponse;
using ::grpc::testing::StreamingOutputCallRequest;
using ::grpc::testing::StreamingOutputCallResponse;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kService[] = "/grpc.testing.TestService/";

struct Outcome {
  ClientReply reply;
  std::vector<std::string> messages;
};

// Which server the cases run against.
enum class Peer { kGrpcpp, kOurs };

class RpcClientInteropTest : public ::testing::TestWithParam<Peer> {
 protected:
  RpcClientInteropTest() {
    if (GetParam() == Peer::kGrpcpp) {
      grpcpp_ = std::make_unique<GrpcppTestServer>();
      target_ = grpcpp_->target();
    } else {
      common::rpc::ServiceServerOptions options;
      options.server.listen_address = "127.0.0.1";
      options.server.shutdown_grace = absl::Seconds(1);
      ours_ = *common::rpc::ServiceServer::Start(options, &loops_, InteropMethods);
      target_ = ours_->local_target();
    }
    channel_ = std::make_unique<Channel>(io_, target_);
  }
  ~RpcClientInteropTest() override {
    channel_->Close();
    io_.run_for(std::chrono::milliseconds(50));
    if (ours_) ours_->Shutdown();
  }

  // Runs the loop until `done` or 20 s passed.
  void RunUntil(const std::function<bool()>& done) {
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (!done() && absl::Now() < give_up) io_.run_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(done());
  }

  // A client-streaming call, started: each response message lands in
  // `outcome->messages`, the end sets `*done`.
  uint64_t StartStream(const std::string& method, const std::shared_ptr<Outcome>& outcome,
                       const std::shared_ptr<bool>& done, Encoding compression) {
    ClientCall call;
    call.method_path = absl::StrCat(kService, method);
    call.client_streaming = true;
    call.compression = compression;
    call.timeout = absl::Seconds(10);
    ClientCallbacks callbacks;
    callbacks.on_message = [outcome](std::string message) {
      outcome->messages.push_back(std::move(message));
      return true;
    };
    callbacks.on_close = [outcome, done](ClientReply reply) {
      outcome->reply = std::move(reply);
      *done = true;
    };
    return channel_->Start(std::move(call), std::move(callbacks));
  }

  // client_streaming and client_compressed_streaming: four payloads, their
  // sizes summed by the server.
  void ClientStreams(Encoding compression) {
    auto outcome = std::make_shared<Outcome>();
    auto done = std::make_shared<bool>(false);
    const uint64_t id = StartStream("StreamingInputCall", outcome, done, compression);
    for (const int size : {27182, 8, 1828, 45904}) {
      StreamingInputCallRequest request;
      request.mutable_payload()->set_body(std::string(static_cast<size_t>(size), '\0'));
      request.mutable_expect_compressed()->set_value(compression != Encoding::kIdentity &&
                                                     GetParam() == Peer::kOurs);
      ASSERT_TRUE(channel_->Write(id, request.SerializeAsString()));
    }
    channel_->CloseSend(id);
    EXPECT_FALSE(channel_->Write(id, "after the end"));
    RunUntil([&] { return *done; });
    ASSERT_EQ(outcome->reply.code, absl::StatusCode::kOk) << outcome->reply.message;
    StreamingInputCallResponse response;
    ASSERT_TRUE(response.ParseFromString(outcome->messages.at(0)));
    EXPECT_EQ(response.aggregated_payload_size(), 74922);
  }

  // Runs one call to its end on the test's loop; `cancel_after` > 0 cancels
  // once that many messages arrived.
  Outcome Run(ClientCall call, size_t cancel_after = 0) {
    auto outcome = std::make_shared<Outcome>();
    auto done = std::make_shared<bool>(false);
    uint64_t id = 0;
    ClientCallbacks callbacks;
    callbacks.on_message = [this, outcome, cancel_after, &id](std::string message) {
      outcome->messages.push_back(std::move(message));
      if (cancel_after > 0 && outcome->messages.size() == cancel_after) channel_->Cancel(id);
      return true;
    };
    callbacks.on_close = [outcome, done](ClientReply reply) {
      outcome->reply = std::move(reply);
      *done = true;
    };
    id = channel_->Start(std::move(call), std::move(callbacks));
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (!*done && absl::Now() < give_up) io_.run_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(*done);
    return *outcome;
  }

  static ClientCall Unary(const std::string& method, const google::protobuf::Message& request) {
    ClientCall call;
    call.method_path = absl::StrCat(kService, method);
    call.request_bytes = request.SerializeAsString();
    call.timeout = absl::Seconds(10);
    return call;
  }

  static std::vector<size_t> Sizes(const Outcome& outcome) {
    std::vector<size_t> sizes;
    for (const std::string& bytes : outcome.messages) {
      StreamingOutputCallResponse response;
      EXPECT_TRUE(response.ParseFromString(bytes));
      sizes.push_back(response.payload().body().size());
    }
    return sizes;
  }

  common::event_loops::EventLoops loops_{1};
  std::unique_ptr<GrpcppTestServer> grpcpp_;
  std::unique_ptr<common::rpc::ServiceServer> ours_;
  std::string target_;
  boost::asio::io_context io_;
  std::unique_ptr<Channel> channel_;
};

TEST_P(RpcClientInteropTest, EmptyUnary) {
  const Outcome outcome = Run(Unary("EmptyCall", Empty()));
  EXPECT_EQ(outcome.reply.code, absl::StatusCode::kOk);
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_TRUE(outcome.messages[0].empty());
}

TEST_P(RpcClientInteropTest, LargeUnary) {
  SimpleRequest request = LargeUnaryRequest();
  const Outcome outcome = Run(Unary("UnaryCall", request));
  ASSERT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
  SimpleResponse response;
  ASSERT_TRUE(response.ParseFromString(outcome.messages.at(0)));
  EXPECT_EQ(response.payload().body(), std::string(314159, '\0'));
}

TEST_P(RpcClientInteropTest, ClientCompressedUnary) {
  for (const Encoding encoding : {Encoding::kGzip, Encoding::kDeflate}) {
    SimpleRequest request = LargeUnaryRequest();
    request.mutable_expect_compressed()->set_value(true);
    ClientCall call = Unary("UnaryCall", request);
    call.compression = encoding;
    const Outcome outcome = Run(std::move(call));
    EXPECT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
  }
}

TEST_P(RpcClientInteropTest, ServerCompressedUnary) {
  for (const bool compressed : {true, false}) {
    SimpleRequest request = LargeUnaryRequest();
    request.mutable_response_compressed()->set_value(compressed);
    const Outcome outcome = Run(Unary("UnaryCall", request));
    ASSERT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
    EXPECT_EQ(outcome.reply.compressed_messages, compressed ? 1u : 0u);
    SimpleResponse response;
    ASSERT_TRUE(response.ParseFromString(outcome.messages.at(0)));
    EXPECT_EQ(response.payload().body().size(), 314159u);
  }
}

TEST_P(RpcClientInteropTest, ServerStreaming) {
  const StreamingOutputCallRequest request = ServerStreamingRequest();
  const Outcome outcome = Run(Unary("StreamingOutputCall", request));
  EXPECT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
  EXPECT_THAT(Sizes(outcome), ElementsAre(31415, 9, 2653, 58979));
}

TEST_P(RpcClientInteropTest, ServerCompressedStreaming) {
  const StreamingOutputCallRequest request = ServerCompressedStreamingRequest();
  const Outcome outcome = Run(Unary("StreamingOutputCall", request));
  EXPECT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
  EXPECT_THAT(Sizes(outcome), ElementsAre(31415, 92653));
  EXPECT_EQ(outcome.reply.compressed_messages, 1u);
}

TEST_P(RpcClientInteropTest, ClientStreaming) { ClientStreams(Encoding::kIdentity); }

TEST_P(RpcClientInteropTest, ClientCompressedStreaming) {
  ClientStreams(Encoding::kGzip);
  ClientStreams(Encoding::kDeflate);
}

TEST_P(RpcClientInteropTest, PingPong) {
  auto outcome = std::make_shared<Outcome>();
  auto done = std::make_shared<bool>(false);
  const uint64_t id = StartStream("FullDuplexCall", outcome, done, Encoding::kIdentity);
  const int request_sizes[] = {27182, 8, 1828, 45904};
  const int response_sizes[] = {31415, 9, 2653, 58979};
  for (size_t i = 0; i < 4; ++i) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(response_sizes[i]);
    request.mutable_payload()->set_body(std::string(static_cast<size_t>(request_sizes[i]), '\0'));
    ASSERT_TRUE(channel_->Write(id, request.SerializeAsString()));
    // One answer per request before the next goes out.
    RunUntil([&] { return outcome->messages.size() == i + 1 || *done; });
    ASSERT_FALSE(*done) << outcome->reply.message;
    EXPECT_EQ(Sizes(*outcome).back(), static_cast<size_t>(response_sizes[i]));
  }
  channel_->CloseSend(id);
  RunUntil([&] { return *done; });
  EXPECT_EQ(outcome->reply.code, absl::StatusCode::kOk) << outcome->reply.message;
  EXPECT_EQ(outcome->messages.size(), 4u);
}

TEST_P(RpcClientInteropTest, EmptyStream) {
  auto outcome = std::make_shared<Outcome>();
  auto done = std::make_shared<bool>(false);
  const uint64_t id = StartStream("FullDuplexCall", outcome, done, Encoding::kIdentity);
  channel_->CloseSend(id);
  RunUntil([&] { return *done; });
  EXPECT_EQ(outcome->reply.code, absl::StatusCode::kOk) << outcome->reply.message;
  EXPECT_TRUE(outcome->messages.empty());
}

TEST_P(RpcClientInteropTest, CancelAfterBegin) {
  auto outcome = std::make_shared<Outcome>();
  auto done = std::make_shared<bool>(false);
  const uint64_t id = StartStream("StreamingInputCall", outcome, done, Encoding::kIdentity);
  io_.run_for(std::chrono::milliseconds(20));  // the stream is open at the server
  channel_->Cancel(id);
  RunUntil([&] { return *done; });
  EXPECT_EQ(outcome->reply.code, absl::StatusCode::kCancelled);
}

TEST_P(RpcClientInteropTest, CancelAfterFirstResponse) {
  auto outcome = std::make_shared<Outcome>();
  auto done = std::make_shared<bool>(false);
  const uint64_t id = StartStream("FullDuplexCall", outcome, done, Encoding::kIdentity);
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(31415);
  request.mutable_payload()->set_body(std::string(27182, '\0'));
  ASSERT_TRUE(channel_->Write(id, request.SerializeAsString()));
  RunUntil([&] { return !outcome->messages.empty() || *done; });
  channel_->Cancel(id);
  RunUntil([&] { return *done; });
  EXPECT_EQ(outcome->reply.code, absl::StatusCode::kCancelled);
  EXPECT_EQ(outcome->messages.size(), 1u);
}

TEST_P(RpcClientInteropTest, CancelAfterFirstResponseOfAServerStream) {
  StreamingOutputCallRequest request;
  for (int i = 0; i < 5; ++i) {
    auto* parameters = request.add_response_parameters();
    parameters->set_size(31415);
    parameters->set_interval_us(50'000);
  }
  const Outcome outcome = Run(Unary("StreamingOutputCall", request), /*cancel_after=*/1);
  EXPECT_EQ(outcome.reply.code, absl::StatusCode::kCancelled);
  EXPECT_EQ(outcome.messages.size(), 1u);
}

TEST_P(RpcClientInteropTest, TimeoutOnSleepingServer) {
  StreamingOutputCallRequest request;
  auto* parameters = request.add_response_parameters();
  parameters->set_size(10);
  parameters->set_interval_us(300'000);
  ClientCall call = Unary("StreamingOutputCall", request);
  call.timeout = absl::Milliseconds(50);
  const Outcome outcome = Run(std::move(call));
  EXPECT_EQ(outcome.reply.code, absl::StatusCode::kDeadlineExceeded);
}

TEST_P(RpcClientInteropTest, CustomMetadata) {
  SimpleRequest request = LargeUnaryRequest();
  ClientCall call = Unary("UnaryCall", request);
  const std::string binary("\xab\xab\xab", 3);
  call.metadata = {{"x-grpc-test-echo-initial", "test_initial_metadata_value"},
                   {"x-grpc-test-echo-trailing-bin", binary}};
  const Outcome outcome = Run(std::move(call));
  ASSERT_EQ(outcome.reply.code, absl::StatusCode::kOk) << outcome.reply.message;
  EXPECT_THAT(outcome.reply.initial_metadata,
              ::testing::Contains(Pair("x-grpc-test-echo-initial", "test_initial_metadata_value")));
  EXPECT_THAT(outcome.reply.trailing_metadata,
              ::testing::Contains(Pair("x-grpc-test-echo-trailing-bin", binary)));
}

TEST_P(RpcClientInteropTest, StatusCodeAndMessage) {
  for (const char* message : kStatusMessages) {
    SimpleRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    const Outcome outcome = Run(Unary("UnaryCall", request));
    EXPECT_EQ(outcome.reply.code, absl::StatusCode::kUnknown);
    EXPECT_EQ(outcome.reply.message, message);
  }
}

TEST_P(RpcClientInteropTest, UnimplementedMethodAndService) {
  EXPECT_EQ(Run(Unary("UnimplementedCall", Empty())).reply.code, absl::StatusCode::kUnimplemented);
  ClientCall call = Unary("UnimplementedCall", Empty());
  call.method_path = "/grpc.testing.UnimplementedService/UnimplementedCall";
  EXPECT_EQ(Run(std::move(call)).reply.code, absl::StatusCode::kUnimplemented);
}

INSTANTIATE_TEST_SUITE_P(Servers, RpcClientInteropTest,
                         ::testing::Values(Peer::kGrpcpp, Peer::kOurs),
                         [](const ::testing::TestParamInfo<Peer>& info) {
                           return info.param == Peer::kGrpcpp ? "GrpcppServer" : "OurServer";
                         });

}  // namespace
}  // namespace todo::interop
