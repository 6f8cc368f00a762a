#include "common/status/client_status.h"

#include <algorithm>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace todo::common {
namespace {

constexpr absl::string_view kInternalDetailPayload = "todo/internal-detail";
constexpr absl::string_view kReasonPayload = "todo/error-reason";
constexpr absl::string_view kRetryDelayPayload = "todo/retry-delay-ms";
constexpr absl::string_view kClientMessagePayload = "todo/client-message";

bool HidesMessage(const absl::Status& status) {
  if (status.GetPayload(kClientMessagePayload).has_value()) return false;
  const absl::StatusCode code = status.code();
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss ||
         status.GetPayload(kInternalDetailPayload).has_value();
}

// What a client is told when the message itself is internal.
const char* GenericMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
      return "the service is temporarily unavailable; retry later";
    case absl::StatusCode::kDeadlineExceeded:
      return "the request took too long";
    case absl::StatusCode::kAborted:
      return "the request conflicted with another one; retry";
    case absl::StatusCode::kAlreadyExists:
      return "it already exists";
    case absl::StatusCode::kInvalidArgument:
      return "a value in the request was refused";
    case absl::StatusCode::kFailedPrecondition:
      return "the request cannot be done in the current state";
    case absl::StatusCode::kResourceExhausted:
      return "the service is busy; retry later";
    default:
      return "internal error";
  }
}

std::string DetailsOf(const absl::Status& status, const std::string& message) {
  const auto reason = status.GetPayload(kReasonPayload);
  const auto retry_ms = status.GetPayload(kRetryDelayPayload);
  if (!reason.has_value() && !retry_ms.has_value()) return "";
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  if (reason.has_value()) {
    google::rpc::ErrorInfo info;
    info.set_reason(std::string(*reason));
    info.set_domain(std::string(kErrorDomain));
    details.add_details()->PackFrom(info);
  }
  int64_t milliseconds = 0;
  if (retry_ms.has_value() && absl::SimpleAtoi(std::string(*retry_ms), &milliseconds)) {
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(milliseconds / 1000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(milliseconds % 1000) * 1000000);
    details.add_details()->PackFrom(retry);
  }
  return details.SerializeAsString();
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

absl::Status WithInternalDetail(absl::Status status) {
  if (!status.ok()) status.SetPayload(kInternalDetailPayload, absl::Cord());
  return status;
}

absl::Status WithClientMessage(absl::Status status) {
  if (!status.ok()) status.SetPayload(kClientMessagePayload, absl::Cord());
  return status;
}

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  if (!status.ok()) status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (!status.ok()) {
    // Whole milliseconds, rounded up: a wait that rounds to nothing would
    // tell the client to retry into the same refusal.
    status.SetPayload(
        kRetryDelayPayload,
        absl::Cord(absl::StrCat(std::max<int64_t>(
            1, absl::ToInt64Milliseconds(absl::Ceil(delay, absl::Milliseconds(1)))))));
  }
  return status;
}

ClientStatus ToClientStatus(const absl::Status& status, absl::string_view rpc_name) {
  if (status.ok()) return {};
  ClientStatus converted;
  converted.code = status.code();
  if (HidesMessage(status)) {
    // Logged under the request's id and trace (ScopedRequestContext), so an operator can
    // find the detail a client reports.
    logging::Error("rpc_internal_error", {{"rpc", std::string(rpc_name)},
                                          {"code", absl::StatusCodeToString(status.code())},
                                          {"error", std::string(status.message())}});
    converted.message = GenericMessage(status.code());
  } else {
    converted.message = Truncate(status.message());
  }
  converted.details_bin = DetailsOf(status, converted.message);
  return converted;
}

}  // namespace todo::common
