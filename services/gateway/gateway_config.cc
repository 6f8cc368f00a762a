#include "services/gateway/gateway_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/settings/service_settings.h"
#include "common/status/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/auth/limits.h"
#include "services/gateway/shipped_profile.h"
#include "services/tasks/limits.h"

#ifndef TODO_DEFAULT_DESCRIPTOR_SET
#define TODO_DEFAULT_DESCRIPTOR_SET "api_descriptor_set.pb"
#endif

namespace todo::gateway {
namespace {

using common::config::EnvVar;
namespace pb = google::protobuf;

constexpr EnvVar kHttpPort{"HTTP_PORT", "8080", "HTTP port (0 picks a free one)"};
constexpr EnvVar kConfigFile{"GATEWAY_CONFIG", "",
                             "transcoder options in Envoy's GrpcJsonTranscoder field names (JSON)"};
constexpr EnvVar kDescriptorSet{"GATEWAY_DESCRIPTOR_SET", TODO_DEFAULT_DESCRIPTOR_SET,
                                "descriptor set of the API (protoc --include_imports)"};
constexpr EnvVar kAuthAddr{"AUTH_ADDR", "127.0.0.1:50051", "todo-auth address"};
constexpr EnvVar kTasksAddr{"TASKS_ADDR", "127.0.0.1:50052", "todo-tasks address"};
constexpr EnvVar kChatAddr{"CHAT_ADDR", "127.0.0.1:50053", "todo-chat address"};
constexpr EnvVar kCorsOrigins{"CORS_ORIGINS", "", "comma-separated allowed origins, or *"};
constexpr EnvVar kTimeout{"REQUEST_TIMEOUT_S", "15", "deadline of each upstream call"};
constexpr EnvVar kMaxConnections{"MAX_CONNECTIONS", "1024", "open client connections at most"};
constexpr EnvVar kIdleTimeout{"IDLE_TIMEOUT_S", "60", "seconds a silent connection is kept"};
constexpr EnvVar kTrustedProxies{
    "TRUSTED_PROXIES", "",
    "comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For names the client"};
constexpr EnvVar kSignInRate{
    "SIGN_IN_RATE_PER_MINUTE", "60",
    "sign-up and sign-in requests per client address per minute (0: no limit)"};
constexpr EnvVar kSignInBurst{"SIGN_IN_BURST", "30",
                              "sign-up and sign-in requests one address may send at once"};
constexpr EnvVar kPublicUrl{
    "PUBLIC_URL", "",
    "the gateway's public base URL (https://todo.example.com), named in the MCP endpoint's OAuth "
    "metadata; empty: http:// and the request's Host"};
constexpr EnvVar kWebRoot{"WEB_ROOT", "",
                          "folder of the web app served at / (empty: web/ next to the binary, else "
                          "../share/todo-grpc/web; absent: no app)"};
constexpr EnvVar kWorkers{"GATEWAY_WORKERS", "0",
                          "event-loop threads (like Envoy's --concurrency); 0: one per usable CPU"};

constexpr EnvVar kAllVars[] = {common::settings::kListenAddressVar,
                               kHttpPort,
                               kConfigFile,
                               kDescriptorSet,
                               kAuthAddr,
                               kTasksAddr,
                               kChatAddr,
                               kCorsOrigins,
                               kTimeout,
                               kMaxConnections,
                               kIdleTimeout,
                               kWorkers,
                               kTrustedProxies,
                               kSignInRate,
                               kSignInBurst,
                               kPublicUrl,
                               kWebRoot,
                               common::settings::kShutdownGraceVar,
                               common::settings::kLogLevelVar,
                               common::settings::kMetricsPortVar};

absl::Status BadKey(absl::string_view key, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("GATEWAY_CONFIG: ", key, ": ", problem));
}

absl::StatusOr<bool> Bool(const pb::Value& value, absl::string_view key) {
  if (!value.has_bool_value()) return BadKey(key, "expected true or false");
  return value.bool_value();
}

absl::StatusOr<std::vector<std::string>> Strings(const pb::Value& value, absl::string_view key) {
  if (!value.has_list_value()) return BadKey(key, "expected a list of strings");
  std::vector<std::string> strings;
  for (const pb::Value& item : value.list_value().values()) {
    if (!item.has_string_value()) return BadKey(key, "expected a list of strings");
    strings.push_back(item.string_value());
  }
  return strings;
}

absl::StatusOr<uint64_t> Size(const pb::Value& value, absl::string_view key) {
  if (!value.has_number_value() || value.number_value() <= 0 ||
      value.number_value() > 4294967295.0) {
    return BadKey(key, "expected a positive 32-bit number");
  }
  return static_cast<uint64_t>(value.number_value());
}

}  // namespace

