// AuthServiceImpl through a real in-process gRPC server against real
// Postgres, with a real tasks server beside it for delete-me.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pg/migrator.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/auth/auth_app.h"
#include "services/auth/auth_config.h"
#include "services/auth/migrations.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "services/tasks/tasks_config.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/service_environment.h"
#include "tests/harness/status_matchers.h"
#include "tests/harness/tokens.h"
#include "todo/auth/v1/auth.grpc.pb.h"
#include "todo/tasks/v1/tasks.grpc.pb.h"

namespace todo::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::todo::testing::Authorize;
using ::todo::testing::IsOk;
using ::todo::testing::SharedPostgres;
using ::todo::testing::StatusIs;
using AuthStub = v1::AuthService::Stub;
using TasksStub = tasks::v1::TasksService::Stub;

std::string* shared_dsn = nullptr;

class AuthServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    shared_dsn = new std::string(*dsn);
    for (const auto& [schema, migrations] :
         {std::make_pair(kSchema, &AuthMigrations()),
          std::make_pair(tasks::kSchema, &tasks::TasksMigrations())}) {
      common::pg::MigratorOptions migrator;
      migrator.connect.dsn = *shared_dsn;
      migrator.schema = schema;
      ASSERT_THAT(common::pg::Migrate(migrator, *migrations), IsOk());
    }
  }

  AuthServiceTest() : clock_(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))) {
    common::pg::PoolOptions pool_options;
    pool_options.connect.dsn = *shared_dsn;
    pool_ = std::make_unique<common::pg::ConnectionPool>(pool_options);
    common::jwt::JwtVerifierOptions verify;
    verify.hs256_secret = todo::testing::kTestSecret;
    verifier_ = std::make_unique<common::jwt::JwtVerifier>(verify, &clock_);

    // Both services as their binaries assemble them, on the test's clock.
    absl::StatusOr<tasks::TasksConfig> tasks_config =
        tasks::LoadTasksConfig(todo::testing::ServiceEnvironment(*shared_dsn));
    EXPECT_THAT(tasks_config, IsOk());
    absl::StatusOr<std::unique_ptr<tasks::TasksApp>> tasks_app =
        tasks::TasksApp::Start(*tasks_config, clock_);
    EXPECT_THAT(tasks_app, IsOk());
    tasks_ = *std::move(tasks_app);
    tasks_stub_ = tasks::v1::TasksService::NewStub(
        grpc::CreateChannel(tasks_->server().local_target(), grpc::InsecureChannelCredentials()));

    absl::StatusOr<AuthConfig> config = LoadAuthConfig(todo::testing::ServiceEnvironment(
        *shared_dsn, {{"TASKS_ADDR", tasks_->server().local_target()},
                      {"ARGON2_TIME_COST", "1"},
                      {"ARGON2_MEMORY_KIB", "1024"}}));
    EXPECT_THAT(config, IsOk());
    config->throttle.pair = {2, absl::Minutes(1), absl::Minutes(4)};
    // Every test signs in from 127.0.0.1 into one database, each with its own
    // fake clock: the address key would carry one test's attempts into the
    // next. Emails (and so pairs) are unique per test.
    config->throttle.address.free_attempts = 1'000'000;
    absl::StatusOr<std::unique_ptr<AuthApp>> auth_app = AuthApp::Start(*config, clock_);
    EXPECT_THAT(auth_app, IsOk());
    auth_ = *std::move(auth_app);
    stub_ = v1::AuthService::NewStub(
        grpc::CreateChannel(auth_->server().local_target(), grpc::InsecureChannelCredentials()));

    static std::atomic<int> next{0};
    email_ = absl::StrCat("Ada.", getpid(), ".", next++, "@Example.com");
  }

  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (AuthStub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                    const Request& request, Response* response, const std::string& token = "") {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!token.empty()) Authorize(context, token);
    return (stub_.get()->*method)(&context, request, response);
  }

  grpc::Status SignUp(const std::string& email, const std::string& password,
                      v1::AuthResponse* response, const std::string& name = "Ada") {
    v1::SignUpRequest request;
    request.set_email(email);
    request.set_password(password);
    request.set_name(name);
    return Call(&AuthStub::SignUp, request, response);
  }

  grpc::Status SignIn(const std::string& email, const std::string& password,
                      v1::AuthResponse* response) {
    v1::SignInRequest request;
    request.set_email(email);
    request.set_password(password);
    return Call(&AuthStub::SignIn, request, response);
  }

  common::time::FakeClock clock_;
  std::unique_ptr<common::pg::ConnectionPool> pool_;
  std::unique_ptr<common::jwt::JwtVerifier> verifier_;
  std::unique_ptr<tasks::TasksApp> tasks_;
  std::unique_ptr<TasksStub> tasks_stub_;
  std::unique_ptr<AuthApp> auth_;
  std::unique_ptr<AuthStub> stub_;
  std::string email_;
};

