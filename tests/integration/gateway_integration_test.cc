// REST through todo-gateway's pieces to real auth and tasks servers on a
// real Postgres: every route of api.md that exists so far, compatibility
// bindings included, and the error mapping a frontend sees.

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_client/curl_client.h"
#include "common/pg/migrator.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/auth/auth_app.h"
#include "services/auth/migrations.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_workers.h"
#include "services/gateway/http_server.h"
#include "services/tasks/migrations.h"
#include "services/tasks/tasks_app.h"
#include "tests/harness/postgres_instance.h"
#include "tests/harness/service_environment.h"
#include "tests/harness/status_matchers.h"
#include "tests/harness/tokens.h"

namespace todo {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::todo::testing::IsOk;
using ::todo::testing::SharedPostgres;

namespace pb = google::protobuf;

pb::Struct ParseJson(const std::string& text) {
  pb::Struct object;
  EXPECT_TRUE(pb::util::JsonStringToMessage(text, &object).ok()) << text;
  return object;
}

class GatewayIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dsn = SharedPostgres().CreateDatabase();
    ASSERT_THAT(dsn, IsOk());
    dsn_ = new std::string(*dsn);
    for (const auto& [schema, migrations] :
         {std::make_pair(auth::kSchema, &auth::AuthMigrations()),
          std::make_pair(tasks::kSchema, &tasks::TasksMigrations())}) {
      common::pg::MigratorOptions migrator;
      migrator.connect.dsn = *dsn_;
      migrator.schema = schema;
      ASSERT_THAT(common::pg::Migrate(migrator, *migrations), IsOk());
    }
  }

  GatewayIntegrationTest() {
    // Both backends as their binaries assemble them.
    absl::StatusOr<tasks::TasksConfig> tasks_config = tasks::LoadTasksConfig(
        todo::testing::ServiceEnvironment(*dsn_, {{"REMINDER_POLL_INTERVAL_S", "0.02"}}));
    EXPECT_THAT(tasks_config, IsOk());
    absl::StatusOr<std::unique_ptr<tasks::TasksApp>> tasks_app =
        tasks::TasksApp::Start(*tasks_config, common::time::Clock::Real());
    EXPECT_THAT(tasks_app, IsOk());
    tasks_ = *std::move(tasks_app);
    absl::StatusOr<auth::AuthConfig> auth_config = auth::LoadAuthConfig(
        todo::testing::ServiceEnvironment(*dsn_, {{"TASKS_ADDR", tasks_->server().local_target()},
                                                  {"ARGON2_TIME_COST", "1"},
                                                  {"ARGON2_MEMORY_KIB", "1024"}}));
    EXPECT_THAT(auth_config, IsOk());
    absl::StatusOr<std::unique_ptr<auth::AuthApp>> auth_app =
        auth::AuthApp::Start(*auth_config, common::time::Clock::Real());
    EXPECT_THAT(auth_app, IsOk());
    auth_ = *std::move(auth_app);

    // The shipped profile, pointed at the in-process servers.
    auto config = gateway::LoadGatewayConfig(
        common::config::Environment::FromMap({{"GATEWAY_DESCRIPTOR_SET", TODO_API_DESCRIPTOR_SET},
                                              {"AUTH_ADDR", auth_->server().local_target()},
                                              {"TASKS_ADDR", tasks_->server().local_target()},
                                              {"CHAT_ADDR", "127.0.0.1:1"},
                                              {"CORS_ORIGINS", "https://app.example.com"}}));
    EXPECT_THAT(config, IsOk());
    config_ = *config;
    config_.http.listen_address = "127.0.0.1";
    config_.http.port = 0;
    config_.http.max_body_bytes = 64 * 1024;
    std::ifstream file(config_.descriptor_set_path, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    auto routes = gateway::transcoding::TranscoderConfig::Create(bytes.str(), config_.routes);
    EXPECT_THAT(routes, IsOk());
    routes_ = *std::move(routes);
    auto server = gateway::HttpServer::Start(
        config_.http, gateway::GatewayWorkers(routes_.get(), config_.upstreams, config_.gateway));
    EXPECT_THAT(server, IsOk());
    http_server_ = *std::move(server);
  }

  ~GatewayIntegrationTest() override {
    http_server_->Shutdown();
    tasks_->Shutdown();
  }

  common::http_client::HttpResponse Send(
      const std::string& method, const std::string& path, const std::string& body = "",
      const std::string& token = "",
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    common::http_client::HttpRequest request;
    request.method = method;
    request.url = absl::StrCat("http://127.0.0.1:", http_server_->port(), path);
    request.body = body;
    request.headers = std::move(headers);
    request.headers.emplace_back("Content-Type", "application/json");
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    auto response = client_.Send(request);
    EXPECT_THAT(response, IsOk()) << method << " " << path;
    return response.ok() ? *response : common::http_client::HttpResponse();
  }

  // Signs up a new user through REST; returns (user id, token).
  std::pair<std::string, std::string> SignUp() {
    static int next = 0;
    const auto response =
        Send("POST", "/v1/auth/sign-up",
             absl::StrCat(R"({"email":"rest)", getpid(), "-", next++,
                          R"(@example.com","password":"correct horse","name":"Rest"})"));
    EXPECT_EQ(response.status, 200) << response.body;
    const pb::Struct object = ParseJson(response.body);
    return {object.fields().at("user").struct_value().fields().at("id").string_value(),
            object.fields().at("access_token").string_value()};
  }

  static std::string* dsn_;
  std::unique_ptr<tasks::TasksApp> tasks_;
  std::unique_ptr<auth::AuthApp> auth_;
  gateway::GatewayConfig config_;
  std::unique_ptr<gateway::transcoding::TranscoderConfig> routes_;
  std::unique_ptr<gateway::HttpServer> http_server_;
  common::http_client::CurlClient client_;
};

