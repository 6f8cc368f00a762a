#pragma once

// The task tools as an MCP server (https://modelcontextprotocol.io), on the
// gateway's public port: the Streamable HTTP transport, stateless.
//
//   POST /mcp   one JSON-RPC message: initialize, ping, tools/list,
//               tools/call answered as application/json (or as a one-event
//               SSE stream to a client that accepts only text/event-stream);
//               a notification or a client's response is 202 with no body
//   GET, DELETE /mcp   405: no server-initiated stream, no sessions
//   GET /.well-known/oauth-protected-resource[/mcp]   RFC 9728 metadata
//
// The transport's rules live here (HTTP statuses, headers, the bearer
// challenge); the tools themselves are todo-chat's (ChatService ListTools
// and CallTool), run by the same code as the assistant's, as the caller's
// token, keyed by the request's x-request-id. Chosen over a transcoded
// google.api.HttpBody RPC because a transcoded answer is always 200 with one
// body, and this transport needs 202, 400, 401 with WWW-Authenticate, 405,
// 406 and 415.

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/server.h"
#include "services/gateway/http_message.h"
#include "services/gateway/mcp/json_rpc.h"
#include "services/gateway/upstreams.h"

namespace todo::gateway::mcp {

// The protocol versions spoken, newest first.
inline constexpr absl::string_view kProtocolVersions[] = {"2025-11-25", "2025-06-18"};

struct McpOptions {
  // "https://todo.example.com": where clients reach the gateway, for the
  // OAuth metadata; "" derives it from each request's Host (http).
  std::string public_url;
  // A larger body is 413.
  size_t max_body_bytes = 64 * 1024;
  absl::Duration upstream_timeout = absl::Seconds(15);
};

class McpEndpoint {
 public:
  // `upstreams` must outlive the endpoint.
  McpEndpoint(Upstreams* upstreams, McpOptions options);

  // Whether `path` (without its query) is one of the endpoint's.
  static bool Serves(absl::string_view path);

  // Answers `request` through `reply`, now or when the tool answers (on
  // this thread). `metadata` goes with the upstream call (the caller's
  // authorization, request id, trace, address).
  void Handle(const HttpRequest& request, common::rpc::Metadata metadata,
              std::function<void(HttpResponse)> reply);

 private:
  struct Exchange;

  void Post(const HttpRequest& request, common::rpc::Metadata metadata,
            std::function<void(HttpResponse)> reply);
  void Dispatch(std::shared_ptr<Exchange> exchange, const JsonRpcMessage& message);
  // Calls ChatService's `method`; `done` gets the reply and the answer's bytes.
  void CallChat(const std::shared_ptr<Exchange>& exchange, absl::string_view method,
                std::string request,
                std::function<void(const ClientReply&, const std::string&)> done);
  std::string BaseUrl(const HttpRequest& request) const;

  Upstreams* const upstreams_;
  const McpOptions options_;
};

}  // namespace todo::gateway::mcp
