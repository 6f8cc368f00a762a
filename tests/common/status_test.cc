#include <string>

#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "gmock/gmock.h"
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
