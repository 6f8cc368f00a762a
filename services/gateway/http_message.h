#pragma once

// The gateway's HTTP exchange as its handlers see it, free of sockets: the
// request, the response, and the writer an answer goes to (http_server.h
// feeds them).

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace todo::gateway {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;
  // Path and query, as sent (still percent-encoded).
  std::string target;
  // Names lower-case.
  Headers headers;
  std::string body;
  // The socket's peer ("203.0.113.7", "::1"); "" when unknown.
  std::string peer_address;

  const std::string* Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
};

// How a handler answers one request. Every method runs on the worker thread
// of the request's connection; any of them may be called after the client
// went away (they then do nothing).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // The whole response; ends the exchange.
  virtual void Respond(HttpResponse response) = 0;
  // A streamed response: the head once, then pieces, then EndStream, which
  // ends the exchange. False once the client is gone or too slow to keep up.
  virtual bool StartStream(const HttpResponse& head) = 0;
  virtual bool WriteStream(absl::string_view piece) = 0;
  virtual void EndStream() = 0;
  // `abandon` runs (once) if the client goes away or the server stops
  // before the exchange ends; the exchange must still be ended.
  virtual void OnAbandoned(std::function<void()> abandon) = 0;
};

// A complete response with a body of one content type.
HttpResponse WithBody(int status, absl::string_view content_type, std::string body);
HttpResponse Json(int status, std::string body);
// A text/plain response: how the gateway answers what it refuses itself
// (transcoding.md 14).
HttpResponse TextResponse(int status, absl::string_view text);

}  // namespace todo::gateway
