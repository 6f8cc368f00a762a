#include "services/auth/password_hasher.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/jwt/jwt_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/token_issuer.h"
#include "tests/harness/status_matchers.h"

namespace todo::auth {
namespace {

using ::testing::StartsWith;
using ::todo::testing::IsOk;
using ::todo::testing::IsOkAndHolds;

Argon2Params Cheap() {
  Argon2Params params;
  params.time_cost = 1;
  params.memory_kib = 256;
  params.max_concurrent = 2;
  return params;
}

TEST(PasswordHasherTest, HashesAsArgon2idAndVerifies) {
  PasswordHasher hasher(Cheap());
  auto hash = hasher.Hash("correct horse battery staple");
  ASSERT_THAT(hash, IsOk());
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=256,t=1,p=1$"));
  EXPECT_THAT(hasher.Verify(*hash, "correct horse battery staple"), IsOkAndHolds(true));
  EXPECT_THAT(hasher.Verify(*hash, "correct horse battery stable"), IsOkAndHolds(false));
  EXPECT_THAT(hasher.Verify("not a hash", "anything"), IsOkAndHolds(false));
  EXPECT_THAT(hasher.VerifyUnknownAccount("no account has this password"), IsOkAndHolds(false));
}

TEST(PasswordHasherTest, SaltsEveryHash) {
  PasswordHasher hasher(Cheap());
  EXPECT_NE(*hasher.Hash("same password"), *hasher.Hash("same password"));
}

TEST(PasswordHasherTest, DefaultCostIsAtLeastFiftyMilliseconds) {
  PasswordHasher hasher{Argon2Params()};
  const absl::Time start = absl::Now();
  ASSERT_THAT(hasher.Hash("measure me please"), IsOk());
  // Not a timing target: a guard that the default parameters are not weak.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(25));
}

// Nice values of this process's threads, from /proc/self/task/*/stat.
std::vector<int> ThreadNiceValues() {
  std::vector<int> values;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the ")" closing the thread name; nice is field 19.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int index = 3; index <= 19 && fields >> field; ++index) {
      if (index == 19) values.push_back(std::stoi(field));
    }
  }
  return values;
}

// Hashing happens only on the hasher's own threads, so exactly
// max_concurrent of them, all at nice +19, bound how many hashes run at once.
TEST(PasswordHasherTest, HashesOnLowPriorityThreadsOfItsOwn) {
  Argon2Params params = Cheap();
  params.max_concurrent = 3;
  const auto niced = [] {
    const std::vector<int> values = ThreadNiceValues();
    return std::count(values.begin(), values.end(), 19);
  };
  const auto before = niced();
  PasswordHasher hasher(params);
  EXPECT_EQ(niced(), before + 3);
  EXPECT_THAT(hasher.Verify(*hasher.Hash("x-password"), "x-password"), IsOkAndHolds(true));
}

// A flood is refused at once past the queue's bound, never queued without
// end: with one thread and one place, of 12 hashes asked for at once some are
// refused with a retry delay and each of the others completes.
TEST(PasswordHasherTest, RefusesHashesBeyondTheQueueAtOnce) {
  Argon2Params params = Cheap();
  params.max_concurrent = 1;
  params.max_queued = 1;
  params.time_cost = 3;
  params.memory_kib = 8192;
  PasswordHasher hasher(params);
  std::vector<std::thread> callers;
  std::atomic<int> refused{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 12; ++i) {
    callers.emplace_back([&] {
      absl::StatusOr<std::string> hash = hasher.Hash("flood-password");
      if (hash.ok()) {
        ++done;
      } else if (absl::IsResourceExhausted(hash.status())) {
        ++refused;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_GT(refused.load(), 0);
  EXPECT_GE(done.load(), 1);
  EXPECT_EQ(refused.load() + done.load(), 12);
}

// A newcomer's work takes the place of the newest waiting normal work when
// the queue is full: the one pushed out is refused, the newcomer is served.
TEST(PasswordHasherTest, FirstWorkPushesTheNewestNormalWorkOutOfAFullQueue) {
  Argon2Params params = Cheap();
  params.max_concurrent = 1;
  params.max_queued = 1;
  params.time_cost = 40;  // with 32 MiB, about a second: the queue is seen while it runs
  params.memory_kib = 32768;
  PasswordHasher hasher(params);
  absl::Status running;
  absl::Status waiting;
  absl::Status first;
  std::thread a([&] { running = hasher.Hash("a-password").status(); });
  absl::SleepFor(absl::Milliseconds(100));  // a is on the worker
  std::thread b([&] { waiting = hasher.Hash("b-password").status(); });
  absl::SleepFor(absl::Milliseconds(100));  // b waits in the only place
  std::thread c([&] { first = hasher.Hash("c-password", Priority::kFirst).status(); });
  a.join();
  b.join();
  c.join();
  EXPECT_THAT(running, IsOk());
  EXPECT_TRUE(absl::IsResourceExhausted(waiting)) << waiting;
  EXPECT_THAT(first, IsOk());
}

TEST(TokenIssuerTest, IssuesTokensTheSharedVerifierAccepts) {
  common::time::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  TokenOptions options;
  options.secret = "issuer-test-secret-with-32-characters!";
  options.lifetime = absl::Hours(24 * 7);
  options.issuer = "todo-auth";
  const TokenIssuer issuer(options, &clock);
  const IssuedToken issued = issuer.Issue("6f1c-uuid", "ada@example.com", "Ada \"The\" First");
  EXPECT_EQ(issued.expires_at, clock.Now() + absl::Hours(24 * 7));

  common::jwt::JwtVerifierOptions verify;
  verify.hs256_secret = options.secret;
  verify.issuer = "todo-auth";
  const common::jwt::JwtVerifier verifier(verify, &clock);
  auto claims = verifier.Verify(issued.token);
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->subject, "6f1c-uuid");
  EXPECT_EQ(claims->email, "ada@example.com");
  EXPECT_EQ(claims->name, "Ada \"The\" First");
  EXPECT_EQ(claims->expires_at, issued.expires_at);
}

}  // namespace
}  // namespace todo::auth