std::string* GatewayIntegrationTest::dsn_ = nullptr;

TEST_F(GatewayIntegrationTest, ServesTheTasksApiAndItsCompatibilityBindings) {
  const auto [user, token] = SignUp();
  auto created = Send(
      "POST", "/v1/tasks",
      R"({"title":"Buy milk","priority":"high","tags":["Home"],"due_date":"2027-01-31T09:00:00Z"})",
      token);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.content_type, "application/json");
  const pb::Struct task = ParseJson(created.body);
  const std::string id = task.fields().at("id").string_value();  // int64 prints as a string
  EXPECT_EQ(task.fields().at("status").string_value(), "pending");
  EXPECT_EQ(task.fields().at("priority").string_value(), "high");
  EXPECT_FALSE(task.fields().at("completed").bool_value());  // printed although false
  EXPECT_EQ(task.fields().at("due_date").string_value(), "2027-01-31T09:00:00Z");

  EXPECT_EQ(Send("GET", "/v1/tasks/" + id, "", token).status, 200);
  auto listed = Send("GET", "/v1/tasks?q=MILK&status=all&order_by=due_date%20desc", "", token);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(ParseJson(listed.body).fields().at("total_size").number_value(), 1);

  auto updated =
      Send("PATCH", "/v1/tasks/" + id + "?update_mask=tags", R"({"title":"ignored"})", token);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(ParseJson(updated.body).fields().at("title").string_value(), "Buy milk");

  // The FastAPI-style bindings.
  const std::string api = "/api/" + user + "/tasks";
  EXPECT_EQ(Send("GET", api, "", token).status, 200);
  EXPECT_EQ(Send("GET", api + "/" + id, "", token).status, 200);
  auto replaced = Send("PUT", api + "/" + id, R"({"title":"Buy oat milk"})", token);
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(ParseJson(replaced.body).fields().at("priority").string_value(), "medium");
  auto toggled = Send("PATCH", api + "/" + id + "/complete", "", token);
  ASSERT_EQ(toggled.status, 200) << toggled.body;
  EXPECT_TRUE(ParseJson(toggled.body).fields().at("completed").bool_value());
  EXPECT_EQ(Send("POST", "/v1/tasks/" + id + ":reopen", "", token).status, 200);
  EXPECT_EQ(Send("POST", "/v1/tasks/" + id + ":complete", "{}", token).status, 200);
  auto removed = Send("DELETE", api + "/" + id, "", token);
  EXPECT_EQ(removed.status, 200);
  EXPECT_EQ(removed.body, "{}");
  EXPECT_EQ(Send("GET", "/v1/tasks/" + id, "", token).status, 404);

  // Another user's path is 404, as a missing task is.
  EXPECT_EQ(Send("GET", "/api/someone-else/tasks", "", token).status, 404);
  auto me = Send("GET", "/v1/auth/me", "", token);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(ParseJson(me.body).fields().at("id").string_value(), user);
}

