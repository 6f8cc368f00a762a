#include <string>

#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::common {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::todo::testing::IsOkAndHolds;
using ::todo::testing::StatusIs;

TEST(ToGrpcStatusTest, KeepsCodeAndMessageOfClientErrors) {
  const grpc::Status status = ToGrpcStatus(absl::NotFoundError("task 7 not found"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "task 7 not found");
}

TEST(ToGrpcStatusTest, HidesTheTextOfInternalErrors) {
  const grpc::Status status =
      ToGrpcStatus(absl::InternalError("tasks_select: relation \"tasks.tasks\" does not exist"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "internal error");
  EXPECT_EQ(ToGrpcStatus(absl::UnknownError("segfault-ish")).error_message(), "internal error");
  EXPECT_EQ(ToGrpcStatus(absl::DataLossError("disk")).error_message(), "internal error");
}

TEST(ToGrpcStatusTest, CapsLongMessagesAtACharacterBoundary) {
  std::string message(kMaxClientErrorMessageLength - 1, 'a');
  message += "\xC3\xA9\xC3\xA9";  // two 2-byte characters straddling the cap
  const grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError(message));
  EXPECT_THAT(status.error_message(), SizeIs(kMaxClientErrorMessageLength - 1));
}

TEST(ToGrpcStatusTest, InternalDetailIsLoggedAndTheClientHearsWhatTheCodeMeans) {
  const grpc::Status converted = ToGrpcStatus(WithInternalDetail(absl::UnavailableError(
      "tasks_select: connection to server at \"10.0.0.7\", port 5432 failed")));
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(converted.error_message(), "the service is temporarily unavailable; retry later");
  EXPECT_TRUE(converted.error_details().empty());
}

TEST(ToGrpcStatusTest, ReasonAndRetryDelayTravelAsDetails) {
  const grpc::Status converted = ToGrpcStatus(WithRetryDelay(
      WithReason(absl::ResourceExhaustedError("busy"), "SOME_REASON"), absl::Microseconds(300)));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(converted.error_details()));
  EXPECT_EQ(details.code(), 8);
  EXPECT_EQ(details.message(), "busy");
  ASSERT_THAT(details.details(), SizeIs(2));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SOME_REASON");
  EXPECT_EQ(info.domain(), "todo-grpc");
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(1).UnpackTo(&retry));
  // Rounded up: a wait of nothing would invite the same refusal.
  EXPECT_EQ(retry.retry_delay().seconds(), 0);
  EXPECT_EQ(retry.retry_delay().nanos(), 1'000'000);
}

TEST(ToGrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(FromGrpcStatusTest, RoundTripsCodeAndMessage) {
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::ABORTED, "stale etag")),
              StatusIs(absl::StatusCode::kAborted, "stale etag"));
}

absl::Status FailsWhenNegative(int value) {
  if (value < 0) {
    return absl::InvalidArgumentError("negative");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Doubled(int value) {
  RETURN_IF_ERROR(FailsWhenNegative(value));
  return value * 2;
}

absl::StatusOr<int> DoubledTwice(int value) {
  ASSIGN_OR_RETURN(int once, Doubled(value));
  ASSIGN_OR_RETURN(const int twice, Doubled(once));
  return twice;
}

TEST(StatusMacrosTest, PropagateErrorsAndUnwrapValues) {
  EXPECT_THAT(DoubledTwice(3), IsOkAndHolds(12));
  EXPECT_THAT(DoubledTwice(-1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("neg")));
}

}  // namespace
}  // namespace todo::common
