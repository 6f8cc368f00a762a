#include "services/gateway/http1_framing.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/http_server_internal.h"

namespace todo::gateway {

namespace http = boost::beast::http;

namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace

void AppendResponseHead(const HttpResponse& response, bool keep_alive, bool chunked,
                        std::string& out) {
  absl::StrAppend(&out, "HTTP/1.1 ", response.status, " ", Reason(response.status), "\r\n",
                  http_internal::kNoSniffName, ": ", http_internal::kNoSniffValue, "\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (chunked) {
    out += "transfer-encoding: chunked\r\n";
  } else {
    absl::StrAppend(&out, "content-length: ", response.body.size(), "\r\n");
  }
  out += keep_alive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n";
}

bool HasObsFold(absl::string_view buffered) {
  const size_t end = buffered.find("\r\n\r\n");
  const absl::string_view head = buffered.substr(0, end);
  for (size_t at = head.find('\n'); at != absl::string_view::npos && at + 1 < head.size();
       at = head.find('\n', at + 1)) {
    if (head[at + 1] == ' ' || head[at + 1] == '\t') return true;
  }
  return false;
}

std::optional<HttpResponse> FramingError(const http::request_parser<http::string_body>& parser) {
  const auto& head = parser.get();
  std::string codings;
  const auto [first, last] = head.equal_range(http::field::transfer_encoding);
  for (auto field = first; field != last; ++field) {
    absl::StrAppend(&codings, codings.empty() ? "" : ",",
                    absl::string_view(field->value().data(), field->value().size()));
  }
  if (!codings.empty()) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(codings);
    if (!absl::EqualsIgnoreCase(trimmed, "chunked")) {
      const size_t comma = trimmed.rfind(',');
      const absl::string_view last = absl::StripAsciiWhitespace(
          comma == absl::string_view::npos ? trimmed : trimmed.substr(comma + 1));
      return absl::EqualsIgnoreCase(last, "chunked")
                 ? TextResponse(501, "Not implemented: transfer coding other than chunked")
                 : TextResponse(400, "Bad request: chunked must be the final transfer coding");
    }
  }
  const auto hosts = head.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && head.version() >= 11)) {
    return TextResponse(400, "Bad request: exactly one Host header is required");
  }
  return std::nullopt;
}

}  // namespace todo::gateway