TEST_F(GatewayIntegrationTest, MapsErrorsAsEnvoyWould) {
  const auto [user, token] = SignUp();
  auto unauthenticated = Send("GET", "/v1/tasks");
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_EQ(ParseJson(unauthenticated.body).fields().at("code").number_value(), 16);

  auto invalid = Send("POST", "/v1/tasks", R"({"title":"   "})", token);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_THAT(ParseJson(invalid.body).fields().at("message").string_value(), StartsWith("title:"));

  auto not_json = Send("POST", "/v1/tasks", R"({"title":"x")", token);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.content_type, "text/plain");

  auto unknown_query = Send("GET", "/v1/tasks?colour=red", "", token);
  EXPECT_EQ(unknown_query.status, 400);
  EXPECT_THAT(unknown_query.body, HasSubstr("Could not find field \"colour\""));

  auto bad_enum = Send("POST", "/v1/tasks", R"({"title":"x","priority":"urgent"})", token);
  EXPECT_EQ(bad_enum.status, 400);

  auto unknown_route = Send("GET", "/v1/nope", "", token);
  EXPECT_EQ(unknown_route.status, 404);
  EXPECT_EQ(unknown_route.body, "Could not resolve /v1/nope to a method.");

  auto too_big = Send("POST", "/v1/tasks", std::string(100 * 1024, 'x'), token);
  EXPECT_EQ(too_big.status, 413);

  auto duplicate = Send("POST", "/v1/auth/sign-up",
                        R"({"email":"dup@example.com","password":"correct horse","name":"D"})");
  auto again = Send("POST", "/v1/auth/sign-up",
                    R"({"email":"DUP@example.com","password":"correct horse","name":"D"})");
  EXPECT_EQ(again.status, 409) << duplicate.body;
}

TEST_F(GatewayIntegrationTest, ServesItsOwnEndpointsAndCors) {
  // In a deployment the health watcher does this once Postgres answers.
  tasks_->server().health().SetServingStatus(true);
  auth_->server().health().SetServingStatus(true);
  auto health = Send("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(ParseJson(health.body).fields().at("status").string_value(), "healthy");
  auto ready = Send("GET", "/ready");  // chat is not running here
  EXPECT_EQ(ready.status, 503);
  const pb::Struct services = ParseJson(ready.body).fields().at("services").struct_value();
  EXPECT_EQ(services.fields().at("todo.tasks.v1.TasksService").string_value(), "SERVING");
  auto preflight =
      Send("OPTIONS", "/v1/tasks", "", "",
           {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204);
}

TEST_F(GatewayIntegrationTest, StreamsDueRemindersAsAJsonArray) {
  const auto [user, token] = SignUp();
  ASSERT_EQ(
      Send("POST", "/v1/tasks", R"({"title":"Stand-up","remind_at":"2020-01-01T09:00:00Z"})", token)
          .status,
      200);
  common::http_client::HttpRequest request;
  request.url =
      absl::StrCat("http://127.0.0.1:", http_server_->port(), "/v1/tasks:streamReminders");
  request.headers = {{"Authorization", "Bearer " + token}};
  request.timeout = absl::Seconds(10);
  std::string received;
  auto response = client_.SendStreaming(request, [&](absl::string_view piece) {
    received.append(piece.data(), piece.size());
    return !absl::StrContains(received, "Stand-up");  // stop once it arrived
  });
  EXPECT_THAT(received, StartsWith(R"([{"task_id":")"));
  EXPECT_THAT(received, HasSubstr(R"("title":"Stand-up")"));
  // The client hung up: the gateway notices and ends the upstream call, so
  // tearing the server down does not wait for a deadline.
  const absl::Time start = absl::Now();
  http_server_->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace todo