TEST_F(AuthServiceTest, SignUpAndSignInIssueTokensEveryServiceAccepts) {
  v1::AuthResponse signed_up;
  ASSERT_THAT(SignUp("  " + email_ + " ", "correct horse", &signed_up, "  Ada  "), IsOk());
  EXPECT_EQ(signed_up.user().email(), email_);
  EXPECT_EQ(signed_up.user().name(), "Ada");
  EXPECT_EQ(signed_up.user().id().size(), 36u);  // a UUID
  EXPECT_EQ(signed_up.expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(24 * 7)));

  v1::AuthResponse signed_in;
  ASSERT_THAT(SignIn(absl::AsciiStrToUpper(email_), "correct horse", &signed_in), IsOk());
  EXPECT_EQ(signed_in.user().id(), signed_up.user().id());
  auto claims = verifier_->Verify(signed_in.access_token());
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->subject, signed_up.user().id());
  EXPECT_EQ(claims->email, email_);

  v1::User me;
  ASSERT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, signed_in.access_token()), IsOk());
  EXPECT_EQ(me.id(), signed_up.user().id());
  EXPECT_EQ(me.email(), email_);
}

TEST_F(AuthServiceTest, ASecondSignUpWithTheSameEmailIsAConflict) {
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "password-1", &response), IsOk());
  EXPECT_THAT(SignUp(absl::AsciiStrToLower(email_), "password-2", &response),
              StatusIs(grpc::StatusCode::ALREADY_EXISTS));
}

TEST_F(AuthServiceTest, ADuplicateSignUpRacingItselfHasExactlyOneWinner) {
  std::atomic<int> created{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 6; ++i) {
    racers.emplace_back([&] {
      v1::AuthResponse response;
      const grpc::Status status = SignUp(email_, "racing-password", &response);
      if (status.ok()) ++created;
      if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) ++conflicts;
    });
  }
  for (std::thread& racer : racers) racer.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), 5);
}

TEST_F(AuthServiceTest, AWrongEmailAndAWrongPasswordAnswerTheSame) {
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "the right password", &response), IsOk());
  const grpc::Status wrong_password = SignIn(email_, "the wrong password", &response);
  const grpc::Status wrong_email = SignIn("nobody@example.com", "the right password", &response);
  EXPECT_EQ(wrong_password.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong_email.error_code(), wrong_password.error_code());
  EXPECT_EQ(wrong_email.error_message(), wrong_password.error_message());
}

TEST_F(AuthServiceTest, RefusesBadInputNamingTheField) {
  v1::AuthResponse response;
  EXPECT_THAT(SignUp("no-at-sign.example.com", "password", &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("email:")));
  EXPECT_THAT(SignUp(email_, "short", &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("password:")));
  EXPECT_THAT(SignUp(email_, std::string(10 * 1024, 'p'), &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("password:")));
  EXPECT_THAT(SignUp(email_, "password", &response, " "),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("name:")));
  EXPECT_THAT(SignIn(email_, std::string(10 * 1024, 'p'), &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("password:")));
}

TEST_F(AuthServiceTest, StoresSqlMetacharactersAsPlainText) {
  const std::string email = absl::StrCat("x');DROP/**/TABLE/**/auth.users;--", getpid(), "@ex.com");
  const std::string name = "Robert'); DELETE FROM auth.users; --";
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email, "pa'ss\"word;--", &response, name), IsOk());
  EXPECT_EQ(response.user().name(), name);
  ASSERT_THAT(SignIn(email, "pa'ss\"word;--", &response), IsOk());
  v1::User me;
  ASSERT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, response.access_token()), IsOk());
  EXPECT_EQ(me.email(), email);
}

