#include "services/auth/account_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::auth {
namespace {

using ::testing::StartsWith;
using ::todo::testing::IsOkAndHolds;
using ::todo::testing::StatusIs;

TEST(NormalizeEmailTest, TrimsAndKeepsCase) {
  EXPECT_THAT(NormalizeEmail("  Ada@Example.COM \n"), IsOkAndHolds("Ada@Example.COM"));
  EXPECT_EQ(LowerEmail("Ada@Example.COM"), "ada@example.com");
}

TEST(NormalizeEmailTest, RefusesWhatIsNotAnAddress) {
  for (const std::string& email : std::vector<std::string>{
           "", "   ", "no-at-sign", "@example.com", "ada@", "a@b@c", "ada lovelace@example.com",
           std::string("ada\x01@example.com"), std::string(250, 'a') + "@example.com"}) {
    EXPECT_THAT(NormalizeEmail(email),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("email:")))
        << email;
  }
}

TEST(IsUuidTest, TakesTheCanonicalFormOnly) {
  EXPECT_TRUE(IsUuid("0e9918b5-cd6d-4fa9-b98b-3a841b137dc8"));
  EXPECT_TRUE(IsUuid("0E9918B5-CD6D-4FA9-B98B-3A841B137DC8"));
  EXPECT_FALSE(IsUuid("0e9918b5cd6d4fa9b98b3a841b137dc8"));
  EXPECT_FALSE(IsUuid("0e9918b5-cd6d-4fa9-b98b-3a841b137dc"));
  EXPECT_FALSE(IsUuid("0e9918b5-cd6d-4fa9-b98b-3a841b137dcg"));
  EXPECT_FALSE(IsUuid("user_123"));
  EXPECT_FALSE(IsUuid(""));
}

TEST(ValidatePasswordTest, Needs8To1024Bytes) {
  EXPECT_THAT(ValidatePassword("1234567"),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("password:")));
  EXPECT_TRUE(ValidatePassword("12345678").ok());
  EXPECT_TRUE(ValidatePassword(std::string(1024, 'p')).ok());
  EXPECT_THAT(ValidatePassword(std::string(10 * 1024, 'p')),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("password:")));
}

TEST(NormalizeNameTest, TrimsAndLimitsTo100Characters) {
  EXPECT_THAT(NormalizeName("  Ada  "), IsOkAndHolds("Ada"));
  EXPECT_THAT(NormalizeName(" "),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("name:")));
  EXPECT_THAT(NormalizeName(std::string(101, 'n')),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("name:")));
}

}  // namespace
}  // namespace todo::auth
