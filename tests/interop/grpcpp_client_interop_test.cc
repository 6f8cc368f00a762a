// gRPC's interoperability cases (grpc/grpc doc/interop-test-descriptions.md)
// run by grpc++'s client against our server (common/rpc) serving the
// grpc.testing.TestService fixture: the server, proven against a client we
// did not write.

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/testing/test.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/harness/in_process_loop_server.h"
#include "tests/harness/status_matchers.h"
#include "tests/interop/interop_requests.h"
#include "tests/interop/interop_service.h"

namespace todo::interop {
namespace {

using ::grpc::testing::Empty;
using ::grpc::testing::SimpleRequest;
using ::grpc::testing::SimpleResponse;
using ::grpc::testing::StreamingInputCallRequest;
using ::grpc::testing::StreamingInputCallResponse;
using ::grpc::testing::StreamingOutputCallRequest;
using ::grpc::testing::StreamingOutputCallResponse;
using ::grpc::testing::TestService;
using ::grpc::testing::UnimplementedService;
using ::todo::testing::InProcessLoopServer;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

std::string Zeros(int size) { return std::string(static_cast<size_t>(size), '\0'); }

class GrpcppInteropTest : public ::testing::Test {
 protected:
  GrpcppInteropTest()
      : server_(InteropMethods),
        channel_(server_.NewChannel()),
        stub_(TestService::NewStub(channel_)) {}

  void Prepare(grpc::ClientContext& context, absl::Duration timeout = absl::Seconds(10)) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }

  InProcessLoopServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
};

TEST_F(GrpcppInteropTest, EmptyUnary) {
  grpc::ClientContext context;
  Prepare(context);
  Empty response;
  EXPECT_THAT(stub_->EmptyCall(&context, Empty(), &response), IsOk());
}

TEST_F(GrpcppInteropTest, LargeUnary) {
  grpc::ClientContext context;
  Prepare(context);
  SimpleRequest request = LargeUnaryRequest();
  SimpleResponse response;
  ASSERT_THAT(stub_->UnaryCall(&context, request, &response), IsOk());
  EXPECT_EQ(response.payload().body(), Zeros(314159));
}

TEST_F(GrpcppInteropTest, ClientCompressedUnary) {
  SimpleRequest request = LargeUnaryRequest();
  SimpleResponse response;
  {
    // The probe: a request that claims compression but was sent plain.
    grpc::ClientContext context;
    Prepare(context);
    request.mutable_expect_compressed()->set_value(true);
    EXPECT_THAT(stub_->UnaryCall(&context, request, &response),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  }
  for (const bool compressed : {true, false}) {
    grpc::ClientContext context;
    Prepare(context);
    if (compressed) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    request.mutable_expect_compressed()->set_value(compressed);
    ASSERT_THAT(stub_->UnaryCall(&context, request, &response), IsOk()) << compressed;
    EXPECT_EQ(response.payload().body().size(), 314159u);
  }
}

TEST_F(GrpcppInteropTest, ClientDeflateCompressedUnary) {
  grpc::ClientContext context;
  Prepare(context);
  context.set_compression_algorithm(GRPC_COMPRESS_DEFLATE);
  SimpleRequest request;
  request.set_response_size(10);
  request.mutable_payload()->set_body(Zeros(271828));
  request.mutable_expect_compressed()->set_value(true);
  SimpleResponse response;
  ASSERT_THAT(stub_->UnaryCall(&context, request, &response), IsOk());
  EXPECT_EQ(response.payload().body().size(), 10u);
}

TEST_F(GrpcppInteropTest, ServerCompressedUnary) {
  for (const bool compressed : {true, false}) {
    grpc::ClientContext context;
    Prepare(context);
    SimpleRequest request = LargeUnaryRequest();
    request.mutable_response_compressed()->set_value(compressed);
    SimpleResponse response;
    ASSERT_THAT(stub_->UnaryCall(&context, request, &response), IsOk()) << compressed;
    EXPECT_EQ(response.payload().body(), Zeros(314159));
  }
}

TEST_F(GrpcppInteropTest, ClientStreaming) {
  grpc::ClientContext context;
  Prepare(context);
  StreamingInputCallResponse response;
  auto stream = stub_->StreamingInputCall(&context, &response);
  for (const int size : {27182, 8, 1828, 45904}) {
    StreamingInputCallRequest request;
    request.mutable_payload()->set_body(Zeros(size));
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_THAT(stream->Finish(), IsOk());
  EXPECT_EQ(response.aggregated_payload_size(), 74922);
}

TEST_F(GrpcppInteropTest, ClientCompressedStreaming) {
  {
    grpc::ClientContext context;
    Prepare(context);
    StreamingInputCallResponse response;
    auto stream = stub_->StreamingInputCall(&context, &response);
    StreamingInputCallRequest request;
    request.mutable_expect_compressed()->set_value(true);
    request.mutable_payload()->set_body(Zeros(27182));
    stream->Write(request);
    EXPECT_THAT(stream->Finish(), StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  }
  grpc::ClientContext context;
  Prepare(context);
  context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  StreamingInputCallResponse response;
  auto stream = stub_->StreamingInputCall(&context, &response);
  StreamingInputCallRequest request;
  request.mutable_expect_compressed()->set_value(true);
  request.mutable_payload()->set_body(Zeros(27182));
  ASSERT_TRUE(stream->Write(request));
  request.mutable_expect_compressed()->set_value(false);
  request.mutable_payload()->set_body(Zeros(45904));
  ASSERT_TRUE(stream->Write(request, grpc::WriteOptions().set_no_compression()));
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_THAT(stream->Finish(), IsOk());
  EXPECT_EQ(response.aggregated_payload_size(), 73086);
}

std::vector<int> ReadSizes(grpc::ClientReaderInterface<StreamingOutputCallResponse>& reader) {
  std::vector<int> sizes;
  StreamingOutputCallResponse response;
  while (reader.Read(&response))
    sizes.push_back(static_cast<int>(response.payload().body().size()));
  return sizes;
}

TEST_F(GrpcppInteropTest, ServerStreaming) {
  grpc::ClientContext context;
  Prepare(context);
  const StreamingOutputCallRequest request = ServerStreamingRequest();
  auto reader = stub_->StreamingOutputCall(&context, request);
  EXPECT_THAT(ReadSizes(*reader), ::testing::ElementsAre(31415, 9, 2653, 58979));
  EXPECT_THAT(reader->Finish(), IsOk());
}

TEST_F(GrpcppInteropTest, ServerCompressedStreaming) {
  grpc::ClientContext context;
  Prepare(context);
  const StreamingOutputCallRequest request = ServerCompressedStreamingRequest();
  auto reader = stub_->StreamingOutputCall(&context, request);
  EXPECT_THAT(ReadSizes(*reader), ::testing::ElementsAre(31415, 92653));
  EXPECT_THAT(reader->Finish(), IsOk());
}

TEST_F(GrpcppInteropTest, ServerStreamingWithPauses) {
  grpc::ClientContext context;
  Prepare(context);
  StreamingOutputCallRequest request;
  for (int i = 0; i < 3; ++i) {
    auto* parameters = request.add_response_parameters();
    parameters->set_size(10);
    parameters->set_interval_us(20'000);
  }
  const absl::Time start = absl::Now();
  auto reader = stub_->StreamingOutputCall(&context, request);
  EXPECT_THAT(ReadSizes(*reader), ::testing::ElementsAre(10, 10, 10));
  EXPECT_THAT(reader->Finish(), IsOk());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(60));
}

TEST_F(GrpcppInteropTest, PingPong) {
  grpc::ClientContext context;
  Prepare(context);
  auto stream = stub_->FullDuplexCall(&context);
  const int request_sizes[] = {27182, 8, 1828, 45904};
  const int response_sizes[] = {31415, 9, 2653, 58979};
  for (int i = 0; i < 4; ++i) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(response_sizes[i]);
    request.mutable_payload()->set_body(Zeros(request_sizes[i]));
    ASSERT_TRUE(stream->Write(request));
    StreamingOutputCallResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.payload().body().size(), static_cast<size_t>(response_sizes[i]));
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  EXPECT_THAT(stream->Finish(), IsOk());
}

TEST_F(GrpcppInteropTest, HalfDuplexAnswersOnceTheClientIsDone) {
  grpc::ClientContext context;
  Prepare(context);
  auto stream = stub_->HalfDuplexCall(&context);
  for (const int size : {5, 6}) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(size);
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  std::vector<int> sizes;
  while (stream->Read(&response))
    sizes.push_back(static_cast<int>(response.payload().body().size()));
  EXPECT_THAT(sizes, ::testing::ElementsAre(5, 6));
  EXPECT_THAT(stream->Finish(), IsOk());
}

TEST_F(GrpcppInteropTest, EmptyStream) {
  grpc::ClientContext context;
  Prepare(context);
  auto stream = stub_->FullDuplexCall(&context);
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_THAT(stream->Finish(), IsOk());
}

TEST_F(GrpcppInteropTest, CancelAfterBegin) {
  grpc::ClientContext context;
  Prepare(context);
  StreamingInputCallResponse response;
  auto stream = stub_->StreamingInputCall(&context, &response);
  context.TryCancel();
  EXPECT_THAT(stream->Finish(), StatusIs(grpc::StatusCode::CANCELLED));
}

TEST_F(GrpcppInteropTest, CancelAfterFirstResponse) {
  grpc::ClientContext context;
  Prepare(context);
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(31415);
  request.mutable_payload()->set_body(Zeros(27182));
  ASSERT_TRUE(stream->Write(request));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  context.TryCancel();
  EXPECT_THAT(stream->Finish(), StatusIs(grpc::StatusCode::CANCELLED));
}

TEST_F(GrpcppInteropTest, TimeoutOnSleepingServer) {
  grpc::ClientContext context;
  Prepare(context, absl::Milliseconds(1));
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.mutable_payload()->set_body(Zeros(27182));
  stream->Write(request);
  EXPECT_THAT(stream->Finish(), StatusIs(grpc::StatusCode::DEADLINE_EXCEEDED));
}

constexpr char kInitialValue[] = "test_initial_metadata_value";
const std::string kTrailingValue("\xab\xab\xab", 3);

void ExpectEchoed(const grpc::ClientContext& context) {
  const auto initial = context.GetServerInitialMetadata().find("x-grpc-test-echo-initial");
  ASSERT_NE(initial, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(initial->second.data(), initial->second.size()), kInitialValue);
  const auto trailing = context.GetServerTrailingMetadata().find("x-grpc-test-echo-trailing-bin");
  ASSERT_NE(trailing, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(trailing->second.data(), trailing->second.size()), kTrailingValue);
}

TEST_F(GrpcppInteropTest, CustomMetadata) {
  {
    grpc::ClientContext context;
    Prepare(context);
    context.AddMetadata("x-grpc-test-echo-initial", kInitialValue);
    context.AddMetadata("x-grpc-test-echo-trailing-bin", kTrailingValue);
    SimpleRequest request = LargeUnaryRequest();
    SimpleResponse response;
    ASSERT_THAT(stub_->UnaryCall(&context, request, &response), IsOk());
    ExpectEchoed(context);
  }
  grpc::ClientContext context;
  Prepare(context);
  context.AddMetadata("x-grpc-test-echo-initial", kInitialValue);
  context.AddMetadata("x-grpc-test-echo-trailing-bin", kTrailingValue);
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(314159);
  request.mutable_payload()->set_body(Zeros(271828));
  ASSERT_TRUE(stream->Write(request));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_THAT(stream->Finish(), IsOk());
  ExpectEchoed(context);
}

TEST_F(GrpcppInteropTest, StatusCodeAndMessage) {
  for (const char* message : kStatusMessages) {
    {
      grpc::ClientContext context;
      Prepare(context);
      SimpleRequest request;
      request.mutable_response_status()->set_code(2);
      request.mutable_response_status()->set_message(message);
      SimpleResponse response;
      EXPECT_THAT(stub_->UnaryCall(&context, request, &response),
                  StatusIs(grpc::StatusCode::UNKNOWN, message));
    }
    grpc::ClientContext context;
    Prepare(context);
    auto stream = stub_->FullDuplexCall(&context);
    StreamingOutputCallRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    ASSERT_TRUE(stream->Write(request));
    stream->WritesDone();
    EXPECT_THAT(stream->Finish(), StatusIs(grpc::StatusCode::UNKNOWN, message));
  }
}

TEST_F(GrpcppInteropTest, UnimplementedMethod) {
  grpc::ClientContext context;
  Prepare(context);
  Empty response;
  EXPECT_THAT(stub_->UnimplementedCall(&context, Empty(), &response),
              StatusIs(grpc::StatusCode::UNIMPLEMENTED));
}

TEST_F(GrpcppInteropTest, UnimplementedService) {
  auto stub = UnimplementedService::NewStub(channel_);
  grpc::ClientContext context;
  Prepare(context);
  Empty response;
  EXPECT_THAT(stub->UnimplementedCall(&context, Empty(), &response),
              StatusIs(grpc::StatusCode::UNIMPLEMENTED));
}

}  // namespace
}  // namespace todo::interop