TEST_F(AuthServiceTest, GuessesBeyondTheAllowanceWaitTheirTurnUnchecked) {
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "the right password", &response), IsOk());
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(SignIn(email_, "guess " + std::to_string(i), &response),
                StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  }
  // Two are allowed at once; the next waits a minute: even the right
  // password is refused unchecked, with the wait in the status details.
  grpc::Status refused = SignIn(email_, "the right password", &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(refused.error_details().empty());
  // Other emails are not affected.
  EXPECT_THAT(SignIn("other@example.com", "x", &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  clock_.Advance(absl::Seconds(61));
  EXPECT_THAT(SignIn(email_, "the right password", &response), IsOk());
}

TEST_F(AuthServiceTest, SuccessfulSignInsFromOneAddressAreNotThrottled) {
  // An office behind one address: many people signing in is not guessing.
  SignInThrottleOptions options;
  options.address = {3, absl::Minutes(1), absl::Minutes(4)};
  SignInThrottle throttle(pool_.get(), &clock_, options);
  for (int i = 0; i < 10; ++i) {
    const std::string email = absl::StrCat("office", i, ".", email_);
    ASSERT_THAT(throttle.Reserve(absl::AsciiStrToLower(email), "192.0.2.9"), IsOk()) << i;
    ASSERT_THAT(throttle.Forget(absl::AsciiStrToLower(email), "192.0.2.9"), IsOk());
  }
  // Guesses still count: three free, then the fourth waits.
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(throttle.Reserve(absl::StrCat("guess", i, "@example.com"), "192.0.2.9"), IsOk());
  }
  EXPECT_THAT(throttle.Reserve("guess3@example.com", "192.0.2.9"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(SignInThrottleTest, DelaysDoubleFromTheFirstUpToTheCap) {
  const ThrottlePolicy policy{2, absl::Seconds(1), absl::Seconds(5)};
  EXPECT_EQ(DelayAfter(policy, 0), absl::ZeroDuration());
  EXPECT_EQ(DelayAfter(policy, 1), absl::ZeroDuration());
  EXPECT_EQ(DelayAfter(policy, 2), absl::Seconds(1));
  EXPECT_EQ(DelayAfter(policy, 3), absl::Seconds(2));
  EXPECT_EQ(DelayAfter(policy, 4), absl::Seconds(4));
  EXPECT_EQ(DelayAfter(policy, 5), absl::Seconds(5));
  EXPECT_EQ(DelayAfter(policy, 50), absl::Seconds(5));
}

TEST_F(AuthServiceTest, GetMeNeedsAValidToken) {
  v1::User me;
  EXPECT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, "not.a.token"),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "the right password", &response), IsOk());
  clock_.Advance(absl::Hours(24 * 8));  // past JWT_EXPIRATION_DAYS
  EXPECT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, response.access_token()),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED, HasSubstr("expired")));
}

TEST_F(AuthServiceTest, DeleteMeRemovesTheAccountAndTheUsersTasks) {
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "the right password", &response), IsOk());
  const std::string token = response.access_token();
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    Authorize(context, token);
    tasks::v1::CreateTaskRequest create;
    create.mutable_task()->set_title(absl::StrCat("task ", i));
    tasks::v1::Task task;
    ASSERT_THAT(tasks_stub_->CreateTask(&context, create, &task), IsOk());
  }
  google::protobuf::Empty empty;
  ASSERT_THAT(Call(&AuthStub::DeleteMe, v1::DeleteMeRequest(), &empty, token), IsOk());

  auto connection = pool_->Checkout();
  ASSERT_THAT(connection, IsOk());
  absl::StatusOr<common::pg::Result> left =
      (*connection)
          ->ExecuteOnce("count_left_tasks", "SELECT count(*) FROM tasks.tasks WHERE user_id = $1",
                        common::pg::Params().Add(response.user().id()));
  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->GetText(0, 0), "0");
  // Neither service takes the deleted account's token any more.
  grpc::ClientContext list_context;
  Authorize(list_context, token);
  tasks::v1::ListTasksResponse listed;
  EXPECT_THAT(tasks_stub_->ListTasks(&list_context, tasks::v1::ListTasksRequest(), &listed),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED, HasSubstr("deleted")));
  v1::User me;
  // The deleted account's token no longer speaks for anyone.
  EXPECT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, token),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(SignIn(email_, "the right password", &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  // The email is free again.
  EXPECT_THAT(SignUp(email_, "a new password", &response), IsOk());
}

TEST_F(AuthServiceTest, DeleteMeKeepsTheAccountWhenTasksCannotBePurged) {
  v1::AuthResponse response;
  ASSERT_THAT(SignUp(email_, "the right password", &response), IsOk());
  tasks_->Shutdown();
  google::protobuf::Empty empty;
  EXPECT_THAT(Call(&AuthStub::DeleteMe, v1::DeleteMeRequest(), &empty, response.access_token()),
              StatusIs(grpc::StatusCode::UNAVAILABLE, HasSubstr("tasks")));
  v1::User me;
  EXPECT_THAT(Call(&AuthStub::GetMe, v1::GetMeRequest(), &me, response.access_token()), IsOk());
}

}  // namespace
}  // namespace todo::auth
