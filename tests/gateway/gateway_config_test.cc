// GATEWAY_CONFIG means what it means in Envoy: every option of
// transcoding.md 13 that a file leaves out takes Envoy's default; without a
// file the shipped profile (services/gateway/shipped_profile.json) applies.

#include "services/gateway/gateway_config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

// The configuration with GATEWAY_CONFIG naming a file holding `json`.
absl::StatusOr<GatewayConfig> WithFile(const std::string& json) {
  const std::string path = absl::StrCat(::testing::TempDir(), "gateway-config-", getpid(), ".json");
  std::ofstream(path) << json;
  absl::StatusOr<GatewayConfig> config =
      LoadGatewayConfig(common::config::Environment::FromMap({{"GATEWAY_CONFIG", path}}));
  std::remove(path.c_str());
  return config;
}

TEST(GatewayConfigTest, WithoutAFileTheShippedProfileApplies) {
  absl::StatusOr<GatewayConfig> config =
      LoadGatewayConfig(common::config::Environment::FromMap({}));
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->routes.services,
              ElementsAre("todo.auth.v1.AuthService", "todo.tasks.v1.TasksService",
                          "todo.chat.v1.ChatService"));
  EXPECT_TRUE(config->gateway.convert_grpc_status);
  EXPECT_TRUE(config->gateway.reject_unknown_method);
  EXPECT_TRUE(config->gateway.reject_unknown_query_parameters);
  EXPECT_TRUE(config->gateway.print.preserve_proto_field_names);
  EXPECT_TRUE(config->gateway.print.always_print_primitive_fields);
  EXPECT_FALSE(config->gateway.print.add_whitespace);
  EXPECT_FALSE(config->gateway.request.reject_binding_body_field_collisions);
}

TEST(GatewayConfigTest, WhatAFileLeavesOutIsEnvoysDefault) {
  absl::StatusOr<GatewayConfig> config =
      WithFile(R"({"services": ["todo.tasks.v1.TasksService"]})");
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->routes.services, ElementsAre("todo.tasks.v1.TasksService"));
  const GatewayOptions& gateway = config->gateway;
  // Every option of transcoding.md 13 at Envoy's default.
  EXPECT_FALSE(gateway.print.add_whitespace);
  EXPECT_FALSE(gateway.print.always_print_primitive_fields);
  EXPECT_FALSE(gateway.print.always_print_enums_as_ints);
  EXPECT_FALSE(gateway.print.preserve_proto_field_names);
  EXPECT_FALSE(gateway.print.stream_newline_delimited);
  EXPECT_FALSE(gateway.print.stream_sse_style_delimited);
  EXPECT_THAT(gateway.request.ignored_query_parameters, IsEmpty());
  EXPECT_FALSE(config->routes.auto_mapping);
  EXPECT_FALSE(gateway.request.ignore_unknown_query_parameters);
  EXPECT_FALSE(gateway.convert_grpc_status);
  EXPECT_EQ(config->routes.path_matching.unescape_spec,
            transcoding::UnescapeSpec::kAllCharactersExceptReserved);
  EXPECT_FALSE(gateway.request.query_param_unescape_plus);
  EXPECT_FALSE(config->routes.path_matching.match_unregistered_custom_verb);
  EXPECT_FALSE(gateway.reject_unknown_method);
  EXPECT_FALSE(gateway.reject_unknown_query_parameters);
  EXPECT_FALSE(gateway.request.reject_binding_body_field_collisions);
  EXPECT_FALSE(gateway.request.case_insensitive_enum_parsing);
  // Not an Envoy option: the descriptor set falls back to the shipped one.
  EXPECT_FALSE(config->descriptor_set_path.empty());
  // Without "services" Envoy transcodes nothing.
  absl::StatusOr<GatewayConfig> empty = WithFile("{}");
  ASSERT_THAT(empty, IsOk());
  EXPECT_THAT(empty->routes.services, IsEmpty());
}

TEST(GatewayConfigTest, EveryOptionAFileSetsIsApplied) {
  absl::StatusOr<GatewayConfig> config = WithFile(R"({
      "services": ["a.B"], "auto_mapping": true, "convert_grpc_status": true,
      "print_options": {"add_whitespace": true, "always_print_primitive_fields": true,
                        "always_print_enums_as_ints": true, "preserve_proto_field_names": true,
                        "stream_newline_delimited": true, "stream_sse_style_delimited": true},
      "request_validation_options": {"reject_unknown_method": true,
                                     "reject_unknown_query_parameters": true,
                                     "reject_binding_body_field_collisions": true},
      "ignored_query_parameters": ["api_key"], "ignore_unknown_query_parameters": true,
      "url_unescape_spec": "ALL_CHARACTERS", "query_param_unescape_plus": true,
      "match_unregistered_custom_verb": true, "case_insensitive_enum_parsing": true,
      "max_request_body_size": 1000, "max_response_body_size": 2000})");
  ASSERT_THAT(config, IsOk());
  const GatewayOptions& gateway = config->gateway;
  EXPECT_TRUE(config->routes.auto_mapping && gateway.convert_grpc_status);
  EXPECT_TRUE(gateway.print.add_whitespace && gateway.print.always_print_primitive_fields &&
              gateway.print.always_print_enums_as_ints &&
              gateway.print.preserve_proto_field_names && gateway.print.stream_newline_delimited &&
              gateway.print.stream_sse_style_delimited);
  EXPECT_TRUE(gateway.reject_unknown_method && gateway.reject_unknown_query_parameters &&
              gateway.request.reject_binding_body_field_collisions);
  EXPECT_TRUE(gateway.request.ignored_query_parameters.contains("api_key"));
  EXPECT_TRUE(gateway.request.ignore_unknown_query_parameters &&
              gateway.request.query_param_unescape_plus &&
              gateway.request.case_insensitive_enum_parsing &&
              config->routes.path_matching.match_unregistered_custom_verb);
  EXPECT_EQ(config->routes.path_matching.unescape_spec, transcoding::UnescapeSpec::kAllCharacters);
  EXPECT_EQ(config->http.max_body_bytes, 1000u);
  EXPECT_EQ(gateway.max_response_body_bytes, 2000u);
}

TEST(GatewayConfigTest, TheShippedProfileFileIsWhatRunsWithoutOne) {
  std::ifstream in(TODO_SHIPPED_PROFILE_FILE);
  ASSERT_TRUE(in) << TODO_SHIPPED_PROFILE_FILE;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<GatewayConfig> from_file = WithFile(text);
  absl::StatusOr<GatewayConfig> shipped =
      LoadGatewayConfig(common::config::Environment::FromMap({}));
  ASSERT_THAT(from_file, IsOk());
  ASSERT_THAT(shipped, IsOk());
  EXPECT_EQ(from_file->routes.services, shipped->routes.services);
  EXPECT_EQ(from_file->gateway.convert_grpc_status, shipped->gateway.convert_grpc_status);
  EXPECT_EQ(from_file->gateway.reject_unknown_method, shipped->gateway.reject_unknown_method);
  EXPECT_EQ(from_file->gateway.print.preserve_proto_field_names,
            shipped->gateway.print.preserve_proto_field_names);
}

TEST(GatewayConfigTest, AnUnknownOptionOrAWrongTypeIsNamed) {
  EXPECT_THAT(WithFile(R"({"servics": []})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("servics")));
  EXPECT_THAT(WithFile(R"({"convert_grpc_status": "yes"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("convert_grpc_status")));
  EXPECT_THAT(WithFile("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace todo::gateway
