#include "tests/interop/grpcpp_test_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/testing/test.grpc.pb.h"
#include "grpcpp/server_builder.h"

namespace todo::interop {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::testing::Empty;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

void EchoMetadata(ServerContext* context) {
  const auto& metadata = context->client_metadata();
  if (auto initial = metadata.find("x-grpc-test-echo-initial"); initial != metadata.end()) {
    context->AddInitialMetadata("x-grpc-test-echo-initial",
                                std::string(initial->second.data(), initial->second.size()));
  }
  if (auto trailing = metadata.find("x-grpc-test-echo-trailing-bin"); trailing != metadata.end()) {
    context->AddTrailingMetadata("x-grpc-test-echo-trailing-bin",
                                 std::string(trailing->second.data(), trailing->second.size()));
  }
}

}  // namespace

struct GrpcppTestServer::Service final : grpc::testing::TestService::Service {
  Status EmptyCall(ServerContext* context, const Empty*, Empty*) override {
    EchoMetadata(context);
    return Status::OK;
  }

  Status UnaryCall(ServerContext* context, const SimpleRequest* request,
                   SimpleResponse* response) override {
    EchoMetadata(context);
    if (request->response_status().code() != 0) {
      return Status(static_cast<grpc::StatusCode>(request->response_status().code()),
                    request->response_status().message());
    }
    if (request->response_compressed().value()) {
      context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }
    response->mutable_payload()->set_body(
        std::string(static_cast<size_t>(request->response_size()), '\0'));
    return Status::OK;
  }

  Status StreamingOutputCall(ServerContext* context, const StreamingOutputCallRequest* request,
                             grpc::ServerWriter<StreamingOutputCallResponse>* writer) override {
    EchoMetadata(context);
    for (const auto& parameters : request->response_parameters()) {
      if (parameters.interval_us() > 0)
        absl::SleepFor(absl::Microseconds(parameters.interval_us()));
      if (context->IsCancelled()) return Status::CANCELLED;
      StreamingOutputCallResponse response;
      response.mutable_payload()->set_body(
          std::string(static_cast<size_t>(parameters.size()), '\0'));
      grpc::WriteOptions options;
      if (parameters.compressed().value()) {
        context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
      } else {
        options.set_no_compression();
      }
      if (!writer->Write(response, options)) return Status::CANCELLED;
    }
    if (request->response_status().code() != 0) {
      return Status(static_cast<grpc::StatusCode>(request->response_status().code()),
                    request->response_status().message());
    }
    return Status::OK;
  }

  Status StreamingInputCall(ServerContext* context,
                            grpc::ServerReader<StreamingInputCallRequest>* reader,
                            StreamingInputCallResponse* response) override {
    EchoMetadata(context);
    StreamingInputCallRequest request;
    size_t sum = 0;
    while (reader->Read(&request)) sum += request.payload().body().size();
    if (context->IsCancelled()) return Status::CANCELLED;
    response->set_aggregated_payload_size(static_cast<int32_t>(sum));
    return Status::OK;
  }

  // Answers each request as it comes (ping_pong, empty_stream).
  Status FullDuplexCall(ServerContext* context,
                        grpc::ServerReaderWriter<StreamingOutputCallResponse,
                                                 StreamingOutputCallRequest>* stream) override {
    EchoMetadata(context);
    StreamingOutputCallRequest request;
    while (stream->Read(&request)) {
      if (request.response_status().code() != 0) {
        return Status(static_cast<grpc::StatusCode>(request.response_status().code()),
                      request.response_status().message());
      }
      for (const auto& parameters : request.response_parameters()) {
        StreamingOutputCallResponse response;
        response.mutable_payload()->set_body(
            std::string(static_cast<size_t>(parameters.size()), '\0'));
        if (!stream->Write(response)) return Status::CANCELLED;
      }
    }
    return context->IsCancelled() ? Status::CANCELLED : Status::OK;
  }

  Status UnimplementedCall(ServerContext*, const Empty*, Empty*) override {
    return Status(grpc::StatusCode::UNIMPLEMENTED, "UnimplementedCall");
  }
};

GrpcppTestServer::GrpcppTestServer() : service_(std::make_unique<Service>()) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
}

GrpcppTestServer::~GrpcppTestServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

std::string GrpcppTestServer::target() const { return absl::StrCat("127.0.0.1:", port_); }

}  // namespace todo::interop
