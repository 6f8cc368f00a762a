#include "services/gateway/transcoding/transcoder_config.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway::transcoding {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

std::string ReadFile(const char* path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

RouteOptions VectorOptions() {
  RouteOptions options;
  options.services = {"vt.v1.TaskService"};
  return options;
}

std::string MethodAt(const TranscoderConfig& config, const char* method, const char* path) {
  auto match = config.Match(method, path);
  return match.ok() ? match->route->method->name() : match.status().ToString();
}

TEST(TranscoderConfigTest, RoutesEveryRuleOfTheVectorService) {
  auto config = TranscoderConfig::Create(ReadFile(TODO_VECTORS_DESCRIPTOR_SET), VectorOptions());
  ASSERT_THAT(config, IsOk());
  const TranscoderConfig& routes = **config;
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/tasks/42"), "GetTask");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/tasks"), "ListTasks");
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/tasks"), "CreateTask");
  EXPECT_EQ(MethodAt(routes, "PATCH", "/v1/tasks/42"), "UpdateTask");
  EXPECT_EQ(MethodAt(routes, "DELETE", "/v1/tasks/42"), "DeleteTask");
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/tasks/42:complete"), "CompleteTask");
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/tasks:search"), "SearchTasks");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/tasks:watch"), "WatchTasks");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/users/u1/tasks/t1"), "GetResource");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/tasks/by-name/a/b"), "GetResource");  // additional binding
  EXPECT_EQ(MethodAt(routes, "PUT", "/v1/tasks/42/title"), "SetTitle");
  // Ping has no rule and auto_mapping is off (P55).
  EXPECT_THAT(routes.Match("POST", "/vt.v1.TaskService/Ping"),
              StatusIs(absl::StatusCode::kNotFound,
                       "Could not resolve /vt.v1.TaskService/Ping to a method."));
  auto update = routes.Match("PATCH", "/v1/tasks/42");
  ASSERT_THAT(update, IsOk());
  EXPECT_EQ(update->route->body, "task");
  ASSERT_EQ(update->route->body_field_path.size(), 1u);
  EXPECT_EQ(update->route->body_field_path[0]->name(), "task");
  ASSERT_EQ(update->bindings.size(), 1u);
  EXPECT_THAT(update->bindings[0].field_path, ElementsAre("task", "id"));
  EXPECT_EQ(update->bindings[0].value, "42");
}

TEST(TranscoderConfigTest, AutoMappingRoutesMethodsWithoutARule) {
  RouteOptions options = VectorOptions();
  options.auto_mapping = true;
  auto config = TranscoderConfig::Create(ReadFile(TODO_VECTORS_DESCRIPTOR_SET), options);
  ASSERT_THAT(config, IsOk());
  auto ping = (*config)->Match("POST", "/vt.v1.TaskService/Ping");  // P59
  ASSERT_THAT(ping, IsOk());
  EXPECT_EQ(ping->route->method->name(), "Ping");
  EXPECT_EQ(ping->route->body, "*");
}

