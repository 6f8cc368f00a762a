#pragma once

// gMock matchers for absl::Status, absl::StatusOr<T> and grpc::Status, with
// the names of upstream Abseil's status_matchers.h. Tests assert the specific
// error, never just "not OK":
//
//   EXPECT_THAT(store.Get(user, 42), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(stub->GetTask(&ctx, req, &resp), StatusIs(grpc::StatusCode::NOT_FOUND));
//   EXPECT_THAT(parsed, IsOkAndHolds(Eq(7)));

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "grpcpp/support/status.h"

namespace todo::testing {
namespace internal {

inline absl::Status AsStatus(const absl::Status& status) { return status; }
template <typename T>
absl::Status AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
inline absl::Status AsStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status status = internal::AsStatus(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status status = internal::AsStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == static_cast<absl::StatusCode>(code);
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status status = internal::AsStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == static_cast<absl::StatusCode>(code) &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace todo::testing
