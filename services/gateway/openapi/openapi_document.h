#pragma once

// The OpenAPI 3.1 document of the gateway's API, generated at start from the
// route table it transcodes with: paths and verbs from the google.api.http
// rules (additional bindings included), path and query parameters from the
// template's variables and the request fields neither the path nor the
// body takes, request and response bodies from the message descriptors as
// the JSON printer prints them, the error body of api.md, the comments of
// the protos as descriptions. Served at /openapi.json.

#include <string>

#include "services/gateway/transcoding/response_translator.h"
#include "services/gateway/transcoding/transcoder_config.h"

namespace todo::gateway::openapi {

struct OpenApiOptions {
  transcoding::PrintOptions print;
  std::string version = "0";
};

std::string OpenApiDocument(const transcoding::TranscoderConfig& config,
                            const OpenApiOptions& options);

}  // namespace todo::gateway::openapi