std::vector<EnvVar> GatewayEnvVars() { return {std::begin(kAllVars), std::end(kAllVars)}; }

absl::Status ApplyTranscoderJson(absl::string_view json, GatewayConfig& config) {
  pb::Struct document;
  if (!pb::util::JsonStringToMessage(std::string(json), &document).ok()) {
    return absl::InvalidArgumentError("GATEWAY_CONFIG: not a JSON object");
  }
  for (const auto& [key, value] : document.fields()) {
    if (key == "proto_descriptor") {
      if (!value.has_string_value()) return BadKey(key, "expected a file path");
      config.descriptor_set_path = value.string_value();
    } else if (key == "services") {
      ASSIGN_OR_RETURN(config.routes.services, Strings(value, key));
    } else if (key == "print_options") {
      if (!value.has_struct_value()) return BadKey(key, "expected an object");
      for (const auto& [option, flag] : value.struct_value().fields()) {
        const std::string name = absl::StrCat(key, ".", option);
        ASSIGN_OR_RETURN(const bool on, Bool(flag, name));
        transcoding::PrintOptions& print = config.gateway.print;
        if (option == "add_whitespace")
          print.add_whitespace = on;
        else if (option == "always_print_primitive_fields")
          print.always_print_primitive_fields = on;
        else if (option == "always_print_enums_as_ints")
          print.always_print_enums_as_ints = on;
        else if (option == "preserve_proto_field_names")
          print.preserve_proto_field_names = on;
        else if (option == "stream_newline_delimited")
          print.stream_newline_delimited = on;
        else if (option == "stream_sse_style_delimited")
          print.stream_sse_style_delimited = on;
        else
          return BadKey(name, "unknown option");
      }
    } else if (key == "request_validation_options") {
      if (!value.has_struct_value()) return BadKey(key, "expected an object");
      for (const auto& [option, flag] : value.struct_value().fields()) {
        const std::string name = absl::StrCat(key, ".", option);
        ASSIGN_OR_RETURN(const bool on, Bool(flag, name));
        if (option == "reject_unknown_method")
          config.gateway.reject_unknown_method = on;
        else if (option == "reject_unknown_query_parameters")
          config.gateway.reject_unknown_query_parameters = on;
        else if (option == "reject_binding_body_field_collisions")
          config.gateway.request.reject_binding_body_field_collisions = on;
        else
          return BadKey(name, "unknown option");
      }
    } else if (key == "convert_grpc_status") {
      ASSIGN_OR_RETURN(config.gateway.convert_grpc_status, Bool(value, key));
    } else if (key == "ignored_query_parameters") {
      ASSIGN_OR_RETURN(const std::vector<std::string> names, Strings(value, key));
      config.gateway.request.ignored_query_parameters = {names.begin(), names.end()};
    } else if (key == "ignore_unknown_query_parameters") {
      ASSIGN_OR_RETURN(config.gateway.request.ignore_unknown_query_parameters, Bool(value, key));
    } else if (key == "auto_mapping") {
      ASSIGN_OR_RETURN(config.routes.auto_mapping, Bool(value, key));
    } else if (key == "query_param_unescape_plus") {
      ASSIGN_OR_RETURN(config.gateway.request.query_param_unescape_plus, Bool(value, key));
    } else if (key == "match_unregistered_custom_verb") {
      ASSIGN_OR_RETURN(config.routes.path_matching.match_unregistered_custom_verb,
                       Bool(value, key));
    } else if (key == "case_insensitive_enum_parsing") {
      ASSIGN_OR_RETURN(config.gateway.request.case_insensitive_enum_parsing, Bool(value, key));
    } else if (key == "url_unescape_spec") {
      const std::string spec = value.string_value();
      auto& target = config.routes.path_matching.unescape_spec;
      if (spec == "ALL_CHARACTERS_EXCEPT_RESERVED") {
        target = transcoding::UnescapeSpec::kAllCharactersExceptReserved;
      } else if (spec == "ALL_CHARACTERS_EXCEPT_SLASH") {
        target = transcoding::UnescapeSpec::kAllCharactersExceptSlash;
      } else if (spec == "ALL_CHARACTERS") {
        target = transcoding::UnescapeSpec::kAllCharacters;
      } else {
        return BadKey(key, "unknown value");
      }
    } else if (key == "max_request_body_size") {
      ASSIGN_OR_RETURN(config.http.max_body_bytes, Size(value, key));
    } else if (key == "max_response_body_size") {
      ASSIGN_OR_RETURN(config.gateway.max_response_body_bytes, Size(value, key));
    } else if (key == "upstreams") {
      if (!value.has_struct_value()) return BadKey(key, "expected an object");
      for (const auto& [service, address] : value.struct_value().fields()) {
        if (!address.has_string_value()) return BadKey(key, "expected host:port strings");
        config.upstreams[service] = address.string_value();
      }
    } else {
      return BadKey(key, "unknown option");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayConfig> LoadGatewayConfig(const common::config::Environment& env) {
  GatewayConfig config;
  ASSIGN_OR_RETURN(config.http.listen_address, env.GetString(common::settings::kListenAddressVar));
  ASSIGN_OR_RETURN(const int64_t port, env.GetInt(kHttpPort, 0, 65535));
  config.http.port = static_cast<int>(port);
  ASSIGN_OR_RETURN(const int64_t connections, env.GetInt(kMaxConnections, 1, 100000));
  config.http.max_connections = static_cast<int>(connections);
  ASSIGN_OR_RETURN(const int64_t workers, env.GetInt(kWorkers, 0, 256));
  config.http.workers = static_cast<int>(workers);
  ASSIGN_OR_RETURN(config.http.idle_timeout,
                   env.GetSeconds(kIdleTimeout, absl::Seconds(1), absl::Hours(1)));
  ASSIGN_OR_RETURN(
      config.http.shutdown_grace,
      env.GetSeconds(common::settings::kShutdownGraceVar, absl::ZeroDuration(), absl::Minutes(10)));
  ASSIGN_OR_RETURN(config.gateway.upstream_timeout,
                   env.GetSeconds(kTimeout, absl::Milliseconds(1), absl::Hours(1)));
  ASSIGN_OR_RETURN(const std::string origins, env.GetString(kCorsOrigins));
  for (absl::string_view origin : absl::StrSplit(origins, ',', absl::SkipWhitespace())) {
    config.gateway.cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }
  ASSIGN_OR_RETURN(config.log_level, common::settings::LoadLogLevel(env));
  ASSIGN_OR_RETURN(const int64_t metrics_port,
                   env.GetInt(common::settings::kMetricsPortVar, 0, 65535));
  config.metrics_port = static_cast<int>(metrics_port);
  ASSIGN_OR_RETURN(const std::string trusted, env.GetString(kTrustedProxies));
  absl::StatusOr<TrustedProxies> proxies = TrustedProxies::Parse(trusted);
  if (!proxies.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TRUSTED_PROXIES: ", proxies.status().message()));
  }
  config.gateway.trusted_proxies = *std::move(proxies);
  ASSIGN_OR_RETURN(const int64_t per_minute, env.GetInt(kSignInRate, 0, 1'000'000));
  ASSIGN_OR_RETURN(const int64_t burst, env.GetInt(kSignInBurst, 1, 1'000'000));
  if (per_minute > 0) {
    RateLimit limit;
    limit.per_second = static_cast<double>(per_minute) / 60.0;
    limit.burst = static_cast<double>(burst);
    config.gateway.password_rate_limiter = std::make_shared<AddressRateLimiter>(limit);
  }

  ASSIGN_OR_RETURN(config.gateway.mcp.public_url, env.GetString(kPublicUrl));
  if (const std::string& url = config.gateway.mcp.public_url;
      !url.empty() && !absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return absl::InvalidArgumentError("PUBLIC_URL: expected an http:// or https:// URL");
  }

  ASSIGN_OR_RETURN(config.web_root, env.GetString(kWebRoot));

  ASSIGN_OR_RETURN(config.descriptor_set_path, env.GetString(kDescriptorSet));
  // What each service takes (its limits.h); chat's messages are small text.
  config.gateway.max_request_bytes = {{"todo.auth.v1.AuthService", auth::kMaxRequestBytes},
                                      {"todo.tasks.v1.TasksService", tasks::kMaxRequestBytes},
                                      {"todo.chat.v1.ChatService", 64 * 1024}};
  ASSIGN_OR_RETURN(config.upstreams["todo.auth.v1.AuthService"], env.GetString(kAuthAddr));
  ASSIGN_OR_RETURN(config.upstreams["todo.tasks.v1.TasksService"], env.GetString(kTasksAddr));
  ASSIGN_OR_RETURN(config.upstreams["todo.chat.v1.ChatService"], env.GetString(kChatAddr));

  // The transcoder options start from Envoy's defaults (the structs'), so a
  // file read as Envoy reads it means what it means in Envoy: what it leaves
  // out is Envoy's default, not the shipped profile's.
  ASSIGN_OR_RETURN(const std::string file, env.GetString(kConfigFile));
  if (file.empty()) {
    RETURN_IF_ERROR(ApplyTranscoderJson(kShippedProfile, config));
    return config;
  }
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("GATEWAY_CONFIG: cannot read ", file));
  std::stringstream text;
  text << in.rdbuf();
  RETURN_IF_ERROR(ApplyTranscoderJson(text.str(), config));
  return config;
}

}  // namespace todo::gateway
