#pragma once

// Outbound HTTP(S) over libcurl, for JWKS key sets now and LLM providers later
// (including streamed responses). Thread-safe: every call uses its own handle.
//
// Errors: UNAVAILABLE when the peer cannot be reached, DEADLINE_EXCEEDED on
// timeout, RESOURCE_EXHAUSTED when the body exceeds max_response_bytes,
// INVALID_ARGUMENT for a URL that is not http(s). A non-2xx answer is not an
// error here: the caller reads `status`.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace todo::common::http_client {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(30);
  size_t max_response_bytes = 4 * 1024 * 1024;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  // Every response header, names in lower case ("retry-after").
  std::vector<std::pair<std::string, std::string>> headers;
  // Empty for SendStreaming: the body went to the callback.
  std::string body;

  // The first header called `name` (lower case); empty when absent.
  std::string Header(absl::string_view name) const;
};

class CurlClient {
 public:
  CurlClient();

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) const;

  // Hands the body to `on_data` piece by piece as it arrives; returning false
  // from it aborts the transfer (CANCELLED).
  absl::StatusOr<HttpResponse> SendStreaming(
      const HttpRequest& request, const std::function<bool(absl::string_view)>& on_data) const;
};

}  // namespace todo::common::http_client
