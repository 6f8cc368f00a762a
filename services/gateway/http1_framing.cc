#include "services/gateway/http1_framing.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace todo::gateway {

namespace http = boost::beast::http;

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
