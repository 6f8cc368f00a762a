#pragma once

// Configuration of todo-gateway. Environment variables give the process
// settings (port, upstream addresses, CORS, timeouts); the transcoder options
// come from the JSON file named by GATEWAY_CONFIG, written in the field names
// of Envoy's v3 GrpcJsonTranscoder message (proto_descriptor, services,
// print_options, convert_grpc_status, request_validation_options, ...) plus
// "upstreams": {"<service>": "host:port"}. A GATEWAY_CONFIG file means what
// it means in Envoy: every option it leaves out takes Envoy's default
// (transcoding.md 13), and "proto_descriptor" falls back to
// GATEWAY_DESCRIPTOR_SET. Without GATEWAY_CONFIG the shipped profile
// applies, shipped_profile.json (a file operators can copy): Profile S
// (transcoding.md 0.1) with print_options {preserve_proto_field_names,
// always_print_primitive_fields}.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/environment.h"
#include "common/logging/log.h"
#include "services/gateway/gateway_handler.h"
#include "services/gateway/http_server.h"

namespace todo::gateway {

struct GatewayConfig {
  HttpServerOptions http;
  GatewayOptions gateway;
  transcoding::RouteOptions routes;
  std::string descriptor_set_path;
  // WEB_ROOT; "" looks next to the binary (main).
  std::string web_root;
  // service full name -> address
  std::map<std::string, std::string> upstreams;
  common::logging::Level log_level = common::logging::Level::kInfo;
  // METRICS_PORT: Prometheus /metrics on the listen address; 0 serves none.
  int metrics_port = 0;
};

std::vector<common::config::EnvVar> GatewayEnvVars();

// INVALID_ARGUMENT naming the variable or the JSON key that is wrong.
absl::StatusOr<GatewayConfig> LoadGatewayConfig(const common::config::Environment& env);

// Applies a GATEWAY_CONFIG document (Envoy's field names) over `config`.
absl::Status ApplyTranscoderJson(absl::string_view json, GatewayConfig& config);

}  // namespace todo::gateway
