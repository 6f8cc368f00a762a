#include "common/config/environment.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::common::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::todo::testing::IsOkAndHolds;
using ::todo::testing::StatusIs;

constexpr EnvVar kPort{"GRPC_PORT", "50052", "gRPC port"};
constexpr EnvVar kRequired{"DATABASE_URL", nullptr, "Postgres URL"};
constexpr EnvVar kSecret{"BETTER_AUTH_SECRET", nullptr, "token secret", true};
constexpr EnvVar kFlag{"FEATURE", "false", "a switch"};
constexpr EnvVar kTimeout{"DB_POOL_TIMEOUT_S", "30", "checkout timeout"};

TEST(EnvironmentTest, UsesTheDefaultWhenUnsetOrEmpty) {
  EXPECT_THAT(Environment::FromMap({}).GetInt(kPort, 0, 65535), IsOkAndHolds(50052));
  EXPECT_THAT(Environment::FromMap({{"GRPC_PORT", ""}}).GetInt(kPort, 0, 65535),
              IsOkAndHolds(50052));
}

TEST(EnvironmentTest, ParsesAndBoundsIntegers) {
  EXPECT_THAT(Environment::FromMap({{"GRPC_PORT", " 8081 "}}).GetInt(kPort, 0, 65535),
              IsOkAndHolds(8081));
  EXPECT_THAT(Environment::FromMap({{"GRPC_PORT", "70000"}}).GetInt(kPort, 0, 65535),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("GRPC_PORT"), HasSubstr("70000"))));
  EXPECT_THAT(Environment::FromMap({{"GRPC_PORT", "12ab"}}).GetInt(kPort, 0, 65535),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("GRPC_PORT")));
}

TEST(EnvironmentTest, NamesAMissingRequiredVariable) {
  EXPECT_THAT(Environment::FromMap({}).GetString(kRequired),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("DATABASE_URL"), HasSubstr("required"))));
}

TEST(EnvironmentTest, RefusesAShortSecretWithoutEchoingIt) {
  const auto env = Environment::FromMap({{"BETTER_AUTH_SECRET", "tooshort-secret-value"}});
  EXPECT_THAT(env.GetSecret(kSecret, 32),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("BETTER_AUTH_SECRET"), HasSubstr("32"),
                             Not(HasSubstr("tooshort")))));
  const std::string good(40, 'x');
  EXPECT_THAT(Environment::FromMap({{"BETTER_AUTH_SECRET", good}}).GetSecret(kSecret, 32),
              IsOkAndHolds(good));
}

TEST(EnvironmentTest, ParsesBooleanWords) {
  EXPECT_THAT(Environment::FromMap({{"FEATURE", "Yes"}}).GetBool(kFlag), IsOkAndHolds(true));
  EXPECT_THAT(Environment::FromMap({{"FEATURE", "0"}}).GetBool(kFlag), IsOkAndHolds(false));
  EXPECT_THAT(Environment::FromMap({{"FEATURE", "maybe"}}).GetBool(kFlag),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FEATURE")));
}

TEST(EnvironmentTest, ParsesFractionalSecondsWithinBounds) {
  EXPECT_THAT(Environment::FromMap({{"DB_POOL_TIMEOUT_S", "0.5"}})
                  .GetSeconds(kTimeout, absl::ZeroDuration(), absl::Hours(1)),
              IsOkAndHolds(absl::Milliseconds(500)));
  EXPECT_THAT(Environment::FromMap({{"DB_POOL_TIMEOUT_S", "-1"}})
                  .GetSeconds(kTimeout, absl::ZeroDuration(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DB_POOL_TIMEOUT_S")));
  EXPECT_THAT(Environment::FromMap({{"DB_POOL_TIMEOUT_S", "nan"}})
                  .GetSeconds(kTimeout, absl::ZeroDuration(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EnvironmentTest, PrefersTheServiceSpecificVariable) {
  constexpr EnvVar kSpecific{"TASKS_DATABASE_URL", nullptr, "tasks database"};
  constexpr EnvVar kShared{"DATABASE_URL", "postgresql:///todo", "shared database"};
  const EnvVar order[] = {kSpecific, kShared};
  EXPECT_THAT(
      Environment::FromMap({{"DATABASE_URL", "a"}, {"TASKS_DATABASE_URL", "b"}}).GetFirstOf(order),
      IsOkAndHolds("b"));
  EXPECT_THAT(Environment::FromMap({{"DATABASE_URL", "a"}}).GetFirstOf(order), IsOkAndHolds("a"));
  EXPECT_THAT(Environment::FromMap({}).GetFirstOf(order), IsOkAndHolds("postgresql:///todo"));
}

TEST(EnvironmentTest, HelpListsEveryVariableAndHidesSecretDefaults) {
  constexpr EnvVar kHiddenDefault{"API_KEY", "dev-key-123", "key", true};
  const EnvVar vars[] = {kPort, kRequired, kHiddenDefault};
  const std::string help = FormatHelp("todo-tasks", "The tasks service.", vars);
  EXPECT_THAT(help, HasSubstr("GRPC_PORT"));
  EXPECT_THAT(help, HasSubstr("\"50052\""));
  EXPECT_THAT(help, HasSubstr("DATABASE_URL"));
  EXPECT_THAT(help, HasSubstr("required"));
  EXPECT_THAT(help, Not(HasSubstr("dev-key-123")));
}

TEST(EnvironmentTest, ReadsTheProcessEnvironment) {
  setenv("TODO_ENVIRONMENT_TEST_VALUE", "42", 1);
  constexpr EnvVar kVar{"TODO_ENVIRONMENT_TEST_VALUE", "0", "test"};
  EXPECT_THAT(Environment::FromProcess().GetInt(kVar, 0, 100), IsOkAndHolds(42));
}

}  // namespace
}  // namespace todo::common::config

namespace todo::common::config {
namespace {

constexpr EnvVar kNewName{"GRPC_MAX_CONCURRENT_CALLS", "2000", "calls at once"};
constexpr EnvVar kOldName{"GRPC_MAX_THREADS", "2000", "old name"};

TEST(EnvironmentTest, ANewNameWinsOverTheOldOneItReplaces) {
  const EnvVar names[] = {kNewName, kOldName};
  EXPECT_THAT(Environment::FromMap({}).GetIntFirstOf(names, 4, 100000),
              todo::testing::IsOkAndHolds(2000));
  EXPECT_THAT(Environment::FromMap({{"GRPC_MAX_THREADS", "300"}}).GetIntFirstOf(names, 4, 100000),
              todo::testing::IsOkAndHolds(300));
  EXPECT_THAT(
      Environment::FromMap({{"GRPC_MAX_THREADS", "300"}, {"GRPC_MAX_CONCURRENT_CALLS", "50"}})
          .GetIntFirstOf(names, 4, 100000),
      todo::testing::IsOkAndHolds(50));
  // A bad value is named by the variable that carried it.
  EXPECT_THAT(Environment::FromMap({{"GRPC_MAX_THREADS", "many"}}).GetIntFirstOf(names, 4, 100000),
              todo::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                      ::testing::HasSubstr("GRPC_MAX_THREADS")));
}

}  // namespace
}  // namespace todo::common::config
