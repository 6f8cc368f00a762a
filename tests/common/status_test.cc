#include <string>

#include "common/status/client_status.h"
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

TEST(ToClientStatusTest, KeepsCodeAndMessageOfClientErrors) {
  const ClientStatus status = ToClientStatus(absl::NotFoundError("task 7 not found"));
  EXPECT_EQ(status.code, absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message, "task 7 not found");
}

TEST(ToClientStatusTest, HidesTheTextOfInternalErrors) {
  const ClientStatus status =
      ToClientStatus(absl::InternalError("tasks_select: relation \"tasks.tasks\" does not exist"));
  EXPECT_EQ(status.code, absl::StatusCode::kInternal);
  EXPECT_EQ(status.message, "internal error");
  EXPECT_EQ(ToClientStatus(absl::UnknownError("segfault-ish")).message, "internal error");
  EXPECT_EQ(ToClientStatus(absl::DataLossError("disk")).message, "internal error");
}

TEST(ToClientStatusTest, CapsLongMessagesAtACharacterBoundary) {
  std::string message(kMaxClientErrorMessageLength - 1, 'a');
  message += "\xC3\xA9\xC3\xA9";  // two 2-byte characters straddling the cap
  const ClientStatus status = ToClientStatus(absl::InvalidArgumentError(message));
  EXPECT_THAT(status.message, SizeIs(kMaxClientErrorMessageLength - 1));
}

TEST(ToClientStatusTest, InternalDetailIsLoggedAndTheClientHearsWhatTheCodeMeans) {
  const ClientStatus converted = ToClientStatus(WithInternalDetail(absl::UnavailableError(
      "tasks_select: connection to server at \"10.0.0.7\", port 5432 failed")));
  EXPECT_EQ(converted.code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(converted.message, "the service is temporarily unavailable; retry later");
  EXPECT_TRUE(converted.details_bin.empty());
}

TEST(ToClientStatusTest, ReasonAndRetryDelayTravelAsDetails) {
  const ClientStatus converted = ToClientStatus(WithRetryDelay(
      WithReason(absl::ResourceExhaustedError("busy"), "SOME_REASON"), absl::Microseconds(300)));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(converted.details_bin));
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

TEST(ToClientStatusTest, OkStaysOk) { EXPECT_TRUE(ToClientStatus(absl::OkStatus()).ok()); }

TEST(ToClientStatusTest, AClientMessageIsSentEvenWithInternal) {
  const ClientStatus status =
      ToClientStatus(WithClientMessage(absl::InternalError("the request message does not parse")));
  EXPECT_EQ(status.code, absl::StatusCode::kInternal);
  EXPECT_EQ(status.message, "the request message does not parse");
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
