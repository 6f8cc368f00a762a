#include "common/status/grpc_status.h"

#include <string>

#include "common/logging/log.h"

namespace todo::common {
namespace {

bool HidesMessage(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

// Cuts at a UTF-8 character boundary so the message stays valid text.
std::string Truncate(absl::string_view message) {
  if (message.size() <= kMaxClientErrorMessageLength) {
    return std::string(message);
  }
  size_t end = kMaxClientErrorMessageLength;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(message.substr(0, end));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view rpc_name) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (HidesMessage(status.code())) {
    logging::Error("rpc_internal_error", {{"rpc", std::string(rpc_name)},
                                          {"code", absl::StatusCodeToString(status.code())},
                                          {"error", std::string(status.message())}});
    return grpc::Status(code, "internal error");
  }
  return grpc::Status(code, Truncate(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace todo::common
