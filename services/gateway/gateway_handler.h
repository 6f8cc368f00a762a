#pragma once

// One HTTP request in, one HTTP response (or a stream of chunks) out: the
// gateway's own endpoints (/health, /ready, CORS preflight), then Envoy-style
// transcoding (transcoding.md) of the matched route through a generic gRPC
// call to its service. Free of sockets; http_server.h feeds it.
// Thread-safe: one instance serves every connection.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "services/gateway/transcoding/request_translator.h"
#include "services/gateway/transcoding/response_translator.h"
#include "services/gateway/transcoding/transcoder_config.h"
#include "services/gateway/upstream_channels.h"

namespace todo::gateway {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;
  // Path and query, as sent (still percent-encoded).
  std::string target;
  // Names lower-case.
  Headers headers;
  std::string body;

  const std::string* Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // True when the response already went out through the stream callbacks.
  bool streamed = false;
};

// Where a streaming response goes: the head once, then body pieces; either
// returns false when the client is gone.
struct StreamSink {
  std::function<bool(const HttpResponse& head)> start;
  std::function<bool(absl::string_view piece)> write;
  // False once the client has gone away or the server is stopping.
  std::function<bool()> alive;
};

// A text/plain response: how the gateway answers what it refuses itself
// (transcoding.md 14).
HttpResponse TextResponse(int status, absl::string_view text);

struct GatewayOptions {
  // Envoy's request_validation_options.
  bool reject_unknown_method = true;
  bool reject_unknown_query_parameters = true;
  bool convert_grpc_status = true;
  transcoding::RequestTranslatorOptions request;
  transcoding::PrintOptions print;
  size_t max_response_body_bytes = 4 * 1024 * 1024;
  absl::Duration upstream_timeout = absl::Seconds(15);
  // Origins allowed by CORS; "*" allows any.
  std::vector<std::string> cors_origins;
};

class GatewayHandler {
 public:
  // All pointers must outlive the handler.
  GatewayHandler(const transcoding::TranscoderConfig* config, UpstreamChannels* upstreams,
                 GatewayOptions options);

  HttpResponse Handle(const HttpRequest& request, const StreamSink& sink);

 private:
  HttpResponse Transcode(const HttpRequest& request, const std::string& request_id,
                         const StreamSink& sink);
  HttpResponse Ready();
  HttpResponse UpstreamError(const UpstreamReply& reply) const;
  void AddCors(const HttpRequest& request, HttpResponse& response) const;

  const transcoding::TranscoderConfig* const config_;
  UpstreamChannels* const upstreams_;
  const GatewayOptions options_;
  const transcoding::ResponseTranslator printer_;
};

}  // namespace todo::gateway