TEST(TranscoderConfigTest, RoutesTheWholeTodoApiIncludingCompatibilityBindings) {
  RouteOptions options;
  options.services = {"todo.auth.v1.AuthService", "todo.tasks.v1.TasksService",
                      "todo.chat.v1.ChatService"};
  auto config = TranscoderConfig::Create(ReadFile(TODO_API_DESCRIPTOR_SET), options);
  ASSERT_THAT(config, IsOk());
  const TranscoderConfig& routes = **config;
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/auth/sign-up"), "SignUp");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/auth/me"), "GetMe");
  EXPECT_EQ(MethodAt(routes, "GET", "/api/u1/tasks"), "ListTasks");
  EXPECT_EQ(MethodAt(routes, "PUT", "/api/u1/tasks/7"), "ReplaceTask");
  EXPECT_EQ(MethodAt(routes, "PATCH", "/api/u1/tasks/7/complete"), "ToggleTaskCompletion");
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/tasks/7:reopen"), "ReopenTask");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/tasks:streamReminders"), "StreamReminders");
  EXPECT_EQ(MethodAt(routes, "POST", "/v1/chat:stream"), "StreamMessage");
  EXPECT_EQ(MethodAt(routes, "POST", "/api/u1/chat"), "SendMessage");
  EXPECT_EQ(MethodAt(routes, "GET", "/v1/conversations/3/messages"), "ListMessages");
  // The internal purge RPCs have no REST route.
  EXPECT_THAT(routes.Match("POST", "/todo.tasks.v1.TasksService/PurgeUserTasks"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(TranscoderConfigTest, NoServicesMeansTranscodingIsOff) {
  auto config = TranscoderConfig::Create(ReadFile(TODO_VECTORS_DESCRIPTOR_SET), RouteOptions());
  ASSERT_THAT(config, IsOk());
  EXPECT_FALSE((*config)->enabled());
  EXPECT_THAT((*config)->Match("GET", "/v1/tasks/1"), StatusIs(absl::StatusCode::kNotFound));
}

// The vector descriptor set with one method's rule changed by `edit`.
std::string WithEditedRule(const char* method, void (*edit)(google::api::HttpRule&)) {
  google::protobuf::FileDescriptorSet set;
  EXPECT_TRUE(set.ParseFromString(ReadFile(TODO_VECTORS_DESCRIPTOR_SET)));
  for (auto& file : *set.mutable_file()) {
    for (auto& service : *file.mutable_service()) {
      for (auto& candidate : *service.mutable_method()) {
        if (candidate.name() == method) {
          edit(*candidate.mutable_options()->MutableExtension(google::api::http));
        }
      }
    }
  }
  return set.SerializeAsString();
}

TEST(TranscoderConfigTest, RefusesToStartOnBadDescriptorsAndRules) {
  const auto refuses = [](const std::string& bytes, const std::string& message) {
    EXPECT_THAT(TranscoderConfig::Create(bytes, VectorOptions()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << message;
  };
  refuses("not a descriptor set", "transcoding_filter: Unable to parse proto descriptor");
  {
    google::protobuf::FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(ReadFile(TODO_VECTORS_DESCRIPTOR_SET)));
    google::protobuf::FileDescriptorSet only_last;  // imports missing
    *only_last.add_file() = set.file(set.file_size() - 1);
    for (const auto& file : set.file()) {
      if (file.name() == "vt/v1/vectors.proto") *only_last.mutable_file(0) = file;
    }
    refuses(only_last.SerializeAsString(), "Unable to build proto descriptor pool");
  }
  RouteOptions missing_service = VectorOptions();
  missing_service.services.push_back("vt.v1.NoSuchService");
  EXPECT_THAT(TranscoderConfig::Create(ReadFile(TODO_VECTORS_DESCRIPTOR_SET), missing_service),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Could not find 'vt.v1.NoSuchService' in the proto descriptor")));
  refuses(WithEditedRule("GetTask", [](google::api::HttpRule& rule) { rule.set_get("/book/{"); }),
          "Cannot register 'vt.v1.TaskService.GetTask' to path matcher");
  refuses(WithEditedRule("CreateTask",
                         [](google::api::HttpRule& rule) { rule.set_body("no_such_field"); }),
          "Could not find field \"no_such_field\"");
  refuses(
      WithEditedRule("GetTask", [](google::api::HttpRule& rule) { rule.set_get("/v1/book/{b}"); }),
      "Could not find field \"b\" in the type \"vt.v1.GetTaskRequest\"");
  refuses(WithEditedRule("GetUser",
                         [](google::api::HttpRule& rule) { rule.set_get("/v1/tasks/{user_id}"); }),
          "same HTTP method and path template");
  refuses(WithEditedRule("GetTask",
                         [](google::api::HttpRule& rule) { rule.set_response_body("title"); }),
          "\"response_body\" is not supported yet for non-HttpBody fields");
}

TEST(TranscoderConfigTest, ResolvesFieldsByJsonOrProtoName) {
  auto config = TranscoderConfig::Create(ReadFile(TODO_VECTORS_DESCRIPTOR_SET), VectorOptions());
  ASSERT_THAT(config, IsOk());
  const auto* request = (*config)->pool().FindMessageTypeByName("vt.v1.ListTasksRequest");
  ASSERT_NE(request, nullptr);
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"pageSize"}), IsOk());
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"page_size"}), IsOk());
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"owner"}), IsOk());     // json_name
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"owner_id"}), IsOk());  // proto name
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"ownerId"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Could not find field \"ownerId\" in the type \"vt.v1.ListTasksRequest\"."));
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"filter", "range", "min"}), IsOk());
  EXPECT_THAT(TranscoderConfig::ResolveFieldPath(*request, {"page_size", "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-leaf field")));
}

}  // namespace
}  // namespace todo::gateway::transcoding
