#pragma once

// The requests of gRPC's interoperability cases as the description gives
// them, shared by the C++ clients (grpc++ and ours).

#include <string>

#include "grpc/testing/messages.pb.h"

namespace todo::interop {

// large_unary and friends: 271828 bytes in, 314159 out.
inline grpc::testing::SimpleRequest LargeUnaryRequest() {
  grpc::testing::SimpleRequest request;
  request.set_response_size(314159);
  request.mutable_payload()->set_body(std::string(271828, '\0'));
  return request;
}

// server_streaming: four responses of these sizes.
inline grpc::testing::StreamingOutputCallRequest ServerStreamingRequest() {
  grpc::testing::StreamingOutputCallRequest request;
  for (const int size : {31415, 9, 2653, 58979}) request.add_response_parameters()->set_size(size);
  return request;
}

// server_compressed_streaming: 31415 bytes compressed, then 92653 not.
inline grpc::testing::StreamingOutputCallRequest ServerCompressedStreamingRequest() {
  grpc::testing::StreamingOutputCallRequest request;
  auto* first = request.add_response_parameters();
  first->set_size(31415);
  first->mutable_compressed()->set_value(true);
  auto* second = request.add_response_parameters();
  second->set_size(92653);
  second->mutable_compressed()->set_value(false);
  return request;
}

// status_code_and_message and special_status_message.
inline constexpr const char* kStatusMessages[] = {
    "test status message",
    "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP \xf0\x9f\x98\x88\t\n"};

}  // namespace todo::interop
